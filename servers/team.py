"""Invitations by username: written, listed and answered by the person they name.

Typing a username on the Members page never adds anyone at once, and never tells the inviter
whether that user exists: either way an invitation is recorded with the same answer. When the name
is a user's, only that user sees it (on their home page, after signing in) and may accept or
decline it; otherwise nobody can, and it expires. Such an invitation has no link: its token is
never shown, so the one way to accept it is to be the user it names.

Accepting is a conditional UPDATE (still open -> accepted): of two requests at once, exactly one
changes the row, on SQLite and PostgreSQL alike, and the other is told the invitation is gone.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from servers import services
from servers.models import CloudAccount, Invitation, Membership

GONE = "This invitation has expired, was revoked or was already used."


def invite_by_username(account: CloudAccount, actor, username: str, role: str) -> Invitation:
    """An invitation for `username`, whether or not such a user exists (the caller says the same
    thing either way). The owner and current members are refused: the page lists them anyway."""
    username = username.strip()
    user = get_user_model().objects.filter(username__iexact=username).first()
    # The same queries and writes whether or not the user exists: no timing tells them apart.
    if user is not None and user.pk == account.owner_id:
        raise services.ServiceError(f"{user.get_username()} owns this account.")
    if Membership.objects.filter(account=account, user=user).exists():
        raise services.ServiceError(f"{user.get_username()} is already a member.")
    with transaction.atomic():
        # The token is made and dropped: nobody gets a link to this invitation.
        invitation, _token = services.create_invitation(account, actor, role, username)
        Invitation.objects.filter(pk=invitation.pk).update(invitee_user=user)
        invitation.invitee_user = user
    return invitation


def open_invitations_for(user) -> QuerySet[Invitation]:
    """Invitations naming `user` that they may still accept."""
    if not user.is_authenticated:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            invitee_user=user, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        )
        .select_related("account", "created_by")
        .order_by("-created_at")
    )


def _claim(invitation_id: int, user, **change) -> Invitation:
    """Change an open invitation naming `user`, if it is still open; else ServiceError."""
    changed = Invitation.objects.filter(
        pk=invitation_id,
        invitee_user=user,
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=timezone.now(),
    ).update(**change)
    if not changed:
        raise services.ServiceError(GONE)
    return Invitation.objects.select_related("account").get(pk=invitation_id)


def accept(invitation_id: int, user) -> CloudAccount:
    """Join the account with the invitation's role; never lowers a role already held."""
    with transaction.atomic():
        now = timezone.now()
        invitation = _claim(invitation_id, user, accepted_at=now, accepted_by=user)
        account = invitation.account
        services._join(account, user, invitation.role)
        services._member_record(
            account,
            user,
            "invitation_accepted",
            user.get_username(),
            role=invitation.role,
            invitation=invitation.pk,
        )
    return account


def decline(invitation_id: int, user) -> CloudAccount:
    with transaction.atomic():
        invitation = _claim(invitation_id, user, revoked_at=timezone.now())
        services._member_record(
            invitation.account,
            user,
            "invitation_declined",
            user.get_username(),
            invitation=invitation.pk,
        )
    return invitation.account
