"""The ActionLog rows every action writes, the per-server lock, and the sweep of abandoned rows.

May touch the ActionLog table, the shared cache (locks) and the provider client (`_run`); knows
nothing of any one action beyond the names `LOCKED_ACTIONS` lists.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from servers import cache as shared_cache
from servers.cac.errors import CacError, CacTimeout
from servers.models import ActionLog, CloudAccount
from servers.services.errors import AlreadyInProgress, ServiceError
from servers.services.validation import POWER_ACTIONS
from servers.text import storable

# The log lines keep the name they had before services became a package.
logger = logging.getLogger(__package__)

ABANDONED_MARGIN_SECONDS = 10

UNKNOWN_SENT = (
    "Unknown outcome: {reason}, but the request had been sent, so it may have been carried "
    "out: check the server before trying again."
)
UNKNOWN_ABANDONED = (
    "Unknown outcome: the panel stopped before the provider answered: check the server."
)
UNKNOWN_UNRECORDED = (
    "Unknown outcome: Cloud at Cost answered, but the panel could not record its answer: "
    "check the server."
)
CACHE_DOWN = (
    "The panel's shared cache is not answering, so it cannot make sure that nobody else is "
    "changing this server at the same moment: nothing was sent. Try again in a minute."
)

# Actions that only read (a console address, the passwords) change nothing on the server: a
# timeout there is a plain failure.
READ_ONLY_ACTIONS = {"console", "reveal_password"}

# What each lock guards, to find the rows of a lock's holder that died.
LOCKED_ACTIONS = {
    "power": set(POWER_ACTIONS),
    "runmode": {"runmode"},
    "rename": {"rename"},
    "rdns": {"rdns"},
    "delete": {"delete"},
    "build": {"build"},
}


class OutcomeUnknown(CacError):
    """The provider may have carried the action out; the row says so and the person must check."""


def longest_call_seconds() -> float:
    """The longest a living request may wait for the provider on one action."""
    # The client's total deadline bounds a call, retries included; without one, a connect and
    # a read timeout (a read timeout bounds each read, so that is a floor, not a bound).
    total = float(getattr(settings, "CATCPANEL_CAC_TOTAL_TIMEOUT", 0) or 0)
    if total:
        return total
    return float(settings.CATCPANEL_CAC_CONNECT_TIMEOUT) + float(
        settings.CATCPANEL_CAC_READ_TIMEOUT
    )


def _lock_seconds() -> int:
    # Long enough to outlive the slowest provider call, so a lock never expires mid-call.
    return int(longest_call_seconds()) + ABANDONED_MARGIN_SECONDS


def lock_key(account: CloudAccount, target: str, kind: str) -> str:
    return f"catcpanel:lock:{account.pk}:{target}:{kind}"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _started_ticks(pid: int) -> str | None:
    """When the process started (clock ticks since boot): tells a pid from its reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] in ("Z", "X"):
        # Killed but not yet reaped (its parent, a stopped gunicorn master, is gone too).
        return None
    return fields[19]


_identity: tuple[int, str] | None = None


