"""Reads: what a user may see, and the provider's lists for it, cached per account.

Each list is one entry in the shared cache, under a key made of the account id, a version token
and the list name (never a secret). It is fresh for `CATCPANEL_CACHE_SECONDS` and kept a week
after that as the "last good" copy, which lets a page show slightly old data at once while a fresh
copy is fetched, and, marked stale, when the provider fails. Server records carry no passwords and
console URLs are never read here, so nothing secret is ever cached.

No request ever sleeps waiting for another's call (single flight without waiting): while one
request asks the provider for a list, the others answer at once with the last good copy, or,
when nothing is known yet, with `pending` (a placeholder that htmx asks again for).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from servers import cache as shared_lock
from servers.cac import errors as cac_errors
from servers.cac.errors import CacError, CacRateLimited, CacTimeout, CacUnavailable
from servers.models import ActionLog, CloudAccount, Invitation, Membership

T = TypeVar("T")

LAST_GOOD_SECONDS = 7 * 24 * 3600
LISTS = ("servers", "templates", "tasks", "resources")
ACTIVITY_PAGE_SIZE = 25


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """A list from the provider, or the last good copy of it, or nothing; and why."""

    data: T | None
    error: CacError | None = None
    fetched_at: datetime | None = None
    # The last good copy, shown because the provider failed (with `error`).
    stale: bool = False
    # The last good copy, older than the cache period: shown at once while a fresh one is fetched.
    expired: bool = False
    # Another request is asking the provider for this list right now.
    pending: bool = False

    @property
    def refreshing(self) -> bool:
        """The page should ask again shortly: its copy is being (or is to be) replaced."""
        return self.error is None and (self.expired or self.pending)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def stale_note(self) -> str:
        """'data from 45 s ago: Cloud at Cost is rate limiting', for a stale copy; else ''."""
        if not self.stale or self.fetched_at is None:
            return ""
        seconds = max(int((timezone.now() - self.fetched_at).total_seconds()), 0)
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
            if seconds >= size or unit == "s":
                ago = f"{seconds // size} {unit}"
                break
        return f"data from {ago} ago: {_reason(self.error)}"

    @property
    def age(self) -> timedelta | None:
        return timezone.now() - self.fetched_at if self.fetched_at else None


def _reason(error: CacError | None) -> str:
    if isinstance(error, CacRateLimited):
        return "Cloud at Cost is rate limiting"
    if isinstance(error, CacTimeout):
        return "Cloud at Cost is not answering in time"
    if isinstance(error, CacUnavailable):
        return "Cloud at Cost is unavailable"
    return "Cloud at Cost answered with an error"


def accounts_for(user) -> QuerySet[CloudAccount]:
    if not user.is_authenticated:
        return CloudAccount.objects.none()
    member = Q(owner=user) | Q(memberships__user=user)
    return CloudAccount.objects.filter(member).distinct().order_by("name")


def accounts_with_roles(user) -> list[CloudAccount]:
    """accounts_for, with the user's role on each read in one query, not one per account
    (permissions.role_for keeps a role per account object and user)."""
    accounts = list(accounts_for(user))
    shared = [account.pk for account in accounts if account.owner_id != user.pk]
    roles = dict(
        Membership.objects.filter(user=user, account_id__in=shared).values_list(
            "account_id", "role"
        )
    )
    for account in accounts:
        if account.pk in roles:
            account.__dict__.setdefault("_roles", {})[user.pk] = roles[account.pk]
    return accounts


def members_of(account: CloudAccount) -> list[tuple]:
    """(user, role, membership or None) for the owner first, then every member by name."""
    rows = [(account.owner, "owner", None)]
    for membership in account.memberships.select_related("user").order_by("user__username"):
        rows.append((membership.user, membership.role, membership))
    return rows


def open_invitations(account: CloudAccount) -> QuerySet[Invitation]:
    return account.invitations.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("-created_at")


# --- cache keys -------------------------------------------------------------------------------


def _generation_key(account: CloudAccount) -> str:
    return f"catcpanel:cac:{account.pk}:generation"


def _version(account: CloudAccount) -> str:
    """Names the account's current generation of copies: a digest of its address and its stored
    (encrypted) credentials, and of a token that forget_account() sets.

    The credentials themselves are the version, so it cannot expire or be evicted before the
    copies it names: new credentials are new ciphertext (Fernet's IV is random), and nothing made
    with the old ones is reachable again, ever. A counter kept in the cache was rewritten with
    the cache's default 300 s expiry, after which it started again at 1 and showed copies made
    with the old key. Losing the token only returns to copies made with the same credentials.
    """
    generation = cache.get(_generation_key(account)) or "0"
    material = "|".join(
        (account.base_url, account.login_encrypted, account.api_key_encrypted, str(generation))
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _ListKeys:
    """One list's cache keys under the account's version, which is read once per fetch."""

    prefix: str
    name: str

    @property
    def _list(self) -> str:
        return f"{self.prefix}:{self.name}"

    @property
    def copy(self) -> str:
        """The list's `CachedList`. (A new name: entries of the old two-copy layout, the fresh
        copy and the last good copy, are never read.)"""
        return f"{self._list}:copy"

    @property
    def error(self) -> str:
        return f"{self._list}:error"

    @property
    def lock(self) -> str:
        return f"{self._list}:lock"

    @property
    def outdated(self) -> str:
        """Set when an action changed the list: its last good copy may not stand in for a
        fresh one on a page load (it may still be shown when the provider fails)."""
        return f"{self._list}:outdated"

    def of(self, name: str) -> _ListKeys:
        return _ListKeys(self.prefix, name)


def _prefix(account: CloudAccount) -> str:
    return f"catcpanel:cac:{account.pk}:v{_version(account)}"


def _keys(account: CloudAccount, name: str) -> _ListKeys:
    return _ListKeys(_prefix(account), name)


def _key(account: CloudAccount, name: str) -> str:
    return _keys(account, name).copy


class CachedList(NamedTuple):
    """A list as the provider last gave it: fresh until `fresh_until` (a Unix time), and kept
    LAST_GOOD_SECONDS as the last good copy. One entry, written once a call: each write of the
    file cache makes a file, and storing the fresh and the last good copy apart cost a cold page
    of 10 or 25 accounts 29 to 44 ms of CPU."""

    data: Any
    fetched_at: datetime | None
    fresh_until: float

    @property
    def fresh(self) -> bool:
        return time.time() < self.fresh_until


def _fresh_until(keys: _ListKeys, until: float) -> None:
    """The list's copy stops being fresh at `until`, if it was to be fresh longer."""
    copy = cache.get(keys.copy)
    if copy is not None and copy.fresh_until > until:
        cache.set(keys.copy, copy._replace(fresh_until=until), LAST_GOOD_SECONDS)


