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
        {
            "name": "Main",
            "login": "me@example.com",
            "api_key": KEY,
            "base_url": sandbox_api_url,
            "skip_check": "on",
        },
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
    assert b"Demo" not in outsider.get("/").getvalue()


# --- issue 12: the key goes only where someone who knows it sent it; issue 14: first run ----------


def add(owner, **fields):
    return owner.post("/accounts/add/", {"name": "Lab", "login": "me@example.com", **fields})


def test_adding_an_account_checks_the_key_with_one_call(
    owner, sandbox_customer, sandbox_api_url, sandbox_calls
):
    response = owner.post(
        "/accounts/add/",
        {
            "name": "Lab",
            "login": sandbox_customer.login,
            "api_key": sandbox_customer.api_key,
            "base_url": sandbox_api_url,
        },
        follow=True,
    )
    assert "Cloud at Cost accepted the key: 8 servers." in response.content.decode()
    assert len(sandbox_calls.paths) == 1 and sandbox_calls.of("listservers")
    assert CloudAccount.objects.get(name="Lab").api_key == sandbox_customer.api_key


def test_a_key_that_fails_the_check_is_not_stored_and_the_form_says_why(
    owner, sandbox_customer, sandbox_api_url
):
    response = add(owner, login=sandbox_customer.login, api_key=KEY, base_url=sandbox_api_url)
    text = response.content.decode()
    assert response.status_code == 200
    assert "The check failed: Access refused (error 104)" in text
    # 104 is the provider's answer to a wrong key, a wrong login or a missing whitelist entry.
    for cause in ("API key", "login email", "IP address", "whitelisted"):
        assert cause in text
    assert "Save without checking" in text
    assert KEY not in text
    assert not CloudAccount.objects.exists()


def test_save_without_checking_makes_no_call(owner, sandbox_api_url, sandbox_calls):
    response = add(owner, api_key=KEY, base_url=sandbox_api_url, skip_check="on")
    assert response.status_code == 302
    assert sandbox_calls.paths == []
    assert CloudAccount.objects.filter(name="Lab").exists()


def test_an_address_outside_the_allowed_hosts_is_refused(owner, settings, sandbox_calls):
    settings.CATCPANEL_API_HOSTS = ["cac.example.test"]
    response = add(owner, api_key=KEY, base_url="http://127.0.0.1:9/api/v1/")
    text = response.content.decode()
    assert "This API address is not one the panel may use." in text
    assert "CATCPANEL_API_HOSTS" in text
    assert not CloudAccount.objects.exists()


ANSWERS = {
    "404 with a body": (404, b"<h1>internal-admin-console v2.3</h1>"),
    "500": (500, b"Traceback: db01.internal refused"),
    "200 not json": (200, b"<html>router login</html>"),
    "301": (301, b""),
}


@pytest.mark.parametrize("answer", list(ANSWERS), ids=list(ANSWERS))
def test_what_a_failing_address_answered_is_not_reflected(owner, answer, settings):
    """Whatever answers at an address someone types, the form says the same thing: otherwise the
    form would be a probe of what answers where on the panel's network."""
    status, body = ANSWERS[answer]
    with _Answering(status, body) as server:
        response = add(owner, api_key=KEY, base_url=server.base_url)
    text = response.content.decode()
    assert "The check failed: No Cloud at Cost API answered at this address." in text
    assert f" {status}" not in text.replace('maxlength="200"', "")
    for word in ("internal", "router", "Traceback", "HTTP", "10.0.0.1", "redirect"):
        assert word not in text
    assert not CloudAccount.objects.exists()


def test_a_closed_port_gets_the_same_message(owner):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = add(owner, api_key=KEY, base_url=f"http://127.0.0.1:{port}/api/v1/").content.decode()
    assert "No Cloud at Cost API answered at this address." in text
    assert "Could not connect" not in text


def test_with_the_sandbox_mounted_the_add_form_offers_it(
    owner, settings, live_server, sandbox_customer, sandbox_calls
):
    settings.SITE_URL = live_server.url
    page = owner.get("/accounts/add/").content.decode()
    assert 'data-testid="provider-choice"' in page
    assert "The built-in sandbox (demo)" in page
    assert live_server.url + "/sandbox/api/v1/" in page

    response = owner.post(
        "/accounts/add/",
        {
            "name": "Demo 2",
            "login": sandbox_customer.login,
            "api_key": sandbox_customer.api_key,
            "provider": "sandbox",
            # The hidden address field is left as the form sent it.
            "base_url": "https://panel.cloudatcost.com/api/v1/",
        },
    )
    assert response.status_code == 302
    assert CloudAccount.objects.get(name="Demo 2").base_url == live_server.url + "/sandbox/api/v1/"
    assert sandbox_calls.of("listservers")


def test_without_the_sandbox_the_form_has_no_choice(owner, settings):
    settings.CATCPANEL_SANDBOX = False
    assert b"provider-choice" not in owner.get("/accounts/add/").content


@pytest.mark.parametrize("change", ["base_url", "login"])
def test_changing_the_address_or_login_needs_the_key(owner, cac_account, sandbox_calls, change):
    """A manager who does not know the key cannot send it elsewhere (or pair it with a login
    of their own)."""
    url = f"/accounts/{cac_account.pk}/edit/"
    fields = {
        "name": "Demo",
        "login": cac_account.login,
        "api_key": "",
        "base_url": cac_account.base_url,
    }
    fields[change] = (
        "http://localhost:9/api/v1/" if change == "base_url" else "someone@else.example"
    )
    before = (cac_account.base_url, cac_account.login)
    response = owner.post(url, fields)
    assert response.status_code == 200
    assert "Type the API key to change the API address or the login" in response.content.decode()
    cac_account.refresh_from_db()
    assert (cac_account.base_url, cac_account.login) == before
    assert not ActionLog.objects.exists()

    fields["api_key"] = KEY
    assert owner.post(url, fields).status_code == 302
    cac_account.refresh_from_db()
    assert getattr(cac_account, change) == fields[change] and cac_account.api_key == KEY


def test_the_service_refuses_a_new_address_without_the_key(cac_account, user):
    from servers import services

    with pytest.raises(services.ServiceError):
        services.update_account(
            cac_account,
            user,
            name="Demo",
            login=cac_account.login,
            api_key=None,
            base_url="https://cac.example.test/api/v1/",
        )


def test_an_account_stored_at_an_address_no_longer_allowed_is_not_called(
    owner, cac_account, settings, sandbox_calls
):
    settings.CATCPANEL_API_HOSTS = ["cac.example.test"]
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert response.status_code == 200
    assert "This API address is not one the panel may use." in response.content.decode()
    assert sandbox_calls.paths == []


def test_the_last_error_clears_once_a_call_succeeds(owner, cac_account):
    key = cac_account.api_key
    cac_account.set_credentials(api_key="0" * 40)
    cac_account.save()
    owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    cac_account.refresh_from_db()
    assert "error 104" in cac_account.last_error

    cac_account.set_credentials(api_key=key)
    cac_account.save()
    owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    cac_account.refresh_from_db()
    assert cac_account.last_error == ""
    text = owner.get("/accounts/").content.decode()
    # The error's own words: a bare "104" also turns up in a random UUID or port on the page.
    assert "error 104" not in text and "whitelisted" not in text
    assert '<dd data-field="last-error">none</dd>' in text


class _Answering:
    """A real HTTP server on 127.0.0.1 giving one canned answer to everything."""

    def __init__(self, status, body):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                if status == 301:
                    self.send_header("Location", "http://10.0.0.1/admin")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/v1/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
