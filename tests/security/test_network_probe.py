"""A stored account is no probe of the panel's network.

With `CATCPANEL_API_HOSTS` listing a bare host, anyone signed in can store an account at that host
on any port ("Save without checking") and read its pages. Whatever answers there (nothing, a plain
HTTP service, something that is not TLS under https, a port that takes the connection and stays
silent), every page, toast, "Test connection" and the account's last error read the same; the
server log alone says what happened (servers/cac/errors.py, `no_api_answer`).
"""

import json
import re
import socket
import threading
import time
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from servers import selectors
from servers.cac.models import Server
from servers.models import ActionLog, CloudAccount
from tests.security.identity import confirm_identity
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db(transaction=True)

TEAPOT = b"I'm a teapot: internal-build-server 4.2 on db01.internal"


class _Teapot(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(418)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(TEAPOT)))
        self.end_headers()
        self.wfile.write(TEAPOT)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class _Raw:
    """A TCP server on 127.0.0.1 that sends `greeting` to each connection (b"": stays silent)
    and closes it when the test ends, or at once when `close_after` is set."""

    def __init__(self, greeting: bytes, close_after: bool):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stop = threading.Event()

        def serve():
            while not self.stop.is_set():
                try:
                    connection, _ = self.listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                try:
                    connection.settimeout(1)
                    if greeting:
                        connection.recv(4096)
                        connection.sendall(greeting)
                except OSError:
                    pass
                if close_after:
                    connection.close()
                else:
                    self.held.append(connection)

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        for connection in self.held:
            connection.close()
        self.listener.close()


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    confirm_identity(client, user)
    return client


@pytest.fixture
def targets(settings):
    """Addresses on 127.0.0.1 (listed as a bare host in the test settings), each answering in
    its own way, with the words the server log should use for it."""
    settings.CATCPANEL_CAC_READ_TIMEOUT = 0.3
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    teapot = ThreadingHTTPServer(("127.0.0.1", 0), _Teapot)
    teapot.daemon_threads = True
    threading.Thread(target=teapot.serve_forever, args=(0.05,), daemon=True).start()
    garbage = _Raw(b"\x15\x03\x00\x00\x02not TLS at all\r\n", close_after=True)
    silent = _Raw(b"", close_after=False)
    port = teapot.server_address[1]
    yield {
        "closed port": (f"http://127.0.0.1:{closed}/api/v1/", "connection refused"),
        "plain HTTP 418": (f"http://127.0.0.1:{port}/api/v1/", "HTTP 418"),
        "plain HTTP under https": (f"https://127.0.0.1:{port}/api/v1/", "TLS failure"),
        "garbage under https": (f"https://127.0.0.1:{garbage.port}/api/v1/", "TLS failure"),
        "silent port": (f"http://127.0.0.1:{silent.port}/api/v1/", "no answer within"),
    }
    teapot.shutdown()
    teapot.server_close()
    garbage.close()
    silent.close()


def _alerts(html: str) -> list[str]:
    """The text of each error alert on a page, tags stripped, whitespace folded."""
    found = re.findall(r'data-testid="account-error"[^>]*>(.*?)</div>', html, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in found]


def _toast(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["toast"]["text"]


def _observe(owner, base_url: str) -> dict:
    """Store an account at `base_url` without checking, then read what a person can see."""
    stored = owner.post(
        "/accounts/add/",
        {
            "name": "Probe",
            "login": "me@example.com",
            "api_key": "k3yABCDEFGHIJKLMNOPQRSTUVWXYZa1b2",
            "base_url": base_url,
            "skip_check": "on",
        },
    )
    assert stored.status_code == 302, stored.content.decode()[:2000]
    account = CloudAccount.objects.get(name="Probe")
    at = f"/accounts/{account.pk}"
    seen = {"section": _alerts(owner.get(f"{at}/servers/", **HTMX).content.decode())}
    for page in ("tasks", "templates", "cloudpro", "servers/1"):
        response = owner.get(f"{at}/{page}/")
        assert response.status_code == 200, page
        seen[page] = _alerts(response.content.decode())

    # An action, whose server lookup fails...
    response = owner.post(f"{at}/servers/1/power/", {"action": "poweron"}, **HTMX)
    assert response.status_code < 500
    seen["action toast (lookup)"] = _toast(response)
    # ...and one whose server is known from a moment ago, so that the call itself fails.
    known = Server.from_api({"id": "1", "label": "web", "status": "Powered Off"})
    cache.set(
        selectors._key(account, "servers"),
        selectors.CachedList([known], None, time.time() + 60),
        60,
    )
    response = owner.post(f"{at}/servers/1/power/", {"action": "poweron"}, **HTMX)
    assert response.status_code < 500
    seen["action toast"] = _toast(response)

    response = owner.post(f"{at}/test/", **HTMX)
    seen["test connection"] = _toast(response)
    seen["test connection result"] = " ".join(
        unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split()
    )
    account.refresh_from_db()
    seen["last error"] = account.last_error
    seen["activity"] = sorted(
        (row.action, row.outcome, row.message) for row in ActionLog.objects.filter(account=account)
    )
    account.delete()
    cache.clear()
    return seen


def test_what_answers_at_a_stored_address_is_not_told_apart(owner, targets, caplog):
    caplog.set_level("WARNING", logger="servers.cac.client")
    seen = {}
    for name, (base_url, _) in targets.items():
        caplog.clear()
        seen[name] = _observe(owner, base_url)
        seen[name]["log"] = caplog.text

    reference = seen["closed port"]
    logs = {name: observed.pop("log") for name, observed in seen.items()}
    for name, observed in seen.items():
        for view, text in observed.items():
            if name == "silent port" and view in ("action toast", "activity"):
                # The power request was sent and no answer came: it may have been carried out,
                # and the person must be told so (services.outcome_unknown). The only signal
                # left, and the price of not hiding a possibly done action.
                assert "Unknown outcome" in str(text), view
                continue
            assert text == reference[view], (name, view)
            for word in ("418", "teapot", "TLS", "refused", "secure", "HTTP", "within"):
                assert word not in str(text), (name, view, word)
    message = (
        "No answer from 127.0.0.1 that Cloud at Cost's API would give, when asked to list the "
        "servers. Try again later, or check this account's API address; the server log has the "
        "details."
    )
    assert reference["section"] == [message]
    assert reference["test connection"] == f"Probe: {message}"
    assert reference["action toast (lookup)"] == message
    assert reference["last error"] == message
    # The detail is in the server log, and nowhere a person looks.
    for name, (_, words) in targets.items():
        assert words in logs[name], name
