"""htmx plumbing: partial or full page, toasts and refresh events, sign-in for htmx requests."""

from __future__ import annotations

import json
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import render, resolve_url


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page_or_partial(request, page: str, partial: str, context: dict, **kwargs):
    """The partial for an htmx request, the whole page otherwise (NetBox's utilities/htmx.py)."""
    return render(request, partial if is_htmx(request) else page, context, **kwargs)


def account_event(account) -> str:
    """The event every self-refreshing part of an account's pages listens for."""
    return f"account-changed-{account.pk.hex}"


def trigger(response: HttpResponse, **events) -> HttpResponse:
    """Add events to the response's HX-Trigger header, keeping any already there."""
    current = response.headers.get("HX-Trigger")
    payload = json.loads(current) if current else {}
    payload.update(events)
    response.headers["HX-Trigger"] = json.dumps(payload)
    return response


def toast(response: HttpResponse, kind: str, text: str, account=None) -> HttpResponse:
    """Show `text` as a toast (app.js listens for `toast`); refresh the account's parts too."""
    events = {"toast": {"kind": kind, "text": text}}
    if account is not None:
        events[account_event(account)] = True
    return trigger(response, **events)


def toast_then_refresh(response: HttpResponse, kind: str, text: str, account) -> HttpResponse:
    """For a response that swaps content: refresh the account's parts only once it is settled,
    so that the refresh sees the new content (not the form being replaced)."""
    toast(response, kind, text)
    response.headers["HX-Trigger-After-Settle"] = json.dumps({account_event(account): True})
    return response


def signin_required(view):
    """login_required that answers an htmx request with HX-Redirect to the sign-in page.

    Otherwise htmx would swap the sign-in page into whatever element asked (a button, a row).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if is_htmx(request):
            page = request.htmx.current_url or request.get_full_path()
            parts = urlsplit(page)
            next_path = parts.path + (f"?{parts.query}" if parts.query else "")
            login = redirect_to_login(next_path, resolve_url(settings.LOGIN_URL))
            response = HttpResponse(status=204)
            response.headers["HX-Redirect"] = login.url
            return response
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))

    return wrapped
