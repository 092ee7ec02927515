"""Writes: every action the panel takes for a user, recorded in the ActionLog.

Each action validates its input, writes a `pending` ActionLog row before the provider is called,
calls the client, finishes the row (task id on success, provider code and message on failure) and
forgets the cached lists it changed. A refused duplicate ("already in progress") writes nothing.
Parameters are logged without secrets; console URLs are returned, never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from servers import cache as shared_cache
from servers import permissions, selectors
from servers.cac.errors import CacError, CacTimeout
from servers.models import ActionLog, CloudAccount, Invitation, Membership, Role
from servers.text import storable

POWER_ACTIONS = {"poweron": "Power on", "poweroff": "Power off", "reset": "Reset"}
RUN_MODES = {"normal": "Normal", "safe": "Safe"}

BUILD_LIMITS = {"cpu": (1, 16, 1), "ram": (512, 32768, 4), "storage": (10, 1000, 10)}

SERVER_NAME_MAX = 64
HOSTNAME_MAX = 253
HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class ServiceError(Exception):
    """An action refused by the panel itself, with words for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyInProgress(ServiceError):
    pass


logger = logging.getLogger(__name__)


# --- validation (the forms show these errors; the services re-check) --------------------------


def clean_server_name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError("Enter a name.")
    if len(name) > SERVER_NAME_MAX:
        raise ValidationError(f"Use at most {SERVER_NAME_MAX} characters.")
    if not name.isprintable():
        raise ValidationError("Use printable characters only: no tabs, line breaks or controls.")
    return name


def clean_hostname(value: str) -> str:
    """An RFC 1123 host name with at least two labels, as reverse DNS needs."""
    hostname = (value or "").strip().rstrip(".").lower()
    if not hostname:
        raise ValidationError("Enter a host name.")
    if len(hostname) > HOSTNAME_MAX:
        raise ValidationError(f"A host name has at most {HOSTNAME_MAX} characters.")
    labels = hostname.split(".")
    if len(labels) < 2:
        raise ValidationError("Use a full host name with a dot, such as host.example.com.")
    for label in labels:
        if not HOSTNAME_LABEL.match(label):
            raise ValidationError(
                "Each part between dots must be 1 to 63 letters, digits or hyphens, "
                "not starting or ending with a hyphen."
            )
    return hostname


def build_value_errors(values: dict, resources=None) -> dict[str, str]:
    """Field -> message for build values outside the documented limits or the free resources."""
    errors: dict[str, str] = {}
    units = {"cpu": "CPU", "ram": "MB", "storage": "GB"}
    for field, (low, high, step) in BUILD_LIMITS.items():
        value = values.get(field)
        if not isinstance(value, int):
            errors[field] = "Enter a whole number."
        elif not low <= value <= high:
            errors[field] = f"Use {low} to {high} {units[field]}."
        elif value % step:
            errors[field] = f"Use a multiple of {step}."
    if resources is not None:
        free = {
            "cpu": resources.cpu_free,
            "ram": resources.ram_free,
            "storage": resources.storage_free,
        }
        for field, available in free.items():
            value = values.get(field)
            if field not in errors and isinstance(value, int) and value > available:
                errors[field] = f"Only {available} {units[field]} free on this account."
    return errors


# --- the ActionLog and the per-server lock ----------------------------------------------------

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


# --- server actions -------------------------------------------------------------------------


def _server_action(
    account: CloudAccount,
    user,
    server,
    *,
    kind: str,
    busy: str,
    action: str,
    parameters: dict,
    call,
) -> ActionLog:
    """One guarded, logged provider call on a server; the lists it changes are refetched after."""
    with action_lock(account, server.id, kind, f"{busy} for {server.name} is already in progress."):
        log = _start(account, user, action, server=server, parameters=parameters)
        _run(log, account, call)
    selectors.invalidate(account, "servers", "tasks")
    return log


