"""Who may do what with a CloudAccount: the one place every view asks.

A user either has a role on an account or does not see it at all (404, so that account ids do not
leak). A role grants capabilities; a role without the needed capability gets 403. Team roles come
later: they extend `ROLE_CAPABILITIES` and `role_for`, and nothing else changes.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from servers.models import CloudAccount


class Capability(StrEnum):
    VIEW = "view"  # see servers, templates, tasks, resources, activity
    OPERATE = "operate"  # power, run mode, rename, reverse DNS, console
    BUILD = "build"  # Cloud Pro build and delete, reveal passwords
    MANAGE = "manage"  # edit credentials and members
    OWN = "own"  # delete or transfer the account


VIEW = Capability.VIEW
OPERATE = Capability.OPERATE
BUILD = Capability.BUILD
MANAGE = Capability.MANAGE
OWN = Capability.OWN

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "owner": frozenset(Capability),
}


def role_for(user, account: CloudAccount) -> str | None:
    if not user.is_authenticated:
        return None
    if account.owner_id == user.pk:
        return "owner"
    return None


def capabilities_for(user, account: CloudAccount) -> frozenset[Capability]:
    role = role_for(user, account)
    return ROLE_CAPABILITIES.get(role, frozenset()) if role else frozenset()


def has_capability(user, account: CloudAccount, capability: Capability) -> bool:
    return capability in capabilities_for(user, account)


def get_account_or_404(request, account_id, capability: Capability) -> CloudAccount:
    """The account if the user may use it for `capability`; 404 for strangers, 403 for the rest."""
    try:
        account = CloudAccount.objects.get(pk=account_id)
    except (CloudAccount.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such account.") from None
    role = role_for(request.user, account)
    if role is None:
        raise Http404("No such account.")
    if capability not in ROLE_CAPABILITIES.get(role, frozenset()):
        raise PermissionDenied("Your role on this account does not allow that.")
    return account
