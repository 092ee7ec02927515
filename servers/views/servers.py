"""Server lists and the server detail page."""

from __future__ import annotations

from collections import Counter
from functools import partial
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string

from history import series
from servers import crypto, permissions, provider_limit, selectors, streaming
from servers.cac.errors import CacError
from servers.htmx import is_htmx, render_page_or_partial, signin_required
from servers.views.common import is_retry

RECENT_ACTIVITY = 10
# The console form posts to the panel, which answers with a redirect to the provider's console
# host; browsers hold that redirect to this page's form-action too, so 'self' alone blocks it.
CONSOLE_FORM_ACTION = {"form-action": ["https:", "http:"]}


# How long a page waits for an account's lists before it shows a placeholder for it (htmx then
# asks again): at most SECTION_WAIT_SECONDS, and, once the first account is ready, only while
# another finishes at least every STRAGGLER_SECONDS, so that one slow account does not hold up
# the others. Lists come in parallel, so
# this bounds the slowest account, not their sum.
SECTION_WAIT_SECONDS = 3
STRAGGLER_SECONDS = 0.5
SECTION_LISTS = ("tasks", "servers")
SECTION_TEMPLATE = "servers/_account_servers.html"
MAX_FOLLOW_UP_ACCOUNTS = 200


def _gathering(request, accounts, *, page: bool) -> selectors.Gathering:
    """Every account's two lists, asked for all accounts at once (one round trip).

    A page (`page`) shows an expired copy at once and leaves the fresh one to a follow-up
    request; an htmx section asks the provider itself when its copy has expired.
    """
    wanted = [(account, name) for account in accounts for name in SECTION_LISTS]
    held: dict = {}
    if is_retry(request):
        # "Try again" skips the cache and the back-off: a call a person can repeat at will, so
        # it draws on the same budget as "Test connection". Past it, the last copy (or nothing)
        # with the wait, and no call.
        for account in accounts:
            try:
                provider_limit.spend(account)
            except provider_limit.TooManyCalls as error:
                held[account.pk, "servers"] = selectors.held_back(account, "servers", error)
        wanted = [(account, name) for account, name in wanted if (account.pk, name) not in held]
    gathering = selectors.start_gathering(
        wanted,
        refresh=("servers",) if is_retry(request) else (),
        stale_ok=page,
        timeout=SECTION_WAIT_SECONDS if page else None,
        stragglers=STRAGGLER_SECONDS if page else None,
    )
    gathering.results.update(held)
    return gathering


def _section(request, account, results) -> dict:
    return _servers_context(
        request, account, results[account.pk, "tasks"], results[account.pk, "servers"]
    )


def _sections(request, accounts, *, page: bool) -> list[dict]:
    series.show_together(accounts)
    results = _gathering(request, accounts, page=page).everything()
    return [_section(request, account, results) for account in accounts]


def _section_html(request, section: dict) -> str:
    """An account's servers section, as the pages, the fresh sections and htmx swaps show it."""
    return render_to_string(SECTION_TEMPLATE, section, request)


@signin_required
def home(request):
    accounts = selectors.accounts_with_roles(request.user)
    if not accounts:
        return render(request, "servers/home.html", {"accounts": accounts})
    # Every account's lists are asked for at once; the page is sent at once and each account's
    # section follows as soon as its lists are in, in the page's order (servers/streaming.py).
    # Expired copies are shown at once; their fresh copies are asked for once those have gone
    # and come at the end of the page, where app.js puts them in place (a follow-up request
    # brings any that take longer).
    gathering = _gathering(request, accounts, page=True)
    series.show_together(accounts)
    expired: list = []

    def sections():
        for account in accounts:
            if not gathering.ready(account):
                yield streaming.FLUSH  # what is above goes to the browser while this one comes
            yield streaming.piece(
                partial(_account_block, request, account, gathering, expired),
                f"section of account {account.pk}",
            )

    def follow_up():
        stale = [account for account in accounts if account.pk in expired]
        if not stale:
            return
        # The expired copies go to the browser first: the calls' start would delay them.
        yield streaming.FLUSH
        refreshing = _refresh_expired(gathering, stale)
        later = []
        for account in stale:
            fresh = streaming.piece(
                partial(_fresh_section, request, account, gathering, refreshing),
                f"fresh section of account {account.pk}",
                failed=None,  # the expired copy stays on screen; the follow-up asks again
            )
            if fresh is None:
                later.append(account.pk)
            else:
                yield fresh
        if later:
            query = urlencode([("account", pk) for pk in later])
            yield render_to_string("servers/_follow_up.html", {"follow_up": query}, request)

    return streaming.stream_page(
        request,
        "servers/home.html",
        {"accounts": accounts},
        {"sections": sections, "follow_up": follow_up},
    )