def _age_out(lists: list[_ListKeys]) -> None:
    """The copies of `lists` are no longer fresh; they stay as last good copies."""
    now = time.time()
    for keys in lists:
        _fresh_until(keys, now)


def invalidate(account: CloudAccount, *names: str) -> None:
    """Make the copies of `names` (all lists if none given) no longer fresh, and end any
    back-off after a failure: the provider just answered. The last good copies stay."""
    prefix = _prefix(account)
    lists = [_ListKeys(prefix, name) for name in names or LISTS]
    cache.set_many({keys.outdated: True for keys in lists}, LAST_GOOD_SECONDS)
    cache.delete_many([keys.error for keys in lists])
    _age_out(lists)


def expire(account: CloudAccount, *names: str) -> None:
    """As if the cache period of `names` (all lists if none given) were over: the copies stay,
    as last good copies. The benchmark and the tests stand for time passing with it."""
    prefix = _prefix(account)
    _age_out([_ListKeys(prefix, name) for name in names or LISTS])


def forget_account(account: CloudAccount) -> None:
    """New credentials or URL: nothing cached under the old ones may be shown again (a new
    ciphertext already ensures it; this also covers an account whose stored values did not
    change, and a removed account)."""
    cache.set(_generation_key(account), uuid.uuid4().hex, timeout=None)


