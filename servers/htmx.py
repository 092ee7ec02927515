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


# Toast texts carry provider words (error descriptions, server names): a header cannot be
# allowed to grow with them (proxies refuse headers of 8 kB and more, and every byte is sent again
# on each poll).
MAX_TOAST_CHARS = 300
MAX_TRIGGER_BYTES = 2000


def short_text(text: str, limit: int = MAX_TOAST_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def trigger(response: HttpResponse, **events) -> HttpResponse:
    """Add events to the response's HX-Trigger header, keeping any already there."""
    current = response.headers.get("HX-Trigger")
    payload = json.loads(current) if current else {}
    payload.update(events)
    # ASCII-only JSON: lone surrogates and line breaks travel as escapes, never raw.
    header = json.dumps(payload, ensure_ascii=True)
    if len(header) > MAX_TRIGGER_BYTES and isinstance(payload.get("toast"), dict):
        payload["toast"] = {**payload["toast"], "text": short_text(payload["toast"]["text"], 80)}
        header = json.dumps(payload, ensure_ascii=True)
    response.headers["HX-Trigger"] = header
    return response


def toast(response: HttpResponse, kind: str, text: str, account=None) -> HttpResponse:
    """Show `text` as a toast (app.js listens for `toast`); refresh the account's parts too."""
    events = {"toast": {"kind": kind, "text": short_text(text)}}
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
