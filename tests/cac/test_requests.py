"""What goes over the wire: methods, where the credentials go, encodings, timeouts."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from servers.cac.client import CacClient
from servers.cac.errors import CacBadResponse

from . import bodies
from .conftest import BASE_URL, CANARY_KEY, CANARY_LOGIN, endpoint_url

OK = '{"status": "ok", "result": "successful"}'

POST_CALLS = [
    ("powerop", lambda c: c.power("42", "poweroff"), {"sid": "42", "action": "poweroff"}),
    ("runmode", lambda c: c.set_run_mode("42", "Safe"), {"sid": "42", "mode": "safe"}),
    ("runmode", lambda c: c.set_run_mode("42", "NORMAL"), {"sid": "42", "mode": "normal"}),
    ("renameserver", lambda c: c.rename("42", "web & db"), {"sid": "42", "name": "web & db"}),
    (
        "rdns",
        lambda c: c.set_reverse_dns("42", "h.example.com"),
        {"sid": "42", "hostname": "h.example.com"},
    ),
    ("cloudpro/delete", lambda c: c.delete("42"), {"sid": "42"}),
    (
        "cloudpro/build",
        lambda c: c.build(cpu=2, ram=2048, storage=20, os="75", datacenter=2),
        {"cpu": "2", "ram": "2048", "storage": "20", "os": "75", "datacenter": "2"},
    ),
    (
        "cloudpro/build",
        lambda c: c.build(cpu=1, ram=1024, storage=10, os="3"),
        {"cpu": "1", "ram": "1024", "storage": "10", "os": "3"},
    ),
]

GET_CALLS = [
    ("listservers", lambda c: c.list_servers()),
    ("listtemplates", lambda c: c.list_templates()),
    ("listtasks", lambda c: c.list_tasks()),
    ("cloudpro/resources", lambda c: c.resources()),
]


@pytest.mark.parametrize(("endpoint", "call"), GET_CALLS)
def test_get_endpoints_send_credentials_in_the_query_string(cac, client, endpoint, call):
    body = (
        bodies.DOCS_RESOURCES if endpoint == "cloudpro/resources" else '{"status":"ok","data":[]}'
    )
    cac.add(responses.GET, endpoint_url(endpoint), body=body)

    call(client)

    [sent] = cac.calls
    assert sent.request.method == "GET"
    parts = urlsplit(sent.request.url)
    assert parts.path == f"/api/v1/{endpoint}.php"
    assert parse_qs(parts.query) == {"key": [CANARY_KEY], "login": [CANARY_LOGIN]}
    # The login is URL-encoded: a raw "+" would arrive as a space.
    assert "login=zq%2Bcanary7731%40example.com" in parts.query
    assert sent.request.body is None


@pytest.mark.parametrize(("endpoint", "call", "params"), POST_CALLS)
def test_post_endpoints_send_a_form_body(cac, client, endpoint, call, params):
    cac.add(responses.POST, endpoint_url(endpoint), body=OK)

    call(client)

    [sent] = cac.calls
    assert sent.request.method == "POST"
    assert sent.request.url == endpoint_url(endpoint)  # nothing in the query string
    assert sent.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(sent.request.body)
    assert form == {
        "key": [CANARY_KEY],
        "login": [CANARY_LOGIN],
        **{k: [v] for k, v in params.items()},
    }
    assert "login=zq%2Bcanary7731%40example.com" in sent.request.body


def test_console_is_a_post(cac, client):
    cac.add(responses.POST, endpoint_url("console"), body=bodies.DOCS_CONSOLE)

    client.console_url("42")

    [sent] = cac.calls
    assert sent.request.method == "POST"
    assert parse_qs(sent.request.body)["sid"] == ["42"]


def test_every_call_has_a_connect_and_a_read_timeout(cac, client):
    cac.add(responses.GET, endpoint_url("listservers"), body='{"status":"ok","data":[]}')
    cac.add(responses.POST, endpoint_url("powerop"), body=OK)

    client.list_servers()
    client.power("1", "reset")

    assert [call.request.req_kwargs["timeout"] for call in cac.calls] == [(2.0, 3.0), (2.0, 3.0)]


def test_timeouts_default_to_the_settings(cac, settings):
    settings.CATCPANEL_CAC_CONNECT_TIMEOUT = 1.5
    settings.CATCPANEL_CAC_READ_TIMEOUT = 7.0
    cac.add(responses.GET, endpoint_url("listtasks"), body='{"status":"ok","data":[]}')
    client = CacClient(base_url=BASE_URL, login="a@b.c", api_key="k")

    client.list_tasks()

    assert (client.connect_timeout, client.read_timeout) == (1.5, 7.0)
    assert cac.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


def test_redirects_are_not_followed(cac, client):
    cac.add(
        responses.POST,
        endpoint_url("powerop"),
        status=301,
        headers={"Location": "https://elsewhere.test/"},
    )

    with pytest.raises(CacBadResponse, match=r"No answer from cac\.example\.test") as caught:
        client.power("1", "reset")

    assert caught.value.detail == "HTTP 301, 0 characters: ''"
    # Following it would carry the credentials to wherever it points.
    assert len(cac.calls) == 1


def test_base_url_without_trailing_slash(cac, make_client):
    cac.add(responses.GET, endpoint_url("listtasks"), body='{"status":"ok","data":[]}')

    make_client(base_url=BASE_URL.rstrip("/")).list_tasks()

    assert len(cac.calls) == 1


def test_default_base_url_is_the_provider():
    client = CacClient(login="a@b.c", api_key="k")

    assert client._base_url == "https://panel.cloudatcost.com/api/v1/"
    assert client.host == "panel.cloudatcost.com"


def test_one_session_per_client(cac, client):
    cac.add(responses.GET, endpoint_url("listtasks"), body='{"status":"ok","data":[]}')
    session = client._session

    client.list_tasks()
    client.list_tasks()

    assert client._session is session
    assert session.headers["User-Agent"].startswith("catcpanel")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.power("1", "shutdown"),
        lambda c: c.power("1", "PowerOn"),
        lambda c: c.set_run_mode("1", "turbo"),
    ],
)
def test_invalid_arguments_are_refused_before_any_request(cac, client, call):
    with pytest.raises(ValueError):
        call(client)

    assert len(cac.calls) == 0
