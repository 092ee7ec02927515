"""Server actions: power, run mode, rename, reverse DNS, console, delete.

Each re-checks everything the page already knew: the user's capability, the server belonging to
the account, the input. Outcomes are toasts (htmx) or messages (plain posts); a provider failure is
shown in plain words with its code, never as an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from catcpanel import reauth
from servers import permissions, provider_limit, selectors, services
from servers.cac.errors import CacError
from servers.forms import DeleteServerForm, PowerForm, RenameForm, ReverseDnsForm, RunModeForm
from servers.htmx import is_htmx, signin_required, toast, toast_then_refresh
from servers.views.common import outcome, server_or_404, task_text


def _detail_url(account, server_id) -> str:
    return reverse("server_detail", args=[account.pk, server_id])


def _find(request, account, server_id, action: str, parameters: dict | None = None):
    """The server, for an action on it; a provider failure while looking it up is recorded as
    the action's (failed) row before it is raised: every action asked for gets a row."""
    try:
        return server_or_404(account, server_id)
    except CacError as error:
        services.record_lookup_failure(account, request.user, action, server_id, error, parameters)
        raise


def _act(request, account, server_id, perform, describe, *, action: str, parameters: dict):
    """Load the server, perform the action, answer with the outcome."""
    fallback = _detail_url(account, server_id)
    try:
        server = _find(request, account, server_id, action, parameters)
        log = perform(server)
    except CacError as error:
        # The failure is in the activity log now: let the page's activity show it.
        text = selectors.describe_error(error)
        return outcome(request, account, "error", text, fallback_url=fallback, refresh=True)
    except services.ServiceError as error:
        return outcome(request, account, "error", error.message, fallback_url=fallback)
    except ValidationError as error:
        return outcome(request, account, "error", " ".join(error.messages), fallback_url=fallback)
    return outcome(request, account, "success", describe(server, log), fallback_url=fallback)


def _invalid(request, account, server_id, text: str):
    if is_htmx(request):
        return toast(HttpResponse(status=400), "error", text)
    messages.error(request, text)
    return redirect(_detail_url(account, server_id))


@signin_required
@require_POST
def power(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.OPERATE)
    form = PowerForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, server_id, "Choose power on, power off or reset.")
    action = form.cleaned_data["action"]
    return _act(
        request,
        account,
        server_id,
        lambda server: services.power(account, request.user, server, action),
        lambda server, log: (
            f"{services.POWER_ACTIONS[action]} sent to {server.name}: {task_text(log)}."
        ),
        action=action,
        parameters={"action": action},
    )


@signin_required
@require_POST
def run_mode(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.OPERATE)
    form = RunModeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, account, server_id, "Choose normal or safe mode.")
    mode = form.cleaned_data["mode"]
    return _act(
        request,
        account,
        server_id,
        lambda server: services.set_run_mode(account, request.user, server, mode),
        lambda server, log: (
            f"{server.name} set to {services.RUN_MODES[mode]} mode: {task_text(log)}."
        ),
        action="runmode",
        parameters={"mode": mode},
    )


def _inline_edit(
    request, account_id, server_id, *, form_class, field, template, perform, verb, action
):
    """GET: the inline form; POST: validate, act, answer with the form (errors) or the value."""
    account = permissions.get_account_or_404(request, account_id, permissions.OPERATE)
    try:
        if request.method == "POST":
            server = _find(request, account, server_id, action)
        else:
            server = server_or_404(account, server_id)
    except CacError as error:
        return outcome(
            request,
            account,
            "error",
            selectors.describe_error(error),
            fallback_url=_detail_url(account, server_id),
        )
    context = {"account": account, "server": server, "editing": True, "can_operate": True}
    if request.method != "POST":
        if request.GET.get("cancel") == "1":
            context["editing"] = False
        context["form"] = form_class(initial={field: getattr(server, field_source(field))})
        return render(request, template, context)
    form = form_class(request.POST)
    context["form"] = form
    if not form.is_valid():
        # Nothing was sent upstream: the form comes back with its errors.
        return render(request, template, context)
    value = form.cleaned_data[field]
    try:
        log = perform(account, request.user, server, value)
    except CacError as error:
        form.add_error(None, selectors.describe_error(error))
        return toast(render(request, template, context), "error", selectors.describe_error(error))
    except services.ServiceError as error:
        form.add_error(None, error.message)
        return toast(render(request, template, context), "error", error.message)
    if not is_htmx(request):
        messages.success(request, f"{verb} {server.name}: {task_text(log)}.")
        return redirect(_detail_url(account, server.id))
    context.update({"editing": False, "value": value})
    response = render(request, template, context)
    text = f"{verb} {server.name}: {task_text(log)}."
    return toast_then_refresh(response, "success", text, account)


def field_source(field: str) -> str:
    return {"name": "name", "hostname": "rdns"}[field]


@signin_required
def rename(request, account_id, server_id):
    return _inline_edit(
        request,
        account_id,
        server_id,
        form_class=RenameForm,
        field="name",
        template="servers/_rename.html",
        perform=services.rename,
        verb="Renamed",
        action="rename",
    )


@signin_required
def reverse_dns(request, account_id, server_id):
    return _inline_edit(
        request,
        account_id,
        server_id,
        form_class=ReverseDnsForm,
        field="hostname",
        template="servers/_rdns.html",
        perform=services.set_reverse_dns,
        verb="Reverse DNS set for",
        action="rdns",
    )


@signin_required
@require_POST
@sensitive_variables()
def console(request, account_id, server_id):
    """302 to the console. The URL is a bearer token: it is not cached, logged or stored."""
    account = permissions.get_account_or_404(request, account_id, permissions.OPERATE)
    try:
        server = _find(request, account, server_id, "console")
        provider_limit.spend(account)
        url = services.console_url(account, request.user, server)
    except CacError as error:
        text, status = selectors.describe_error(error), 502
    except services.ServiceError as error:
        text, status = error.message, 502
    else:
        response = HttpResponseRedirect(url)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    context = {"account": account, "server_id": server_id, "text": text}
    return render(request, "servers/console_error.html", context, status=status)


@signin_required
def delete_server(request, account_id, server_id):
    account = permissions.get_account_or_404(request, account_id, permissions.BUILD)
    if refused := reauth.demand(request):
        return refused
    try:
        if request.method == "POST":
            server = _find(request, account, server_id, "delete")
        else:
            server = server_or_404(account, server_id)
    except CacError as error:
        messages.error(request, selectors.describe_error(error))
        return redirect(_detail_url(account, server_id))
    if not server.is_cloudpro:
        messages.error(request, "Only Cloud Pro servers can be deleted from the panel.")
        return redirect(_detail_url(account, server.id))
    form = DeleteServerForm(request.POST or None, server=server)
    if request.method == "POST" and form.is_valid():
        try:
            log = services.delete_server(account, request.user, server)
        except CacError as error:
            form.add_error(None, selectors.describe_error(error))
        except services.ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Deleting {server.name}: {task_text(log)}.")
            return redirect("account_servers", account.pk)
    context = {"account": account, "server": server, "form": form}
    return render(request, "servers/server_delete.html", context)