# --- the account's contact state ---------------------------------------------------------------


# "Last contact" is shown to the minute: a success within it after no newer error is not written
# again (a cold servers section would otherwise write the account row twice).
CONTACT_PRECISION = timedelta(minutes=1)


def record_success(account: CloudAccount) -> None:
    now = timezone.now()
    last, failed = account.last_success_at, account.last_error_at
    if last and now - last < CONTACT_PRECISION and not (failed and failed >= last):
        return
    # update() rather than save(): concurrent requests must not overwrite each other's fields.
    # The last error is cleared: it is about a problem that is gone.
    CloudAccount.objects.filter(pk=account.pk).update(last_success_at=now, last_error="")
    account.last_success_at, account.last_error = now, ""


def record_failure(account: CloudAccount, error: CacError) -> None:
    now = timezone.now()
    text = describe_error(error)[:300]
    CloudAccount.objects.filter(pk=account.pk).update(last_error=text, last_error_at=now)
    account.last_error, account.last_error_at = text, now


def describe_error(error: CacError) -> str:
    """The error in plain words, with the provider's code when there is one."""
    text = error.message or "The provider answered with an error."
    if error.code is not None and str(error.code) not in text:
        text = f"{text} (provider code {error.code})"
    return text


# --- fetching --------------------------------------------------------------------------------

# A poll for work that just started may read a copy this old at most; an idle account's copy
# lives CATCPANEL_CACHE_SECONDS. Either way every tab and user shares the one copy.
BUSY_CACHE_SECONDS = 5
# How long the request holding the fetch lock may take before another may try; the client's own
# timeouts end a call well before this.
LOCK_SECONDS = 60
# After a failed call, automatic reads (page loads, polls) show the last good copy with the error
# for a while instead of asking again: a provider that rate limits gets a minute of quiet. Only
# an explicit "Try again" (refresh) asks sooner.
BACKOFF_SECONDS = 10
RATE_LIMITED_BACKOFF_SECONDS = 60
# How old an expired copy a page may show at once while its follow-up fetches the fresh one.
# Older, the page asks the provider itself: without JavaScript no follow-up comes, and a page
# must not show the same old copy on every reload.
STALE_WINDOW = timedelta(minutes=5)
# Provider calls one process runs at once for the fan-out (`gather`), all requests together.
# They wait on the network, not the CPU: 25 accounts of two lists each need 50 to take one
# round trip.
FETCH_THREADS = 64

# The client's "this account already has as many calls in flight as it may" (servers/cac/):
# another call is under way, so it is no failure of the provider and starts no back-off.
_BUSY = getattr(cac_errors, "CacBusy", ())


def _fresh_seconds(keys: _ListKeys, data) -> int:
    """Shorter while a task that just started is pending, so its end shows within seconds."""
    tasks = data if keys.name == "tasks" else None
    if tasks is None and keys.name == "servers":
        copy = cache.get(keys.of("tasks").copy)
        tasks = copy.data if copy is not None and copy.fresh else None
    if tasks and refresh_seconds([], tasks) == FAST_REFRESH_SECONDS:
        return min(BUSY_CACHE_SECONDS, settings.CATCPANEL_CACHE_SECONDS)
    return settings.CATCPANEL_CACHE_SECONDS


def _shorten_servers_copy(keys: _ListKeys, seconds: int) -> None:
    """Tasks and servers are fetched at the same time, and each chose its copy's time before the
    other was stored. Each looks again once its own copy is stored, and whichever is stored last
    sees the other: a servers copy made while fresh work is pending never outlives the busy
    period, whichever of the two answers came first."""
    if keys.name == "servers":
        seconds = _fresh_seconds(keys, None)
    elif keys.name != "tasks":
        return
    if seconds < settings.CATCPANEL_CACHE_SECONDS:
        _fresh_until(keys.of("servers"), time.time() + seconds)