def _refresh_expired(gathering, accounts) -> selectors.Gathering:
    """The fresh copies of the lists the page shows expired, asked for now, all at once."""
    expired = [
        (account, name)
        for account in accounts
        for name in SECTION_LISTS
        if (fetched := gathering.results.get((account.pk, name))) is not None
        and fetched.expired
        and not fetched.pending
    ]
    return selectors.start_gathering(
        expired, timeout=SECTION_WAIT_SECONDS, stragglers=STRAGGLER_SECONDS
    )


def _fresh_section(request, account, gathering, refreshing) -> str | None:
    """The account's section made from its fresh copies, in a <template> that app.js puts in
    place of the expired one; None if they are not in yet (a follow-up request asks for them)."""
    section = _section(request, account, {**gathering.of(account), **refreshing.of(account)})
    if section["refreshing"]:
        return None
    return render_to_string(
        "servers/_fresh_section.html",
        {"account": account, "html": _section_html(request, section)},
        request,
    )


def _account_block(request, account, gathering, expired: list) -> str:
    try:
        section = _section(request, account, gathering.of(account))
    except (crypto.DecryptionError, crypto.EncryptionKeyError):
        # The other accounts keep serving; this one says why it cannot be asked.
        html = render_to_string(
            "servers/_unreadable_credentials.html", {"unreadable": [account]}, request
        )
        section = {"account": account, "html": html}
    else:
        section["batched"] = section["refreshing"] and not section["pending"]
        if section["batched"]:
            expired.append(account.pk)
        section["html"] = _section_html(request, section)
    return render_to_string(
        "servers/_account_block.html", {"section": section, "account": account}, request
    )


@signin_required
def sections(request):
    """The follow-up of a page that showed expired copies: the fresh sections, swapped in place
    out of band, for every account in one request (one round trip to the provider)."""
    accounts = []
    for account_id in request.GET.getlist("account")[:MAX_FOLLOW_UP_ACCOUNTS]:
        try:
            accounts.append(permissions.get_account_or_404(request, account_id, permissions.VIEW))
        except Http404:
            continue  # removed or unshared since the page was shown: its section stays as it was
    rendered = _sections(request, accounts, page=False)
    for section in rendered:
        section["html"] = _section_html(request, section)
    return render(request, "servers/_sections_oob.html", {"sections": rendered})


def _servers_context(request, account, tasks, servers) -> dict:
    # Polls read the shared cache like any other request: every tab and user then costs the
    # provider one call per account per cache period (shorter while a fresh task is pending).
    # Only a person's "Try again" asks the provider at once, even while backing off a failure.
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
        # An expired copy on screen, or nothing yet while another request asks the provider:
        # ask again (at once, or half a second later while that call runs).
        "refreshing": servers.refreshing or tasks.refreshing,
        "pending": servers.pending or tasks.pending,
        "pending_ids": pending_ids,
        "cloudpro_only": cloudpro_only,
        "can_operate": can_operate,
        # The rendered rows are shared by every request that shows this copy of the list the same
        # way (a thousand rows take most of a second to render). They hold no token or secret:
        # the power buttons post through the page's one form (_power_form.html).
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
    (context,) = _sections(request, [account], page=not is_htmx(request))
    return render_page_or_partial(
        request, "servers/account_servers.html", SECTION_TEMPLATE, context
    )


@signin_required
@csp_update(CONSOLE_FORM_ACTION)
def server_detail(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    # Both lists at once; a page shows an expired copy at once and asks again right after.
    results = selectors.gather(
        [(account, "tasks"), (account, "servers")], stale_ok=not is_htmx(request)
    )
    tasks, servers = results[account.pk, "tasks"], results[account.pk, "servers"]
    error = None
    server = next((each for each in servers.data or [] if each.id == str(server_id)), None)
    if server is None:
        if servers.error is not None:
            error = servers.error
        else:
            try:  # a copy older than a build lacks the new server: check a fresh list
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
        "refreshing": server is not None and (servers.refreshing or tasks.refreshing),
        "pending": servers.pending or tasks.pending,
        "can_operate": permissions.has_capability(request.user, account, permissions.OPERATE),
        "can_build": permissions.has_capability(request.user, account, permissions.BUILD),
        "activity": selectors.activity_for(account, server_id=server_id)[:RECENT_ACTIVITY],
    }
    return render_page_or_partial(
        request, "servers/server_detail.html", "servers/_server_detail_body.html", context
    )
