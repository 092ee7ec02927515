"""Cached reads against the sandbox over real HTTP."""

import pickle
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from sandbox.models import SandboxServer
from servers import selectors
from servers.cac.errors import CacUnavailable
from servers.models import CloudAccount
from tests.sandbox_fixtures import sandbox_account

pytestmark = pytest.mark.django_db(transaction=True)


def test_servers_are_fetched_once_then_served_from_the_cache(cac_account, sandbox_calls):
    first = selectors.servers_for(cac_account)
    second = selectors.servers_for(cac_account)
    assert len(first.data) == 8 and first.ok and not first.stale
    assert second.data == first.data
    assert sandbox_calls.of("listservers") == ["listservers.php"]


def test_refresh_asks_again(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.servers_for(cac_account, refresh=True)
    assert len(sandbox_calls.of("listservers")) == 2


def test_invalidate_forgets_only_the_named_lists(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.templates_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    selectors.servers_for(cac_account)
    selectors.templates_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2
    assert len(sandbox_calls.of("listtemplates")) == 1


def test_cache_keys_and_values_hold_no_secret(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    key = selectors._key(cac_account, "servers")
    assert cac_account.api_key not in key and cac_account.login not in key
    stored = pickle.dumps(cache.get(key))
    for server in SandboxServer.objects.filter(customer=sandbox_customer):
        assert server.rootpass.encode() not in stored
        assert server.vncpass.encode() not in stored
    assert cac_account.api_key.encode() not in stored


def test_provider_failure_returns_the_last_good_copy_marked_stale(cac_account, sandbox_customer):
    good = selectors.servers_for(cac_account)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    fetched = selectors.servers_for(cac_account, refresh=True)
    assert isinstance(fetched.error, CacUnavailable)
    assert fetched.stale
    assert fetched.data == good.data
    assert fetched.fetched_at == good.fetched_at
    assert fetched.age is not None


def test_provider_failure_without_a_good_copy_returns_no_data(cac_account, sandbox_customer):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    fetched = selectors.servers_for(cac_account)
    assert fetched.data is None and fetched.error is not None and not fetched.stale


def test_success_and_failure_are_recorded_on_the_account(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    stored = CloudAccount.objects.get(pk=cac_account.pk)
    assert stored.last_success_at is not None and stored.last_error == ""
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.templates_for(cac_account)
    stored = CloudAccount.objects.get(pk=cac_account.pk)
    assert "maintenance" in stored.last_error
    assert stored.last_error_at is not None


def stored_contact(account):
    return CloudAccount.objects.values_list("last_success_at", flat=True).get(pk=account.pk)


def test_last_contact_is_written_once_a_minute(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    first = stored_contact(cac_account)
    selectors.tasks_for(cac_account)
    selectors.servers_for(cac_account, refresh=True)
    assert len(sandbox_calls.paths) == 3
    assert stored_contact(cac_account) == first
    cac_account.last_success_at = first - timedelta(seconds=61)
    selectors.servers_for(cac_account, refresh=True)
    assert stored_contact(cac_account) > first


def test_a_success_after_an_error_is_always_written(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    first = stored_contact(cac_account)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.templates_for(cac_account)
    sandbox_customer.maintenance = False
    sandbox_customer.save()
    selectors.servers_for(cac_account, refresh=True)
    assert stored_contact(cac_account) > first


def test_new_credentials_make_every_cached_list_unreachable(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.forget_account(cac_account)
    selectors.servers_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2


def test_tasks_come_pending_first(cac_account):
    tasks = selectors.tasks_for(cac_account).data
    pending = [task.is_pending for task in tasks]
    assert pending == sorted(pending, reverse=True)
    assert pending[0]


def test_resources_and_templates(cac_account):
    resources = selectors.resources_for(cac_account).data
    assert (resources.cpu_free, resources.ram_free, resources.storage_free) == (8, 8192, 300)
    names = [template.name for template in selectors.templates_for(cac_account).data]
    assert names == sorted(names, key=str.lower)


def test_find_server_checks_a_fresh_list_before_saying_no(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    new = SandboxServer.objects.filter(customer=sandbox_customer).first()
    assert selectors.find_server(cac_account, new.sid).id == new.sid
    assert selectors.find_server(cac_account, "424242") is None


def test_accounts_for_lists_only_owned_accounts(user, cac_account, django_user_model):
    other = django_user_model.objects.create_user(username="bob", password="x" * 20)
    assert list(selectors.accounts_for(user)) == [cac_account]
    assert list(selectors.accounts_for(other)) == []


def test_refresh_is_fast_for_a_fresh_task_slow_for_a_long_build_and_off_when_idle():
    from datetime import timedelta

    from django.utils import timezone

    from servers.cac.models import Task

    def task(status, minutes_ago):
        started = timezone.now() - timedelta(minutes=minutes_ago)
        return Task("1", "9", "x", "x", "", "reset", status, started, None)

    assert selectors.refresh_seconds([], [task("pending", 1)]) == selectors.FAST_REFRESH_SECONDS
    assert selectors.refresh_seconds([], [task("pending", 90)]) == selectors.SLOW_REFRESH_SECONDS
    assert selectors.refresh_seconds([], [task("completed", 1)]) is None
    assert selectors.refresh_seconds(None, None) is None


# --- never waiting for another request's call; expired copies; the cache version -------------


def held_by_another_request(account, name="servers"):
    """Hold the list's single-flight lock, as a request in the middle of its call does."""
    from servers import cache as shared_lock

    key = selectors._keys(account, name).lock
    assert shared_lock.acquire(key, "another-request", 60)
    return key


def expire(account, name="servers"):
    """The copy's cache period is over (its last good copy stays)."""
    selectors.expire(account, name)


def test_an_expired_copy_is_shown_at_once_while_another_request_fetches(
    cac_account, sandbox_calls, settings
):
    settings.CATCPANEL_CAC_READ_TIMEOUT = 1  # bounds how long the old code waited
    good = selectors.servers_for(cac_account)
    expire(cac_account)
    held_by_another_request(cac_account)
    fetched = selectors.servers_for(cac_account)
    assert fetched.data == good.data and fetched.fetched_at == good.fetched_at
    assert fetched.error is None  # no "still loading" banner over a list that is on screen
    assert fetched.pending and fetched.expired and fetched.refreshing
    assert len(sandbox_calls.of("listservers")) == 1


def test_with_nothing_known_a_read_answers_pending_at_once_instead_of_waiting(
    cac_account, sandbox_calls, settings
):
    settings.CATCPANEL_CAC_READ_TIMEOUT = 1
    held_by_another_request(cac_account)
    fetched = selectors.servers_for(cac_account)
    assert fetched.pending and fetched.data is None and fetched.error is None
    assert sandbox_calls.paths == []


def test_stale_ok_returns_the_expired_copy_without_asking(cac_account, sandbox_calls):
    good = selectors.servers_for(cac_account)
    expire(cac_account)
    fetched = selectors.servers_for(cac_account, stale_ok=True)
    assert fetched.data == good.data and fetched.expired and not fetched.pending
    assert len(sandbox_calls.of("listservers")) == 1
    # A read that may not show it old asks, once.
    assert selectors.servers_for(cac_account).ok
    assert not selectors.servers_for(cac_account, stale_ok=True).expired
    assert len(sandbox_calls.of("listservers")) == 2


def test_find_server_in_an_expired_copy_while_another_request_fetches(cac_account):
    good = selectors.servers_for(cac_account)
    expire(cac_account)
    held_by_another_request(cac_account)
    assert selectors.find_server(cac_account, good.data[0].id).id == good.data[0].id
    # An id the old copy lacks cannot be ruled out until that call ends: no false "not found".
    with pytest.raises(selectors.StillLoading):
        selectors.find_server(cac_account, "424242")


def test_a_copy_made_with_old_credentials_is_never_shown_again(cac_account, monkeypatch):
    assert len(selectors.servers_for(cac_account).data) == 8
    cac_account.set_credentials(api_key="0" * 40)  # a key the provider refuses
    cac_account.save()
    selectors.forget_account(cac_account)
    # Minutes later, every short-lived key has expired; the old copies (kept 7 days) have not.
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    fetched = selectors.servers_for(cac_account)
    assert fetched.error is not None
    assert fetched.data is None and not fetched.stale


def test_the_cache_version_does_not_depend_on_a_cache_key_that_can_be_lost(cac_account):
    selectors.servers_for(cac_account)
    before = selectors._key(cac_account, "servers")
    cache.clear()  # an eviction, a flush, an expiry: the copies may go, the version must not vary
    assert selectors._key(cac_account, "servers") == before
    cac_account.set_credentials(login="other@example.com")
    assert selectors._key(cac_account, "servers") != before


class InFlight:
    """The most sandbox API calls in flight at once, over all and per customer login."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.most_overall = 0

    def started(self, sender, environ=None, **kwargs):
        if not (environ or {}).get("PATH_INFO", "").startswith("/sandbox/api/"):
            return
        login = parse_qs(environ.get("QUERY_STRING", "")).get("login", [""])[0]
        threading.current_thread().catcpanel_login = login
        # The client frees its slot once it has read the answer, which can be a moment before the
        # server thread that sent it fires request_finished: let such a tail end (milliseconds)
        # first. Calls that really overlap last the sandbox's latency (300 ms) and still count.
        deadline = time.monotonic() + 0.1
        while self.now.get(login, 0) and time.monotonic() < deadline:
            time.sleep(0.005)
        with self.lock:
            self.now[login] = self.now.get(login, 0) + 1
            self.most[login] = max(self.most.get(login, 0), self.now[login])
            self.most_overall = max(self.most_overall, sum(self.now.values()))

    def finished(self, sender, **kwargs):
        login = getattr(threading.current_thread(), "catcpanel_login", None)
        if login is None:
            return
        del threading.current_thread().catcpanel_login
        with self.lock:
            self.now[login] -= 1


@pytest.fixture
def in_flight():
    from django.core.signals import request_finished, request_started

    counter = InFlight()
    request_started.connect(counter.started, weak=False)
    request_finished.connect(counter.finished, weak=False)
    yield counter
    request_started.disconnect(counter.started)
    request_finished.disconnect(counter.finished)


def test_gather_asks_for_every_list_of_every_account_at_once(
    cac_account, sandbox_customer, user, sandbox_api_url, in_flight
):
    sandbox_customer.latency_ms = 300  # long enough for the calls to overlap
    sandbox_customer.save()
    other = sandbox_account(user, sandbox_api_url, "Bob", latency_ms=300)
    wanted = [(account, name) for account in (cac_account, other) for name in ("tasks", "servers")]
    results = selectors.gather(wanted)
    assert all(fetched.ok for fetched in results.values())
    assert len(results[other.pk, "servers"].data) == 8
    assert in_flight.most_overall == 4
    assert in_flight.most == {sandbox_customer.login: 2, "bob@sandbox.example": 2}


def keys_passed_to(monkeypatch, method: str) -> list[str]:
    """The keys this thread's cache `method` ("get", "set") is called with from now on."""
    keys: list[str] = []
    original = getattr(cache, method)

    def recorded(key, *args, **kwargs):
        keys.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(cache, method, recorded)
    return keys


def test_gather_looks_in_the_cache_once_before_it_asks(cac_account, sandbox_calls, monkeypatch):
    """A list the page found no copy of is asked for without looking again: only the lock winner
    reads once more (another request may have just stored its answer). With Redis, each look is
    a round trip."""
    reads = keys_passed_to(monkeypatch, "get")
    results = selectors.gather([(cac_account, "servers")])

    assert results[cac_account.pk, "servers"].ok
    assert sandbox_calls.of("listservers") == ["listservers.php"]
    fresh = selectors._key(cac_account, "servers")
    assert reads.count(fresh) == 2  # before the call, and after winning the lock


def test_a_call_stores_its_list_in_one_write(cac_account, monkeypatch):
    """The fresh copy is the last good copy: one entry, one write a call (on a disk, each write
    of the file cache makes a file)."""
    writes = keys_passed_to(monkeypatch, "set")
    fetched = selectors.servers_for(cac_account)

    assert fetched.ok and len(fetched.data) == 8
    assert writes == [selectors._key(cac_account, "servers")]
    selectors.expire(cac_account, "servers")
    shown = selectors.servers_for(cac_account, stale_ok=True)
    assert shown.expired and shown.data == fetched.data


def test_a_servers_copy_stored_after_busy_tasks_is_kept_only_for_the_busy_period(
    cac_account, sandbox_customer, user, monkeypatch
):
    """The race of two lists fetched at once: the servers copy chose its 30 s before the tasks
    copy (fresh work pending) was stored, and the tasks copy found no servers copy to shorten.
    The servers copy looks at the tasks copy again once stored."""
    from servers import services

    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    web = next(
        server for server in selectors.servers_for(cac_account).data if server.name == "web-01"
    )
    services.power(cac_account, user, web, "poweroff")  # a task pending from now on
    servers_copy = selectors._key(cac_account, "servers")
    set_ = cache.set
    tasks = []

    def tasks_stored_first(key, *args, **kwargs):
        if key == servers_copy and not tasks:
            tasks.append(selectors.tasks_for(cac_account))  # finds no fresh servers copy
        return set_(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", tasks_stored_first)
    assert selectors.servers_for(cac_account).ok
    assert tasks[0].ok and any(task.is_pending for task in tasks[0].data)
    assert cache.get(servers_copy).fresh_until <= time.time() + selectors.BUSY_CACHE_SECONDS


def test_gather_keeps_to_the_per_account_limit(
    cac_account, sandbox_customer, user, sandbox_api_url, in_flight, settings
):
    settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = 1
    sandbox_customer.latency_ms = 300
    sandbox_customer.save()
    other = sandbox_account(user, sandbox_api_url, "Bob", latency_ms=300)
    names = ("tasks", "servers", "templates", "resources")
    results = selectors.gather(
        [(account, name) for account in (cac_account, other) for name in names]
    )
    assert len(results) == 8 and all(fetched.ok for fetched in results.values())
    assert in_flight.most == {sandbox_customer.login: 1, "bob@sandbox.example": 1}
    assert in_flight.most_overall == 2


def test_gather_reports_a_list_not_ready_in_time_as_pending(cac_account, sandbox_customer):
    from servers import cache as shared_lock

    sandbox_customer.latency_ms = 800
    sandbox_customer.save()
    results = selectors.gather([(cac_account, "servers")], timeout=0.05)
    assert results[cac_account.pk, "servers"].pending
    assert results[cac_account.pk, "servers"].data is None
    # The call goes on, and its copy lands in the cache for the follow-up request.
    lock = selectors._keys(cac_account, "servers").lock
    deadline = time.monotonic() + 20
    while shared_lock.held(lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(selectors.servers_for(cac_account).data) == 8


def test_a_call_refused_for_the_accounts_limit_is_no_failure(cac_account, sandbox_calls, settings):
    from servers.cac import transport

    settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = 1
    good = selectors.servers_for(cac_account)
    expire(cac_account)
    # Another call of this account holds its only slot in this process.
    with transport.account_slot(str(cac_account.pk), 1):
        fetched = selectors.servers_for(cac_account)
    assert fetched.pending and fetched.error is None and fetched.data == good.data
    assert CloudAccount.objects.get(pk=cac_account.pk).last_error == ""
    # No back-off: the next read asks at once.
    assert selectors.servers_for(cac_account).ok
    assert len(sandbox_calls.of("listservers")) == 2


def test_a_page_shows_an_expired_copy_only_while_it_is_recent(cac_account, sandbox_calls):
    # Without JavaScript no follow-up refreshes it: a reload must not show one old copy forever.
    selectors.servers_for(cac_account)
    expire(cac_account)
    keys = selectors._keys(cac_account, "servers")
    copy = cache.get(keys.copy)
    too_old = copy.fetched_at - selectors.STALE_WINDOW - timedelta(seconds=1)
    cache.set(keys.copy, copy._replace(fetched_at=too_old))
    fetched = selectors.servers_for(cac_account, stale_ok=True)
    assert fetched.ok and not fetched.expired
    assert len(sandbox_calls.of("listservers")) == 2


def test_gather_leaves_an_account_much_slower_than_the_others_pending(
    cac_account, user, sandbox_api_url
):
    from servers import cache as shared_lock

    slow = sandbox_account(user, sandbox_api_url, "Bob", latency_ms=300)
    from sandbox.models import SandboxCustomer

    SandboxCustomer.objects.filter(login="bob@sandbox.example").update(latency_ms=1500)
    wanted = [(account, name) for account in (cac_account, slow) for name in ("tasks", "servers")]
    results = selectors.gather(wanted, timeout=3, stragglers=0.3)
    assert results[cac_account.pk, "servers"].ok and results[cac_account.pk, "tasks"].ok
    assert results[slow.pk, "servers"].pending and results[slow.pk, "tasks"].pending
    for name in ("tasks", "servers"):  # its calls go on; let them end before the test does
        lock = selectors._keys(slow, name).lock
        deadline = time.monotonic() + 20
        while shared_lock.held(lock) and time.monotonic() < deadline:
            time.sleep(0.05)
