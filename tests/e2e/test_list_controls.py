"""The servers list's controls in Chromium: sorting, filters from the URL, bulk power across two
accounts (with a role that may not act on one), copy buttons, the page's own confirmation dialog
with and without JavaScript, and the panel's error pages."""

import re
import time

import pytest
from playwright.sync_api import expect

from sandbox.demo import create_demo_customer
from sandbox.models import SandboxServer
from servers.models import ActionLog, CloudAccount, Membership
from servers.templatetags.panel import ip_key
from tests.e2e.conftest import server_row
from tests.security.identity import hand_session


def rows(page):
    return page.locator("[data-testid=server-row]")


def names_in_order(section):
    return section.locator("[data-testid=server-row]").evaluate_all(
        "rows => rows.filter(r => !r.hidden).map(r => r.dataset.serverName)"
    )


def shared_account(user, sandbox_api_url, django_user_model, owner_name, role):
    """An account owned by someone else, shared with `user` in `role`."""
    owner = django_user_model.objects.create_user(username=owner_name, password="x" * 20)
    customer = create_demo_customer(login=f"{owner_name}@sandbox.example", task_seconds=0)
    account = CloudAccount(owner=owner, name=owner_name.capitalize(), base_url=sandbox_api_url)
    account.set_credentials(login=customer.login, api_key=customer.api_key)
    account.save()
    Membership.objects.create(account=account, user=user, role=role)
    return account


def section(page, name):
    return page.locator(f'[data-testid=account-section][data-account-name="{name}"]')


@pytest.fixture
def one_call_at_a_time(settings):
    # pytest-django's live server shares one in-memory SQLite connection between its threads:
    # sandbox calls at once would collide there. tests/views/test_bulk.py tests the pacing.
    settings.CATCPANEL_BULK_WORKERS = 1
    settings.CATCPANEL_BULK_INTERVAL = 0


def ip_keys_in_order(section):
    return [
        ip_key(address)
        for address in section.locator("[data-testid=server-row]").evaluate_all(
            "rows => rows.filter(r => !r.hidden)"
            ".map(r => r.querySelector('.ip-cell .mono').textContent)"
        )
    ]


def expect_ip_order(section, *, descending, timeout=5.0):
    """The visible rows reach the order of their addresses. Read from the rows on screen each
    time: a server that finishes installing while the test runs gets its address then, and its
    section's fresh copy is swapped in (and sorted again)."""
    deadline = time.monotonic() + timeout
    while (keys := ip_keys_in_order(section)) != sorted(keys, reverse=descending):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert keys == sorted(keys, reverse=descending) and len(set(keys)) > 1


def test_a_header_sorts_the_rows_says_so_and_keeps_it_in_the_url(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    page.goto(live_server.url + "/")
    demo = section(page, "Demo")
    expect(rows(page)).to_have_count(8)
    # The provider's order is not the addresses' order, so the sort has something to do.
    assert ip_keys_in_order(demo) != sorted(ip_keys_in_order(demo))
    header = demo.locator("th[data-sort=ip]")

    header.get_by_role("button", name="IP").click()
    expect_ip_order(demo, descending=False)
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"[?&]sort=ip(&|$)"))

    header.get_by_role("button", name="IP").click()
    expect_ip_order(demo, descending=True)
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(demo.locator("th[data-sort=name]")).to_have_attribute("aria-sort", "none")

    # Bookmarked: the same address opens in the same order.
    page.goto(page.url)
    expect(rows(page)).to_have_count(8)
    expect(section(page, "Demo").locator("th[data-sort=ip]")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect_ip_order(section(page, "Demo"), descending=True)


def test_filters_come_from_the_url_and_go_back_into_it(
    signed_in_page, live_server, cac_account, user, sandbox_api_url, django_user_model
):
    other = shared_account(user, sandbox_api_url, django_user_model, "bob", "operator")
    page = signed_in_page
    page.goto(live_server.url + "/?status=powered+off&type=cloudpro")
    expect(rows(page)).to_have_count(16)

    visible = rows(page).locator("visible=true")
    expect(visible).to_have_count(2)  # cp-worker on each account
    expect(visible.first).to_have_attribute("data-server-name", "cp-worker")
    expect(page.locator("#filter-status")).to_have_value("powered off")
    expect(page.locator("#filter-type")).to_have_value("cloudpro")

    page.locator("#filter-account").select_option(str(other.pk))
    expect(section(page, "Demo")).to_be_hidden()
    expect(visible).to_have_count(1)
    expect(page).to_have_url(re.compile(f"account={other.pk}"))

    page.locator("#filter-type").select_option("")
    page.locator("#filter-status").select_option("")
    page.locator("#server-filter").fill("mail")
    expect(visible).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]q=mail(&|$)"))
    assert "status=" not in page.url and "type=" not in page.url


