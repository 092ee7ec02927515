"""Actions on one server: power, run mode, rename, reverse DNS, console, build, delete, and
revealing its passwords. Each takes the server's lock, writes its row and calls the provider.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.views.decorators.debug import sensitive_variables

from servers import selectors
from servers.cac.errors import CacError
from servers.models import ActionLog, CloudAccount
from servers.services.actionlog import (
    _fail,
    _finish,
    _run,
    _start,
    _succeed,
    action_lock,
    finish_abandoned_actions,
)
from servers.services.errors import AlreadyInProgress, ServiceError
from servers.services.validation import (
    POWER_ACTIONS,
    RUN_MODES,
    build_value_errors,
    clean_hostname,
    clean_server_name,
)


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


@sensitive_variables()
def reveal_secrets(account: CloudAccount, user, server):
    """The server's root and VNC passwords, fresh from the provider; logged without them."""
    log = _start(account, user, "reveal_password", server=server)
    # ServerSecrets has no `result`: the row's message stays empty, so no password reaches it.
    return _run(log, account, lambda client: client.server_secrets(server.id))
