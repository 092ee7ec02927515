"""Accounts: list, add, edit, delete, and test the connection."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from catcpanel import reauth
from servers import permissions, provider_limit, selectors, services
from servers.cac.errors import CacError
from servers.forms import AccountForm
from servers.htmx import is_htmx, signin_required, toast


@signin_required
def account_list(request):
    accounts = selectors.accounts_for(request.user)
    return render(request, "servers/accounts/list.html", {"accounts": accounts})


@signin_required
@sensitive_post_parameters("api_key", "login")
@sensitive_variables()
def account_add(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = services.add_account(
            request.user,
            name=data["name"],
            login=data["login"],
            api_key=data["api_key"],
            base_url=data["base_url"],
        )
        if form.server_count is None:
            note = "Not checked: test its connection below."
        else:
            count = form.server_count
            note = f"Cloud at Cost accepted the key: {count} server{'s' if count != 1 else ''}."
        messages.success(request, f"Account {account.name} added. {note}")
        return redirect("account_list")
    return render(request, "servers/accounts/form.html", {"form": form, "account": None})


@signin_required
@sensitive_post_parameters("api_key", "login")
@sensitive_variables()
def account_edit(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.MANAGE)
    # The key, login and base URL decide where the stored key is sent: confirm first.
    if refused := reauth.demand(request):
        return refused
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_account(
            account,
            request.user,
            name=data["name"],
            login=data["login"],
            api_key=data["api_key"] or None,
            base_url=data["base_url"],
        )
        messages.success(request, f"Account {account.name} saved.")
        return redirect("account_list")
    return render(request, "servers/accounts/form.html", {"form": form, "account": account})


@signin_required
def account_delete(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.OWN)
    # Deleting drops the key and the whole activity's link to the account: confirm first.
    if refused := reauth.demand(request):
        return refused
    if request.method == "POST":
        name = account.name
        services.delete_account(account, request.user)
        messages.success(request, f"Account {name} deleted.")
        return redirect("account_list")
    return render(request, "servers/accounts/delete.html", {"account": account})


@signin_required
@require_POST
def account_test(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    try:
        provider_limit.spend(account)
        count = services.check_connection(account)
    except CacError as error:
        ok, text = False, selectors.describe_error(error)
    else:
        ok, text = True, f"Connection OK: {count} server{'s' if count != 1 else ''}."
    if not is_htmx(request):
        (messages.success if ok else messages.error)(request, f"{account.name}: {text}")
        return redirect("account_list")
    response = render(
        request, "servers/accounts/_test_result.html", {"account": account, "ok": ok, "text": text}
    )
    return toast(response, "success" if ok else "error", f"{account.name}: {text}")
