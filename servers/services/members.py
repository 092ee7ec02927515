"""Who may act on an account: members and their roles, invitation links, ownership and the
two-factor requirement. Touches Membership, Invitation and CloudAccount rows, never the provider.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from servers import permissions
from servers.models import ActionLog, CloudAccount, Invitation, Membership, Role
from servers.services.actionlog import _record
from servers.services.errors import ServiceError

INVITATION_DAYS = 7


def _member_record(account, actor, action: str, member_name: str = "", **parameters) -> ActionLog:
    if member_name:
        parameters = {"user": member_name, **parameters}
    return _record(account, actor, action, parameters)


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ServiceError("Choose viewer, operator or manager.")
    return role


def add_member(account: CloudAccount, actor, user, role: str) -> Membership:
    """Give `user` a role on the account; the owner and existing members are refused."""
    _check_role(role)
    if user.pk == account.owner_id:
        raise ServiceError(f"{user.get_username()} owns this account.")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            account=account, user=user, defaults={"role": role}
        )
        if not created:
            raise ServiceError(f"{user.get_username()} is already a member.")
        _member_record(account, actor, "member_added", user.get_username(), role=role)
    return membership


def change_role(account: CloudAccount, actor, membership: Membership, role: str) -> Membership:
    # The owner has no Membership row: no role change can reach (or demote) the owner.
    _check_role(role)
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    old = membership.role
    if old == role:
        return membership
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        _member_record(
            account,
            actor,
            "member_role_changed",
            membership.user.get_username(),
            old=old,
            role=role,
        )
    return membership


def remove_member(account: CloudAccount, actor, membership: Membership) -> None:
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    with transaction.atomic():
        name = membership.user.get_username()
        membership.delete()
        _member_record(account, actor, "member_removed", name)


def leave_account(account: CloudAccount, user) -> None:
    if account.owner_id == user.pk:
        raise ServiceError("The owner cannot leave: transfer the ownership first.")
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(account=account, user=user).delete()
        if deleted:
            _member_record(account, user, "member_left", user.get_username())


def set_two_factor_requirement(account: CloudAccount, actor, required: bool) -> CloudAccount:
    """Require (or stop requiring) two-factor sign-in from everyone who acts on the account."""
    if actor.pk != account.owner_id:
        raise ServiceError("Only the owner can change the two-factor requirement.")
    if required and not permissions.has_two_factor(actor):
        raise ServiceError("Set up two-factor sign-in for yourself first, under Security.")
    if account.require_two_factor == required:
        return account
    with transaction.atomic():
        CloudAccount.objects.filter(pk=account.pk).update(require_two_factor=required)
        account.require_two_factor = required
        _member_record(account, actor, "two_factor_required" if required else "two_factor_optional")
    return account


def transfer_ownership(account: CloudAccount, actor, membership: Membership) -> CloudAccount:
    """The member becomes the owner; the old owner stays on as a manager."""
    if actor.pk != account.owner_id:
        raise ServiceError("Only the owner can transfer the account.")
    if membership.account_id != account.pk:
        raise ServiceError("That person is not a member of this account.")
    with transaction.atomic():
        old_owner = account.owner
        new_owner = membership.user
        membership.delete()
        CloudAccount.objects.filter(pk=account.pk).update(owner=new_owner)
        account.owner = new_owner
        account.__dict__.pop("_roles", None)
        Membership.objects.create(account=account, user=old_owner, role=Role.MANAGER)
        _member_record(
            account,
            actor,
            "ownership_transferred",
            new_owner.get_username(),
            previous_owner=old_owner.get_username(),
        )
    return account


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    account: CloudAccount, actor, role: str, invitee: str = ""
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is returned once and never stored."""
    _check_role(role)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            account=account,
            role=role,
            token_hash=hash_token(token),
            invitee=invitee[:254],
            created_by=actor if actor is not None and actor.is_authenticated else None,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        _record(
            account,
            actor,
            "invitation_created",
            {"role": role, "invitee": invitee[:254], "invitation": invitation.pk},
        )
    return invitation, token


def revoke_invitation(account: CloudAccount, actor, invitation: Invitation) -> None:
    if invitation.account_id != account.pk:
        raise ServiceError("No such invitation on this account.")
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if updated:
            _record(account, actor, "invitation_revoked", {"invitation": invitation.pk})


def open_invitation(token: str) -> Invitation | None:
    """The invitation this token opens, if it is still open (not used, revoked or expired)."""
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.select_related("account").filter(token_hash=hash_token(token)).first()
    )
    return invitation if invitation is not None and invitation.is_open else None


def _join(account: CloudAccount, user, role: str) -> None:
    """Make `user` a member with `role`, inside the caller's transaction; the owner needs no
    membership, and an invitation never lowers a role someone already has."""
    if account.owner_id == user.pk:
        return
    membership, created = Membership.objects.get_or_create(
        account=account, user=user, defaults={"role": role}
    )
    rank = Role.values.index
    if not created and rank(role) > rank(membership.role):
        membership.role = role
        membership.save(update_fields=["role"])


def accept_invitation(token: str, user) -> CloudAccount:
    """Join the account with the invitation's role; the link works once."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("account")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if invitation is None or not invitation.is_open:
            raise ServiceError("This invitation has expired, was revoked or was already used.")
        account = invitation.account
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _join(account, user, invitation.role)
        _member_record(
            account,
            user,
            "invitation_accepted",
            user.get_username(),
            role=invitation.role,
            invitation=invitation.pk,
        )
    return account
