"""The client over real sockets on 127.0.0.1: refused connections, silence, and a real answer."""

import time
from urllib.parse import parse_qs

import pytest

from servers.cac.client import environment_settings
from servers.cac.errors import CacConnectionError, CacRateLimited, CacTimeout

from . import bodies
from .conftest import CANARY_KEY, CANARY_LOGIN


def test_connection_refused(make_client, closed_port):
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}/api/v1/")

    with pytest.raises(CacConnectionError) as caught:
        client.list_servers()

    error = caught.value
    assert error.message == (
        "No answer from 127.0.0.1 that Cloud at Cost's API would give, when asked to "
        "list the servers. Try again later, or check this account's API address; the server log "
        "has the details."
    )
    assert error.detail == "connection refused"
    assert error.retryable and error.endpoint == "listservers"
    assert error.__cause__ is None and error.__context__ is None


def test_read_timeout(make_client, silent_server, sleeps):
    client = make_client(base_url=silent_server, read_timeout=0.3)
    started = time.monotonic()

    with pytest.raises(CacTimeout) as caught:
        client.power("1", "reset")

    assert time.monotonic() - started < 5
    # The words are those of any other failure (a silent port must read as a closed one); the
    # type and `connecting` tell the services that the power operation may have been received.
    assert caught.value.message == (
        "No answer from 127.0.0.1 that Cloud at Cost's API would give, when asked to "
        "change the power state. Try again later, or check this account's API address; the "
        "server log has the details."
    )
    assert not caught.value.connecting
    assert (
        caught.value.detail == "no answer within the read timeout of 0.3 s (the request was sent)"
    )
    # A timeout is not retried: the power operation may have been received.
    assert sleeps == []


def test_get_over_real_http_with_json_as_html(make_client, http_server):
    http_server.answer = (200, "text/html", bodies.DOCS_LISTTEMPLATES.encode())

    templates = make_client(base_url=http_server.base_url).list_templates()

    assert [t.name for t in templates][:2] == ["CentOS-7-64bit", "Ubuntu-14.04.1-LTS-64bit"]
    [(method, path, body)] = http_server.received
    assert method == "GET" and body == b""
    assert path.startswith("/api/v1/listtemplates.php?")
    assert parse_qs(path.split("?", 1)[1]) == {"key": [CANARY_KEY], "login": [CANARY_LOGIN]}


def test_post_over_real_http(make_client, http_server):
    http_server.answer = (200, "text/html", bodies.LIVE_POWEROP.encode())

    result = make_client(base_url=http_server.base_url).power("77", "poweron")

    assert result.task_id == "4813160789199"
    [(method, path, body)] = http_server.received
    assert (method, path) == ("POST", "/api/v1/powerop.php")
    assert parse_qs(body.decode()) == {
        "key": [CANARY_KEY],
        "login": [CANARY_LOGIN],
        "sid": ["77"],
        "action": ["poweron"],
    }


def test_utf8_labels_served_without_a_charset(make_client, http_server):
    body = '{"status":"ok","data":[{"id":"1","label":"café","servername":"c1"}]}'
    http_server.answer = (200, "text/html", body.encode())

    [server] = make_client(base_url=http_server.base_url).list_servers()

    assert server.name == "café"


def test_rate_limit_over_real_http_retries_get(make_client, http_server, sleeps):
    http_server.answer = (503, "text/html", b"Rate limit hit")

    with pytest.raises(CacRateLimited):
        make_client(base_url=http_server.base_url).list_tasks()

    assert len(http_server.received) == 3 and len(sleeps) == 2


@pytest.fixture
def environment(monkeypatch):
    """Proxy variables as set for the process; the client reads them once per base URL."""
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    environment_settings.cache_clear()
    yield monkeypatch
    environment_settings.cache_clear()


def test_a_proxy_from_the_environment_carries_the_calls(make_client, http_server, environment):
    environment.setenv("HTTP_PROXY", http_server.base_url.split("/api/")[0])
    http_server.answer = (200, "text/html", bodies.DOCS_LISTTEMPLATES.encode())

    client = make_client(base_url="http://cac.example.test/api/v1/")
    client.list_templates()
    client.list_templates()

    # A proxy is asked for the whole URL.
    paths = [path for _, path, _ in http_server.received]
    assert len(paths) == 2
    assert all(
        path.startswith("http://cac.example.test/api/v1/listtemplates.php?") for path in paths
    )


def test_no_proxy_from_the_environment_is_honoured(
    make_client, http_server, closed_port, environment
):
    environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")
    environment.setenv("NO_PROXY", "127.0.0.1")
    http_server.answer = (200, "text/html", bodies.DOCS_LISTTEMPLATES.encode())

    assert make_client(base_url=http_server.base_url).list_templates()
    assert http_server.received[0][1].startswith("/api/v1/listtemplates.php?")


def test_how_a_connection_failed_is_in_the_detail_only(
    make_client, closed_port, http_server, environment
):
    """Refused, not resolving, not TLS: the log tells them apart (`detail`), the words do not.
    (`environment`: no proxy from the environment carries these calls.)"""
    http_server.answer = (200, "text/html", b"{}")
    plain = http_server.base_url.replace("http://", "https://")
    addresses = {
        f"http://127.0.0.1:{closed_port}/api/v1/": "connection refused",
        "http://cac.example.test:9/api/v1/": "the host name did not resolve",
        # OpenSSL 3.0 says WRONG_VERSION_NUMBER; others name the same failure differently.
        plain: "TLS failure (",
    }
    messages = set()
    for base_url, detail in addresses.items():
        with pytest.raises(CacConnectionError) as caught:
            make_client(base_url=base_url).list_servers()
        assert caught.value.detail.startswith(detail)
        messages.add(caught.value.message.replace("cac.example.test", "127.0.0.1"))
    assert len(messages) == 1
