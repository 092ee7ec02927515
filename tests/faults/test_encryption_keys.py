"""A wrong but valid encryption key, or a lost key file: the panel starts, names the accounts it
cannot read (their pages, /healthz, a system check), serves the rest, and never makes a new key
over stored credentials."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from catcpanel import checks
from servers import crypto
from servers.models import CloudAccount
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db


def make_account(user, name):
    account = CloudAccount(owner=user, name=name, base_url="https://cac.example/api/v1/")
    account.set_credentials(login=f"{name}@example.com", api_key="k" * 30)
    account.save()
    return account


def use_keys(settings, *keys):
    settings.CATCPANEL_FERNET_KEYS = list(keys)
    crypto._multifernet.cache_clear()


@pytest.fixture
def wrong_key(settings, user):
    """ "Lost" is encrypted under a key the panel no longer has; "Kept" under the current one."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, old)
    lost = make_account(user, "Lost")
    use_keys(settings, new)
    kept = make_account(user, "Kept")
    return lost, kept


def test_healthz_is_ok_and_names_the_unreadable_accounts(client, wrong_key):
    response = client.get("/healthz")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "ok"
    assert "Lost" in lines[1] and "Kept" not in lines[1]
    assert "CATCPANEL_FERNET_KEYS" in lines[1]
    # Ids stay out of a page that anyone may fetch.
    assert str(wrong_key[0].pk) not in response.content.decode()


@pytest.mark.parametrize("page", ["servers", "tasks", "templates", "cloudpro"])
def test_every_page_of_an_unreadable_account_says_so_instead_of_a_500(owner, wrong_key, page):
    lost, _ = wrong_key
    response = owner.get(f"/accounts/{lost.pk}/{page}/")
    assert response.status_code == 503
    text = response.content.decode()
    assert 'data-testid="unreadable-credentials"' in text
    assert "Lost" in text and "CATCPANEL_FERNET_KEYS" in text

    section = owner.get(f"/accounts/{lost.pk}/{page}/", **HTMX)
    assert section.status_code == 200
    assert 'data-testid="unreadable-credentials"' in section.content.decode()


def test_the_servers_page_names_the_unreadable_account_in_its_section(owner, wrong_key):
    lost, kept = wrong_key
    text = owner.get("/").getvalue().decode()
    lost_block = text.split(f'id="account-{lost.pk}"')[1].split("</section>")[0]
    kept_block = text.split(f'id="account-{kept.pk}"')[1].split("</section>")[0]
    assert 'data-testid="unreadable-credentials"' in lost_block
    assert "CATCPANEL_FERNET_KEYS" in lost_block
    # The other account is asked for as usual (its provider is unreachable here).
    assert 'data-testid="unreadable-credentials"' not in kept_block
    assert 'data-testid="account-error"' in kept_block


def test_the_rest_of_the_panel_keeps_serving(owner, wrong_key):
    _, kept = wrong_key
    assert owner.get("/accounts/").status_code == 200
    # The readable account's pages render (its provider is unreachable: an error in the
    # section, not the key message).
    response = owner.get(f"/accounts/{kept.pk}/servers/", **HTMX)
    assert response.status_code == 200
    assert 'data-testid="unreadable-credentials"' not in response.content.decode()


def test_a_system_check_names_the_accounts_it_cannot_read(wrong_key):
    messages = checks.check_readable_credentials(databases=["default"])
    assert [message.id for message in messages] == ["catcpanel.W006"]
    assert "Lost" in messages[0].msg and "Kept" not in messages[0].msg
    # A warning: the panel still starts (migrate runs the checks and would stop on an error).
    call_command("check", "--database", "default", "--fail-level", "ERROR")


def test_a_lost_key_file_is_never_replaced_while_credentials_are_stored(settings, user, tmp_path):
    key_file = tmp_path / "fernet.key"
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_FERNET_KEY_FILE = key_file
    settings.CATCPANEL_GENERATE_KEY = True
    crypto._multifernet.cache_clear()
    make_account(user, "Lost")  # the first key is generated here, as on a first start
    assert key_file.exists()

    key_file.unlink()  # the data folder's key is lost
    crypto._multifernet.cache_clear()

    assert crypto.configured_keys() == []
    assert not key_file.exists(), "a new key was generated over stored credentials"
    messages = checks.check_encryption_keys()
    assert [message.id for message in messages] == ["catcpanel.W005"]
    assert "Lost" in messages[0].msg
    assert crypto.unreadable_accounts()[0].name == "Lost"


def test_with_nothing_stored_a_key_is_still_generated(settings, db, tmp_path):
    key_file = tmp_path / "fernet.key"
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_FERNET_KEY_FILE = key_file
    settings.CATCPANEL_GENERATE_KEY = True
    assert len(crypto.configured_keys()) == 1 and key_file.exists()


def test_a_missing_key_without_generation_still_stops_the_start(settings, user, tmp_path):
    make_account(user, "Any")
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "absent.key"
    settings.CATCPANEL_GENERATE_KEY = False
    crypto._multifernet.cache_clear()
    with pytest.raises(SystemCheckError):
        call_command("check", "--fail-level", "ERROR")


def test_a_lost_key_file_is_not_replaced_while_two_factor_secrets_are_stored(
    settings, user, tmp_path
):
    """allauth's two-factor secrets are encrypted with the same key: a new one would lock their
    owners out of signing in."""
    from allauth.mfa.models import Authenticator

    key_file = tmp_path / "fernet.key"
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_FERNET_KEY_FILE = key_file
    settings.CATCPANEL_GENERATE_KEY = True
    crypto._multifernet.cache_clear()
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": crypto.encrypt("JBSWY3DP")}
    )
    key_file.unlink()
    crypto._multifernet.cache_clear()

    assert crypto.configured_keys() == []
    assert not key_file.exists()
    assert "two-factor secrets of 1 user(s)" in checks.check_encryption_keys()[0].msg
