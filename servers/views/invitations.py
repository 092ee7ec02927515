"""Opening an invitation link: a signed-in user accepts; a new person creates a user and joins.

The link's token is the only proof: it is looked up by its hash, works once, expires and can be
revoked. With public sign-up off, this page is the one way a new person gets a user.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from servers import services
from servers.forms import InvitationSignupForm

# Django's own backend: the user was just created with a password, no allauth flow involved.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _no_referrer(response):
    # The token is in this page's URL: links to other sites must not carry it away. Not
    # "no-referrer": the browser would then send `Origin: null` and CSRF would refuse the form.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def invitation(request, token):
    invite = services.open_invitation(token)
    if invite is None:
        response = render(request, "servers/invitation_invalid.html", status=404)
        return _no_referrer(response)
    form = None
    if request.method == "POST":
        if request.user.is_authenticated:
            account = services.accept_invitation(token, request.user)
            messages.success(request, f"You joined {account.name} as {invite.role}.")
            return redirect("account_servers", account.pk)
        form = InvitationSignupForm(request.POST)
        if form.is_valid():
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
                    account = None
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
