"""Per-account lists: templates, tasks (self-polling), Cloud Pro resources and the build form."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from catcpanel import reauth
from servers import permissions, selectors, services
from servers.cac.errors import CacError
from servers.forms import BuildForm
from servers.htmx import is_htmx, signin_required, toast
from servers.views.common import is_poll, task_text


@signin_required
def templates(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    # A page shows an expired copy at once; its follow-up (htmx) asks the provider.
    fetched = selectors.templates_for(account, stale_ok=not is_htmx(request))
    return render(request, "servers/templates.html", {"account": account, "fetched": fetched})


TASK_POLL_SECONDS = 3


@signin_required
def tasks(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    fetched = selectors.tasks_for(account, stale_ok=not is_htmx(request))
    pending = any(task.is_pending for task in fetched.data or [])
    # Every few seconds for work that just started; a build pending for days is checked slowly.
    every = selectors.refresh_seconds([], fetched.data)
    poll_seconds = TASK_POLL_SECONDS if every == selectors.FAST_REFRESH_SECONDS else every
    context = {
        "account": account,
        "fetched": fetched,
        "pending": pending,
        "poll_seconds": poll_seconds,
    }
    if not is_htmx(request):
        return render(request, "servers/tasks.html", context)
    if is_poll(request) and not pending and not fetched.refreshing:
        # 286 tells htmx to stop polling; the final table is still swapped in.
        return HttpResponseStopPolling(
            render(request, "servers/_tasks.html", context).content,
        )
    return render(request, "servers/_tasks.html", context)


def _cloudpro_context(account, *, form=None, refresh=False, stale_ok=False) -> dict:
    # Both lists at once: one round trip to the provider, not two.
    results = selectors.gather(
        [(account, "resources"), (account, "templates")],
        refresh=("resources",) if refresh else (),
        stale_ok=stale_ok,
    )
    resources, template_list = results[account.pk, "resources"], results[account.pk, "templates"]
    if form is None:
        form = BuildForm(templates=template_list.data or [], resources=resources.data)
    return {
        "account": account,
        "resources": resources,
        "templates": template_list,
        "form": form,
    }


@signin_required
def cloudpro(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    context = _cloudpro_context(account, stale_ok=not is_htmx(request))
    context["can_build"] = permissions.has_capability(request.user, account, permissions.BUILD)
    if is_htmx(request) and request.GET.get("part") == "meters":
        return render(request, "servers/_meters.html", context)
    return render(request, "servers/cloudpro.html", context)


@signin_required
@require_POST
def build(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.BUILD)
    if refused := reauth.demand(request):
        return refused
    resources = selectors.resources_for(account)
    template_list = selectors.templates_for(account)
    form = BuildForm(request.POST, templates=template_list.data or [], resources=resources.data)
    context = {"account": account, "form": form, "can_build": True}
    if not form.is_valid():
        # Nothing is sent upstream; the same form (and one-time key) comes back with its errors.
        if not is_htmx(request):
            return render(
                request,
                "servers/cloudpro.html",
                {**_cloudpro_context(account, form=form), **context},
            )
        return render(request, "servers/_build_form.html", context)
    data = form.cleaned_data
    error_seen = None
    try:
        log, replayed = services.build(
            account,
            request.user,
            cpu=data["cpu"],
            ram=data["ram"],
            storage=data["storage"],
            template=data["os"],
            idempotency_key=data["idempotency_key"],
            resources=resources.data,
        )
    except (CacError, services.ServiceError) as error:
        error_seen = error
        text = selectors.describe_error(error) if isinstance(error, CacError) else error.message
        kind = "error"
        refresh_account = isinstance(error, CacError)
    else:
        if log.outcome == log.Outcome.FAILURE:
            text, kind, refresh_account = (
                f"This build already failed: {log.message}",
                "error",
                False,
            )
        else:
            server = f", server {log.server_name}" if log.server_name else ""
            again = " (already submitted)" if replayed else ""
            text, kind, refresh_account = (
                f"Build started{again}: {task_text(log)}{server}.",
                "success",
                True,
            )
    if not is_htmx(request):
        (messages.success if kind == "success" else messages.error)(request, text)
        return redirect("cloudpro", account.pk)
    if kind == "success":
        # A fresh form, with a new one-time key, for the next server.
        fresh = _cloudpro_context(account)
        context["form"] = fresh["form"]
    else:
        # Keep the values. After a failure a new key lets a deliberate retry go through; while
        # the same build is still running, the same key keeps a retry from building twice.
        kept = ("cpu", "ram", "storage", "os")
        if isinstance(error_seen, services.AlreadyInProgress):
            kept += ("idempotency_key",)
        context["form"] = BuildForm(
            initial={name: request.POST.get(name) for name in kept},
            templates=template_list.data or [],
            resources=resources.data,
        )
        context["error"] = text
    response = render(request, "servers/_build_form.html", context)
    return toast(response, kind, text, account=account if refresh_account else None)
