"""Single flight and last-good data: concurrent reads of one list cost the provider one call."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from servers import selectors
from servers.cac.errors import CacRateLimited
from tests.test_selectors import calls  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def read_servers(account):
    try:
        return selectors.servers_for(account)
    finally:
        connection.close()


def test_concurrent_cold_reads_make_one_provider_call(cac_account, sandbox_customer, calls):  # noqa: F811
    sandbox_customer.latency_ms = 300
    sandbox_customer.save()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read_servers, [cac_account] * 8))
    assert all(len(result.data) == 8 and result.ok for result in results)
    assert len(calls.of("listservers")) == 1


def test_a_waiter_gets_the_last_good_copy_when_the_call_fails(cac_account, sandbox_customer):
    sandbox_customer.rate_limit = 1
    sandbox_customer.save()
    selectors.servers_for(cac_account)  # spends the minute's one call
    selectors.invalidate(cac_account, "servers")
    sandbox_customer.latency_ms = 300
    sandbox_customer.save()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(read_servers, [cac_account] * 4))
    for result in results:
        assert result.stale and len(result.data) == 8
        assert isinstance(result.error, CacRateLimited)
        assert "Cloud at Cost is rate limiting" in result.stale_note


def test_stale_note_says_the_age_and_the_reason():
    fetched = selectors.Fetched(
        data=[],
        error=CacRateLimited("rate limited, try again in a minute"),
        fetched_at=timezone.now() - timedelta(seconds=45),
        stale=True,
    )
    assert fetched.stale_note == "data from 45 s ago: Cloud at Cost is rate limiting"
    assert selectors.Fetched(data=[], fetched_at=timezone.now()).stale_note == ""


def test_an_action_invalidates_so_the_next_read_asks_again(cac_account, calls):  # noqa: F811
    selectors.servers_for(cac_account)
    selectors.servers_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    selectors.servers_for(cac_account)
    assert len(calls.of("listservers")) == 2
