"""Expired copies on the servers page: shown at once, then the fresh ones swapped in, no reload."""

from django.core.cache import cache
from playwright.sync_api import expect

from servers import selectors

DEMO_SERVER_COUNT = 8


def test_expired_copies_are_shown_then_replaced_without_a_reload(
    signed_in_page, live_server, cac_account, sandbox_calls
):
    page = signed_in_page
    page.goto(live_server.url + "/")
    rows = page.locator("[data-testid=server-row]")
    expect(rows).to_have_count(DEMO_SERVER_COUNT)
    for name in ("servers", "tasks"):
        cache.delete(selectors._key(cac_account, name))
    sandbox_calls.clear()
    navigations = []
    page.goto(live_server.url + "/")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(rows).to_have_count(DEMO_SERVER_COUNT)
    expect(page.get_by_test_id("fetched-age")).to_have_count(1)
    expect(page.locator("[data-testid=fetched-age][data-refreshing]")).to_have_count(0)
    assert sorted(sandbox_calls.paths) == ["listservers.php", "listtasks.php"]
    assert navigations == []
