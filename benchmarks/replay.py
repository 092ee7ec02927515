"""The panel's own pages from a server that spends nothing on them: the floor of the cold figures.

A cold page is what the panel does (ask the provider, read the answers, render each section) and
what the browser does (parse, style, lay out and draw the rows). This server sends a page the
panel made as the fastest possible panel would: its frame at once, and every section the moment
the provider's answers could be in, `latency` after the request. The time Chromium then needs to
show every server is the part of a cold page that no change to the panel's own work can remove.

Static files are the panel's (fetched from it once, with its cache headers: the browser holds
them, as it does for the panel's own pages); any other request gets an empty answer.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

# Where the servers page's frame ends and the sections begin (templates/servers/home.html).
SECTIONS_START = b'<div id="account-blocks">'


def split(page: bytes) -> tuple[bytes, bytes]:
    """The frame and the sections of a servers page."""
    at = page.find(SECTIONS_START)
    if at < 0:
        raise ValueError("not a servers page: no accounts' sections in it")
    return page[:at], page[at:]


class Replay:
    """`with Replay(pages, upstream, latency) as base:` serves `pages[name]` at `base/name/`."""

    def __init__(self, pages: dict[str, bytes], upstream: str, latency: float):
        self.parts = {f"/{name}/": split(page) for name, page in pages.items()}
        self.upstream = upstream
        self.latency = latency
        self.static: dict[str, tuple[int, dict, bytes]] = {}
        self.static_lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.replay = self

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def static_file(self, path: str) -> tuple[int, dict, bytes]:
        with self.static_lock:
            if path not in self.static:
                response = requests.get(self.upstream + path, timeout=10)
                headers = {
                    name: response.headers[name]
                    for name in ("Content-Type", "Cache-Control")
                    if name in response.headers
                }
                self.static[path] = (response.status_code, headers, response.content)
            return self.static[path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive, as the panel's connections are

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        arrived = time.monotonic()
        replay = self.server.replay
        path = self.path.split("?", 1)[0]
        if path in replay.parts:
            self.page(*replay.parts[path], sections_at=arrived + replay.latency)
        elif path.startswith("/static/") or path == "/favicon.ico":
            status, headers, body = replay.static_file(path)
            self.answer(status, headers, body)
        else:
            self.answer(204, {}, b"")

    def answer(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def page(self, frame: bytes, sections: bytes, *, sections_at: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunk(frame)
        time.sleep(max(0.0, sections_at - time.monotonic()))
        self.chunk(sections)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
