"""The home page: every server of the account, the filter box, the `/` shortcut, power off."""

from playwright.sync_api import expect

from sandbox.models import SandboxCustomer, SandboxServer
from servers.models import ActionLog
from tests.e2e.conftest import POLLED_MS, confirm, server_row, toast
from tests.sandbox_fixtures import sandbox_account

DEMO_SERVER_COUNT = 8


def test_the_accounts_servers_are_listed_with_their_status(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    page.goto(live_server.url + "/")

    section = page.locator('[data-testid=account-section][data-account-name="Demo"]')
    rows = section.locator("[data-testid=server-row]")
    expect(rows).to_have_count(DEMO_SERVER_COUNT)
    expect(section.get_by_test_id("status-summary")).to_contain_text(f"{DEMO_SERVER_COUNT} servers")
    expect(server_row(page, "web-01").locator("[data-testid=status]")).to_contain_text("Powered On")
    expect(server_row(page, "db-01").locator("[data-testid=status]")).to_contain_text("Powered Off")
    expect(server_row(page, "cp-build").locator("[data-testid=status]")).to_contain_text(
        "Installing"
    )
    # A server without a label is shown by its server name.
    unlabelled = SandboxServer.objects.get(customer__login=cac_account.login, label=None)
    expect(server_row(page, unlabelled.servername)).to_be_visible()


def test_the_filter_box_narrows_the_list_as_you_type(signed_in_page, live_server, cac_account):
    page = signed_in_page
    page.goto(live_server.url + "/")
    rows = page.locator("[data-testid=server-row]")
    expect(rows).to_have_count(DEMO_SERVER_COUNT)

    page.locator("#server-filter").press_sequentially("cp-")
    expect(rows.locator("visible=true")).to_have_count(3)
    expect(server_row(page, "cp-app")).to_be_visible()
    expect(server_row(page, "web-01")).to_be_hidden()

    page.locator("#server-filter").fill("no server is called this")
    expect(rows.locator("visible=true")).to_have_count(0)
    expect(page.locator("#filter-empty")).to_be_visible()

    page.locator("#server-filter").fill("")
    expect(rows.locator("visible=true")).to_have_count(DEMO_SERVER_COUNT)
    expect(page.locator("#filter-empty")).to_be_hidden()


def test_slash_focuses_the_filter_box(signed_in_page, live_server, cac_account):
    page = signed_in_page
    page.goto(live_server.url + "/")
    expect(page.locator("[data-testid=server-row]")).to_have_count(DEMO_SERVER_COUNT)
    expect(page.locator("#server-filter")).not_to_be_focused()

    page.keyboard.press("/")

    expect(page.locator("#server-filter")).to_be_focused()
    # The key only moves the focus; it is not typed into the box.
    expect(page.locator("#server-filter")).to_have_value("")
    page.keyboard.type("mail")
    expect(page.locator("[data-testid=server-row]").locator("visible=true")).to_have_count(1)


def test_power_off_asks_first_then_the_task_completes_and_the_status_changes(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    # Long enough to see the pending state, short enough to watch it finish.
    sandbox_customer.task_seconds = 2
    sandbox_customer.save(update_fields=["task_seconds"])
    page = signed_in_page
    page.goto(live_server.url + "/")
    row = server_row(page, "web-01")
    status = row.locator("[data-testid=status]")
    expect(status).to_contain_text("Powered On")

    # The server is on: its one visible power control is the one that makes sense now.
    row.get_by_role("button", name="Power off").click()
    expect(page.locator("#confirm-text")).to_contain_text("Power off web-01?")
    confirm(page, "Power off")

    expect(toast(page, "success")).to_contain_text("task")
    success_text = toast(page, "success").inner_text()
    expect(row.get_by_text("task pending")).to_be_visible()
    expect(status).to_contain_text("Powered Off", timeout=POLLED_MS)
    expect(row.get_by_text("task pending")).to_be_hidden()
    # Now off, the row offers power on instead.
    expect(row.get_by_role("button", name="Power on")).to_be_visible()
    log = ActionLog.objects.get(action="poweroff")
    assert (log.server_name, log.outcome, log.user_name) == ("web-01", "success", "alice")
    assert log.task_id and log.task_id in success_text


def test_power_off_cancelled_with_escape_sends_nothing(signed_in_page, live_server, cac_account):
    page = signed_in_page
    asked_the_browser = []
    page.on("dialog", lambda dialog: asked_the_browser.append(dialog.message))
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.goto(live_server.url + "/")
    row = server_row(page, "web-01")
    expect(row.locator("[data-testid=status]")).to_contain_text("Powered On")

    # Keyboard only: focus the button, Enter opens the page's dialog with focus on its confirm
    # button, Esc closes it and gives the focus back.
    row.get_by_role("button", name="Power off").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
    expect(page.get_by_test_id("confirm-ok")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("confirm-dialog")).to_be_hidden()
    expect(row.get_by_role("button", name="Power off")).to_be_focused()
    page.evaluate("1")

    assert asked_the_browser == []  # not the browser's confirm()
    assert posts == []
    assert not ActionLog.objects.exists()
    expect(row.locator("[data-testid=status]")).to_contain_text("Powered On")


def test_reset_from_the_rows_menu_is_one_keyboard_step_after_the_menu(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    page.goto(live_server.url + "/")
    row = server_row(page, "web-01")
    row.get_by_test_id("power-menu").click()
    row.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("confirm-ok")).to_be_focused()
    page.keyboard.press("Enter")

    expect(toast(page, "success")).to_contain_text("Reset sent to web-01")
    assert ActionLog.objects.get().action == "reset"


def test_a_rows_menu_gets_the_other_power_buttons_when_first_opened(
    signed_in_page, live_server, cac_account
):
    # The rows carry only their main button and a link: app.js clones the other two into a menu
    # from the section's template, with the states the server page gives them.
    page = signed_in_page
    page.goto(live_server.url + "/")
    web, db, build = (server_row(page, name) for name in ("web-01", "db-01", "cp-build"))
    expect(web.locator(".menu-items button")).to_have_count(0)

    web.get_by_test_id("power-menu").focus()  # from the keyboard
    page.keyboard.press("Enter")  # on: "Power on" waits, "Reset" is there
    items = web.locator(".menu-items")
    expect(items.get_by_role("button")).to_have_text(["Power on", "Reset"])
    expect(items.get_by_test_id("power-on")).to_be_disabled()
    expect(items.get_by_test_id("reset")).to_be_enabled()
    expect(items.get_by_test_id("power-page")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(items).to_be_hidden()
    expect(web.get_by_test_id("power-menu")).to_be_focused()

    build.get_by_test_id("power-menu").click()  # installing: it can still be powered off
    items = build.locator(".menu-items")
    expect(items.get_by_role("button")).to_have_text(["Power off", "Reset"])
    expect(items.get_by_test_id("power-off")).to_be_enabled()

    db.get_by_test_id("power-menu").click()  # off: "Power off" waits; one menu open at a time
    expect(build.locator(".menu-items")).to_be_hidden()
    items = db.locator(".menu-items")
    expect(items.get_by_role("button")).to_have_text(["Power off", "Reset"])
    expect(items.get_by_test_id("power-off")).to_be_disabled()
    expect(items.get_by_test_id("power-off")).to_have_attribute("form", "power-form")

    # The cloned Reset asks about this server, posts through htmx, and is recorded.
    items.get_by_test_id("reset").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text(
        "Reset db-01? This is a hard restart."
    )
    confirm(page, "Reset")
    expect(toast(page, "success")).to_contain_text("Reset sent to db-01")
    log = ActionLog.objects.get()
    db_01 = SandboxServer.objects.get(customer__login=cac_account.login, label="db-01")
    assert (log.action, log.server_id, log.outcome) == ("reset", db_01.sid, "success")


def test_the_last_rows_menu_is_not_cut_off_at_its_sections_edge(
    signed_in_page, live_server, cac_account
):
    # The sections skip their layout off screen (content-visibility), which clips what overflows
    # them; a section with an open menu is shown as usual, so the menu is whole.
    page = signed_in_page
    page.goto(live_server.url + "/")
    last = page.locator("[data-testid=server-row]").last
    last.get_by_test_id("power-menu").click()
    reset = last.get_by_test_id("reset")
    reset.scroll_into_view_if_needed()
    box = reset.bounding_box()
    at_its_bottom = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.dataset.testid",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] - 2],
    )
    assert at_its_bottom == "reset"


def test_a_failing_account_shows_its_own_error_and_the_others_still_load(
    signed_in_page, live_server, cac_account, user, sandbox_api_url
):
    broken_account = sandbox_account(user, sandbox_api_url, "Broken", maintenance=True)
    page = signed_in_page
    page.goto(live_server.url + "/")

    broken = page.locator('[data-testid=account-section][data-account-name="Broken"]')
    demo = page.locator('[data-testid=account-section][data-account-name="Demo"]')
    expect(broken.get_by_test_id("account-error")).to_be_visible()
    expect(broken.locator("[data-testid=server-row]")).to_have_count(0)
    expect(demo.locator("[data-testid=server-row]")).to_have_count(DEMO_SERVER_COUNT)
    expect(demo.get_by_test_id("account-error")).to_have_count(0)

    # The provider is back: "Try again" fetches that account again, in place.
    SandboxCustomer.objects.filter(login=broken_account.login).update(maintenance=False)
    broken.get_by_test_id("retry").click()
    expect(broken.locator("[data-testid=server-row]")).to_have_count(DEMO_SERVER_COUNT)
    expect(broken.get_by_test_id("account-error")).to_have_count(0)


def test_a_slow_account_does_not_hold_up_the_others(
    signed_in_page, live_server, cac_account, user, sandbox_api_url
):
    sandbox_account(user, sandbox_api_url, "Slow", latency_ms=1500)
    page = signed_in_page
    page.goto(live_server.url + "/")

    slow = page.locator('[data-testid=account-section][data-account-name="Slow"]')
    demo = page.locator('[data-testid=account-section][data-account-name="Demo"]')
    expect(demo.locator("[data-testid=server-row]")).to_have_count(DEMO_SERVER_COUNT)
    # Demo's servers are on screen while the slow account is still on its way.
    expect(slow.get_by_text("Loading…")).to_be_visible(timeout=1)
    expect(slow.locator("[data-testid=server-row]")).to_have_count(DEMO_SERVER_COUNT)