def _fetch(
    account: CloudAccount,
    name: str,
    load: Callable[[Any], T],
    *,
    refresh: bool = False,
    stale_ok: bool = False,
) -> Fetched[T]:
    """The list: the fresh copy, else one call to the provider (single flight).

    With `stale_ok`, an expired copy comes back at once, marked `expired`, without a call: the
    page shows it and a follow-up request fetches the fresh one.
    """
    keys = _keys(account, name)
    if not refresh and (known := _known(keys, stale_ok=stale_ok)) is not None:
        return known
    return _ask(account, keys, load, refresh=refresh)


def _ask(account: CloudAccount, keys: _ListKeys, load: Callable[[Any], T], *, refresh: bool):
    """One call to the provider for the list, unless another request is making it (single
    flight: the others answer at once with what is known instead of spending the account's rate
    limit) or has just stored its answer. The caller found no copy it could show."""
    token = uuid.uuid4().hex
    if not shared_lock.acquire(keys.lock, token, LOCK_SECONDS):
        return _meanwhile(keys)
    try:
        # The previous holder may have stored its answer between our miss and our win.
        if not refresh and (known := _cached(keys)) is not None:
            return known
        return _call(account, keys, load)
    finally:
        shared_lock.release(keys.lock, token)


def _known(keys: _ListKeys, *, stale_ok: bool) -> Fetched | None:
    """What can be answered without a call: the fresh copy, the back-off's last good copy, or
    (with `stale_ok`) the expired copy."""
    copy = cache.get(keys.copy)
    if (known := _answer_from(keys, copy)) is not None:
        return known
    if stale_ok and copy is not None and not cache.get(keys.outdated):
        data, fetched_at = copy.data, copy.fetched_at
        if timezone.now() - fetched_at <= STALE_WINDOW:
            return Fetched(data=data, fetched_at=fetched_at, expired=True)
    return None


def _cached(keys: _ListKeys) -> Fetched | None:
    return _answer_from(keys, cache.get(keys.copy))


def _answer_from(keys: _ListKeys, copy) -> Fetched | None:
    """The fresh copy; or, while backing off after a failure, the last good copy with the error."""
    if copy is not None and copy.fresh:
        data, fetched_at = copy.data, copy.fetched_at
        return Fetched(data=data, fetched_at=fetched_at)
    error = cache.get(keys.error)
    if isinstance(error, CacError):
        return _last_good_or_error(keys, error, copy)
    return None


def _meanwhile(keys: _ListKeys) -> Fetched:
    """While another request asks the provider: the last good copy, or nothing yet. Never a wait.

    A thread that sleeps until another's call ends is a thread the web worker cannot serve with:
    under load every thread once sat waiting, while the call they waited for (to the demo's
    sandbox, served by the same workers) queued behind them.
    """
    copy = cache.get(keys.copy)
    if copy is not None:
        data, fetched_at = copy.data, copy.fetched_at
        return Fetched(data=data, fetched_at=fetched_at, expired=True, pending=True)
    return Fetched(data=None, pending=True)


def _backoff_seconds(error: CacError) -> int:
    return RATE_LIMITED_BACKOFF_SECONDS if isinstance(error, CacRateLimited) else BACKOFF_SECONDS


_UNREAD = object()


def _last_good_or_error(keys: _ListKeys, error: CacError, copy=_UNREAD) -> Fetched:
    """The last good copy with the error (`copy` if the caller has read it), or the error."""
    copy = cache.get(keys.copy) if copy is _UNREAD else copy
    if copy is not None:
        data, fetched_at = copy.data, copy.fetched_at
        return Fetched(data=data, error=error, fetched_at=fetched_at, stale=True)
    return Fetched(data=None, error=error)


