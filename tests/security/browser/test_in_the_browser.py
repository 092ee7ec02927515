"""In Chromium, under the panel's CSP: the console opens on the provider's own host, and a Cloud
Pro build without a recent confirmation goes through the confirmation page and back."""

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from servers.models import ActionLog
from tests.sandbox_fixtures import USER_PASSWORD
from tests.security.identity import hand_session

pytestmark = pytest.mark.e2e


def test_the_console_opens_on_another_origin_despite_form_action(
    page, live_server, transactional_db, user, cac_account
):
    """The account talks to the sandbox on `localhost`; the browser uses the panel on
    `127.0.0.1`: the console redirect leaves the panel's origin, as the real provider's does."""
    panel = live_server.url.replace("localhost", "127.0.0.1")
    assert panel != live_server.url
    hand_session(page, panel, user, confirmed=False)
    page.goto(f"{panel}/accounts/{cac_account.pk}/servers/")
    page.locator('[data-testid=server-row][data-server-name="web-01"] a.server-link').click()
    expect(page.locator("h1#server-name")).to_have_text("web-01")

    with page.context.expect_page() as new_tab:
        page.get_by_test_id("console").click()
    console = new_tab.value
    console.wait_for_load_state()
    assert console.url.startswith(live_server.url + "/sandbox/console/")
    expect(console.locator("body")).to_contain_text("web-01")


def test_a_build_asks_for_the_password_then_returns_to_the_form(
    page, live_server, transactional_db, user, cac_account
):
    hand_session(page, live_server.url, user, confirmed=False)
    cloudpro = f"{live_server.url}/accounts/{cac_account.pk}/cloudpro/"
    page.goto(cloudpro)
    fill_build_form(page).locator("button[type=submit]").click()

    # htmx followed HX-Redirect: a whole page, not a form swapped into the build panel.
    expect(page).to_have_url(re.compile(r"/auth/reauthenticate/\?next="))
    assert unquote(page.url.split("next=", 1)[1]) == f"/accounts/{cac_account.pk}/cloudpro/"
    expect(page.locator("h1")).to_contain_text("Confirm")
    page.fill("input[name=password]", USER_PASSWORD)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(cloudpro)
    # Nothing was built or stashed meanwhile; the person builds again, knowingly.
    assert not ActionLog.objects.filter(action="build").exists()
    fill_build_form(page).locator("button[type=submit]").click()
    expect(page.locator("#toasts .toast-success").last).to_contain_text("Build started")


def fill_build_form(page):
    form = page.locator("#build-form")
    form.get_by_label("CPU cores").fill("1")
    form.get_by_label("RAM (MB)").fill("1024")
    form.get_by_label("Storage (GB)").fill("10")
    form.get_by_label("Operating system").select_option(label="CentOS-7-64bit")
    return form
