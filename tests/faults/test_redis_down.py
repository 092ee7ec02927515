"""Redis stopped under a running panel: no error pages; sections read the provider themselves,
actions that need a per-server lock refuse in plain words, and all is well once it is back.

Real processes: the panel's gunicorn on its own redis-server, which the test stops and starts.
"""

import shutil

import pytest

from servers.services import CACHE_DOWN
from tests.faults import stack as stacks

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")

SECTIONS = ("servers", "tasks", "templates", "cloudpro", "activity")


@pytest.fixture
def redis(tmp_path):
    server = stacks.Redis(tmp_path)
    yield server
    server.stop()


def power(stack, session, server, action):
    return session.post(
        stack.url(f"/accounts/{stack.account}/servers/{server['sid']}/power/"),
        data={"action": action},
        headers=stacks.htmx(session),
        timeout=30,
    )


def test_a_stopped_redis_is_no_error_page_and_actions_refuse_until_it_is_back(stack, redis):
    stack.panel_env["REDIS_URL"] = redis.url
    stack.start_panel()
    session = stack.sign_in()
    first = session.get(stack.url(f"/accounts/{stack.account}/servers/"), timeout=20)
    assert first.status_code == 200
    on = [s for s in stack.servers if s["status"] == "Powered On"]

    redis.stop()

    # Signed-in people stay signed in (sessions are in the database), and every page and
    # section answers, read from the provider directly.
    for section in SECTIONS:
        page = session.get(stack.url(f"/accounts/{stack.account}/{section}/"), timeout=30)
        assert page.status_code == 200, (section, page.status_code)
        assert "/auth/login/" not in page.url
        partial = session.get(
            stack.url(f"/accounts/{stack.account}/{section}/"),
            headers=stacks.htmx(session),
            timeout=30,
        )
        assert partial.status_code == 200, (section, partial.status_code)
    listed = session.get(
        stack.url(f"/accounts/{stack.account}/servers/"), headers=stacks.htmx(session), timeout=30
    )
    for server in stack.servers:
        assert server["label"] in listed.text
    detail = session.get(
        stack.url(f"/accounts/{stack.account}/servers/{on[0]['sid']}/"), timeout=30
    )
    assert detail.status_code == 200
    assert session.get(stack.url("/"), timeout=30).status_code == 200

    # A direct provider call counts against a per-account budget kept in the cache: uncounted
    # while the cache is down, it still goes through.
    tested = session.post(
        stack.url(f"/accounts/{stack.account}/test/"), headers=stacks.htmx(session), timeout=30
    )
    assert tested.status_code == 200 and "Connection OK" in tested.text

    # An action that needs the lock is refused, with why; nothing was sent.
    refused = power(stack, session, on[0], "poweroff")
    assert refused.status_code == 204
    assert stacks.toast(refused) == {"kind": "error", "text": CACHE_DOWN}
    assert stack.actions() == []

    # Signing in cannot be throttled without the cache: it is refused, without an error page.
    stranger = stacks.requests.Session()
    page = stranger.get(stack.url("/auth/login/"), timeout=30)
    assert page.status_code == 200

    redis.start()
    done = power(stack, session, on[0], "poweroff")
    assert stacks.toast(done)["kind"] == "success", stacks.toast(done)
    assert [row[:2] for row in stack.actions()] == [("poweroff", "success")]
