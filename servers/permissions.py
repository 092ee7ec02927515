"""Who may do what with a CloudAccount: the one place every view asks.

A user either has a role on an account or does not see it at all (404, so that account ids do not
leak). A role grants capabilities; a role without the needed capability gets 403. The owner is
CloudAccount.owner; every other member has a Membership row with its role.
"""

from enum import StrEnum

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from servers.models import CloudAccount, Membership


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
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, OPERATE}),
    "manager": frozenset({VIEW, OPERATE, BUILD, MANAGE}),
    "owner": frozenset(Capability),
}
ROLES = ("viewer", "operator", "manager", "owner")
TWO_FACTOR_MESSAGE = (
    "This account requires two-factor sign-in: set it up under Security before you act on it."
)


def role_for(user, account: CloudAccount) -> str | None:
    if not user.is_authenticated:
        return None
    if account.owner_id == user.pk:
        return "owner"
    # One query per request and account: views ask several times (page, buttons, partials).
    cache = account.__dict__.setdefault("_roles", {})
    if user.pk not in cache:
        cache[user.pk] = (
            Membership.objects.filter(account=account, user=user)
            .values_list("role", flat=True)
            .first()
        )
    return cache[user.pk]


def has_two_factor(user) -> bool:
    """Whether the user signs in with an authenticator app (allauth MFA); asked once a request."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_catcpanel_two_factor"):
        user._catcpanel_two_factor = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists()
    return user._catcpanel_two_factor


def blocked_by_two_factor(user, account: CloudAccount) -> bool:
    """The owner requires two-factor sign-in and this user has not set it up: look, don't act."""
    return account.require_two_factor and not has_two_factor(user)


def capabilities_for(user, account: CloudAccount) -> frozenset[Capability]:
    role = role_for(user, account)
    granted = ROLE_CAPABILITIES.get(role, frozenset()) if role else frozenset()
    if granted and blocked_by_two_factor(user, account):
        return granted & {VIEW}
    return granted


def has_capability(user, account: CloudAccount, capability: Capability) -> bool:
    return capability in capabilities_for(user, account)


class Caps:
    """What a user may do on an account, for templates: {% if caps.operate %}."""

    def __init__(self, user, account: CloudAccount):
        self.role = role_for(user, account)
        self.needs_two_factor = self.role is not None and blocked_by_two_factor(user, account)
        granted = capabilities_for(user, account)
        for capability in Capability:
            setattr(self, capability.value, capability in granted)


def caps_for(user, account: CloudAccount) -> Caps:
    return Caps(user, account)


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
    if capability not in capabilities_for(request.user, account):
        raise PermissionDenied(TWO_FACTOR_MESSAGE)
    return account
