"""The server detail page: rename, reverse DNS (with a bad hostname), the console in a new tab."""

from playwright.sync_api import expect

from sandbox.models import SandboxServer
from servers.models import ActionLog
from tests.e2e.conftest import confirm, toast


def open_detail(page, live_server, account, label):
    server = SandboxServer.objects.get(customer__login=account.login, label=label)
    page.goto(f"{live_server.url}/accounts/{account.pk}/servers/{server.sid}/")
    expect(page.locator("h1#server-name")).to_have_text(label)
    return server


def test_rename_inline(signed_in_page, live_server, cac_account):
    page = signed_in_page
    server = open_detail(page, live_server, cac_account, "web-01")

    page.get_by_test_id("rename").click()
    form = page.locator("#rename-form")
    expect(form.locator("input[name=name]")).to_have_value("web-01")
    form.locator("input[name=name]").fill("web-frontend")
    form.get_by_role("button", name="Save").click()

    expect(page.locator("h1#server-name")).to_have_text("web-frontend")
    expect(toast(page, "success")).to_be_visible()
    server.refresh_from_db()
    assert server.label == "web-frontend"
    # The page shows what the provider now says, not only what was typed.
    page.reload()
    expect(page.locator("h1#server-name")).to_have_text("web-frontend")


def test_an_invalid_hostname_is_refused_with_a_field_error(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    server = open_detail(page, live_server, cac_account, "web-01")
    rdns_before = server.rdns

    page.get_by_test_id("edit-rdns").click()
    form = page.locator("#rdns-form")
    form.locator("input[name=hostname]").fill("not a hostname!")
    form.get_by_role("button", name="Save").click()

    expect(form.locator(".field-error")).to_be_visible()
    expect(form.locator("input[name=hostname]")).to_have_value("not a hostname!")
    server.refresh_from_db()
    assert server.rdns == rdns_before
    # Every call to the provider is logged as pending first: no row, no call.
    assert not ActionLog.objects.filter(action="rdns").exists()

    # Correcting it in the same form goes through.
    form.locator("input[name=hostname]").fill("www.example.org")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("[data-field=rdns] .rdns-value")).to_have_text("www.example.org")
    expect(toast(page, "success")).to_be_visible()
    server.refresh_from_db()
    assert server.rdns == "www.example.org"


def test_the_console_opens_in_a_new_tab(signed_in_page, live_server, cac_account):
    page = signed_in_page
    open_detail(page, live_server, cac_account, "web-01")

    with page.context.expect_page() as new_tab:
        page.get_by_test_id("console").click()
    console = new_tab.value
    console.wait_for_load_state()

    assert console.url.startswith(live_server.url + "/sandbox/console/")
    expect(console.locator("body")).to_contain_text("web-01")
    # The panel's own tab stays where it was.
    expect(page.locator("h1#server-name")).to_have_text("web-01")


def test_switch_to_safe_mode_and_back(signed_in_page, live_server, cac_account):
    page = signed_in_page
    server = open_detail(page, live_server, cac_account, "web-01")
    expect(page.get_by_test_id("mode-normal")).to_be_disabled()

    page.get_by_test_id("mode-safe").click()

    expect(toast(page, "success")).to_be_visible()
    expect(page.locator("dd[data-field=mode]")).to_have_text("Safe")
    expect(page.get_by_test_id("mode-safe")).to_be_disabled()
    server.refresh_from_db()
    assert server.mode == "Safe"

    page.get_by_test_id("mode-normal").click()
    expect(page.locator("dd[data-field=mode]")).to_have_text("Normal")
    expect(page.get_by_test_id("mode-normal")).to_be_disabled()
    assert list(ActionLog.objects.order_by("started_at").values_list("action", "outcome")) == [
        ("runmode", "success"),
        ("runmode", "success"),
    ]


def test_a_button_is_disabled_while_its_request_is_in_flight(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    page = signed_in_page
    open_detail(page, live_server, cac_account, "web-01")
    # A slow provider, so that the request is still in flight when we look.
    sandbox_customer.latency_ms = 1000
    sandbox_customer.save(update_fields=["latency_ms"])
    reset = page.get_by_test_id("reset")
    expect(reset).to_be_enabled()

    reset.click()
    confirm(page, "Reset")

    expect(reset).to_be_disabled()
    expect(toast(page, "success")).to_contain_text("task")
    expect(page.get_by_test_id("reset")).to_be_enabled()
    assert ActionLog.objects.filter(action="reset").count() == 1


def test_a_console_the_provider_cannot_open_says_so_in_the_new_tab(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    sandbox_customer.empty_console = True
    sandbox_customer.save(update_fields=["empty_console"])
    page = signed_in_page
    open_detail(page, live_server, cac_account, "web-01")

    with page.context.expect_page() as new_tab:
        page.get_by_test_id("console").click()
    console = new_tab.value
    console.wait_for_load_state()

    expect(console.get_by_test_id("console-error")).to_be_visible()
    assert console.url.startswith(live_server.url + f"/accounts/{cac_account.pk}/")
    assert ActionLog.objects.get(action="console").outcome == "failure"


def test_times_are_in_the_browsers_zone_once_it_has_said(
    browser, live_server, cac_account, user, sandbox_customer
):
    from sandbox import services as sandbox
    from tests.security.identity import hand_session

    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = hand_session(context.new_page(), live_server.url, user)
    server = SandboxServer.objects.get(customer=sandbox_customer, label="web-01")
    sandbox_customer.task_seconds = 600  # a pending task, listed with its start time
    sandbox_customer.save(update_fields=["task_seconds"])
    sandbox.power(sandbox_customer, server.sid, "reset")
    url = f"{live_server.url}/accounts/{cac_account.pk}/servers/{server.sid}/"

    page.goto(url)  # the first page: the server does not know the zone yet, and says UTC
    expect(page.locator("#server-tasks-title + ul .tz").first).to_have_text("UTC")
    page.goto(url)
    expect(page.locator("#server-tasks-title + ul .tz").first).to_have_text("Asia/Tokyo")
    context.close()