def power(account: CloudAccount, user, server, action: str) -> ActionLog:
    if action not in POWER_ACTIONS:
        raise ServiceError("Unknown power action.")
    return _server_action(
        account,
        user,
        server,
        kind="power",
        busy="A power action",
        action=action,
        parameters={"action": action},
        call=lambda client: client.power(server.id, action),
    )


def set_run_mode(account: CloudAccount, user, server, mode: str) -> ActionLog:
    if mode not in RUN_MODES:
        raise ServiceError("Unknown run mode.")
    return _server_action(
        account,
        user,
        server,
        kind="runmode",
        busy="A run mode change",
        action="runmode",
        parameters={"mode": mode},
        call=lambda client: client.set_run_mode(server.id, mode),
    )


def rename(account: CloudAccount, user, server, name: str) -> ActionLog:
    name = clean_server_name(name)
    return _server_action(
        account,
        user,
        server,
        kind="rename",
        busy="A rename",
        action="rename",
        parameters={"name": name},
        call=lambda client: client.rename(server.id, name),
    )


def set_reverse_dns(account: CloudAccount, user, server, hostname: str) -> ActionLog:
    hostname = clean_hostname(hostname)
    return _server_action(
        account,
        user,
        server,
        kind="rdns",
        busy="A reverse DNS change",
        action="rdns",
        parameters={"hostname": hostname},
        call=lambda client: client.set_reverse_dns(server.id, hostname),
    )


@sensitive_variables()
def console_url(account: CloudAccount, user, server) -> str:
    """The console's URL, for a redirect only: it is a bearer token, so it is never stored."""
    log = _start(account, user, "console", server=server)
    try:
        with account.client() as client:
            url = client.console_url(server.id)
        if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
            raise ServiceError("Cloud at Cost sent a console address that is not a web address.")
    except ServiceError as error:
        _finish(log, outcome=ActionLog.Outcome.FAILURE, message=error.message)
        raise
    except CacError as error:
        _fail(log, error)
        raise error.with_traceback(None) from None
    except Exception as error:
        _fail(log, error)
        raise
    _succeed(log, message="console opened")
    return url


def build(
    account: CloudAccount,
    user,
    *,
    cpu: int,
    ram: int,
    storage: int,
    template,
    idempotency_key: str,
    resources=None,
) -> tuple[ActionLog, bool]:
    """Start a Cloud Pro build; returns (log, replayed).

    A second call with the same idempotency key returns the first call's row (replayed=True)
    without calling the provider, whatever its outcome: a build that timed out may still have
    created a server, so only a fresh form (a new key) tries again.
    """
    errors = build_value_errors({"cpu": cpu, "ram": ram, "storage": storage}, resources)
    if errors:
        raise ServiceError(" ".join(errors.values()))
    if not idempotency_key:
        raise ServiceError("The form is missing its one-time key; reload the page.")
    busy = "This build is already in progress."
    with action_lock(account, idempotency_key, "build", busy):
        # A build whose request died is no longer "in progress": its row says unknown.
        finish_abandoned_actions(account)
        earlier = ActionLog.objects.filter(
            account=account, action="build", idempotency_key=idempotency_key
        ).first()
        if earlier is not None:
            if earlier.outcome == ActionLog.Outcome.PENDING:
                raise AlreadyInProgress(busy)
            return earlier, True
        parameters = {
            "cpu": cpu,
            "ram": ram,
            "storage": storage,
            "os": template.id,
            "os_name": template.name,
        }
        log = _start(account, user, "build", parameters=parameters, idempotency_key=idempotency_key)
        try:
            _run(
                log,
                account,
                lambda client: client.build(cpu=cpu, ram=ram, storage=storage, os=template.id),
                # The provider names the new server in its answer: keep it with the row.
                lambda result: {
                    "server_name": result.server_name or "",
                    "server_id": result.server_id or "",
                },
            )
        finally:
            selectors.invalidate(account, "servers", "tasks", "resources")
    return log, False


