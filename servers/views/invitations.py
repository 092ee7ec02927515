"""Opening an invitation link: a signed-in user accepts; a new person creates a user and joins.
And the invitations by username, which the user they name accepts or declines from home.

The link's token is the only proof: it is looked up by its hash, works once, expires and can be
revoked. With public sign-up off, this page is the one way a new person gets a user. Of two people
accepting one link at the same moment, one joins and the other is told the link is spent (409).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from servers import services, team
from servers.forms import InvitationSignupForm
from servers.htmx import signin_required

# Django's own backend: the user was just created with a password, no allauth flow involved.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _no_referrer(response):
    # The token is in this page's URL: links to other sites must not carry it away. Not
    # "no-referrer": the browser would then send `Origin: null` and CSRF would refuse the form.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _gone(request, message: str = "", *, status: int = 409):
    context = {"message": message or team.GONE}
    response = render(request, "servers/invitation_invalid.html", context, status=status)
    return _no_referrer(response)


@never_cache
@sensitive_post_parameters("password1", "password2")
@sensitive_variables()
def invitation(request, token):
    invite = services.open_invitation(token)
    if invite is None:
        return _gone(request, status=404)
    if invite.invitee_user_id is not None:
        # An invitation by username has no link; should its token ever come out, it still
        # belongs to the user it names, who accepts it from their home page.
        return _gone(request, status=404)
    form = None
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                account = services.accept_invitation(token, request.user)
            except services.ServiceError as error:
                # Someone else used the link between this page's check and now.
                return _gone(request, error.message)
            messages.success(request, f"You joined {account.name} as {invite.role}.")
            return redirect("account_servers", account.pk)
        form = InvitationSignupForm(request.POST)
        if form.is_valid():
            account = None
            try:
                with transaction.atomic():
                    user = get_user_model().objects.create_user(
                        username=form.cleaned_data["username"],
                        email=invite.invitee if "@" in invite.invitee else "",
                        password=form.cleaned_data["password1"],
                    )
                    try:
                        account = services.accept_invitation(token, user)
                    except services.ServiceError as error:
                        # Someone else used the link meanwhile: no user is left behind.
                        transaction.set_rollback(True)
                        form.add_error(None, error.message)
            except IntegrityError:
                # The same username, taken by another request at the same moment.
                form.add_error("username", "That username is taken.")
            if account is not None:
                login(request, user, backend=BACKEND)
                messages.success(request, f"Welcome: you joined {account.name} as {invite.role}.")
                return redirect("account_servers", account.pk)
    elif not request.user.is_authenticated:
        form = InvitationSignupForm()
    context = {
        "invite": invite,
        "form": form,
        "login_url": settings.LOGIN_URL,
    }
    return _no_referrer(
        render(
            request, "servers/invitation.html", context, status=400 if form and form.errors else 200
        )
    )


@signin_required
@require_POST
def accept_mine(request, invitation_id):
    """The signed-in user accepts an invitation that names them (an invitation by username)."""
    try:
        account = team.accept(invitation_id, request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("home")
    messages.success(request, f"You joined {account.name}.")
    return redirect("account_servers", account.pk)


@signin_required
@require_POST
def decline_mine(request, invitation_id):
    try:
        account = team.decline(invitation_id, request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation to {account.name} declined.")
    return redirect("home")
