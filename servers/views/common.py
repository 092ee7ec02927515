"""What several views share: loading a server, and answering an action's outcome."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from servers import selectors
from servers.htmx import is_htmx, toast


def server_or_404(account, server_id: str):
    """The account's server; 404 if the provider does not list it. CacError propagates."""
    server = selectors.find_server(account, server_id)
    if server is None:
        raise Http404("No such server on this account.")
    return server


def is_poll(request) -> bool:
    """A self-refresh while the provider is busy (it reads the shared cache like a page load)."""
    return request.GET.get("poll") == "1"


def is_retry(request) -> bool:
    """A person's "Try again" after a failure: ask the provider now, not the cache."""
    return request.GET.get("retry") == "1"


def outcome(
    request, account, kind: str, text: str, *, fallback_url: str, refresh: bool | None = None
):
    """An action's answer: a toast for htmx, and a refresh of the account's parts when something
    was done or recorded (by default on success); a message and a redirect for a plain post."""
    if is_htmx(request):
        if refresh is None:
            refresh = kind == "success"
        return toast(HttpResponse(status=204), kind, text, account=account if refresh else None)
    (messages.success if kind == "success" else messages.error)(request, text)
    return redirect(fallback_url)


def task_text(log) -> str:
    # Run mode, rename and reverse DNS are done at once: the provider answers without a task.
    return f"task {log.task_id}" if log.task_id else "the provider accepted it"
