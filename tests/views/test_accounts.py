"""Accounts: list with state, add, edit (write-only key), delete, test connection."""

import json

import pytest

from servers.models import ActionLog, CloudAccount
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "k3yABCDEFGHIJKLMNOPQRSTUVWXYZa1b2"


def test_add_account_stores_the_key_encrypted_and_never_shows_it(owner, user, sandbox_api_url):
    response = owner.post(
        "/accounts/add/",
        {"name": "Main", "login": "me@example.com", "api_key": KEY, "base_url": sandbox_api_url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/"
    account = CloudAccount.objects.get(name="Main")
    assert account.owner == user
    assert account.api_key == KEY
    assert KEY not in account.api_key_encrypted
    text = response.content.decode()
    assert "…a1b2" in text
    assert KEY not in text
    assert ActionLog.objects.get().action == "account.add"
    assert KEY not in json.dumps(ActionLog.objects.get().parameters)


def test_add_account_requires_a_key_and_an_http_url(owner):
    response = owner.post(
        "/accounts/add/",
        {"name": "Main", "login": "not-an-email", "api_key": "", "base_url": "ftp://x.example/"},
    )
    assert response.status_code == 200
    assert response.content.count(b'class="field-error"') == 3
    assert not CloudAccount.objects.exists()


def test_edit_form_never_contains_the_key(owner, cac_account):
    response = owner.get(f"/accounts/{cac_account.pk}/edit/")
    text = response.content.decode()
    assert cac_account.api_key not in text
    assert cac_account.api_key_encrypted not in text
    assert cac_account.api_key_display in text


def test_edit_with_a_blank_key_keeps_the_stored_key(owner, cac_account):
    key = cac_account.api_key
    response = owner.post(
        f"/accounts/{cac_account.pk}/edit/",
        {
            "name": "Renamed",
            "login": cac_account.login,
            "api_key": "",
            "base_url": cac_account.base_url,
        },
    )
    assert response.status_code == 302
    cac_account.refresh_from_db()
    assert (cac_account.name, cac_account.api_key) == ("Renamed", key)
    assert ActionLog.objects.get().parameters == {"changed": ["name"]}


def test_edit_with_a_new_key_replaces_it(owner, cac_account):
    owner.post(
        f"/accounts/{cac_account.pk}/edit/",
        {
            "name": "Demo",
            "login": cac_account.login,
            "api_key": KEY,
            "base_url": cac_account.base_url,
        },
    )
    cac_account.refresh_from_db()
    assert cac_account.api_key == KEY
    assert ActionLog.objects.get().parameters == {"changed": ["api_key"]}


def test_delete_account_keeps_its_activity(owner, cac_account):
    assert b"Delete account" in owner.get(f"/accounts/{cac_account.pk}/delete/").content
    response = owner.post(f"/accounts/{cac_account.pk}/delete/")
    assert response.status_code == 302
    assert not CloudAccount.objects.exists()
    log = ActionLog.objects.get()
    assert (log.action, log.account_name, log.account) == ("account.delete", "Demo", None)


def test_test_connection_reports_the_number_of_servers(owner, cac_account):
    response = owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    assert b"Connection OK: 8 servers." in response.content
    assert json.loads(response.headers["HX-Trigger"])["toast"]["kind"] == "success"
    cac_account.refresh_from_db()
    assert cac_account.last_success_at is not None


def test_account_list_shows_last_contact_and_last_error(owner, cac_account):
    owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    cac_account.set_credentials(api_key="0" * 40)
    cac_account.save()
    owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    text = owner.get("/accounts/").content.decode()
    assert 'data-testid="account-card"' in text
    assert "ago" in text
    assert "whitelisted" in text


def test_changing_credentials_drops_what_was_cached_under_the_old_ones(
    owner, cac_account, sandbox_calls
):
    owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    owner.post(
        f"/accounts/{cac_account.pk}/edit/",
        {
            "name": "Demo",
            "login": cac_account.login,
            "api_key": "0" * 40,
            "base_url": cac_account.base_url,
        },
    )
    sandbox_calls.clear()
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert sandbox_calls.of("listservers")
    assert b"whitelisted" in response.content


def test_accounts_list_shows_only_my_accounts(owner, outsider, cac_account):
    assert b"Demo" in owner.get("/accounts/").content
    assert b"Demo" not in outsider.get("/accounts/").content
    assert b"Demo" not in outsider.get("/").content
