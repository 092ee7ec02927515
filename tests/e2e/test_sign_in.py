from playwright.sync_api import expect

from tests.sandbox_fixtures import USER_PASSWORD


def test_sign_in_shows_the_servers_page(page, live_server, transactional_db, user):
    page.goto(live_server.url + "/")
    # Anonymous visitors are sent to sign in first.
    expect(page).to_have_url(live_server.url + "/auth/login/?next=/")

    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", USER_PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".topbar .who")).to_have_text(user.username)


def test_wrong_password_stays_on_sign_in(page, live_server, transactional_db, user):
    page.goto(live_server.url + "/auth/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", "not-the-password")
    page.get_by_role("button", name="Sign In").click()

    expect(page.locator("body")).to_contain_text("not correct")
    expect(page).to_have_url(live_server.url + "/auth/login/")
