"""Accounts: add one through the form, test its connection, see its servers; delete one."""

import re

from playwright.sync_api import expect

from servers.models import CloudAccount
from tests.e2e.conftest import toast


def test_add_an_account_test_it_and_see_its_servers(
    signed_in_page, live_server, sandbox_customer, sandbox_api_url
):
    page = signed_in_page
    page.goto(live_server.url + "/accounts/")
    page.get_by_role("link", name="Add account").first.click()
    form = page.locator("#account-form")
    form.locator("input[name=name]").fill("Lab")
    form.locator("input[name=login]").fill(sandbox_customer.login)
    form.locator("input[name=api_key]").fill(sandbox_customer.api_key)
    form.get_by_text("Advanced").click()
    form.locator("input[name=base_url]").fill(sandbox_api_url)
    form.get_by_role("button", name="Save account").click()

    expect(page).to_have_url(live_server.url + "/accounts/")
    card = page.locator('[data-testid=account-card][data-account-name="Lab"]')
    expect(card).to_contain_text(sandbox_customer.login)
    # Only the key's last four characters are ever shown again.
    expect(card).to_contain_text("…" + sandbox_customer.api_key[-4:])
    assert sandbox_customer.api_key not in page.content()

    card.get_by_test_id("test-connection").click()
    expect(card.get_by_test_id("test-result")).to_contain_text("Connection OK: 8 servers")
    expect(toast(page, "success")).to_contain_text("Lab")

    page.get_by_role("link", name="Servers").first.click()
    section = page.locator('[data-testid=account-section][data-account-name="Lab"]')
    expect(section.locator("[data-testid=server-row]")).to_have_count(8)
    account = CloudAccount.objects.get(name="Lab")
    assert account.base_url == sandbox_api_url
    assert account.api_key == sandbox_customer.api_key


def test_a_wrong_key_gets_the_ip_whitelist_hint_from_test_connection(
    signed_in_page, live_server, sandbox_customer, sandbox_api_url, user
):
    account = CloudAccount(owner=user, name="Typo", base_url=sandbox_api_url)
    account.set_credentials(login=sandbox_customer.login, api_key="0" * 48)
    account.save()
    page = signed_in_page
    page.goto(live_server.url + "/accounts/")
    card = page.locator('[data-testid=account-card][data-account-name="Typo"]')

    card.get_by_test_id("test-connection").click()

    result = card.get_by_test_id("test-result")
    expect(result).to_have_attribute("role", "alert")
    expect(result).not_to_contain_text("Connection OK")
    # The provider answers a wrong key with 104, which also means "this IP is not whitelisted".
    expect(result).to_contain_text(re.compile("whitelist", re.IGNORECASE))
    expect(result).to_contain_text("104")
    expect(toast(page, "error")).to_be_visible()


def test_delete_an_account_after_confirming(signed_in_page, live_server, cac_account):
    page = signed_in_page
    page.goto(live_server.url + "/accounts/")
    card = page.locator('[data-testid=account-card][data-account-name="Demo"]')
    card.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading")).to_contain_text("Delete the account Demo?")

    page.get_by_role("button", name="Delete account").click()

    expect(page).to_have_url(live_server.url + "/accounts/")
    expect(page.locator('[data-testid=account-card][data-account-name="Demo"]')).to_have_count(0)
    assert not CloudAccount.objects.filter(pk=cac_account.pk).exists()
