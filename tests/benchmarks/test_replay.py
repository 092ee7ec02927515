"""The benchmark's replay server: a page the panel made, sent as a panel that spends nothing would
send it (the frame at once, the sections one round trip later), with the panel's static files."""

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from benchmarks.replay import SECTIONS_START, Replay, split

FRAME = b"<!doctype html><html><head><title>Servers</title></head><body><h1>Servers</h1>"
SECTIONS = SECTIONS_START + b'<section><tr class="server-row"></tr></section></div></body></html>'


@pytest.fixture
def upstream():
    """A stand-in for the panel's static files, counting the requests it gets."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            asked.append(self.path)
            body = b"body { color: black }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Cache-Control", "max-age=315360000, public, immutable")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def get(base, path):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)
    return connection, connection.getresponse()


def test_a_page_is_split_where_the_sections_begin():
    assert split(FRAME + SECTIONS) == (FRAME, SECTIONS)


def test_a_page_without_sections_is_refused():
    with pytest.raises(ValueError, match="not a servers page"):
        split(FRAME + b"</body></html>")


def test_the_frame_comes_at_once_and_the_sections_one_round_trip_after_the_request(upstream):
    latency = 1.5
    with Replay({"10": FRAME + SECTIONS}, upstream[0], latency=latency) as base:
        started = time.monotonic()
        connection, response = get(base, "/10/")
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert response.read(len(FRAME)) == FRAME
        frame_came = time.monotonic() - started
        rest = response.read()
        sections_came = time.monotonic() - started
        connection.close()
    assert rest == SECTIONS
    # The frame did not wait for the sections, which waited for the round trip.
    assert frame_came < latency <= sections_came


def test_static_files_are_the_panels_asked_once_and_anything_else_is_empty(upstream):
    panel, asked = upstream
    with Replay({"1": FRAME + SECTIONS}, panel, latency=0) as base:
        for _ in range(2):
            connection, response = get(base, "/static/catcpanel/app.css")
            assert response.status == 200
            assert response.read() == b"body { color: black }"
            assert response.getheader("Cache-Control") == "max-age=315360000, public, immutable"
            connection.close()
        connection, response = get(base, "/accounts/1/servers/?poll=1")
        assert response.status == 204
        assert response.read() == b""
        connection.close()
    assert asked == ["/static/catcpanel/app.css"]
