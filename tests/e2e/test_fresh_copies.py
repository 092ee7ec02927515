"""Expired copies on the servers page: shown at once, then the fresh ones swapped in, no reload."""

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
    selectors.expire(cac_account, "servers", "tasks")
    sandbox_calls.clear()
    navigations, requests = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    expect(rows).to_have_count(DEMO_SERVER_COUNT)
    expect(page.get_by_test_id("fetched-age")).to_have_count(1)
    expect(page.locator("[data-testid=fetched-age][data-refreshing]")).to_have_count(0)
    assert sorted(sandbox_calls.paths) == ["listservers.php", "listtasks.php"]
    assert navigations == []
    # The fresh sections came at the end of the page itself: no follow-up request.
    assert not [url for url in requests if "/sections/" in url]
    expect(page.locator("template[data-fresh-for]")).to_have_count(0)
    # The section swapped in works like the others: a row's menu gets its buttons when opened
    # (from the fresh section's own template), and the filter sees its rows.
    web = rows.filter(has_text="web-01")
    web.get_by_test_id("power-menu").click()
    expect(web.locator(".menu-items").get_by_role("button")).to_have_text(["Power on", "Reset"])
    page.locator("#server-filter").fill("db-01")
    expect(rows.filter(visible=True)).to_have_count(1)
