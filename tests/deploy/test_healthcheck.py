import importlib.util
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.deploy.conftest import HEALTHCHECK


def healthcheck(site_url, port):
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env={"SITE_URL": site_url, "PORT": str(port), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_healthy_panel_exits_0(live_server):
    port = urlsplit(live_server.url).port

    result = healthcheck(live_server.url, port)

    assert result.returncode == 0, result.stdout
    assert "answered HTTP 200" in result.stdout


def test_a_host_the_panel_does_not_serve_is_unhealthy(live_server):
    """The Host header really is SITE_URL's host: one outside ALLOWED_HOSTS gets a 400."""
    port = urlsplit(live_server.url).port

    result = healthcheck("https://not-this-panel.example", port)

    assert result.returncode == 1
    assert "answered HTTP 400" in result.stdout


def test_nothing_listening_exits_1(free_port):
    result = healthcheck("http://127.0.0.1:8000", free_port)

    assert result.returncode == 1
    assert "did not answer" in result.stdout


@pytest.fixture
def stub_server():
    """A stand-in panel that records what it was sent and answers with the status it is told."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            server.seen.append((self.path, dict(self.headers)))
            self.send_response(server.status)
            if server.location:
                self.send_header("Location", server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.seen, server.status, server.location = [], 200, None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_sends_site_url_host_and_scheme_to_127_0_0_1(stub_server):
    result = healthcheck("https://panel.example.org", stub_server.server_port)

    assert result.returncode == 0, result.stdout
    [(path, headers)] = stub_server.seen
    assert path == "/healthz"
    assert headers["Host"] == "panel.example.org"
    assert headers["X-Forwarded-Proto"] == "https"


def test_a_redirect_is_unhealthy_and_never_followed(stub_server):
    """An https redirect would send the probe out to the public address: stop at the 301."""
    stub_server.status = 301
    stub_server.location = f"http://127.0.0.1:{stub_server.server_port}/elsewhere"

    result = healthcheck("http://panel.example.org", stub_server.server_port)

    assert result.returncode == 1
    assert "answered HTTP 301" in result.stdout
    assert [path for path, _ in stub_server.seen] == ["/healthz"]


def _healthcheck_module():
    spec = importlib.util.spec_from_file_location("healthcheck", HEALTHCHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("first_process", "worker"),
    [
        (b"python\0manage.py\0run_huey\0", True),
        (b"python\0manage.py\0run_huey\0--workers\0002\0", True),
        (b"gunicorn: master [catcpanel.wsgi:application]\0", False),
        (b"/bin/sh\0/app/docker/entrypoint.sh\0", False),
        (b"python\0manage.py\0shell\0-c\0run_huey\0", False),
    ],
)
def test_a_worker_container_is_told_from_the_web_one_by_its_first_process(
    tmp_path, first_process, worker
):
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(first_process)

    assert _healthcheck_module().runs_the_worker(cmdline) is worker


def test_without_a_readable_first_process_the_web_check_runs(tmp_path):
    assert _healthcheck_module().runs_the_worker(tmp_path / "missing") is False