def test_bulk_power_across_two_accounts_with_a_viewer_row_refused(
    signed_in_page,
    live_server,
    cac_account,
    user,
    sandbox_api_url,
    django_user_model,
    one_call_at_a_time,
):
    operated = shared_account(user, sandbox_api_url, django_user_model, "bob", "operator")
    watched = shared_account(user, sandbox_api_url, django_user_model, "carol", "viewer")
    page = signed_in_page
    page.goto(live_server.url + "/")
    expect(rows(page)).to_have_count(24)
    # A viewer's rows have no checkbox; the other two accounts' rows do.
    expect(section(page, "Carol").locator(".row-select")).to_have_count(0)
    expect(section(page, "Demo").locator(".row-select")).to_have_count(8)

    section(page, "Demo").locator(".row-select[data-name=web-01]").check()
    section(page, "Bob").locator(".row-select[data-name=mail]").check()
    # A page that offered the viewer's row anyway (stale, or crafted) is refused on that row.
    carol_web = SandboxServer.objects.get(customer__login="carol@sandbox.example", label="web-01")
    carol_row = server_row(section(page, "Carol"), "web-01")
    carol_row.evaluate(
        """(row, value) => {
            const forged = document.querySelector(".row-select").cloneNode();
            forged.value = value;
            forged.dataset.name = "carol-web";
            forged.dataset.accountLabel = "Carol";
            row.querySelector("td").appendChild(forged);
            forged.checked = true;
            forged.dispatchEvent(new Event("change", { bubbles: true }));
        }""",
        f"{watched.pk}:{carol_web.sid}",
    )
    expect(page.locator("#bulk-count")).to_have_text("3 servers selected")

    page.get_by_test_id("bulk-poweroff").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-title")).to_have_text("Power off 3 servers?")
    expect(page.locator("#confirm-list li")).to_have_count(3)
    listed = page.locator("#confirm-list li").all_inner_texts()
    assert sorted(listed) == ["carol-web (Carol)", "mail (Bob)", "web-01 (Demo)"]
    expect(page.get_by_test_id("confirm-ok")).to_be_focused()
    page.keyboard.press("Enter")

    web = server_row(page, "web-01").and_(page.locator(f'[data-account="{cac_account.pk}"]'))
    mail = server_row(page, "mail").and_(page.locator(f'[data-account="{operated.pk}"]'))
    expect(web.get_by_test_id("row-result")).to_contain_text("✓ Power off: task")
    expect(mail.get_by_test_id("row-result")).to_contain_text("✓ Power off: task")
    expect(carol_row.get_by_test_id("row-result")).to_contain_text("✕")
    expect(carol_row.get_by_test_id("row-result")).to_contain_text("role")
    logs = ActionLog.objects.filter(action="poweroff")
    assert sorted(logs.values_list("account_name", "server_name", "outcome")) == [
        ("Bob", "mail", "success"),
        ("Demo", "web-01", "success"),
    ]
    assert not ActionLog.objects.filter(account=watched).exists()
    expect(page.locator("#toasts .toast-error").last).to_contain_text("1 failed or refused")