def process_identity() -> str:
    """This process, as a lock's holder: host, boot, pid and the pid's start time."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        # Computed again after a fork: gunicorn's workers are forks of one master.
        _identity = (pid, f"{socket.gethostname()}|{_boot_id()}|{pid}|{_started_ticks(pid)}")
    return _identity[1]


def holder_is_dead(identity: str) -> bool:
    """True only when the holder ran on this host and its process is gone; unsure is alive."""
    try:
        host, boot, pid, ticks = identity.split("|")
        number = int(pid)
    except (AttributeError, ValueError):
        return False
    if host != socket.gethostname() or boot != _boot_id() or not boot:
        return False  # another machine or container: only the lock's expiry can tell
    now = _started_ticks(number)
    return now is None or (now != "" and now != ticks)


def _lock_token() -> str:
    return json.dumps({"owner": process_identity(), "id": uuid.uuid4().hex, "at": time.time()})


def _holder(value) -> dict:
    try:
        holder = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _take_over(account: CloudAccount, target: str, kind: str, key: str, token: str) -> bool:
    """Take a lock whose holder died, finishing the rows it left pending."""
    held = cache.get(key)
    holder = _holder(held)
    if not holder or not holder_is_dead(str(holder.get("owner", ""))):
        return False
    rows = ActionLog.objects.filter(
        account=account, outcome=ActionLog.Outcome.PENDING, action__in=LOCKED_ACTIONS[kind]
    )
    rows = rows.filter(idempotency_key=target) if kind == "build" else rows.filter(server_id=target)
    _abandon(rows)
    # Another request may have found the same dead holder: only one wins the add.
    if cache.get(key) == held:
        cache.delete(key)
    return shared_cache.add_strict(key, token, _lock_seconds())


@contextmanager
def action_lock(account: CloudAccount, target: str, kind: str, message: str) -> Iterator[None]:
    key = lock_key(account, target, kind)
    token = _lock_token()
    try:
        if not shared_cache.add_strict(key, token, _lock_seconds()) and not _take_over(
            account, target, kind, key, token
        ):
            raise AlreadyInProgress(message)
    except shared_cache.Unavailable:
        raise ServiceError(CACHE_DOWN) from None
    try:
        yield
    finally:
        # Only our own lock: one taken over after we were thought dead belongs to someone else.
        if cache.get(key) == token:
            cache.delete(key)


def _abandon(rows) -> int:
    return _write(
        lambda: rows.filter(outcome=ActionLog.Outcome.PENDING).update(
            outcome=ActionLog.Outcome.UNKNOWN,
            message=UNKNOWN_ABANDONED,
            finished_at=timezone.now(),
        )
    )


def finish_abandoned_actions(account: CloudAccount | None = None) -> int:
    """Finish, as "unknown", the pending rows of requests that died (a killed worker, a stopped
    server): rows older than the longest call a living request could still be waiting on.

    Called by every action and activity page of the account, and by any background sweep (all
    accounts when `account` is None). Returns how many rows it finished.
    """
    cutoff = timezone.now() - timedelta(seconds=_lock_seconds())
    rows = ActionLog.objects.filter(outcome=ActionLog.Outcome.PENDING, started_at__lt=cutoff)
    if account is not None:
        rows = rows.filter(account=account)
    # A read first: on SQLite an UPDATE takes the write lock even when it changes nothing.
    if not rows.exists():
        return 0
    finished = _abandon(rows)
    if finished:
        logger.warning("Finished %d abandoned action row(s) as unknown outcome.", finished)
    return finished


# A write that a restarting database server dropped is tried again on a new connection, this
# long after each failure: a restart takes from a third of a second to a few seconds, and the
# row of an action the provider has answered is worth the wait.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _write(write: Callable):
    """Run a write; if the connection broke, try again on a new one (not inside a transaction,
    whose earlier statements would be lost)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if delay is None or connection.in_atomic_block:
                raise
            logger.warning("The database connection broke; trying the write again.")
            with suppress(DatabaseError):
                connection.close()
            time.sleep(delay)
    raise AssertionError("unreachable")


def fit(name: str, value) -> str:
    """A value for an ActionLog text column: no NUL (PostgreSQL refuses it), no lone surrogate
    (no database can encode it), and no longer than the column."""
    return storable(value, ActionLog._meta.get_field(name).max_length)