def delete_server(account: CloudAccount, user, server) -> ActionLog:
    if not server.is_cloudpro:
        raise ServiceError("Only Cloud Pro servers can be deleted from the panel.")
    busy = f"A delete of {server.name} is already in progress."
    with action_lock(account, server.id, "delete", busy):
        log = _start(account, user, "delete", server=server)
        try:
            _run(log, account, lambda client: client.delete(server.id))
        finally:
            selectors.invalidate(account, "servers", "tasks", "resources")
    return log


# --- accounts ----------------------------------------------------------------------------------


def _record(account: CloudAccount, user, action: str, parameters: dict) -> ActionLog:
    """An account change needs no provider call: its row is written finished."""
    log = _start(account, user, action, parameters=parameters)
    return _succeed(log)


@sensitive_variables("login", "api_key")
def add_account(user, *, name: str, login: str, api_key: str, base_url: str) -> CloudAccount:
    account = CloudAccount(name=name, owner=user, base_url=base_url)
    account.set_credentials(login=login, api_key=api_key)
    account.save()
    _record(account, user, "account.add", {"name": name, "base_url": base_url})
    return account


@sensitive_variables("login", "api_key")
def update_account(
    account: CloudAccount,
    user,
    *,
    name: str,
    login: str,
    api_key: str | None,
    base_url: str,
) -> CloudAccount:
    """Save changes; a blank (None) API key keeps the stored one.

    A new address or login needs the key typed with it: otherwise the stored key would be sent
    to an address that nobody who knows it chose.
    """
    if not api_key and (base_url != account.base_url or login != account.login):
        raise ServiceError("Type the API key to change the API address or the login.")
    changed = []
    if name != account.name:
        changed.append("name")
    if base_url != account.base_url:
        changed.append("base_url")
    if login != account.login:
        changed.append("login")
    if api_key:
        changed.append("api_key")
    new_source = bool({"base_url", "login", "api_key"} & set(changed))
    if new_source and not shared_cache.available():
        # The cached lists could not be marked as the old credentials': refuse rather than show
        # them as the new ones' once the cache is back.
        raise ServiceError(
            "The panel's shared cache is not answering, so the old credentials' cached lists "
            "cannot be set aside: nothing was changed. Try again in a minute."
        )
    account.name = name
    account.base_url = base_url
    account.set_credentials(login=login, api_key=api_key or None)
    account.save()
    if new_source:
        # Lists fetched with the old credentials must not be shown as this account's.
        selectors.forget_account(account)
    _record(account, user, "account.update", {"changed": changed})
    return account


def delete_account(account: CloudAccount, user) -> None:
    _record(account, user, "account.delete", {"name": account.name})
    selectors.forget_account(account)
    account.delete()


def check_connection(account: CloudAccount) -> int:
    """The number of servers the provider lists for the account; raises CacError on failure."""
    fetched = selectors.servers_for(account, refresh=True)
    if fetched.error is not None:
        raise fetched.error
    return len(fetched.data or [])


# --- members, invitations, ownership ------------------------------------------------------------

INVITATION_DAYS = 7


def _member_record(account, actor, action: str, member_name: str = "", **parameters) -> ActionLog:
    if member_name:
        parameters = {"user": member_name, **parameters}
    return _record(account, actor, action, parameters)


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ServiceError("Choose viewer, operator or manager.")
    return role


def add_member(account: CloudAccount, actor, user, role: str) -> Membership:
    """Give `user` a role on the account; the owner and existing members are refused."""
    _check_role(role)
    if user.pk == account.owner_id:
        raise ServiceError(f"{user.get_username()} owns this account.")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            account=account, user=user, defaults={"role": role}
        )
        if not created:
            raise ServiceError(f"{user.get_username()} is already a member.")
        _member_record(account, actor, "member_added", user.get_username(), role=role)
    return membership


def change_role(account: CloudAccount, actor, membership: Membership, role: str) -> Membership:
    # The owner has no Membership row: no role change can reach (or demote) the owner.
    _check_role(role)
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    old = membership.role
    if old == role:
        return membership
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        _member_record(
            account,
            actor,
            "member_role_changed",
            membership.user.get_username(),
            old=old,
            role=role,
        )
    return membership


