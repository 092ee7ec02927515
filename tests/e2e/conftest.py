"""Browser tests: Debian's Chromium driven by pytest-playwright against pytest-django's live_server.

Playwright's sync API runs an event loop in the test thread, so Django's ORM calls from fixtures
and tests (which run in that thread) look "async" to Django: allowing them here, and only here,
is what lets every live_server test set up (MACHINE-NOTES).
"""

import os
import re
from pathlib import Path

import pytest

from tests.browser_teardown import _live_server_idle_before_flush  # noqa: F401  (autouse)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
# Failure screenshots land in test-results/ at the repo root (CI keeps that folder as an artifact).
SCREENSHOT_DIR = Path(
    os.environ.get(
        "CATCPANEL_E2E_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-results"
    )
)
E2E_DIR = Path(__file__).resolve().parent
# Long enough for a slow page on a busy machine; failures still show up fast.
EXPECT_TIMEOUT_MS = 15_000
# For what the page learns by polling: a task's delay, the poll interval and the shared cache's
# busy period, with room for a busy machine.
POLLED_MS = 40_000


def pytest_collection_modifyitems(items):
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` downloads a browser and fails offline: drive the system Chromium instead.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium).")


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Save what the browser showed when a test failed, while its page is still open."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = item.funcargs.get("page")
    if page is None or page.is_closed():
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid) + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a dead browser must not hide the test's own failure
        report.sections.append(("screenshot", f"could not save a screenshot: {exc}"))
    else:
        report.sections.append(("screenshot", f"saved {path}"))


def accept_dialog(dialog):
    dialog.accept()


@pytest.fixture
def page(page):
    """Every page accepts the browser's own dialogs, should one appear: the panel asks in its own
    <dialog> (see `confirm`), and a browser dialog left open would hang the test instead."""
    page.on("dialog", accept_dialog)
    return page


def confirm(page, ok=None):
    """Say yes in the page's own confirmation dialog (optionally checking its button's words)."""
    from playwright.sync_api import expect

    button = page.get_by_test_id("confirm-ok")
    expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
    expect(button).to_be_focused()
    if ok:
        expect(button).to_have_text(ok)
    button.click()
    expect(page.get_by_test_id("confirm-dialog")).to_be_hidden()


def sign_in(page, live_server, user, password=None):
    # Imported here: the sandbox fixtures need Django, and this module also serves tests without it.
    from tests.sandbox_fixtures import USER_PASSWORD

    password = password or USER_PASSWORD
    page.goto(live_server.url + "/auth/login/")
    page.fill("input[name=login]", user.get_username())
    page.fill("input[name=password]", password)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(live_server.url + "/")
    return page


@pytest.fixture
def signed_in_page(page, live_server, transactional_db, user):
    """A page whose browser holds a session of `user` (alice)."""
    from tests.security.identity import hand_session

    return hand_session(page, live_server.url, user)


def server_row(page, name):
    return page.locator(f'[data-testid=server-row][data-server-name="{name}"]')


def toast(page, kind):
    """The newest toast of `kind` ("success" or "error")."""
    return page.locator(f"#toasts .toast-{kind}").last
