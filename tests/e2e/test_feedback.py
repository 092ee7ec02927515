"""When an htmx request goes wrong the user sees a toast or the sign-in page, never nothing."""

import re

from playwright.sync_api import expect

from sandbox import services as sandbox
from sandbox.models import SandboxServer
from servers.models import ActionLog, CloudAccount
from tests.e2e.conftest import confirm, toast


def open_detail(page, live_server, account, label):
    server = SandboxServer.objects.get(customer__login=account.login, label=label)
    page.goto(f"{live_server.url}/accounts/{account.pk}/servers/{server.sid}/")
    expect(page.locator("h1#server-name")).to_have_text(label)
    return server


def test_a_provider_refusal_is_a_toast_with_its_code(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    page = signed_in_page
    server = open_detail(page, live_server, cac_account, "web-01")
    # Someone else starts a task on this server after the page was drawn: the provider says no.
    sandbox_customer.task_seconds = 60
    sandbox_customer.save(update_fields=["task_seconds"])
    sandbox.power(sandbox_customer, server.sid, "reset")

    page.get_by_test_id("power-off").click()
    confirm(page)

    error = toast(page, "error")
    expect(error).to_contain_text("105")
    expect(error).to_have_attribute("role", "alert")
    log = ActionLog.objects.get(action="poweroff")
    assert (log.outcome, log.provider_code) == ("failure", "105")


def test_an_htmx_error_response_is_shown_as_a_toast(signed_in_page, live_server, cac_account):
    page = signed_in_page
    open_detail(page, live_server, cac_account, "web-01")
    # The account disappears (another tab deleted it): the action now answers 404.
    CloudAccount.objects.filter(pk=cac_account.pk).delete()

    page.get_by_test_id("reset").click()
    confirm(page)

    expect(toast(page, "error")).to_contain_text(re.compile("not found", re.IGNORECASE))
    assert not ActionLog.objects.filter(action="reset").exists()


def test_an_expired_session_sends_the_whole_page_to_sign_in(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    server = open_detail(page, live_server, cac_account, "web-01")
    # The session ends; the CSRF cookie stays, as it does when a session expires.
    page.context.clear_cookies(name="sessionid")

    page.get_by_test_id("reset").click()
    confirm(page)

    expect(page).to_have_url(re.compile(re.escape(live_server.url + "/auth/login/?next=")))
    expect(page.locator("input[name=password]")).to_be_visible()
    assert server.sid in page.url
    assert not ActionLog.objects.exists()
