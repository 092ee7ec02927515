"""Browser tests of the security work, with the same Chromium set-up as tests/e2e (see there).

Playwright's sync API runs an event loop in the test thread, which Django would take for async
code: allowed here as in tests/e2e/conftest.py (MACHINE-NOTES).
"""

import os

import pytest

from tests.browser_teardown import _live_server_idle_before_flush  # noqa: F401  (autouse)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--disable-gpu", "--disable-background-networking", "--no-first-run"],
    }


@pytest.fixture(autouse=True)
def _expect_timeout():
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
