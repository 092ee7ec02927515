"""Phone, tablet and laptop widths and the dark theme: the servers page stays usable."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import SandboxServer

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def luminance(css_color):
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.fixture
def phone_page(signed_in_page):
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    return signed_in_page


def test_the_servers_page_fits_a_phone(phone_page, live_server, cac_account):
    page = phone_page
    page.goto(live_server.url + "/")
    expect(page.locator("[data-testid=server-row]")).to_have_count(8)

    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    web = page.locator('[data-testid=server-row][data-server-name="web-01"]')
    web.get_by_test_id("power-menu").scroll_into_view_if_needed()
    web.get_by_test_id("power-menu").click()
    expect(web.get_by_role("button", name="Reset")).to_be_in_viewport()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


@pytest.mark.parametrize("width", [800, 961, 1024, 1200, 1201, 1280, 1440])
def test_the_servers_page_fits_tablets_and_laptops(signed_in_page, live_server, cac_account, width):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.locator("[data-testid=server-row]")).to_have_count(8)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_the_server_page_fits_a_phone(phone_page, live_server, cac_account):
    page = phone_page
    server = SandboxServer.objects.get(customer__login=cac_account.login, label="web-01")
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/servers/{server.sid}/")
    expect(page.locator("h1#server-name")).to_have_text("web-01")

    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_the_theme_follows_the_system_setting(signed_in_page, live_server, cac_account):
    page = signed_in_page
    backgrounds = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(live_server.url + "/")
        expect(page.locator("[data-testid=server-row]")).to_have_count(8)
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert luminance(backgrounds["light"]) > 0.8
    assert luminance(backgrounds["dark"]) < 0.2
