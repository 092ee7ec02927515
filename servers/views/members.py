"""An account's members: list, invite, change a role, remove, leave, transfer the ownership.

Every change is refused before validation to those without the role (permissions), then asks the
person to confirm who they are (catcpanel/reauth.py): it decides who reaches the account's key.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catcpanel import reauth
from servers import permissions, selectors, services, team
from servers.forms import InviteForm, RoleForm
from servers.htmx import signin_required
from servers.models import Invitation, Membership


def _members_context(request, account, **extra) -> dict:
    return {
        "account": account,
        "members": selectors.members_of(account),
        "invitations": selectors.open_invitations(account),
        "caps": permissions.caps_for(request.user, account),
        "role_form": RoleForm(),
        **extra,
    }


@signin_required
def members(request, account_id):
    """Every member sees who shares the account; managers and the owner invite from here."""
    if request.method == "POST":
        account = permissions.get_account_or_404(request, account_id, permissions.MANAGE)
        if refused := reauth.demand(request):
            return refused
        form = InviteForm(request.POST)
        if form.is_valid():
            return _invite(request, account, form)
    else:
        account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
        form = InviteForm()
    return render(request, "servers/members.html", _members_context(request, account, form=form))


def _invite(request, account, form):
    who, role = form.cleaned_data["who"], form.cleaned_data["role"]
    if who and "@" not in who:
        # An invitation the named user accepts after signing in; the answer is the same whether
        # or not the name is a user's, so this form cannot be used to find out who has one.
        try:
            team.invite_by_username(account, request.user, who, role)
        except services.ServiceError as error:
            form.add_error("who", error.message)
            context = _members_context(request, account, form=form)
            return render(request, "servers/members.html", context)
        messages.success(
            request,
            f"Invitation for {who} as {role} recorded: if {who} has a user here, they see it "
            "on their home page after signing in.",
        )
        return redirect("members", account.pk)
    if who:
        try:
            validate_email(who)
        except ValidationError:
            form.add_error("who", "Enter a username, an email address, or nothing for a link.")
            context = _members_context(request, account, form=form)
            return render(request, "servers/members.html", context)
    invitation, token = services.create_invitation(account, request.user, role, who)
    link = request.build_absolute_uri(reverse("invitation", args=[token]))
    if who:
        send_mail(
            one_line(f"Invitation to {account.name} on catcpanel"),
            f"{request.user.get_username()} invites you to the Cloud at Cost account "
            f"{account.name} as {role}. Open this link within {services.INVITATION_DAYS} days "
            f"to join:\n\n{link}\n",
            None,
            [who],
        )
    # The link is shown this once: only its hash is stored.
    context = _members_context(
        request, account, form=InviteForm(), new_link=link, new_invitation=invitation
    )
    return render(request, "servers/members.html", context)


def one_line(text: str) -> str:
    """`text` fit for a mail header: every run of white space or control characters (line
    breaks above all, which would start a header of their own) becomes one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _membership(account, membership_id) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, account=account
    )


@signin_required
@require_POST
def member_role(request, account_id, membership_id):
    account = permissions.get_account_or_404(request, account_id, permissions.MANAGE)
    membership = _membership(account, membership_id)
    if refused := reauth.demand(request):
        return refused
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose viewer, operator or manager.")
        return redirect("members", account.pk)
    services.change_role(account, request.user, membership, form.cleaned_data["role"])
    messages.success(request, f"{membership.user.get_username()} is now {membership.role}.")
    return redirect("members", account.pk)


@signin_required
@require_POST
def member_remove(request, account_id, membership_id):
    account = permissions.get_account_or_404(request, account_id, permissions.MANAGE)
    membership = _membership(account, membership_id)
    if refused := reauth.demand(request):
        return refused
    name = membership.user.get_username()
    services.remove_member(account, request.user, membership)
    messages.success(request, f"{name} removed.")
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("members", account.pk)


@signin_required
@require_POST
def leave(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.VIEW)
    try:
        services.leave_account(account, request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("members", account.pk)
    messages.success(request, f"You left {account.name}.")
    return redirect("home")


@signin_required
@require_POST
def two_factor_requirement(request, account_id):
    """The owner decides whether acting on the account needs two-factor sign-in."""
    account = permissions.get_account_or_404(request, account_id, permissions.OWN)
    if refused := reauth.demand(request):
        return refused
    required = request.POST.get("required") == "on"
    try:
        services.set_two_factor_requirement(account, request.user, required)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Members now need two-factor sign-in to act on this account."
            if required
            else "Two-factor sign-in is no longer required on this account.",
        )
    return redirect("members", account.pk)


@signin_required
def transfer(request, account_id):
    account = permissions.get_account_or_404(request, account_id, permissions.OWN)
    if refused := reauth.demand(request):
        return refused
    candidates = account.memberships.select_related("user").order_by("user__username")
    error = ""
    if request.method == "POST":
        membership = candidates.filter(pk=request.POST.get("membership") or 0).first()
        if membership is None:
            error = "Choose a member to become the owner."
        else:
            services.transfer_ownership(account, request.user, membership)
            messages.success(request, f"{membership.user.get_username()} now owns {account.name}.")
            return redirect("members", account.pk)
    context = {"account": account, "candidates": candidates, "error": error}
    return render(request, "servers/members_transfer.html", context, status=400 if error else 200)


@signin_required
@require_POST
def invitation_revoke(request, account_id, invitation_id):
    account = permissions.get_account_or_404(request, account_id, permissions.MANAGE)
    invitation = get_object_or_404(Invitation, pk=invitation_id, account=account)
    if refused := reauth.demand(request):
        return refused
    services.revoke_invitation(account, request.user, invitation)
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("members", account.pk)
