"""Single flight and last-good data: concurrent reads of one list cost the provider one call."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from servers import cache as shared_lock
from servers import selectors
from servers.cac.errors import CacRateLimited, CacUnavailable

pytestmark = pytest.mark.django_db(transaction=True)


def read_servers(account):
    try:
        return selectors.servers_for(account)
    finally:
        connection.close()


def test_concurrent_cold_reads_make_one_provider_call(cac_account, sandbox_customer, sandbox_calls):
    sandbox_customer.latency_ms = 300
    sandbox_customer.save()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read_servers, [cac_account] * 8))
    # One reader asks; the others answer at once that it is under way, rather than wait for it.
    asked = [result for result in results if not result.pending]
    assert len(asked) == 1 and len(asked[0].data) == 8 and asked[0].ok
    assert all(result.data is None and result.error is None for result in results if result.pending)
    assert len(sandbox_calls.of("listservers")) == 1
    assert len(selectors.servers_for(cac_account).data) == 8


def rate_limit_every_call(customer):
    # Every answer a 503, as when the account is over its limit (a per-minute limit in the
    # sandbox could reset mid-test).
    customer.fail_rate, customer.fail_status = 1.0, 503
    customer.save()


def test_a_waiter_gets_the_last_good_copy_when_the_call_fails(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    rate_limit_every_call(sandbox_customer)
    sandbox_customer.latency_ms = 300
    sandbox_customer.save()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(read_servers, [cac_account] * 4))
    # Every reader shows the last good copy at once; the one that asked also says why it is old.
    assert all(len(result.data) == 8 for result in results)
    asked = [result for result in results if not result.pending]
    assert len(asked) == 1 and asked[0].stale
    assert isinstance(asked[0].error, CacRateLimited)
    assert "Cloud at Cost is rate limiting" in asked[0].stale_note
    # Later reads, while backing off, say it too.
    later = selectors.servers_for(cac_account)
    assert later.stale and isinstance(later.error, CacRateLimited)


def test_stale_note_says_the_age_and_the_reason():
    fetched = selectors.Fetched(
        data=[],
        error=CacRateLimited("rate limited, try again in a minute"),
        fetched_at=timezone.now() - timedelta(seconds=45),
        stale=True,
    )
    assert fetched.stale_note == "data from 45 s ago: Cloud at Cost is rate limiting"
    assert selectors.Fetched(data=[], fetched_at=timezone.now()).stale_note == ""


def test_an_action_invalidates_so_the_next_read_asks_again(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.servers_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    selectors.servers_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2


def test_after_a_failure_reads_back_off_until_someone_asks_to_try_again(
    cac_account,
    sandbox_customer,
    sandbox_calls,
):
    good = selectors.servers_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    failed = [selectors.servers_for(cac_account) for _ in range(4)]
    assert len(sandbox_calls.of("listservers")) == 2  # the good read, then one failed call
    assert all(isinstance(result.error, CacUnavailable) for result in failed)
    assert all(result.stale and result.data == good.data for result in failed)

    sandbox_customer.maintenance = False
    sandbox_customer.save()
    assert selectors.servers_for(cac_account).stale  # still backing off
    retried = selectors.servers_for(cac_account, refresh=True)
    assert retried.ok and not retried.stale
    assert len(sandbox_calls.of("listservers")) == 3


def test_a_rate_limit_backs_off_longer_than_other_failures(
    cac_account,
    sandbox_customer,
    sandbox_calls,
    monkeypatch,
):
    monkeypatch.setattr(selectors, "BACKOFF_SECONDS", 1)
    monkeypatch.setattr(selectors, "RATE_LIMITED_BACKOFF_SECONDS", 30)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.servers_for(cac_account)
    time.sleep(1.2)
    selectors.servers_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2  # a short back-off for maintenance

    sandbox_customer.maintenance = False
    sandbox_customer.save()
    selectors.servers_for(cac_account, refresh=True)
    rate_limit_every_call(sandbox_customer)
    limited = selectors.servers_for(cac_account, refresh=True)
    assert isinstance(limited.error, CacRateLimited)
    made = len(sandbox_calls.of("listservers"))
    selectors.expire(cac_account, "servers")  # the good copy's time is up
    time.sleep(1.2)
    assert isinstance(selectors.servers_for(cac_account).error, CacRateLimited)
    assert len(sandbox_calls.of("listservers")) == made  # still quiet after the short back-off


def test_a_successful_action_ends_the_back_off(cac_account, sandbox_customer, sandbox_calls):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    assert not selectors.servers_for(cac_account).ok
    sandbox_customer.maintenance = False
    sandbox_customer.save()
    selectors.invalidate(cac_account, "servers")
    assert selectors.servers_for(cac_account).ok
    assert len(sandbox_calls.of("listservers")) == 2


def test_the_lock_winner_reuses_a_copy_stored_while_it_was_missing(
    cac_account,
    sandbox_calls,
    monkeypatch,
):
    # The race: a reader misses, the previous holder stores its copy and releases the lock, then
    # the reader wins the lock. It must serve that copy, not call again.
    stored = selectors.servers_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    acquire = shared_lock.acquire

    def holder_finishes_first(key, token, seconds):
        cache.set(
            selectors._key(cac_account, "servers"),
            selectors.CachedList(stored.data, stored.fetched_at, time.time() + 60),
            60,
        )
        return acquire(key, token, seconds)

    monkeypatch.setattr(shared_lock, "acquire", holder_finishes_first)
    fetched = selectors.servers_for(cac_account)
    assert fetched.ok and fetched.fetched_at == stored.fetched_at
    assert len(sandbox_calls.of("listservers")) == 1


# --- a Redis that does not answer ------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The default cache is a TolerantRedisCache pointing at a port nothing listens on."""
    from django.core.cache import caches

    from tests.deploy.replicas import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "servers.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Changing CACHES makes Django build its cache handlers again (its setting_changed signal).
    yield caches["default"]


def test_a_redis_that_does_not_answer_is_a_miss_and_a_lost_write(redis_down):
    backend = redis_down
    assert type(backend).__name__ == "TolerantRedisCache"
    assert backend.get("k", "default") == "default"
    assert backend.set("k", 1) is None
    assert backend.add("k", 1) is False
    assert backend.get_many(["a", "b"]) == {}
    backend.delete("k")
    backend.delete_many(["a"])
    # As for a missing key: callers start their counter again (provider_limit, forget_account).
    with pytest.raises(ValueError):
        backend.incr("k")
    with pytest.raises(shared_lock.Unavailable):
        shared_lock.add_strict("lock", "token", 10)
    # No single flight without a cache: the caller asks the provider itself.
    assert shared_lock.acquire("lock", "token", 10) is True
    assert shared_lock.available() is False