def held_back(account: CloudAccount, name: str, error: CacError) -> Fetched:
    """A list not asked for (`error` says why): its last good copy with the error, or the error."""
    return _last_good_or_error(_keys(account, name), error)


def _call(account: CloudAccount, keys: _ListKeys, load) -> Fetched:
    try:
        with account.client() as client:
            data = load(client)
    except CacError as exc:
        # Kept in the result, the traceback would keep the client's frames (and its open
        # connection) alive until the garbage collector runs: keep only the error itself.
        error = exc.with_traceback(None)
        if isinstance(error, _BUSY):
            return _meanwhile(keys)
        _contact(record_failure, account, error)
        cache.set(keys.error, error, _backoff_seconds(error))
        return _last_good_or_error(keys, error)
    cache.delete_many([keys.error, keys.outdated])
    now = timezone.now()
    seconds = _fresh_seconds(keys, data)
    cache.set(keys.copy, CachedList(data, now, now.timestamp() + seconds), LAST_GOOD_SECONDS)
    _shorten_servers_copy(keys, seconds)
    _contact(record_success, account)
    return Fetched(data=data, fetched_at=now)


def _load_templates(client) -> list:
    return sorted(client.list_templates(), key=lambda template: template.name.lower())


def _load_tasks(client) -> list:
    tasks = list(client.list_tasks())
    # Pending first, then newest first.
    tasks.sort(key=lambda task: task.started_at.timestamp() if task.started_at else 0.0)
    tasks.reverse()
    tasks.sort(key=lambda task: not task.is_pending)
    return tasks


# How each list is read from the provider.
LOADERS: dict[str, Callable[[Any], Any]] = {
    "servers": lambda client: client.list_servers(),
    "templates": _load_templates,
    "tasks": _load_tasks,
    "resources": lambda client: client.resources(),
}


def servers_for(
    account: CloudAccount, *, refresh: bool = False, stale_ok: bool = False
) -> Fetched[list]:
    return _fetch(account, "servers", LOADERS["servers"], refresh=refresh, stale_ok=stale_ok)


def templates_for(
    account: CloudAccount, *, refresh: bool = False, stale_ok: bool = False
) -> Fetched[list]:
    return _fetch(account, "templates", LOADERS["templates"], refresh=refresh, stale_ok=stale_ok)


def tasks_for(
    account: CloudAccount, *, refresh: bool = False, stale_ok: bool = False
) -> Fetched[list]:
    return _fetch(account, "tasks", LOADERS["tasks"], refresh=refresh, stale_ok=stale_ok)


def resources_for(
    account: CloudAccount, *, refresh: bool = False, stale_ok: bool = False
) -> Fetched:
    return _fetch(account, "resources", LOADERS["resources"], refresh=refresh, stale_ok=stale_ok)


def fetch_servers(account: CloudAccount) -> Fetched[list]:
    """The servers list for a background process (a usage sampler) as for a page: the shared
    copy while it is fresh, else one call that page loads share (single flight). While a page's
    call is under way it answers `pending` with the last good copy, at once."""
    return servers_for(account)


# --- fan-out: several lists of several accounts in one round trip ------------------------------

# A pool thread does not write the account's contact state itself: it hands the write to the
# request's thread, which holds the request's database connection (and, in tests, its
# transaction, which another connection could not write past).
_deferred = threading.local()


def _contact(record, *args) -> None:
    writes = getattr(_deferred, "writes", None)
    if writes is None:
        record(*args)
    else:
        writes.append((record, args))


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # Made on first use, so that each gunicorn worker (forked before) has its own threads.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="catcpanel-fetch")
        return _pool


def _per_account_limit(wanted: int) -> int:
    limit = getattr(settings, "CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT", 2)
    # 0 (or unset): the client sets no limit either.
    return wanted if not limit else max(1, int(limit))


