"""A hostile or broken provider, over real HTTP: any body renders without a 5xx, toasts built from
its words stay small, and one account's hanging provider holds only its share of threads while
other accounts and /healthz answer."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from servers.models import CloudAccount
from tests.cac.test_hostile_bodies import BODIES
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_SERVERS = json.dumps(
    {
        "status": "ok",
        "data": [
            {"id": "1", "label": "fine-1", "status": "Powered On", "servertype": "cloudpro"},
            {"id": "a/b c", "label": "slashed", "status": "Powered On"},
            {"id": "2", "label": "bad \ud800 label", "ip": "\x00\x1b", "cpu": "1e999"},
        ],
    }
)


class Provider:
    """A real HTTP server on 127.0.0.1: `answers[endpoint] = body` (bytes or str), `default`
    for the rest; `hang` makes every request wait until released."""

    def __init__(self):
        provider = self
        self.answers: dict[str, bytes | str] = {}
        self.default: bytes | str = '{"status":"ok","data":[]}'
        self.hang = threading.Event()
        self.release = threading.Event()
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                provider.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if provider.hang.is_set():
                    provider.release.wait(30)
                    return
                endpoint = self.path.split("?", 1)[0].removeprefix("/api/v1/").removesuffix(".php")
                body = provider.answers.get(endpoint, provider.default)
                body = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    provider = Provider()
    yield provider
    provider.close()


@pytest.fixture
def hostile_account(user, provider):
    account = CloudAccount(owner=user, name="Hostile", base_url=provider.base_url)
    account.set_credentials(login="h@example.com", api_key="k" * 30)
    account.save()
    return account


def pages(account):
    base = f"/accounts/{account.pk}/"
    return [
        ("/", {}),
        (base + "servers/", {}),
        (base + "servers/", HTMX),
        (base + "servers/1/", {}),
        (base + "templates/", {}),
        (base + "tasks/", {}),
        (base + "tasks/", HTMX),
        (base + "cloudpro/", {}),
    ]


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_any_body_on_every_endpoint_renders_without_an_error_page(
    owner, provider, hostile_account, body
):
    provider.default = body
    for url, extra in pages(hostile_account):
        response = owner.get(url, **extra)
        assert response.status_code < 500, (url, response.status_code)
        # A streamed page has sent its 200 before its sections: a section that failed says so.
        assert 'data-testid="part-failed"' not in response.getvalue().decode("utf-8"), url


def test_hostile_ids_and_text_in_a_real_list_render_with_a_note(owner, provider, hostile_account):
    provider.answers["listservers"] = GOOD_SERVERS
    provider.answers["listtasks"] = json.dumps(
        {"status": "ok", "data": [{"idf": "9", "serverid": "x/../y", "servername": "t-odd"}]}
    )
    text = owner.get(f"/accounts/{hostile_account.pk}/servers/", **HTMX).content.decode()
    assert "fine-1" in text
    assert 'data-testid="skipped-servers"' in text
    assert "1 server from Cloud at Cost not shown" in text
    assert "bad \ufffd label" in text

    detail = owner.get(f"/accounts/{hostile_account.pk}/servers/2/")
    assert detail.status_code == 200 and "bad \ufffd label" in detail.content.decode()
    tasks = owner.get(f"/accounts/{hostile_account.pk}/tasks/")
    assert tasks.status_code == 200 and "t-odd" in tasks.content.decode()


def test_a_toast_from_a_huge_provider_message_stays_small(owner, provider, hostile_account):
    provider.answers["listservers"] = GOOD_SERVERS
    provider.answers["powerop"] = json.dumps(
        {"status": "error", "error": 1, "error_description": "no " * 300_000}
    )
    response = owner.post(
        f"/accounts/{hostile_account.pk}/servers/1/power/", {"action": "reset"}, **HTMX
    )
    assert response.status_code < 500
    header = response.headers["HX-Trigger"]
    assert len(header) <= 2000
    toast = json.loads(header)["toast"]
    assert toast["kind"] == "error" and len(toast["text"]) <= 300 and "\u2026" in toast["text"]


def test_the_toast_header_is_bounded_whatever_text_it_is_given():
    from django.http import HttpResponse

    from servers.htmx import toast

    response = toast(HttpResponse(), "error", "\ud800 line\nbreak " + "x" * 100_000)
    header = response.headers["HX-Trigger"]
    assert len(header) <= 2000 and header.isascii() and "\n" not in header
    assert json.loads(header)["toast"]["text"].startswith("\ud800 line break")


def test_a_hanging_provider_holds_only_its_share_and_others_keep_answering(
    live_server, owner, provider, hostile_account, cac_account, settings
):
    """Over real HTTP: the live server's threads serve the pages; the hostile account's provider
    accepts and never answers."""
    settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = 2
    settings.CATCPANEL_CAC_TOTAL_TIMEOUT = 8
    settings.CATCPANEL_CAC_READ_TIMEOUT = 8
    provider.hang.set()
    cookies = {"sessionid": owner.cookies["sessionid"].value}
    base = f"{live_server.url}/accounts/{hostile_account.pk}/"
    stuck = []

    def load(path):
        stuck.append(requests.get(base + path, cookies=cookies, headers={"HX-Request": "true"}))

    threads = [
        threading.Thread(target=load, args=(path,), daemon=True)
        for path in ("servers/", "templates/", "tasks/", "cloudpro/")
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while provider.requests < 2 and time.monotonic() < deadline:
        time.sleep(0.02)

    # While it hangs: health, and another account's servers.
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200
    other = requests.get(
        f"{live_server.url}/accounts/{cac_account.pk}/servers/",
        cookies=cookies,
        headers={"HX-Request": "true"},
        timeout=5,
    )
    assert other.status_code == 200 and "web-01" in other.text
    # Never more calls to the hanging provider than the account's share.
    assert provider.requests == 2

    provider.release.set()
    for thread in threads:
        thread.join(timeout=20)
    assert all(response.status_code < 500 for response in stuck)
    assert provider.requests <= 4
