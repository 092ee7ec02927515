import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from servers import permissions
from servers.models import CloudAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(offline_account):
    return offline_account


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("capability", list(permissions.Capability))
def test_owner_has_every_capability(user, account, capability):
    assert permissions.get_account_or_404(request_by(user), account.pk, capability) == account


@pytest.mark.parametrize("capability", list(permissions.Capability))
def test_someone_else_gets_404_whatever_they_ask(django_user_model, account, capability):
    other = django_user_model.objects.create_user(username="bob", password="x" * 20)
    with pytest.raises(Http404):
        permissions.get_account_or_404(request_by(other), account.pk, capability)


def test_anonymous_gets_404(account):
    with pytest.raises(Http404):
        permissions.get_account_or_404(request_by(AnonymousUser()), account.pk, permissions.VIEW)


def test_unknown_or_malformed_id_is_404(user):
    for account_id in ("7d0b7a2e-51d8-4f0a-9a44-6d0f0c2d1a11", "not-a-uuid"):
        with pytest.raises(Http404):
            permissions.get_account_or_404(request_by(user), account_id, permissions.VIEW)


def test_a_role_without_the_capability_gets_403(monkeypatch, django_user_model, account):
    """The map is the one place a new role goes: a read-only role may look but not act."""
    viewer = django_user_model.objects.create_user(username="vic", password="x" * 20)
    monkeypatch.setitem(permissions.ROLE_CAPABILITIES, "viewer", frozenset({permissions.VIEW}))
    real_role_for = permissions.role_for
    monkeypatch.setattr(
        permissions,
        "role_for",
        lambda user, acct: "viewer" if user == viewer else real_role_for(user, acct),
    )
    request = request_by(viewer)
    assert permissions.get_account_or_404(request, account.pk, permissions.VIEW) == account
    for capability in (permissions.OPERATE, permissions.BUILD, permissions.MANAGE, permissions.OWN):
        with pytest.raises(PermissionDenied):
            permissions.get_account_or_404(request, account.pk, capability)
    assert not permissions.has_capability(viewer, account, permissions.OPERATE)


def test_role_for_names_the_owner_only(user, django_user_model, account):
    other = django_user_model.objects.create_user(username="bob", password="x" * 20)
    assert permissions.role_for(user, account) == "owner"
    assert permissions.role_for(other, account) is None
    assert permissions.role_for(AnonymousUser(), account) is None


CAPABILITY_TABLE = {
    "viewer": {permissions.VIEW},
    "operator": {permissions.VIEW, permissions.OPERATE},
    "manager": {permissions.VIEW, permissions.OPERATE, permissions.BUILD, permissions.MANAGE},
    "owner": set(permissions.Capability),
}


@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
def test_a_member_gets_exactly_the_capabilities_of_the_issue_table(
    django_user_model, account, role
):
    from servers.models import Membership

    member = django_user_model.objects.create_user(username=f"m-{role}", password="x" * 20)
    Membership.objects.create(account=account, user=member, role=role)
    fresh = CloudAccount.objects.get(pk=account.pk)
    assert permissions.role_for(member, fresh) == role
    request = request_by(member)
    for capability in permissions.Capability:
        if capability in CAPABILITY_TABLE[role]:
            assert permissions.get_account_or_404(request, account.pk, capability) == account
        else:
            with pytest.raises(PermissionDenied):
                permissions.get_account_or_404(request, account.pk, capability)
    caps = permissions.caps_for(member, fresh)
    assert caps.role == role
    assert {c for c in permissions.Capability if getattr(caps, c.value)} == CAPABILITY_TABLE[role]


def test_a_membership_on_another_account_grants_nothing_here(user, django_user_model, account):
    from servers.models import Membership

    member = django_user_model.objects.create_user(username="elsewhere", password="x" * 20)
    other = CloudAccount(owner=user, name="Other", base_url="https://cac.example/api/v1/")
    other.set_credentials(login="o@example.com", api_key="o" * 30)
    other.save()
    Membership.objects.create(account=other, user=member, role="manager")
    with pytest.raises(Http404):
        permissions.get_account_or_404(request_by(member), account.pk, permissions.VIEW)