def gather(
    wanted: Iterable[tuple[CloudAccount, str]],
    *,
    refresh: Iterable[str] = (),
    stale_ok: bool = False,
    timeout: float | None = None,
    stragglers: float | None = None,
) -> dict[tuple[Any, str], Fetched]:
    """Several lists of several accounts at once, as {(account.pk, name): Fetched}.

    Accounts run in parallel, and so do an account's lists, at most
    CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT of them at a time (the rest follow in the same
    threads): a section then costs one round trip to the provider, not one per list. A list not
    ready after `timeout` seconds, or once `stragglers` seconds pass with none finishing, is
    reported `pending`; its call goes on, and its copy
    lands in the cache for the follow-up request. `refresh` names the lists to ask for even
    when fresh.
    """
    return start_gathering(
        wanted, refresh=refresh, stale_ok=stale_ok, timeout=timeout, stragglers=stragglers
    ).everything()


def start_gathering(
    wanted: Iterable[tuple[CloudAccount, str]],
    *,
    refresh: Iterable[str] = (),
    stale_ok: bool = False,
    timeout: float | None = None,
    stragglers: float | None = None,
) -> Gathering:
    """`gather`, with the calls started and the results taken account by account as they are
    ready (`Gathering.of`): a streamed page sends each account's section once its lists are in."""
    again = set(refresh)
    known: dict[tuple[Any, str], Fetched] = {}
    by_account: dict[Any, tuple[CloudAccount, list[_ListKeys]]] = {}
    prefixes: dict[Any, str] = {}
    for account, name in wanted:
        if account.pk not in prefixes:
            prefixes[account.pk] = _prefix(account)
        keys = _ListKeys(prefixes[account.pk], name)
        # What the cache can answer is answered here, once: a warm page hands nothing to the
        # pool, and the pool asks the provider without looking again.
        if name not in again:
            hit = _known(keys, stale_ok=stale_ok)
            if hit is not None:
                known[account.pk, name] = hit
                continue
        by_account.setdefault(account.pk, (account, []))[1].append(keys)
    chains = []
    for account, lists in by_account.values():
        limit = _per_account_limit(len(lists))
        chains += [(account, lists[start::limit]) for start in range(min(limit, len(lists)))]
    gathering = Gathering(known, timeout=timeout, stragglers=stragglers)
    if not chains:
        return gathering

    def read(account, lists):
        return {
            (account.pk, keys.name): _ask(
                account, keys, LOADERS[keys.name], refresh=keys.name in again
            )
            for keys in lists
        }

    def run(account, lists):
        _deferred.writes = []
        try:
            return read(account, lists), _deferred.writes
        finally:
            del _deferred.writes
            # A pool thread is no request: nothing else would close a connection it opened.
            connections.close_all()

    # Without a deadline this thread runs one chain itself: one hand-over fewer.
    inline = chains[0] if timeout is None else None
    for account, lists in chains[1:] if inline else chains:
        gathering.add(account, lists, _executor().submit(run, account, lists))
    if inline:
        known.update(read(*inline))
    return gathering


