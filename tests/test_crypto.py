import io

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from servers import crypto
from servers.models import CloudAccount

API_KEY = "canaryKEY0123456789abcdefCANARY"
LOGIN = "canary.login+cac@example.org"


@pytest.fixture
def account(db):
    owner = get_user_model().objects.create_user("owner", password="x")
    account = CloudAccount(name="Main", owner=owner)
    account.set_credentials(login=LOGIN, api_key=API_KEY)
    account.save()
    return account


def raw_row(account_id) -> str:
    """Every column of the stored row as the database has it, joined into one string."""
    table = CloudAccount._meta.db_table
    pk = CloudAccount._meta.pk.get_db_prep_value(account_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_the_raw_database_row_holds_neither_key_nor_login(account):
    row = raw_row(account.id)
    assert API_KEY not in row
    assert LOGIN not in row
    assert "canary" not in row.lower()


def test_credentials_read_back_through_the_model(account):
    fresh = CloudAccount.objects.get(pk=account.pk)
    assert fresh.api_key == API_KEY
    assert fresh.login == LOGIN
    assert fresh.api_key_display == f"…{API_KEY[-4:]}"


def test_a_short_key_gets_no_hint(db):
    account = CloudAccount(name="x", owner=get_user_model().objects.create_user("o"))
    account.set_credentials(login=LOGIN, api_key="short")
    assert account.api_key_display == ""


def test_setting_only_the_login_keeps_the_stored_key(account):
    account.set_credentials(login="new@example.org")
    account.save()
    fresh = CloudAccount.objects.get(pk=account.pk)
    assert (fresh.login, fresh.api_key) == ("new@example.org", API_KEY)


def test_a_wrong_key_raises_and_never_returns_ciphertext(account, settings):
    settings.CATCPANEL_FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto._multifernet.cache_clear()
    fresh = CloudAccount.objects.get(pk=account.pk)
    with pytest.raises(crypto.DecryptionError) as caught:
        _ = fresh.api_key
    assert fresh.api_key_encrypted not in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.CATCPANEL_FERNET_KEYS = ["not-a-fernet-key"]
    crypto._multifernet.cache_clear()
    with pytest.raises(crypto.EncryptionKeyError):
        crypto.encrypt("x")


def test_rotation_re_encrypts_under_the_newest_key(account, settings):
    old_key = settings.CATCPANEL_FERNET_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CATCPANEL_FERNET_KEYS = [new_key, old_key]
    crypto._multifernet.cache_clear()
    before = raw_row(account.id)

    out = io.StringIO()
    call_command("rotate_fernet_keys", stdout=out)
    assert "1 account(s)" in out.getvalue()

    assert raw_row(account.id) != before
    settings.CATCPANEL_FERNET_KEYS = [new_key]
    crypto._multifernet.cache_clear()
    fresh = CloudAccount.objects.get(pk=account.pk)
    assert (fresh.login, fresh.api_key) == (LOGIN, API_KEY)


def test_rotation_without_the_old_key_changes_nothing(account, settings):
    before = raw_row(account.id)
    settings.CATCPANEL_FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto._multifernet.cache_clear()
    with pytest.raises(CommandError, match="not in CATCPANEL_FERNET_KEYS"):
        call_command("rotate_fernet_keys")
    assert raw_row(account.id) == before


def test_a_local_run_without_keys_generates_one_file_and_reuses_it(settings, tmp_path, db):
    # db: a key is generated only after checking that no credentials are stored (crypto.py).
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_GENERATE_KEY = True
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "keys" / "fernet.key"
    first = crypto.configured_keys()
    assert len(first) == 1
    assert settings.CATCPANEL_FERNET_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert crypto.configured_keys() == first
    Fernet(first[0].encode())  # a real key


def test_without_keys_and_without_generation_there_is_no_key(settings, tmp_path):
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_GENERATE_KEY = False
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "fernet.key"
    crypto._multifernet.cache_clear()
    assert crypto.configured_keys() == []
    assert not settings.CATCPANEL_FERNET_KEY_FILE.exists()
    with pytest.raises(crypto.EncryptionKeyError):
        crypto.encrypt("x")
