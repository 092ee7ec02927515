"""The console URL leads to a simulated screen, only with its token and only for a few minutes."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from sandbox.models import SandboxConsoleToken
from tests.sandbox.conftest import body, server_by_label


def console_url(api, server):
    return body(api("console.php", sid=server.sid))["console"]


def test_console_url_over_real_http_opens_the_screen(live_server, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    api_url = live_server.url + "/sandbox/api/v1/console.php"

    answer = requests.post(
        api_url,
        data={"key": sandbox_customer.api_key, "login": sandbox_customer.login, "sid": web.sid},
        timeout=10,
    ).json()
    url = answer["console"]
    page = requests.get(url, timeout=10)

    # The URL leads back to the sandbox that answered, on its own host and port.
    assert urlsplit(url).netloc == urlsplit(live_server.url).netloc
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    for text in (web.servername, web.ip, "Powered On", "login:"):
        assert text in page.text
    assert "<script" not in page.text.lower()
    assert "console.css" in page.text


def test_console_page_of_a_stopped_server_says_so(api, client, sandbox_customer):
    db = server_by_label(sandbox_customer, "db-01")

    page = client.get(console_url(api, db))

    assert page.status_code == 200
    assert b"Powered Off" in page.content
    assert b"login:" not in page.content


def test_console_page_of_a_windows_server_asks_for_ctrl_alt_delete(api, client, sandbox_customer):
    windows = server_by_label(sandbox_customer, "win-rdp")

    page = client.get(console_url(api, windows))

    assert page.status_code == 200
    assert b"Ctrl+Alt+Delete" in page.content


def test_an_expired_console_link_is_403(api, client, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    url = console_url(api, web)
    SandboxConsoleToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    page = client.get(url)

    assert page.status_code == 403
    assert web.servername.encode() not in page.content
    assert b"expired" in page.content


def test_a_console_link_lasts_a_few_minutes(api, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    before = timezone.now()

    console_url(api, web)

    lifetime = web.console_tokens.get().expires_at - before
    assert timedelta(minutes=1) <= lifetime <= timedelta(minutes=10)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("sha1hash=", "sha1hash=0"),
        lambda url: url.split("&sha1hash=")[0],
        lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"),
    ],
    ids=["longer", "missing", "altered"],
)
def test_a_wrong_token_is_403(api, client, sandbox_customer, tamper):
    web = server_by_label(sandbox_customer, "web-01")

    page = client.get(tamper(console_url(api, web)))

    assert page.status_code == 403


def test_a_token_opens_only_its_own_server(api, client, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    other = server_by_label(sandbox_customer, "mail")
    url = console_url(api, web)

    page = client.get(url.replace(f"/console/{web.sid}/", f"/console/{other.sid}/"))

    assert page.status_code == 403


def test_the_console_query_names_the_server(api, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")

    query = parse_qs(urlsplit(console_url(api, web)).query)

    assert query["servername"] == [web.servername]
    assert query["hostname"] == [web.ip]
    assert query["sshkey"] == [web.vncport]
    assert len(query["sha1hash"][0]) == 40
