"""Activity: every action taken through the panel, per account and per server, newest first."""

from django.utils import timezone
from playwright.sync_api import expect

from sandbox.models import SandboxServer
from servers.models import ActionLog
from tests.e2e.conftest import confirm, toast


def test_every_step_is_in_the_activity(signed_in_page, live_server, cac_account):
    page = signed_in_page
    server = SandboxServer.objects.get(customer__login=cac_account.login, label="web-01")
    detail_url = f"{live_server.url}/accounts/{cac_account.pk}/servers/{server.sid}/"
    page.goto(detail_url)
    expect(page.locator("h1#server-name")).to_have_text("web-01")

    def refreshed():
        # Each action makes the detail re-fetch itself; an inline form opened before that lands
        # would be replaced, so wait for it.
        return page.expect_response(lambda r: r.url == detail_url and r.request.method == "GET")

    page.get_by_test_id("rename").click()
    page.locator("#rename-form input[name=name]").fill("web-02")
    with refreshed():
        page.locator("#rename-form").get_by_role("button", name="Save").click()
    expect(page.locator("h1#server-name")).to_have_text("web-02")
    page.get_by_test_id("edit-rdns").click()
    page.locator("#rdns-form input[name=hostname]").fill("web.example.org")
    with refreshed():
        page.locator("#rdns-form").get_by_role("button", name="Save").click()
    expect(page.locator("[data-field=rdns] .rdns-value")).to_have_text("web.example.org")
    with refreshed():
        page.get_by_test_id("mode-safe").click()
    expect(page.locator("dd[data-field=mode]")).to_have_text("Safe")
    with refreshed():
        page.get_by_test_id("power-off").click()
        confirm(page)
    expect(toast(page, "success").filter(has_text="task")).to_be_visible()
    with page.context.expect_page() as new_tab:
        page.get_by_test_id("console").click()
    console = new_tab.value
    console.wait_for_load_state()
    console_url = console.url
    console.close()

    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/activity/")
    rows = page.locator("#activity tr.activity-row")
    expect(rows).to_have_count(5)
    actions = [rows.nth(i).get_attribute("data-action") for i in range(5)]
    assert actions == ["console", "poweroff", "runmode", "rdns", "rename"]
    for i in range(5):
        expect(rows.nth(i).locator(".who")).to_have_text("alice")
        expect(rows.nth(i).locator(".outcome")).to_contain_text("Succeeded")
        expect(rows.nth(i).locator(".server")).to_contain_text("web-0")
    expect(rows.nth(1).locator(".message")).to_contain_text("task")
    # The console address is a bearer token: it is neither shown nor stored.
    token = console_url.split("?", 1)[-1]
    assert token not in page.content()
    assert not any(token in f"{log.message} {log.parameters}" for log in ActionLog.objects.all())

    # The same steps on the server's own pages.
    page.goto(detail_url)
    expect(page.locator("#server-activity tbody tr")).to_have_count(5)
    page.get_by_role("link", name="All activity").click()
    expect(page.locator("#activity tr.activity-row")).to_have_count(5)


def test_activity_is_paginated_newest_first(signed_in_page, live_server, cac_account, user):
    now = timezone.now()
    ActionLog.objects.bulk_create(
        ActionLog(
            account=cac_account,
            account_name=cac_account.name,
            user=user,
            user_name="alice",
            server_id="1",
            server_name=f"server-{n:02d}",
            action="reset",
            outcome=ActionLog.Outcome.SUCCESS,
            started_at=now - timezone.timedelta(minutes=n),
            finished_at=now - timezone.timedelta(minutes=n),
        )
        for n in range(30)
    )
    page = signed_in_page
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/activity/")

    rows = page.locator("#activity tr.activity-row")
    expect(rows).to_have_count(25)
    expect(rows.first.locator(".server")).to_have_text("server-00")
    expect(rows.last.locator(".server")).to_have_text("server-24")
    page.get_by_role("link", name="Older").click()
    expect(rows).to_have_count(5)
    expect(rows.first.locator(".server")).to_have_text("server-25")
    page.get_by_role("link", name="Newer").click()
    expect(rows).to_have_count(25)
