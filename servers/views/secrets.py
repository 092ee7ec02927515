"""Revealing a server's root and VNC passwords: fresh from the provider, shown once, never kept."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from catcpanel import reauth
from servers import permissions, provider_limit, selectors, services
from servers.cac.errors import CacError
from servers.htmx import signin_required
from servers.views.common import server_or_404


@never_cache
@signin_required
@require_POST
@sensitive_variables()
def reveal_passwords(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.BUILD)
    if refused := reauth.demand(request):
        return refused
    context = {"account": account, "server_id": server_id, "secrets": None, "error": ""}
    try:
        server = server_or_404(account, server_id)
        provider_limit.spend(account)
        context["secrets"] = services.reveal_secrets(account, request.user, server)
    except CacError as error:
        context["error"] = selectors.describe_error(error)
    response = render(request, "servers/_secrets.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response
