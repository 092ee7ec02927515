"""Re-authentication before dangerous actions: a password or two-factor code given recently.

"Recently" is ACCOUNT_REAUTHENTICATION_TIMEOUT seconds (CATCPANEL_REAUTH_SECONDS), counted from the
last time this session proved who it is: signing in, or confirming on allauth's re-authentication
page (password, or a TOTP or recovery code when two-factor is on).

Unlike allauth's own decorator, a refused POST is never stashed in the session to be replayed
afterwards: it may carry an API key (the session table would then hold it in clear), and a
dangerous action should be taken again knowingly. The person confirms, comes back to the page they
were on, and repeats the action. An htmx request gets HX-Redirect, not a swapped-in sign-in form.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import get_authentication_records
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def recently_confirmed(request) -> bool:
    """Did this session sign in or re-authenticate within the timeout?"""
    if not request.user.is_authenticated:
        return False
    window = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    now = time.time()
    return any(
        isinstance(record, dict) and now - float(record.get("at", 0)) < window
        for record in get_authentication_records(request, request.user)
    )


def _page_to_return_to(request) -> str:
    """Where to come back after confirming: this page for a GET, else the page that sent the
    request (htmx's current URL or the same-origin Referer), reduced to a local path."""
    if request.method in ("GET", "HEAD") and not getattr(request, "htmx", False):
        return request.get_full_path()
    for candidate in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(candidate)
            if parts.path.startswith("/") and not parts.path.startswith("//"):
                return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def confirm_url(request) -> str:
    methods = get_adapter().get_reauthentication_methods(request.user)
    if not methods:
        # No password and no second factor: nothing to confirm with, so no dangerous actions.
        raise PermissionDenied("Set a password to confirm dangerous actions.")
    next_page = _page_to_return_to(request)
    return f"{methods[0]['url']}?{urlencode({REDIRECT_FIELD_NAME: next_page})}"


def demand(request) -> HttpResponse | None:
    """None when the user recently confirmed who they are; otherwise the answer that sends them
    to confirm. Views call it after their permission check, so that a stranger still gets 404 and
    a role without the capability 403, rather than an invitation to type a password."""
    if recently_confirmed(request):
        return None
    url = confirm_url(request)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def reauthentication_required(view=None, *, on_get: bool = True):
    """Refuse `view` until the user has recently confirmed who they are (see `demand`).

    `on_get=False` lets GETs through (a page that only shows a form whose POST is protected);
    the default asks before the form is even shown, so that nobody types a key to lose it.
    Put it under `signin_required`: anonymous requests never get here.
    """

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if not (request.method in ("GET", "HEAD", "OPTIONS") and not on_get):
                refused = demand(request)
                if refused is not None:
                    return refused
            return view_func(request, *args, **kwargs)

        wrapped.requires_reauthentication = True
        return wrapped

    return decorator(view) if view is not None else decorator
