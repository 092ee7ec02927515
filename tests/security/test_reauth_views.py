"""Re-authentication is demanded before Cloud Pro build and delete and before changing an
account's key, login or base URL, and honoured once given: plain and htmx requests alike.
The permission check still comes first: strangers get 404, not a password prompt."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from sandbox.models import SandboxServer
from servers.models import ActionLog, CloudAccount
from tests.sandbox_fixtures import USER_PASSWORD
from tests.security.identity import confirm_identity, enable_totp, totp_code
from tests.views.conftest import server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_KEY = "NewKeyNeverStoredUnconfirmed0123456789"


@pytest.fixture
def unconfirmed(user):
    """Signed in long ago (or by a stolen session cookie): no recent proof of identity."""
    client = Client()
    client.force_login(user)
    return client


def confirm_target(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/auth/reauthenticate/", url
    return parse_qs(parts.query)["next"][0]


def build_data(client, account):
    page = client.get(f"/accounts/{account.pk}/cloudpro/").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    return {"cpu": 1, "ram": 1024, "storage": 20, "os": "CentOS-7-64bit", "idempotency_key": key}


def test_build_over_htmx_is_sent_to_confirm_and_back_to_its_page(
    unconfirmed, cac_account, sandbox_calls
):
    cloudpro = f"http://testserver/accounts/{cac_account.pk}/cloudpro/"
    data = build_data(unconfirmed, cac_account)
    response = unconfirmed.post(
        f"/accounts/{cac_account.pk}/cloudpro/build/", data, HTTP_HX_CURRENT_URL=cloudpro, **HTMX
    )
    assert response.status_code == 204
    assert (
        confirm_target(response.headers["HX-Redirect"]) == f"/accounts/{cac_account.pk}/cloudpro/"
    )
    assert sandbox_calls.of("cloudpro/build") == []
    assert not ActionLog.objects.exists()


def test_build_as_a_plain_post_is_sent_to_confirm(unconfirmed, cac_account, sandbox_calls):
    data = build_data(unconfirmed, cac_account)
    response = unconfirmed.post(
        f"/accounts/{cac_account.pk}/cloudpro/build/",
        data,
        HTTP_REFERER=f"http://testserver/accounts/{cac_account.pk}/cloudpro/",
    )
    assert response.status_code == 302
    assert confirm_target(response.url) == f"/accounts/{cac_account.pk}/cloudpro/"
    assert sandbox_calls.of("cloudpro/build") == []


def test_build_goes_through_after_confirming_with_the_password(
    unconfirmed, cac_account, sandbox_calls
):
    cloudpro = f"/accounts/{cac_account.pk}/cloudpro/"
    confirmed = unconfirmed.post(
        "/auth/reauthenticate/", {"password": USER_PASSWORD, "next": cloudpro}
    )
    assert confirmed.status_code == 302 and confirmed.url == cloudpro
    data = build_data(unconfirmed, cac_account)
    response = unconfirmed.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    assert response.status_code == 200
    assert "Build started" in response.headers["HX-Trigger"]
    assert len(sandbox_calls.of("cloudpro/build")) == 1


def test_build_goes_through_after_confirming_with_an_authenticator_code(
    unconfirmed, user, cac_account, sandbox_calls
):
    secret, _ = enable_totp(user)
    cloudpro = f"/accounts/{cac_account.pk}/cloudpro/"
    response = unconfirmed.post(
        "/auth/2fa/reauthenticate/", {"code": totp_code(secret), "next": cloudpro}
    )
    assert response.status_code == 302
    data = build_data(unconfirmed, cac_account)
    unconfirmed.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    assert len(sandbox_calls.of("cloudpro/build")) == 1


def test_an_old_confirmation_is_asked_for_again(
    unconfirmed, user, cac_account, settings, sandbox_calls
):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    confirm_identity(unconfirmed, user, seconds_ago=301)
    data = build_data(unconfirmed, cac_account)
    response = unconfirmed.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    assert "HX-Redirect" in response.headers
    assert sandbox_calls.of("cloudpro/build") == []


def test_deleting_a_server_asks_before_the_page_and_before_the_post(
    unconfirmed, user, cac_account, sandbox_customer, sandbox_calls
):
    cp = server_by_label(sandbox_customer, "cp-app")
    url = f"/accounts/{cac_account.pk}/servers/{cp.sid}/delete/"
    page = unconfirmed.get(url)
    assert page.status_code == 302
    assert confirm_target(page.url) == url
    response = unconfirmed.post(
        url, {"confirm_name": "cp-app"}, HTTP_REFERER="http://testserver" + url
    )
    assert response.status_code == 302
    assert confirm_target(response.url) == url
    assert sandbox_calls.of("cloudpro/delete") == []
    assert SandboxServer.objects.filter(pk=cp.pk).exists()

    unconfirmed.post("/auth/reauthenticate/", {"password": USER_PASSWORD, "next": url})
    assert unconfirmed.get(url).status_code == 200
    done = unconfirmed.post(url, {"confirm_name": "cp-app"})
    assert done.status_code == 302
    assert len(sandbox_calls.of("cloudpro/delete")) == 1


def test_changing_the_key_asks_first_and_never_keeps_the_refused_key(unconfirmed, cac_account):
    url = f"/accounts/{cac_account.pk}/edit/"
    old_key = cac_account.api_key
    assert confirm_target(unconfirmed.get(url).url) == url
    response = unconfirmed.post(
        url,
        {
            "name": "Demo",
            "login": cac_account.login,
            "api_key": NEW_KEY,
            "base_url": "https://attacker.example/api/v1/",
        },
        HTTP_REFERER="http://testserver" + url,
    )
    assert response.status_code == 302
    assert confirm_target(response.url) == url
    cac_account.refresh_from_db()
    assert cac_account.api_key == old_key
    assert "attacker" not in cac_account.base_url
    assert NEW_KEY not in repr(dict(unconfirmed.session.items()))

    unconfirmed.post("/auth/reauthenticate/", {"password": USER_PASSWORD, "next": url})
    assert unconfirmed.get(url).status_code == 200
    unconfirmed.post(
        url,
        {
            "name": "Demo",
            "login": cac_account.login,
            "api_key": NEW_KEY,
            "base_url": cac_account.base_url,
        },
    )
    cac_account.refresh_from_db()
    assert cac_account.api_key == NEW_KEY


def test_strangers_get_404_not_a_password_prompt(cac_account, sandbox_customer, django_user_model):
    stranger = django_user_model.objects.create_user(username="mallory", password="x" * 20)
    client = Client()
    client.force_login(stranger)
    cp = server_by_label(sandbox_customer, "cp-app")
    for method, url in (
        ("post", f"/accounts/{cac_account.pk}/cloudpro/build/"),
        ("get", f"/accounts/{cac_account.pk}/servers/{cp.sid}/delete/"),
        ("get", f"/accounts/{cac_account.pk}/edit/"),
    ):
        assert getattr(client, method)(url).status_code == 404, url


def test_everyday_actions_need_no_confirmation(
    unconfirmed, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    base = f"/accounts/{cac_account.pk}/servers/{web.sid}/"
    assert unconfirmed.get(base).status_code == 200
    response = unconfirmed.post(base + "power/", {"action": "poweroff"}, **HTMX)
    assert response.status_code == 204
    assert "HX-Redirect" not in response.headers
    assert len(sandbox_calls.of("powerop")) == 1


def test_deleting_an_account_asks_before_the_page_and_before_the_post(unconfirmed, cac_account):
    url = f"/accounts/{cac_account.pk}/delete/"
    page = unconfirmed.get(url)
    assert page.status_code == 302
    assert confirm_target(page.url) == url
    refused = unconfirmed.post(url, HTTP_REFERER="http://testserver" + url)
    assert refused.status_code == 302
    assert confirm_target(refused.url) == url
    assert CloudAccount.objects.filter(pk=cac_account.pk).exists()
    assert not ActionLog.objects.filter(action="account.delete").exists()

    unconfirmed.post("/auth/reauthenticate/", {"password": USER_PASSWORD, "next": url})
    assert unconfirmed.get(url).status_code == 200
    assert unconfirmed.post(url).status_code == 302
    assert not CloudAccount.objects.filter(pk=cac_account.pk).exists()