def test_copy_buttons_copy_the_ip_and_the_ssh_line(
    signed_in_page, live_server, cac_account, context
):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = signed_in_page
    page.goto(live_server.url + "/")
    row = server_row(page, "web-01")
    address = row.locator(".ip-cell .mono").inner_text()

    copy = row.get_by_role("button", name=re.compile(r"^Copy"))
    expect(copy).to_have_accessible_name("Copy IP address")
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == address

    row.locator("a.server-link").click()
    page.wait_for_load_state()  # its scripts have run: a click before would copy nothing
    ssh = page.locator("[data-field=ssh]").get_by_role("button", name="Copy ssh command")
    ssh.click()
    assert page.evaluate("navigator.clipboard.readText()") == f"ssh root@{address}"
    buttons = page.locator("button[data-copy]")
    for index in range(buttons.count()):
        assert buttons.nth(index).get_attribute("aria-label").startswith("Copy")


def test_without_javascript_power_off_is_a_plain_form_post(
    browser, live_server, cac_account, user, sandbox_customer
):
    context = browser.new_context(java_script_enabled=False)
    page = hand_session(context.new_page(), live_server.url, user)
    server = SandboxServer.objects.get(customer=sandbox_customer, label="web-01")
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/servers/{server.sid}/")
    expect(page.locator("h1#server-name")).to_have_text("web-01")

    page.get_by_test_id("power-off").click()

    expect(page.locator("#toasts .toast-success")).to_contain_text("Power off sent to web-01")
    assert ActionLog.objects.get().action == "poweroff"
    context.close()


def test_without_javascript_bulk_asks_on_a_page_then_shows_each_result(
    browser, live_server, cac_account, user, sandbox_customer, one_call_at_a_time
):
    context = browser.new_context(java_script_enabled=False)
    page = hand_session(context.new_page(), live_server.url, user)
    page.goto(live_server.url + "/")
    expect(rows(page)).to_have_count(8)
    page.locator(".row-select[data-name=web-01]").check()
    page.locator(".row-select[data-name=mail]").check()

    page.get_by_test_id("bulk-reset").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reset 2 servers?")
    expect(page.get_by_test_id("bulk-list").locator("li")).to_have_count(2)
    assert not ActionLog.objects.exists()
    page.get_by_role("button", name="Reset 2 servers").click()
    results = page.get_by_test_id("bulk-results")
    expect(results.locator("tbody tr")).to_have_count(2)
    expect(results).not_to_contain_text("✕")
    assert ActionLog.objects.filter(action="reset", outcome="success").count() == 2
    context.close()


def test_the_error_pages_are_the_panels_with_a_way_back(
    signed_in_page, live_server, cac_account, django_user_model
):
    page = signed_in_page
    response = page.goto(live_server.url + "/no/such/page/")
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("Not found")
    expect(page).to_have_title("Not found · catcpanel")
    page.get_by_role("link", name="Back to servers").click()
    expect(page).to_have_url(live_server.url + "/")

    viewer = django_user_model.objects.create_user(username="vera", password="x" * 20)
    Membership.objects.create(account=cac_account, user=viewer, role="viewer")
    page.context.clear_cookies()
    hand_session(page, live_server.url, viewer)
    response = page.goto(f"{live_server.url}/accounts/{cac_account.pk}/edit/")
    assert response.status == 403
    expect(page.get_by_test_id("error-page")).to_contain_text("does not allow that")

    icon = page.request.get(live_server.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"


def test_on_a_phone_the_sort_is_a_select_kept_in_the_url(signed_in_page, live_server, cac_account):
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/?sort=-name")
    expect(rows(page)).to_have_count(8)
    sort = page.locator("#filter-sort-select")
    expect(sort).to_be_visible()
    expect(sort).to_have_value("-name")
    names = names_in_order(section(page, "Demo"))
    assert names == sorted(names, key=str.lower, reverse=True)

    sort.select_option("name")
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    names = names_in_order(section(page, "Demo"))
    assert names == sorted(names, key=str.lower)