def _clean_json(value):
    """Parameters as JSON a PostgreSQL jsonb column accepts (no NUL, no lone surrogate)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_clean_json(str(key)): _clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(item) for item in value]
    return value


TEXT_FIELDS = ("account_name", "user_name", "server_id", "server_name", "provider_code")
TEXT_FIELDS += ("message", "task_id", "action", "idempotency_key")


def _user_name(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


def _start(
    account: CloudAccount,
    user,
    action: str,
    *,
    server=None,
    parameters: dict | None = None,
    idempotency_key: str = "",
) -> ActionLog:
    finish_abandoned_actions(account)
    fields = {
        "account_name": account.name,
        "user_name": _user_name(user),
        "server_id": server.id if server is not None else "",
        "server_name": server.name if server is not None else "",
        "action": action,
        "idempotency_key": idempotency_key,
    }
    return _write(
        lambda: ActionLog.objects.create(
            account=account,
            user=user if user is not None and user.is_authenticated else None,
            parameters=_clean_json(parameters or {}),
            **{name: fit(name, value) for name, value in fields.items()},
        )
    )


def _finish(log: ActionLog, **fields) -> ActionLog:
    fields["finished_at"] = timezone.now()
    for name in TEXT_FIELDS:
        if name in fields:
            fields[name] = fit(name, fields[name])
    # Only a pending row may change, and only once: the log is append-only otherwise.
    rows = ActionLog.objects.filter(pk=log.pk, outcome=ActionLog.Outcome.PENDING)
    _write(lambda: rows.update(**fields))
    for name, value in fields.items():
        setattr(log, name, value)
    return log


def _finish_or_unknown(log: ActionLog, **fields) -> ActionLog:
    """Finish the row after the provider answered; if that write fails, record at least that
    the outcome is unknown. Raises OutcomeUnknown when even that could not be written (the row
    is then left for finish_abandoned_actions)."""
    try:
        return _finish(log, **fields)
    except DatabaseError:
        logger.exception("Could not record the provider's answer for activity row %s.", log.pk)
    try:
        return _finish(log, outcome=ActionLog.Outcome.UNKNOWN, message=UNKNOWN_UNRECORDED)
    except DatabaseError:
        logger.exception("Could not finish activity row %s.", log.pk)
    raise OutcomeUnknown(UNKNOWN_UNRECORDED)


def _succeed(log: ActionLog, *, task_id: str | None = None, message: str = "") -> ActionLog:
    return _finish_or_unknown(
        log, outcome=ActionLog.Outcome.SUCCESS, task_id=task_id or "", message=message
    )


def outcome_unknown(error: Exception, action: str) -> bool:
    """A timeout after the request was sent: the provider may have carried the action out."""
    return (
        isinstance(error, CacTimeout)
        and not getattr(error, "connecting", False)
        and action not in READ_ONLY_ACTIONS
    )


def _unknown_message(error: CacError) -> str:
    # Not the error's words: those are the same for every failure that is not the API's own
    # answer (errors.no_api_answer), while this one must say the request had been sent.
    return UNKNOWN_SENT.format(reason="Cloud at Cost did not answer in time")


def _fail(log: ActionLog, error: Exception) -> ActionLog:
    if isinstance(error, CacError):
        code = "" if error.code is None else str(error.code)
        message = error.message
    else:
        code, message = "", "The panel failed unexpectedly; see the server log."
    if outcome_unknown(error, log.action):
        return _finish_or_unknown(
            log, outcome=ActionLog.Outcome.UNKNOWN, message=_unknown_message(error)
        )
    return _finish_or_unknown(
        log, outcome=ActionLog.Outcome.FAILURE, provider_code=code, message=message
    )


def _raise_failure(log: ActionLog, error: CacError):
    """Raise the provider's error, or OutcomeUnknown when the row says the outcome is unknown.

    The client's frames in the traceback would keep its connection open until the next garbage
    collection; a provider error says all it needs without them.
    """
    if outcome_unknown(error, log.action):
        raise OutcomeUnknown(_unknown_message(error), endpoint=error.endpoint) from None
    raise error.with_traceback(None) from None


def _run(log: ActionLog, account: CloudAccount, call: Callable, describe: Callable | None = None):
    """Call the provider for a pending row and finish the row whatever happens.

    `describe(result)` may name more fields to record, in the same (and only) finishing write.
    """
    try:
        # Closing the client frees its pooled connection at once.
        with account.client() as client:
            result = call(client)
    except CacError as error:
        _fail(log, error)
        _raise_failure(log, error)
    except Exception as error:
        _fail(log, error)
        raise
    extra = describe(result) if describe else {}
    _finish_or_unknown(
        log,
        outcome=ActionLog.Outcome.SUCCESS,
        task_id=getattr(result, "task_id", None) or "",
        message=getattr(result, "result", "") or "",
        **extra,
    )
    return result


def record_lookup_failure(
    account: CloudAccount, user, action: str, server_id: str, error: CacError, parameters=None
) -> ActionLog:
    """An action that failed before it was sent, while finding its server on the provider: it
    still gets its row, finished as failed with the reason."""
    log = _start(
        account,
        user,
        action,
        server=SimpleNamespace(id=str(server_id), name=""),
        parameters=parameters,
    )
    code = "" if error.code is None else str(error.code)
    return _finish_or_unknown(
        log, outcome=ActionLog.Outcome.FAILURE, provider_code=code, message=error.message
    )


def _record(account: CloudAccount, user, action: str, parameters: dict) -> ActionLog:
    """An account change needs no provider call: its row is written finished."""
    log = _start(account, user, action, parameters=parameters)
    return _succeed(log)
