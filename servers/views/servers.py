"""Server lists and the server detail page."""

from __future__ import annotations

from collections import Counter

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from servers import permissions, selectors
from servers.cac.errors import CacError
from servers.htmx import render_page_or_partial, signin_required
from servers.views.common import is_retry

RECENT_ACTIVITY = 10
# The console form posts to the panel, which answers with a redirect to the provider's console
# host; browsers hold that redirect to this page's form-action too, so 'self' alone blocks it.
CONSOLE_FORM_ACTION = {"form-action": ["https:", "http:"]}


@signin_required
def home(request):
    accounts = selectors.accounts_for(request.user)
    return render(request, "servers/home.html", {"accounts": accounts})


def _servers_context(request, account) -> dict:
    # Polls read the shared cache like any other request: every tab and user then costs the
    # provider one call per account per cache period (shorter while a fresh task is pending).
    # Only a person's "Try again" asks the provider at once, even while backing off a failure.
    # Tasks first: how long the servers copy may be kept depends on whether a task is pending.
    tasks = selectors.tasks_for(account)
    servers = selectors.servers_for(account, refresh=is_retry(request))
    cloudpro_only = request.GET.get("cloudpro") == "1"
    rows = servers.data or []
    if cloudpro_only:
        rows = [server for server in rows if server.is_cloudpro]
    every = selectors.refresh_seconds(servers.data, tasks.data if tasks.ok else None)
    pending_ids = {task.server_id for task in tasks.data or [] if task.is_pending}
    counts = Counter(server.status or "Unknown" for server in rows)
    can_operate = permissions.has_capability(request.user, account, permissions.OPERATE)
    return {
        "account": account,
        "fetched": servers,
        "servers": rows,
        "status_counts": sorted(counts.items()),
        "busy": every is not None,
        "refresh_seconds": every,
        "pending_ids": pending_ids,
        "cloudpro_only": cloudpro_only,
        "can_operate": can_operate,
        "power_form": f"power-{account.pk.hex}",
        # The rendered rows are shared by every request that shows this copy of the list the same
        # way (a thousand rows take most of a second to render). They hold no token or secret:
        # the power buttons post through one form per section, outside the shared part.
        "rows_key": _rows_key(account, servers, can_operate, cloudpro_only, pending_ids),
        "rows_seconds": settings.CATCPANEL_CACHE_SECONDS,
    }


def _rows_key(account, servers, can_operate, cloudpro_only, pending_ids) -> str:
    copy = servers.fetched_at.isoformat() if servers.fetched_at else "none"
    pending = ",".join(sorted(pending_ids))
    return f"{account.pk}:{copy}:{can_operate}:{cloudpro_only}:{pending}"


@signin_required
def account_servers(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    return render_page_or_partial(
        request,
        "servers/account_servers.html",
        "servers/_account_servers.html",
        _servers_context(request, account),
    )


@signin_required
@csp_update(CONSOLE_FORM_ACTION)
def server_detail(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    error = None
    server = None
    tasks = selectors.tasks_for(account)  # first, as for the lists
    try:
        server = selectors.find_server(account, server_id)
    except CacError as exc:
        error = exc
    if server is None and error is None:
        raise Http404("No such server on this account.")
    server_tasks = [task for task in tasks.data or [] if server and task.server_id == server.id]
    refresh_every = selectors.refresh_seconds([server] if server else [], server_tasks)
    context = {
        "account": account,
        "server_id": server_id,
        "server": server,
        "error": selectors.describe_error(error) if error else "",
        "tasks": server_tasks,
        "busy": refresh_every is not None,
        "refresh_seconds": refresh_every,
        "can_operate": permissions.has_capability(request.user, account, permissions.OPERATE),
        "can_build": permissions.has_capability(request.user, account, permissions.BUILD),
        "activity": selectors.activity_for(account, server_id=server_id)[:RECENT_ACTIVITY],
    }
    return render_page_or_partial(
        request, "servers/server_detail.html", "servers/_server_detail_body.html", context
    )
