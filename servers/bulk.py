"""Power actions on a selection of servers across accounts, each call within its account's limits.

The selection comes from the servers list as "account-id:server-id" values. Each account is loaded
through the permissions helper, so a server of an account where the user may not operate is
refused on its own row while the others go ahead. The calls themselves are the single-server power
service (`services.power`): the same lock, ActionLog row and cache invalidation as a button.

Pacing: per account, one call fewer than CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT in flight, and two
calls start at least CATCPANEL_BULK_INTERVAL seconds apart (the provider rate-limits each key and
never published its numbers, REALITY.md); accounts run side by side, at most CATCPANEL_BULK_WORKERS
calls in all. Results come back in the order
they finish, so the page can show each row as it completes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.http import Http404

from servers import permissions, selectors, services
from servers.cac.errors import CacBusy, CacError

# A page shows at most a few hundred rows; a bigger post is not from the panel.
MAX_SELECTION = 500
DEFAULT_CONCURRENCY = 2
DEFAULT_INTERVAL = 0.5
BUSY_RETRIES = 3
BUSY_WAIT = 1.0
# All accounts together: the threads one bulk request may keep busy in its web worker.
DEFAULT_WORKERS = 8


def concurrency() -> int:
    """Calls of one account a bulk action keeps in flight: one fewer than the client's limit per
    process (which refuses the next call at once), so the account's pages still load meanwhile."""
    limit = int(getattr(settings, "CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT", DEFAULT_CONCURRENCY))
    if limit <= 0:  # no limit in the client
        return DEFAULT_CONCURRENCY
    return max(1, limit - 1)


def total_workers() -> int:
    return max(1, int(getattr(settings, "CATCPANEL_BULK_WORKERS", DEFAULT_WORKERS)))


def interval() -> float:
    return max(0.0, float(getattr(settings, "CATCPANEL_BULK_INTERVAL", DEFAULT_INTERVAL)))


@dataclass
class Target:
    key: str  # "account-id:server-id", as the page sent it
    server_id: str
    name: str
    account: object = None
    server: object = None


@dataclass
class Result:
    key: str
    name: str
    ok: bool
    text: str
    account_event: str = ""


@dataclass
class Plan:
    """Who goes ahead (grouped by account) and who is refused before any call."""

    action: str
    groups: dict = field(default_factory=dict)  # account pk -> list[Target]
    refused: list[Result] = field(default_factory=list)
    # (account, server id, error): the server could not be looked up. Asked for all the same, so
    # each gets its failed activity row when the person confirms (not when the plan is shown).
    lookup_failures: list = field(default_factory=list)

    @property
    def targets(self) -> list[Target]:
        return [target for group in self.groups.values() for target in group]


def parse_selection(values: list[str]) -> list[tuple[str, str]]:
    """[(account_id, server_id)], without duplicates or malformed values, at most MAX_SELECTION."""
    seen, pairs = set(), []
    for value in values[:MAX_SELECTION]:
        account_id, _, server_id = (value or "").partition(":")
        if not account_id or not server_id or value in seen:
            continue
        seen.add(value)
        pairs.append((account_id, server_id))
    return pairs


def plan(request, action: str, values: list[str]) -> Plan:
    """Load each account through the permissions helper and each server from its cached list."""
    if action not in services.POWER_ACTIONS:
        raise services.ServiceError("Choose power on, power off or reset.")
    result = Plan(action=action)
    accounts: dict[str, object] = {}
    for account_id, server_id in parse_selection(values):
        key = f"{account_id}:{server_id}"
        if account_id not in accounts:
            try:
                accounts[account_id] = permissions.get_account_or_404(
                    request, account_id, permissions.OPERATE
                )
            except Http404:
                accounts[account_id] = "No such server."
            except PermissionDenied as refusal:
                accounts[account_id] = str(refusal) or "Your role does not allow that."
        account = accounts[account_id]
        if isinstance(account, str):
            result.refused.append(Result(key, server_id, False, account))
            continue
        try:
            server = selectors.find_server(account, server_id)
        except CacError as error:
            result.refused.append(Result(key, server_id, False, selectors.describe_error(error)))
            result.lookup_failures.append((account, server_id, error))
            continue
        if server is None:
            result.refused.append(Result(key, server_id, False, "No such server on this account."))
            continue
        result.groups.setdefault(account.pk, []).append(
            Target(key, server.id, server.name, account, server)
        )
    return result


class _Pacer:
    """Spaces the starts of one account's calls by `gap` seconds, whichever thread asks."""

    def __init__(self, gap: float):
        self.gap = gap
        self.lock = threading.Lock()
        self.next_start = 0.0

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.gap
        if start > now:
            time.sleep(start - now)


def _call(user, action: str, target: Target, pacer: _Pacer, gate: threading.Semaphore) -> Result:
    from servers.htmx import account_event

    event = account_event(target.account)
    try:
        with gate:
            for attempt in range(BUSY_RETRIES + 1):
                pacer.wait()
                try:
                    log = services.power(target.account, user, target.server, action)
                    break
                except CacBusy:
                    # Someone else's calls took the account's slots in this process: the call
                    # never left, so wait and try again rather than report a failure.
                    if attempt == BUSY_RETRIES:
                        raise
                    time.sleep(BUSY_WAIT)
    except CacError as error:
        return Result(target.key, target.name, False, selectors.describe_error(error), event)
    except services.ServiceError as error:
        return Result(target.key, target.name, False, error.message, event)
    finally:
        # Each worker thread has its own database connection: close it, or it outlives the call.
        connection.close()
    task = f"task {log.task_id}" if log.task_id else "sent"
    return Result(target.key, target.name, True, f"{services.POWER_ACTIONS[action]}: {task}", event)


def run(user, bulk: Plan) -> Iterator[Result]:
    """Yield the refusals, then each call's result as soon as it is known."""
    for account, server_id, error in bulk.lookup_failures:
        services.record_lookup_failure(
            account, user, bulk.action, server_id, error, {"action": bulk.action}
        )
    yield from bulk.refused
    if not bulk.groups:
        return
    done: queue.Queue[Result] = queue.Queue()
    width, gap = concurrency(), interval()
    gate = threading.BoundedSemaphore(total_workers())
    pools = []

    def report(future, target):
        try:
            done.put(future.result())
        except Exception:  # a bug, not a provider answer: say so on its row, keep the others going
            text = "The panel failed unexpectedly; see the server log."
            done.put(Result(target.key, target.name, False, text))

    for targets in bulk.groups.values():
        pacer = _Pacer(gap)
        pool = ThreadPoolExecutor(max_workers=min(width, len(targets)))
        pools.append(pool)
        for target in targets:
            future = pool.submit(_call, user, bulk.action, target, pacer, gate)
            future.add_done_callback(lambda future, target=target: report(future, target))
    try:
        for _ in range(len(bulk.targets)):
            yield done.get()
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
        close_old_connections()