class Gathering:
    """Lists on their way from the provider, taken account by account.

    Waiting follows one rule for the whole page: at most `timeout` seconds from the start, and,
    once the first chain has finished, only while another finishes at least every `stragglers`
    seconds. On a busy machine accounts finish one after another, each a little later; an
    account whose provider is slow leaves a gap, and is then shown as `pending`.
    """

    def __init__(self, known: dict, *, timeout: float | None, stragglers: float | None):
        self.results = known
        self._futures: dict[Any, list] = {}
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._stragglers = stragglers
        self._last_finished: float | None = None

    def add(self, account: CloudAccount, lists: list[_ListKeys], future) -> None:
        self._futures.setdefault(account.pk, []).append((account, lists, future))
        future.add_done_callback(self._finished)

    def _finished(self, _future) -> None:
        self._last_finished = time.monotonic()

    def _limit(self) -> float | None:
        limit = self._deadline
        if self._stragglers is not None and self._last_finished is not None:
            gap_ends = self._last_finished + self._stragglers
            limit = gap_ends if limit is None else min(limit, gap_ends)
        return limit

    def _wait(self, futures: list) -> None:
        while running := [future for future in futures if not future.done()]:
            limit = self._limit()
            left = None if limit is None else limit - time.monotonic()
            if left is not None and left <= 0:
                return
            wait_for_futures(running, timeout=left, return_when=FIRST_COMPLETED)

    def ready(self, account: CloudAccount) -> bool:
        """Whether `of(account)` would answer without waiting."""
        chains = self._futures.get(account.pk, [])
        return all(future.done() for _, _, future in chains) or self._gave_up()

    def _gave_up(self) -> bool:
        limit = self._limit()
        return limit is not None and limit <= time.monotonic()

    def of(self, account: CloudAccount) -> dict[tuple[Any, str], Fetched]:
        """The account's lists, once they are in or the waiting rule gives up on them."""
        chains = self._futures.pop(account.pk, [])
        self._wait([future for _, _, future in chains])
        for _, lists, future in chains:
            self._collect(account, lists, future)
        return {key: value for key, value in self.results.items() if key[0] == account.pk}

    def everything(self) -> dict[tuple[Any, str], Fetched]:
        chains = [chain for each in self._futures.values() for chain in each]
        self._futures = {}
        self._wait([future for _, _, future in chains])
        for account, lists, future in chains:
            self._collect(account, lists, future)
        return self.results

    def _collect(self, account: CloudAccount, lists: list[_ListKeys], future) -> None:
        if future.done():
            fetched, writes = future.result()
            self.results.update(fetched)
            for record, args in writes:
                record(*args)
        else:
            # Its "last contact" goes unrecorded this once; its copy still lands in the cache.
            for keys in lists:
                self.results[account.pk, keys.name] = _meanwhile(keys)


class StillLoading(CacError):
    """Another request is asking the provider for the list, and the copy at hand cannot answer."""

    def __init__(self):
        super().__init__("Still loading from Cloud at Cost: try again in a moment.")


def find_server(account: CloudAccount, server_id: str):
    """The account's server with this id, or None if it is not (or no longer) on the account.

    A cached list may predate a build, so a miss is checked once against a fresh list.
    Provider failures propagate as CacError: the caller decides how to show them.
    """
    for refresh in (False, True):
        fetched = servers_for(account, refresh=refresh)
        if fetched.error is not None and not fetched.stale:
            raise fetched.error
        for server in fetched.data or []:
            if server.id == str(server_id):
                return server
        if fetched.error is not None:
            raise fetched.error
    if fetched.pending:
        raise StillLoading()
    return None


FAST_REFRESH_SECONDS = 5
SLOW_REFRESH_SECONDS = 30
RECENT_TASK = timedelta(minutes=10)


def refresh_seconds(servers: list | None, tasks: list | None) -> int | None:
    """How often a page should re-read the provider while it is busy; None when it is not.

    A task started a moment ago (a power action) finishes within seconds or minutes: refresh
    often. A build may stay Installing for hours or days: refresh slowly, so that an open tab
    does not spend the account's rate limit on it.
    """
    now = timezone.now()
    pending = [task for task in tasks or [] if task.is_pending]
    if any(task.started_at is None or now - task.started_at < RECENT_TASK for task in pending):
        return FAST_REFRESH_SECONDS
    if pending or any(server.is_installing for server in servers or []):
        return SLOW_REFRESH_SECONDS
    return None


# --- activity ----------------------------------------------------------------------------------


def activity_for(account: CloudAccount, *, server_id: str | None = None) -> QuerySet[ActionLog]:
    rows = ActionLog.objects.filter(account=account)
    if server_id is not None:
        rows = rows.filter(server_id=str(server_id))
    return rows.order_by("-started_at", "-id")


def activity_page(rows: QuerySet[ActionLog], page_number) -> Page:
    return Paginator(rows, ACTIVITY_PAGE_SIZE).get_page(page_number)
