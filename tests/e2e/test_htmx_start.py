"""htmx starts after the page is drawn: the rows show without it, and a click meant for it in the
meantime waits for it (or, should it never load, goes to the page's plain form)."""

from playwright.sync_api import expect

from sandbox.models import SandboxServer
from servers.models import ActionLog
from tests.e2e.conftest import confirm, server_row, toast

HTMX_SCRIPT = "**/vendor/htmx-*.js"


class HeldHtmx:
    """htmx's script is requested (preloaded, then added by app.js) but not answered, until
    `load()` or `fail()`; the requests made after that are answered the same way."""

    def __init__(self, page):
        self.waiting = []
        self.answer = None
        page.route(HTMX_SCRIPT, self._route)

    def _route(self, route):
        if self.answer is None:
            self.waiting.append(route)
        else:
            self.answer(route)

    def load(self):
        self._answer(lambda route: route.continue_())

    def fail(self):
        self._answer(lambda route: route.abort())

    def _answer(self, answer):
        self.answer = answer
        for route in self.waiting:
            answer(route)
        self.waiting = []


def test_the_rows_show_before_htmx_and_a_click_in_between_waits_for_it(
    signed_in_page, live_server, cac_account
):
    page = signed_in_page
    htmx = HeldHtmx(page)
    page.goto(live_server.url + "/")

    row = server_row(page, "web-01")
    expect(row.locator("[data-testid=status]")).to_contain_text("Powered On")
    assert page.evaluate("typeof window.htmx") == "undefined"
    power_off = row.get_by_role("button", name="Power off")
    power_off.click()
    # Held, and marked so (set in the same click that stopped the plain form's post).
    expect(power_off).to_have_attribute("aria-busy", "true")
    assert not ActionLog.objects.exists()

    htmx.load()
    expect(page.locator("#confirm-text")).to_contain_text("Power off web-01?")
    expect(power_off).not_to_have_attribute("aria-busy", "true")
    # Started late, htmx still took the page's settings: no eval, no scripts from swaps.
    assert page.evaluate("[htmx.config.allowEval, htmx.config.allowScriptTags]") == [False, False]
    confirm(page, "Power off")
    expect(toast(page, "success")).to_contain_text("task")
    assert page.url == live_server.url + "/"
    log = ActionLog.objects.get()
    assert (log.action, log.server_name, log.outcome) == ("poweroff", "web-01", "success")


def test_without_htmx_a_held_click_goes_to_the_plain_form(signed_in_page, live_server, cac_account):
    page = signed_in_page
    htmx = HeldHtmx(page)
    page.goto(live_server.url + "/")
    power_off = server_row(page, "web-01").get_by_role("button", name="Power off")
    power_off.click()
    expect(power_off).to_have_attribute("aria-busy", "true")
    assert not ActionLog.objects.exists()

    htmx.fail()
    # As without JavaScript: the form posts, the page comes back with the outcome.
    expect(page.locator("#toasts .toast-success")).to_contain_text("Power off sent to web-01")
    assert ActionLog.objects.get().action == "poweroff"


def test_a_plain_link_inside_a_part_htmx_refreshes_is_not_held(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    # The server page's body is a part htmx polls (its own hx-get): the delete link inside it is
    # an ordinary link, which goes at once, htmx or not.
    server = SandboxServer.objects.get(customer=sandbox_customer, label="cp-app")
    page = signed_in_page
    HeldHtmx(page)
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/servers/{server.sid}/")
    page.get_by_test_id("delete-server").click()
    expect(page.locator("#delete-server-form input[name=confirm_name]")).to_be_visible()


def test_a_page_opened_in_a_background_tab_starts_htmx_without_a_frame(
    signed_in_page, live_server, cac_account
):
    # A hidden tab runs no animation frame callback until it is shown (here: never); htmx must
    # not wait for one, or its polls and follow-ups would start only when the tab is looked at.
    page = signed_in_page
    page.add_init_script(
        "Object.defineProperty(document, 'hidden', {get: () => true});"
        "window.requestAnimationFrame = () => 0;"
    )
    page.goto(live_server.url + "/")
    expect(server_row(page, "web-01")).to_be_visible()
    page.wait_for_function("typeof window.htmx === 'object'", polling=100, timeout=10_000)
