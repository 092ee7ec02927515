"""Direct provider calls (test connection, console, reveal passwords) are limited per account,
counted in the shared cache: past the budget nothing is sent and the person is told to wait."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from servers import provider_limit
from servers.models import CloudAccount, Membership
from tests.security.identity import confirm_identity
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3


class Clock:
    """The budget is per minute of the wall clock: each test starts at a minute's first second,
    so that no test straddles two minutes, and may move on to the next."""

    def __init__(self):
        self.now = (time.time() // 60 + 1) * 60

    def time(self):
        return self.now


@pytest.fixture(autouse=True)
def clock(settings, monkeypatch):
    settings.CATCPANEL_PROVIDER_CALLS_PER_MINUTE = LIMIT
    fake = Clock()
    monkeypatch.setattr(provider_limit, "time", fake)
    return fake


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    confirm_identity(client, user)
    return client


def test_connection_is_limited_per_account_for_everyone_on_it(
    user, cac_account, sandbox_customer, sandbox_calls, django_user_model
):
    owner = signed_in(user)
    url = reverse("account_test", args=[cac_account.pk])
    for _ in range(LIMIT):
        response = owner.post(url, **HTMX)
        assert "Connection OK" in response.content.decode()
    asked = len(sandbox_calls.of("listservers"))
    assert asked == LIMIT

    refused = owner.post(url, **HTMX)
    text = refused.content.decode()
    assert refused.status_code == 200 and "Too many direct requests" in text
    assert "wait" in refused.headers["HX-Trigger"]
    # Another member (another session, as on another worker) draws on the same budget.
    viewer = django_user_model.objects.create_user(username="viewer", password="x" * 20)
    Membership.objects.create(account=cac_account, user=viewer, role="viewer")
    assert "Too many direct requests" in signed_in(viewer).post(url, **HTMX).content.decode()
    assert len(sandbox_calls.of("listservers")) == asked

    # Another account of the same provider customer has its own budget.
    other = CloudAccount(owner=user, name="Other", base_url=cac_account.base_url)
    other.set_credentials(login=cac_account.login, api_key=cac_account.api_key)
    other.save()
    response = owner.post(reverse("account_test", args=[other.pk]), **HTMX)
    assert "Connection OK" in response.content.decode()


def test_the_budget_comes_back_the_next_minute(user, cac_account, clock):
    owner = signed_in(user)
    url = reverse("account_test", args=[cac_account.pk])
    for _ in range(LIMIT):
        owner.post(url, **HTMX)
    clock.now += 59
    assert "wait 1 s" in owner.post(url, **HTMX).content.decode()
    clock.now += 1
    assert "Connection OK" in owner.post(url, **HTMX).content.decode()


def test_console_and_passwords_share_the_budget(user, cac_account, sandbox_customer, sandbox_calls):
    owner = signed_in(user)
    web = server_by_label(sandbox_customer, "web-01")
    console = reverse("console", args=[cac_account.pk, web.sid])
    reveal = reverse("reveal_passwords", args=[cac_account.pk, web.sid])
    assert owner.post(console).status_code == 302
    assert web.rootpass in owner.post(reveal, **HTMX).content.decode()
    assert owner.post(console).status_code == 302
    assert len(sandbox_calls.of("console")) == 2

    refused = owner.post(console)
    assert refused.status_code == 502 and "Too many direct requests" in refused.content.decode()
    assert len(sandbox_calls.of("console")) == 2
    shown = owner.post(reveal, **HTMX).content.decode()
    assert "Too many direct requests" in shown and web.rootpass not in shown


def test_zero_means_no_limit(settings, user, cac_account, sandbox_calls):
    settings.CATCPANEL_PROVIDER_CALLS_PER_MINUTE = 0
    owner = signed_in(user)
    url = reverse("account_test", args=[cac_account.pk])
    for _ in range(LIMIT + 2):
        assert "Connection OK" in owner.post(url, **HTMX).content.decode()


def test_try_again_on_a_section_shares_the_budget_and_keeps_the_last_copy(
    user, cac_account, sandbox_customer, sandbox_calls
):
    owner = signed_in(user)
    again = reverse("account_servers", args=[cac_account.pk]) + "?retry=1"
    label = server_by_label(sandbox_customer, "web-01").label
    assert (
        "Connection OK"
        in owner.post(reverse("account_test", args=[cac_account.pk]), **HTMX).content.decode()
    )
    for _ in range(LIMIT - 1):
        assert label in owner.get(again, **HTMX).content.decode()
    asked = len(sandbox_calls.of("listservers"))
    assert asked == LIMIT

    refused = owner.get(again, **HTMX)
    text = refused.content.decode()
    assert refused.status_code == 200
    assert "Too many direct requests" in text and "wait 60 s" in text
    assert label in text and "Showing the last good data" in text
    assert len(sandbox_calls.of("listservers")) == asked


def test_try_again_past_the_budget_without_a_copy_shows_the_wait(
    user, cac_account, sandbox_customer, sandbox_calls
):
    cac_account.set_credentials(login=sandbox_customer.login, api_key="not-the-key")
    cac_account.save()
    owner = signed_in(user)
    again = reverse("account_servers", args=[cac_account.pk]) + "?retry=1"
    for _ in range(LIMIT):
        assert 'data-testid="account-error"' in owner.get(again, **HTMX).content.decode()
    asked = len(sandbox_calls.of("listservers"))
    assert asked == LIMIT

    text = owner.get(again, **HTMX).content.decode()
    assert "Too many direct requests" in text and 'data-testid="retry"' in text
    assert len(sandbox_calls.of("listservers")) == asked
