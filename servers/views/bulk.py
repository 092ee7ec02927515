"""Bulk power for a selection of servers across accounts (the orchestration is servers/bulk.py).

Without JavaScript the list's bulk form posts here: the first post shows a confirmation page that
lists the servers, the second (confirmed=1) runs them and shows a result per server. With
JavaScript the page asks in its own dialog, then posts confirmed=1 asking for NDJSON, and draws
each line (one server's result) as it arrives.
"""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from servers import bulk, services
from servers.htmx import signin_required

NDJSON = "application/x-ndjson"


def _line(result: bulk.Result) -> str:
    payload = {"key": result.key, "name": result.name, "ok": result.ok, "text": result.text}
    if result.account_event:
        payload["event"] = result.account_event
    return json.dumps(payload) + "\n"


@signin_required
@require_POST
def bulk_power(request):
    action = request.POST.get("action", "")
    selection = request.POST.getlist("servers")
    try:
        plan = bulk.plan(request, action, selection)
    except services.ServiceError as error:
        return render(request, "servers/bulk.html", {"error": error.message}, status=400)
    context = {"plan": plan, "label": services.POWER_ACTIONS[action], "selection": selection}
    if not selection:
        context["error"] = "Select at least one server first."
        return render(request, "servers/bulk.html", context, status=400)
    if request.POST.get("confirmed") != "1":
        return render(request, "servers/bulk.html", context)
    results = bulk.run(request.user, plan)
    if NDJSON in request.headers.get("Accept", ""):
        response = StreamingHttpResponse((_line(result) for result in results), content_type=NDJSON)
        response.headers["Cache-Control"] = "no-store"
        # Proxies that buffer (nginx) would hold every line back until the last.
        response.headers["X-Accel-Buffering"] = "no"
        return response
    context["results"] = list(results)
    return render(request, "servers/bulk.html", context)
