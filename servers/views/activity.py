"""The activity log, per account and per server, newest first, paginated."""

from __future__ import annotations

from django.shortcuts import render

from servers import permissions, selectors, services
from servers.htmx import is_htmx, signin_required

RECENT = 10


@signin_required
def account_activity(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    services.finish_abandoned_actions(account)
    page = selectors.activity_page(selectors.activity_for(account), request.GET.get("page"))
    context = {"account": account, "page": page, "server_id": None}
    return render(request, "servers/activity.html", context)


@signin_required
def server_activity(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    services.finish_abandoned_actions(account)
    rows = selectors.activity_for(account, server_id=server_id)
    if is_htmx(request) and request.GET.get("recent") == "1":
        context = {"account": account, "server_id": server_id, "activity": rows[:RECENT]}
        return render(request, "servers/_server_activity.html", context)
    page = selectors.activity_page(rows, request.GET.get("page"))
    server_name = next((row.server_name for row in page.object_list if row.server_name), "")
    context = {"account": account, "page": page, "server_id": server_id, "server_name": server_name}
    return render(request, "servers/activity.html", context)
