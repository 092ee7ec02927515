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


def session_cookie(page, url, user, *, confirmed: bool):
    """Hand the browser a session of `user`, made on the server side (faster than the form)."""
    from django.conf import settings
    from django.test import Client

    from tests.security.identity import confirm_identity

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if confirmed:
        confirm_identity(client, user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
