"""Whatever the provider sends is data: HTML in a server's fields renders inert, and a console
address that is not a web address is refused, never redirected to."""

import re

import pytest
import responses

from sandbox.models import SandboxServer
from tests.security.crawl import ROLES, inline_code

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
LABEL = '<script>alert("label")</script><img src=x onerror=alert(1)>'
NOTE = '<b onmouseover="alert(2)">note</b><style>body{display:none}</style>'
HOSTNAME = '"><svg onload=alert(3)>.example'
RDNS = "x' onfocus='alert(4)' autofocus='"


@pytest.fixture
def owner(cast):
    return ROLES["owner"](cast)


@pytest.fixture
def hostile_server(cast):
    server = SandboxServer.objects.get(sid=cast.server_id)
    server.label = LABEL
    server.panel_note = NOTE
    server.hostname = HOSTNAME
    server.rdns = RDNS
    server.template = "<i>Ubuntu</i>"
    server.save()
    return server


def pages(cast):
    account, sid = cast.account.pk, cast.server_id
    return [
        ("/", {}),
        (f"/accounts/{account}/servers/", {}),
        (f"/accounts/{account}/servers/", HTMX),
        (f"/accounts/{account}/servers/{sid}/", {}),
        (f"/accounts/{account}/servers/{sid}/", HTMX),
        (f"/accounts/{account}/servers/{sid}/delete/", {}),
        (f"/accounts/{account}/servers/{sid}/rename/", HTMX),
        (f"/accounts/{account}/servers/{sid}/rdns/", HTMX),
        (f"/accounts/{account}/tasks/", {}),
        (f"/accounts/{account}/cloudpro/", {}),
    ]


def test_html_in_a_servers_fields_renders_inert(owner, cast, hostile_server):
    shown = 0
    for url, extra in pages(cast):
        response = owner.get(url, **extra)
        assert response.status_code == 200, url
        body = response.getvalue().decode()
        for raw in (LABEL, NOTE, HOSTNAME, RDNS, "<i>Ubuntu</i>", "<script>alert", "<svg onload"):
            assert raw not in body, (url, raw)
        assert inline_code(body) == [], url
        shown += body.count("&lt;script&gt;alert(&quot;label&quot;)&lt;/script&gt;")
    # The label was on the pages, escaped, not silently dropped.
    assert shown >= 4


def test_a_renamed_servers_html_comes_back_inert_too(owner, cast):
    url = f"/accounts/{cast.account.pk}/servers/{cast.server_id}/rename/"
    response = owner.post(url, {"name": "<script>x()</script>"}, **HTMX)
    assert response.status_code == 200
    assert "<script>x()" not in response.text
    assert inline_code(response.text) == []


@pytest.mark.parametrize(
    "console",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "//evil.example/console",
    ],
)
def test_a_console_address_that_is_not_a_web_address_is_refused(owner, cast, console):
    """The sandbox only hands out real console pages, so `responses` plays the provider's
    console.php here (and nothing else: every other call still goes to the sandbox)."""
    api = cast.account.base_url
    with responses.RequestsMock(assert_all_requests_are_fired=True) as provider:
        provider.add_passthru(re.compile(re.escape(api) + r"(?!console\.php).*"))
        provider.post(
            api + "console.php",
            json={
                "status": "ok",
                "time": 0,
                "api": "v1",
                "serverid": cast.server_id,
                "console": console,
            },
        )
        response = owner.post(f"/accounts/{cast.account.pk}/servers/{cast.server_id}/console/")
    assert response.status_code == 502
    assert "Location" not in response.headers
    assert console.strip() not in response.text
    assert "not a web address" in response.text or "unexpected" in response.text.lower()
