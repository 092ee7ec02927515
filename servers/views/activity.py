"""The activity log, per account and per server, newest first, paginated, filtered in the URL."""

from __future__ import annotations

from django.shortcuts import render

from servers import permissions, selectors
from servers import selectors_activity as activity_log
from servers.htmx import is_htmx, signin_required

RECENT = 10


def _page(request, account, server_id: str | None = None):
    filters = activity_log.ActivityFilters.from_query(request.GET, server=server_id)
    page = activity_log.page_of(activity_log.activity(account, filters), request.GET.get("page"))
    return {
        "account": account,
        "page": page,
        "filters": filters,
        "choices": activity_log.filter_choices(account, server=server_id),
        "server_id": server_id,
    }


@signin_required
def account_activity(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    return render(request, "servers/activity.html", _page(request, account))


@signin_required
def server_activity(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    if is_htmx(request) and request.GET.get("recent") == "1":
        rows = selectors.activity_for(account, server_id=server_id)
        context = {"account": account, "server_id": server_id, "activity": rows[:RECENT]}
        return render(request, "servers/_server_activity.html", context)
    context = _page(request, account, server_id)
    names = dict(context["choices"].servers)
    context["server_name"] = names.get(str(server_id), "")
    return render(request, "servers/activity.html", context)
