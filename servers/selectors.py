"""Reads: what a user may see, and the provider's lists for it, cached per account.

Lists are cached in the shared cache for `CATCPANEL_CACHE_SECONDS`, under keys made of the account
id, a version counter and the list name (never a secret). A longer-lived "last good" copy lets a
page show slightly old data, marked stale, when the provider fails. Server records carry no
passwords and console URLs are never read here, so nothing secret is ever cached.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from servers import cache as shared_lock
from servers.cac.errors import CacError, CacRateLimited, CacTimeout, CacUnavailable
from servers.models import ActionLog, CloudAccount, Invitation

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
    stale: bool = False

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


class StillLoading(CacError):
    """Another request is still asking the provider for this list."""

    def __init__(self):
        super().__init__("Still loading from Cloud at Cost; this refreshes shortly.")


def _reason(error: CacError | None) -> str:
    if isinstance(error, CacRateLimited):
        return "Cloud at Cost is rate limiting"
    if isinstance(error, StillLoading):
        return "Cloud at Cost is still answering"
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


def _version_key(account: CloudAccount) -> str:
    return f"catcpanel:cac:{account.pk}:version"


def _version(account: CloudAccount) -> int:
    key = _version_key(account)
    version = cache.get(key)
    if version is None:
        cache.add(key, 1, timeout=None)
        version = cache.get(key, 1)
    return version


@dataclass(frozen=True)
class _ListKeys:
    """One list's cache keys under the account's version, which is read once per fetch."""

    prefix: str
    name: str

    @property
    def fresh(self) -> str:
        return f"{self.prefix}:{self.name}"

    @property
    def last_good(self) -> str:
        return f"{self.fresh}:last-good"

    @property
    def error(self) -> str:
        return f"{self.fresh}:error"

    @property
    def lock(self) -> str:
        return f"{self.fresh}:lock"

    def of(self, name: str) -> _ListKeys:
        return _ListKeys(self.prefix, name)


def _prefix(account: CloudAccount) -> str:
    return f"catcpanel:cac:{account.pk}:v{_version(account)}"


def _keys(account: CloudAccount, name: str) -> _ListKeys:
    return _ListKeys(_prefix(account), name)


def _key(account: CloudAccount, name: str) -> str:
    return _keys(account, name).fresh


def invalidate(account: CloudAccount, *names: str) -> None:
    """Forget the fresh copies of `names` (all lists if none given), and any back-off after a
    failure: the provider just answered. The last good copies stay."""
    prefix = _prefix(account)
    lists = [_ListKeys(prefix, name) for name in names or LISTS]
    cache.delete_many([keys.fresh for keys in lists] + [keys.error for keys in lists])


def forget_account(account: CloudAccount) -> None:
    """New credentials or URL: nothing cached under the old ones may be shown again."""
    try:
        cache.incr(_version_key(account))
    except ValueError:
        cache.set(_version_key(account), _version(account) + 1, timeout=None)


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
    CloudAccount.objects.filter(pk=account.pk).update(last_success_at=now)
    account.last_success_at = now


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
WAIT_STEP_SECONDS = 0.05
# After a failed call, automatic reads (page loads, polls) show the last good copy with the error
# for a while instead of asking again: a provider that rate limits gets a minute of quiet. Only
# an explicit "Try again" (refresh) asks sooner.
BACKOFF_SECONDS = 10
RATE_LIMITED_BACKOFF_SECONDS = 60


def _fresh_seconds(keys: _ListKeys, data) -> int:
    """Shorter while a task that just started is pending, so its end shows within seconds."""
    tasks = data if keys.name == "tasks" else None
    if tasks is None and keys.name == "servers":
        hit = cache.get(keys.of("tasks").fresh)
        tasks = hit[0] if hit else None
    if tasks and refresh_seconds([], tasks) == FAST_REFRESH_SECONDS:
        return min(BUSY_CACHE_SECONDS, settings.CATCPANEL_CACHE_SECONDS)
    return settings.CATCPANEL_CACHE_SECONDS


def _wait_seconds() -> float:
    read = getattr(settings, "CATCPANEL_CAC_READ_TIMEOUT", None) or 30
    return float(read) + 5


def _fetch(
    account: CloudAccount, name: str, load: Callable[[Any], T], *, refresh: bool = False
) -> Fetched[T]:
    keys = _keys(account, name)
    if not refresh and (known := _cached(keys)) is not None:
        return known
    # Single flight: one request (thread, worker or replica) asks the provider; the others wait
    # for its answer in the shared cache instead of spending the account's rate limit.
    token = uuid.uuid4().hex
    if not shared_lock.acquire(keys.lock, token, LOCK_SECONDS):
        return _wait_for(keys)
    try:
        # The previous holder may have stored its answer between our miss and our win.
        if not refresh and (known := _cached(keys)) is not None:
            return known
        return _call(account, keys, load)
    finally:
        shared_lock.release(keys.lock, token)


def _cached(keys: _ListKeys) -> Fetched | None:
    """The fresh copy; or, while backing off after a failure, the last good copy with the error."""
    hit = cache.get(keys.fresh)
    if hit is not None:
        data, fetched_at = hit
        return Fetched(data=data, fetched_at=fetched_at)
    error = cache.get(keys.error)
    if isinstance(error, CacError):
        return _last_good_or_error(keys, error)
    return None


def _wait_for(keys: _ListKeys) -> Fetched:
    deadline = time.monotonic() + _wait_seconds()
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP_SECONDS)
        hit = cache.get(keys.fresh)
        if hit is not None:
            data, fetched_at = hit
            return Fetched(data=data, fetched_at=fetched_at)
        if not shared_lock.held(keys.lock):
            # The holder finished without a fresh copy (the provider failed): its error was
            # recorded; show the last good copy with it rather than asking again at once.
            return _last_good_or_error(keys, _recorded_error(keys))
    return _last_good_or_error(keys, StillLoading())


def _backoff_seconds(error: CacError) -> int:
    return RATE_LIMITED_BACKOFF_SECONDS if isinstance(error, CacRateLimited) else BACKOFF_SECONDS


def _recorded_error(keys: _ListKeys) -> CacError:
    error = cache.get(keys.error)
    return error if isinstance(error, CacError) else StillLoading()


def _last_good_or_error(keys: _ListKeys, error: CacError) -> Fetched:
    last_good = cache.get(keys.last_good)
    if last_good is not None:
        data, fetched_at = last_good
        return Fetched(data=data, error=error, fetched_at=fetched_at, stale=True)
    return Fetched(data=None, error=error)


def _call(account: CloudAccount, keys: _ListKeys, load) -> Fetched:
    try:
        with account.client() as client:
            data = load(client)
    except CacError as exc:
        # Kept in the result, the traceback would keep the client's frames (and its open
        # connection) alive until the garbage collector runs: keep only the error itself.
        error = exc.with_traceback(None)
        record_failure(account, error)
        cache.set(keys.error, error, _backoff_seconds(error))
        return _last_good_or_error(keys, error)
    cache.delete(keys.error)
    now = timezone.now()
    cache.set(keys.fresh, (data, now), _fresh_seconds(keys, data))
    cache.set(keys.last_good, (data, now), LAST_GOOD_SECONDS)
    record_success(account)
    return Fetched(data=data, fetched_at=now)


def servers_for(account: CloudAccount, *, refresh: bool = False) -> Fetched[list]:
    return _fetch(account, "servers", lambda client: client.list_servers(), refresh=refresh)


def templates_for(account: CloudAccount, *, refresh: bool = False) -> Fetched[list]:
    def load(client):
        return sorted(client.list_templates(), key=lambda template: template.name.lower())

    return _fetch(account, "templates", load, refresh=refresh)


def tasks_for(account: CloudAccount, *, refresh: bool = False) -> Fetched[list]:
    def load(client):
        tasks = list(client.list_tasks())
        # Pending first, then newest first.
        tasks.sort(key=lambda task: task.started_at.timestamp() if task.started_at else 0.0)
        tasks.reverse()
        tasks.sort(key=lambda task: not task.is_pending)
        return tasks

    return _fetch(account, "tasks", load, refresh=refresh)


def resources_for(account: CloudAccount, *, refresh: bool = False) -> Fetched:
    return _fetch(account, "resources", lambda client: client.resources(), refresh=refresh)


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
