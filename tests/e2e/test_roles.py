"""Roles in the browser: a viewer sees no action buttons, an operator powers but cannot build, and
an invitation link is accepted end to end by a person who had no user before."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from servers.models import ActionLog, Membership
from tests.e2e.conftest import confirm, server_row, toast
from tests.security.identity import hand_session


@pytest.fixture
def member_page(page, live_server, cac_account, django_user_model):
    def make(role):
        person = django_user_model.objects.create_user(username=role, password="x" * 20)
        Membership.objects.create(account=cac_account, user=person, role=role)
        return hand_session(page, live_server.url, person)

    return make


def test_a_viewer_sees_the_servers_but_no_action_buttons(member_page, live_server, cac_account):
    page = member_page("viewer")
    page.goto(live_server.url + "/")
    expect(server_row(page, "web-01")).to_be_visible()
    expect(page.get_by_test_id("power-off")).to_have_count(0)
    expect(page.get_by_test_id("reset")).to_have_count(0)

    web = server_row(page, "web-01")
    web.locator(".server-link").click()
    expect(page.locator("[data-field=id]")).to_be_visible()
    for testid in ("power-on", "power-off", "console", "rename", "edit-rdns", "reveal-passwords"):
        expect(page.get_by_test_id(testid)).to_have_count(0)

    page.goto(live_server.url + f"/accounts/{cac_account.pk}/cloudpro/")
    expect(page.locator("[data-testid=server-row]").first).to_be_visible()
    expect(page.locator("#build-form")).to_have_count(0)

    page.goto(live_server.url + "/accounts/")
    card = page.locator('[data-testid=account-card][data-account-name="Demo"]')
    expect(card.locator("[data-field=role]")).to_have_text("Viewer")
    expect(card.get_by_role("link", name="Edit")).to_have_count(0)
    expect(card.get_by_role("link", name="Delete")).to_have_count(0)


def test_an_operator_powers_a_server_but_cannot_build(
    member_page, live_server, cac_account, sandbox_customer
):
    page = member_page("operator")
    page.goto(live_server.url + "/")
    row = server_row(page, "web-01")
    expect(row.locator("[data-testid=status]")).to_contain_text("Powered On")
    row.get_by_test_id("power-off").click()
    confirm(page)
    expect(toast(page, "success")).to_contain_text("Power off sent to web-01")
    expect(row.locator("[data-testid=status]")).to_contain_text("Powered Off")
    log = ActionLog.objects.get(action="poweroff")
    assert (log.user_name, log.outcome) == ("operator", "success")

    page.goto(live_server.url + f"/accounts/{cac_account.pk}/cloudpro/")
    expect(page.locator("[data-testid=server-row]").first).to_be_visible()
    expect(page.locator("#build-form")).to_have_count(0)
    # The server refuses it too, whatever the page shows.
    token = page.context.cookies()
    csrf = next((c["value"] for c in token if c["name"] == settings.CSRF_COOKIE_NAME), "")
    response = page.request.post(
        live_server.url + f"/accounts/{cac_account.pk}/cloudpro/build/",
        form={"cpu": "1", "ram": "1024", "storage": "10", "os": "26"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"},
    )
    assert response.status == 403
    assert not ActionLog.objects.filter(action="build").exists()


def test_an_invitation_is_accepted_end_to_end(signed_in_page, live_server, cac_account, browser):
    page = signed_in_page
    page.goto(live_server.url + f"/accounts/{cac_account.pk}/members/")
    page.select_option("#id_role", "operator")
    page.get_by_test_id("invite").click()
    link = page.get_by_test_id("invitation-link").input_value()
    assert link.startswith(live_server.url + "/invitations/")

    newcomer_context = browser.new_context()
    try:
        newcomer = newcomer_context.new_page()
        newcomer.goto(link)
        expect(newcomer.locator("h1")).to_contain_text("Join Demo")
        newcomer.fill("#id_username", "newbie")
        newcomer.fill("#id_password1", "a long pass phrase 42")
        newcomer.fill("#id_password2", "a long pass phrase 42")
        newcomer.get_by_test_id("signup-and-join").click()
        expect(server_row(newcomer, "web-01")).to_be_visible()
        expect(server_row(newcomer, "web-01").get_by_test_id("power-off")).to_be_visible()
        # The link is spent.
        newcomer.goto(link)
        expect(newcomer.locator("h1")).to_contain_text("does not work")
    finally:
        newcomer_context.close()

    page.reload()
    expect(page.locator('[data-testid=member-row][data-username="newbie"]')).to_have_attribute(
        "data-role", "operator"
    )
