"""Every failure mode of the provider shows as a clear message, never as an error page."""

import json
import re
import time
from html import unescape

import pytest

from servers import selectors
from servers.models import ActionLog, CloudAccount
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db


def wrong_key(customer, account, settings):
    account.set_credentials(api_key="0" * 48)
    account.save()


def rate_limited(customer, account, settings):
    customer.fail_rate, customer.fail_status = 1.0, 503
    customer.save()


def internal_error(customer, account, settings):
    customer.fail_rate, customer.fail_status = 1.0, 500
    customer.save()


def maintenance(customer, account, settings):
    customer.maintenance = True
    customer.save()


SLOW_MS = 700


def slow(customer, account, settings):
    customer.latency_ms = SLOW_MS
    customer.save()
    settings.CATCPANEL_CAC_READ_TIMEOUT = 0.2


# What is not the API's own answer reads the same whatever it was (servers/cac/errors.py).
NO_API = "that Cloud at Cost's API would give"
UNKNOWN = "Unknown outcome: Cloud at Cost did not answer in time, but the request had been sent"

# breaks, the words on pages, the provider's code, the words of a failed action (if others).
FAILURES = {
    "wrong key or IP (104)": (wrong_key, "whitelisted", "104", None),
    "rate limited (503)": (rate_limited, "rate limited, try again in a minute", "", None),
    "internal error (500)": (internal_error, NO_API, "", None),
    "maintenance notice": (maintenance, "maintenance", "", None),
    "timeout": (slow, NO_API, "", UNKNOWN),
}


@pytest.fixture(params=list(FAILURES), ids=list(FAILURES))
def failure(request, sandbox_customer, cac_account, settings):
    breaks, message, code, action_message = FAILURES[request.param]
    breaks(sandbox_customer, cac_account, settings)
    yield message, code, action_message
    if breaks is slow:
        # Let the sandbox finish its sleep before the live server's database goes away.
        time.sleep(SLOW_MS / 1000 + 0.3)


def test_failing_account_shows_its_error_inside_its_own_section(owner, cac_account, failure):
    message, code, _ = failure
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="account-error"' in text
    assert message in unescape(text)
    if code:
        assert f"code {code}" in text
    cac_account.refresh_from_db()
    assert message in cac_account.last_error
    assert cac_account.last_error_at is not None


def test_failing_provider_shows_a_message_on_every_account_page(owner, cac_account, failure):
    message, _, _ = failure
    for page in ("servers", "tasks", "templates", "cloudpro"):
        response = owner.get(f"/accounts/{cac_account.pk}/{page}/")
        assert response.status_code == 200, page
        assert message in unescape(response.content.decode()), page


def test_failing_action_is_a_toast_with_the_problem_and_a_failed_log_row(
    owner, cac_account, sandbox_customer, failure
):
    message, code, action_message = failure
    message = action_message or message
    web = server_by_label(sandbox_customer, "web-01")
    # The server is known from a moment ago (the list is cached); the action itself fails.
    from servers import selectors
    from servers.cac.models import Server

    cached = Server.from_api({"id": web.sid, "label": "web-01", "status": "Powered On"})
    from django.core.cache import cache

    cache.set(
        selectors._key(cac_account, "servers"),
        selectors.CachedList([cached], None, time.time() + 60),
        60,
    )
    response = owner.post(
        f"/accounts/{cac_account.pk}/servers/{web.sid}/power/", {"action": "poweroff"}, **HTMX
    )
    assert response.status_code == 204
    events = json.loads(response.headers["HX-Trigger"])
    assert events["toast"]["kind"] == "error"
    assert message in events["toast"]["text"]
    # The failure is recorded: the page's activity refreshes to show it.
    assert f"account-changed-{cac_account.pk.hex}" in events
    log = ActionLog.objects.get()
    # A timeout after the request was sent may hide a carried-out action (services/actionlog.py).
    assert log.outcome == ("unknown" if message == UNKNOWN else "failure")
    assert log.finished_at is not None
    assert message in log.message
    assert log.provider_code == code


def test_failing_test_connection_says_what_is_wrong(owner, cac_account, failure):
    message, _, _ = failure
    response = owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert json.loads(response.headers["HX-Trigger"])["toast"]["kind"] == "error"


