import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses

from servers.cac.client import CacClient

BASE_URL = "https://cac.example.test/api/v1/"
# Canaries: distinctive values that must never reach a log record or an exception text, in any
# encoding. CANARY_MARKERS are substrings of every form (raw, %-encoded, +-encoded).
CANARY_KEY = "ck_9f8e7d6c5b4a39281706"
CANARY_LOGIN = "zq+canary7731@example.com"
CANARY_MARKERS = ("9f8e7d6c5b4a3928", "canary7731")


def endpoint_url(endpoint: str, base_url: str = BASE_URL) -> str:
    return f"{base_url}{endpoint}.php"


@pytest.fixture
def sleeps():
    """The delays the client asked to sleep, in order (it never really sleeps in these tests)."""
    return []


@pytest.fixture
def make_client(sleeps):
    clients = []

    def make(base_url=BASE_URL, **options):
        options = {
            "login": CANARY_LOGIN,
            "api_key": CANARY_KEY,
            "connect_timeout": 2.0,
            "read_timeout": 3.0,
            "retry_backoff": 0.25,
            "sleep": sleeps.append,
            **options,
        }
        client = CacClient(base_url=base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def cac():
    """The fake provider for failure cases and shapes (the `responses` library)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 with nothing listening: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers. Yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept_and_hold():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/v1/"
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, body))
        status, content_type, payload = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1. Set `.answer = (status, content_type, bytes)`; requests
    arrive in `.received` as (method, path, body)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.answer = (200, "text/html", b"{}")
    server.received = []
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


class RawServer:
    """A TCP server on 127.0.0.1 that answers each connection with `handler(connection, server)`
    in a thread of its own: for providers that trickle, flood or hang."""

    def __init__(self, handler):
        self.handler = handler
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/v1/"
        self.accepted = 0
        self.sent = 0
        # Set when a write failed: the client closed the connection before the answer ended.
        self.cut = threading.Event()
        self.release = threading.Event()
        self._threads = []
        self._connections = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._connections.append(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection):
        try:
            connection.settimeout(20)
            connection.recv(65536)  # the request (small: a GET with its query string)
            self.handler(connection, self)
        except OSError:
            self.cut.set()

    def send(self, connection, data: bytes):
        connection.sendall(data)
        self.sent += len(data)

    def close(self):
        self.release.set()
        self.listener.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def raw_server():
    servers = []

    def start(handler):
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