def remove_member(account: CloudAccount, actor, membership: Membership) -> None:
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    with transaction.atomic():
        name = membership.user.get_username()
        membership.delete()
        _member_record(account, actor, "member_removed", name)


def leave_account(account: CloudAccount, user) -> None:
    if account.owner_id == user.pk:
        raise ServiceError("The owner cannot leave: transfer the ownership first.")
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(account=account, user=user).delete()
        if deleted:
            _member_record(account, user, "member_left", user.get_username())


def set_two_factor_requirement(account: CloudAccount, actor, required: bool) -> CloudAccount:
    """Require (or stop requiring) two-factor sign-in from everyone who acts on the account."""
    if actor.pk != account.owner_id:
        raise ServiceError("Only the owner can change the two-factor requirement.")
    if required and not permissions.has_two_factor(actor):
        raise ServiceError("Set up two-factor sign-in for yourself first, under Security.")
    if account.require_two_factor == required:
        return account
    with transaction.atomic():
        CloudAccount.objects.filter(pk=account.pk).update(require_two_factor=required)
        account.require_two_factor = required
        _member_record(account, actor, "two_factor_required" if required else "two_factor_optional")
    return account


def transfer_ownership(account: CloudAccount, actor, membership: Membership) -> CloudAccount:
    """The member becomes the owner; the old owner stays on as a manager."""
    if actor.pk != account.owner_id:
        raise ServiceError("Only the owner can transfer the account.")
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    with transaction.atomic():
        old_owner = account.owner
        new_owner = membership.user
        membership.delete()
        CloudAccount.objects.filter(pk=account.pk).update(owner=new_owner)
        account.owner = new_owner
        account.__dict__.pop("_roles", None)
        Membership.objects.create(account=account, user=old_owner, role=Role.MANAGER)
        _member_record(
            account,
            actor,
            "ownership_transferred",
            new_owner.get_username(),
            previous_owner=old_owner.get_username(),
        )
    return account


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    account: CloudAccount, actor, role: str, invitee: str = ""
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is returned once and never stored."""
    _check_role(role)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            account=account,
            role=role,
            token_hash=hash_token(token),
            invitee=invitee[:254],
            created_by=actor if actor is not None and actor.is_authenticated else None,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        _record(
            account,
            actor,
            "invitation_created",
            {"role": role, "invitee": invitee[:254], "invitation": invitation.pk},
        )
    return invitation, token


def revoke_invitation(account: CloudAccount, actor, invitation: Invitation) -> None:
    if invitation.account_id != account.pk:
        raise ServiceError("No such invitation on this account.")
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if updated:
            _record(account, actor, "invitation_revoked", {"invitation": invitation.pk})


def open_invitation(token: str) -> Invitation | None:
    """The invitation this token opens, if it is still open (not used, revoked or expired)."""
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.select_related("account").filter(token_hash=hash_token(token)).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


def accept_invitation(token: str, user) -> CloudAccount:
    """Join the account with the invitation's role; the link works once."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("account")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_open:
            raise ServiceError("This invitation has expired, was revoked or was already used.")
        account = invitation.account
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if account.owner_id != user.pk:
            membership, created = Membership.objects.get_or_create(
                account=account, user=user, defaults={"role": invitation.role}
            )
            rank = Role.values.index
            if not created and rank(invitation.role) > rank(membership.role):
                # An invitation never lowers a role someone already has.
                membership.role = invitation.role
                membership.save(update_fields=["role"])
        _member_record(
            account,
            user,
            "invitation_accepted",
            user.get_username(),
            role=invitation.role,
            invitation=invitation.pk,
        )
    return account


@sensitive_variables()
def reveal_secrets(account: CloudAccount, user, server):
    """The server's root and VNC passwords, fresh from the provider; logged without them."""
    log = _start(account, user, "reveal_password", server=server)
    # ServerSecrets has no `result`: the row's message stays empty, so no password reaches it.
    return _run(log, account, lambda client: client.server_secrets(server.id))