def test_wrong_key_names_the_key_the_login_and_the_ip_whitelist(owner, cac_account):
    """104 is the provider's answer to a wrong key as much as to a missing whitelist entry."""
    wrong_key(None, cac_account, None)
    response = owner.post(f"/accounts/{cac_account.pk}/test/", **HTMX)
    text = response.content.decode()
    assert "API key, its login email, or this panel&#x27;s IP address" in text
    assert "whitelisted" in text and "104" in text


def test_plain_text_sql_error_from_listtasks_spares_the_server_list(
    owner, cac_account, sandbox_customer
):
    sandbox_customer.plain_text = True
    sandbox_customer.save()
    servers = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert b"web-01" in servers.content
    assert b"account-error" not in servers.content
    tasks = owner.get(f"/accounts/{cac_account.pk}/tasks/")
    assert tasks.status_code == 200
    assert NO_API in unescape(tasks.content.decode())


def test_plain_text_answer_to_a_delete_is_a_failed_delete(owner, cac_account, sandbox_customer):
    sandbox_customer.plain_text = True
    sandbox_customer.save()
    cp = server_by_label(sandbox_customer, "cp-app")
    response = owner.post(
        f"/accounts/{cac_account.pk}/servers/{cp.sid}/delete/", {"confirm_name": "cp-app"}
    )
    assert response.status_code == 200
    assert NO_API in unescape(response.content.decode())
    assert ActionLog.objects.get().outcome == "failure"


def test_stale_list_is_shown_with_its_age_when_the_provider_fails(
    owner, cac_account, sandbox_customer
):
    assert b"web-01" in owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.invalidate(cac_account)
    response = owner.get(f"/accounts/{cac_account.pk}/servers/?poll=1", **HTMX)
    text = response.content.decode()
    assert "web-01" in text
    assert "maintenance" in text
    assert re.search(r"Showing the last good data: data from \d+ s ago: Cloud at Cost", text)


def test_one_failing_account_does_not_break_another(
    owner, user, cac_account, sandbox_customer, sandbox_api_url
):
    broken = CloudAccount(owner=user, name="Broken", base_url=sandbox_api_url)
    broken.set_credentials(login="nobody@example.com", api_key="1" * 40)
    broken.save()

    home = owner.get("/").getvalue().decode()
    # The home page asks for both accounts' lists at once and shows each section as it came.
    assert home.count('data-testid="account-section"') == 2
    broken_part, good_part = home.split('data-account-name="Demo"', 1)
    assert "account-error" in broken_part and "web-01" not in broken_part
    assert "account-error" not in good_part and "web-01" in good_part

    bad = owner.get(f"/accounts/{broken.pk}/servers/", **HTMX)
    good = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert b"account-error" in bad.content
    assert b"account-error" not in good.content
    assert b"web-01" in good.content


def test_a_server_gone_since_the_list_was_read_is_a_clear_error(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)  # cached with web-01 in it
    sid = web.sid
    web.delete()  # deleted at the provider since
    response = owner.post(
        f"/accounts/{cac_account.pk}/servers/{sid}/power/", {"action": "poweroff"}, **HTMX
    )
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["kind"] == "error"
    assert "code 109" in toast["text"]
    log = ActionLog.objects.get()
    assert (log.outcome, log.provider_code) == ("failure", "109")


def test_json_served_as_html_is_read_all_the_same(owner, cac_account, sandbox_customer):
    sandbox_customer.json_as_html = True
    sandbox_customer.save()
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert response.content.count(b'data-testid="server-row"') == 8


def test_a_failed_section_offers_to_try_again_and_recovers(owner, cac_account, sandbox_customer):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    failed = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content.decode()
    assert 'data-testid="retry"' in failed
    retry_url = failed.split('data-testid="retry" hx-get="')[1].split('"')[0].replace("&amp;", "&")
    sandbox_customer.maintenance = False
    sandbox_customer.save()
    recovered = owner.get(retry_url, **HTMX).content.decode()
    assert recovered.count('data-testid="server-row"') == 8
    assert 'data-testid="retry"' not in recovered
