"""Every URL of the project, every role and its methods, with the status each must get.

The list of URLs comes from the URL configuration: a named URL without an entry in MATRIX fails
`test_every_url_has_an_entry`, so a new view cannot ship without saying who may use it.

Excluded, on purpose: allauth's pages (sign-in, sign-up, two-factor: their own tests), the admin
(staff only, behind allauth's sign-in), the sandbox (a test double of the provider) and /healthz
(public by design, for load balancers), /favicon.ico (public, an icon).

Each entry names the capability a method needs (or who else it serves) and the status an allowed
role gets. A POST that would really act sends invalid or harmless data: the permission check runs
before validation, so 403 and 404 still say "refused" and the allowed status says "let through".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from servers.models import Invitation, Membership
from servers.permissions import BUILD, MANAGE, OPERATE, OWN, ROLE_CAPABILITIES, VIEW
from tests.security.identity import confirm_identity
from tests.views.conftest import server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

EXCLUDED_NAMESPACES = {"admin", "sandbox"}
EXCLUDED_PREFIXES = ("auth/",)  # allauth
EXCLUDED_NAMES = {"healthz", "favicon"}  # public by design

# Destructive actions by the owner come last, so that the roles before them see the account.
ROLES = ("anonymous", "outsider", "viewer", "operator", "manager", "owner")

SIGNED_IN = "signed-in"  # any signed-in person, no account involved
NOBODY = "nobody"  # a bogus token: 404 for everyone


@dataclass(frozen=True)
class Rule:
    need: object  # a Capability, SIGNED_IN or NOBODY
    ok: int  # the status an allowed role gets
    data: dict = field(default_factory=dict)


MATRIX: dict[str, dict[str, Rule]] = {
    "home": {"GET": Rule(SIGNED_IN, 200)},
    "sections": {"GET": Rule(SIGNED_IN, 200)},
    # Each server's account is checked on its own row (tests/views/test_bulk.py).
    "bulk_power": {"POST": Rule(SIGNED_IN, 400)},
    "account_list": {"GET": Rule(SIGNED_IN, 200)},
    "account_add": {"GET": Rule(SIGNED_IN, 200), "POST": Rule(SIGNED_IN, 200, {"name": ""})},
    "account_edit": {"GET": Rule(MANAGE, 200), "POST": Rule(MANAGE, 200, {"name": ""})},
    "account_delete": {"GET": Rule(OWN, 200), "POST": Rule(OWN, 302)},
    "account_test": {"POST": Rule(VIEW, 302)},
    "members": {"GET": Rule(VIEW, 200), "POST": Rule(MANAGE, 200, {"role": "bogus"})},
    "member_role": {"POST": Rule(MANAGE, 302, {"role": "bogus"})},
    "member_remove": {"POST": Rule(MANAGE, 302)},
    "leave_account": {"POST": Rule(VIEW, 302)},
    "two_factor_requirement": {"POST": Rule(OWN, 302)},
    "transfer_ownership": {"GET": Rule(OWN, 200), "POST": Rule(OWN, 400, {"membership": ""})},
    "invitation_revoke": {"POST": Rule(MANAGE, 302)},
    "invitation": {"GET": Rule(NOBODY, 404), "POST": Rule(NOBODY, 404)},
    # Someone else's invitation: refused with a message on the home page, for anyone signed in.
    "invitation_accept": {"POST": Rule(SIGNED_IN, 302)},
    "invitation_decline": {"POST": Rule(SIGNED_IN, 302)},
    "account_servers": {"GET": Rule(VIEW, 200)},
    "templates": {"GET": Rule(VIEW, 200)},
    "tasks": {"GET": Rule(VIEW, 200)},
    "cloudpro": {"GET": Rule(VIEW, 200)},
    "build": {"POST": Rule(BUILD, 200, {"cpu": "0"})},
    "account_activity": {"GET": Rule(VIEW, 200)},
    "server_detail": {"GET": Rule(VIEW, 200)},
    "power": {"POST": Rule(OPERATE, 302, {"action": "bogus"})},
    "run_mode": {"POST": Rule(OPERATE, 302, {"mode": "bogus"})},
    "rename": {"GET": Rule(OPERATE, 200), "POST": Rule(OPERATE, 200, {"name": ""})},
    "reverse_dns": {"GET": Rule(OPERATE, 200), "POST": Rule(OPERATE, 200, {"hostname": ""})},
    "console": {"POST": Rule(OPERATE, 302)},
    "delete_server": {"GET": Rule(BUILD, 200), "POST": Rule(BUILD, 200, {"confirm_name": "no"})},
    "reveal_passwords": {"POST": Rule(BUILD, 200)},
    "server_activity": {"GET": Rule(VIEW, 200)},
    "notification_settings": {
        "GET": Rule(VIEW, 200),
        "POST": Rule(VIEW, 400, {"webhook_url": "ftp://x"}),
    },
}


def url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if entry.namespace in EXCLUDED_NAMESPACES or route.startswith(EXCLUDED_PREFIXES):
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and entry.name not in EXCLUDED_NAMES:
                assert entry.name, f"every panel URL has a name: {route}"
                names.add(entry.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_has_an_entry():
    names = url_names()
    assert names - MATRIX.keys() == set(), "add these URLs to MATRIX"
    assert MATRIX.keys() - names == set(), "these MATRIX entries name no URL"


def expected(role: str, rule: Rule) -> int:
    if rule.need == NOBODY:
        return rule.ok
    if role == "anonymous":
        return 302
    if rule.need == SIGNED_IN:
        return rule.ok
    if role == "outsider":
        return 404
    return rule.ok if rule.need in ROLE_CAPABILITIES[role] else 403


@pytest.fixture
def cast(cac_account, sandbox_customer, django_user_model):
    clients = {"anonymous": Client(), "owner": None}
    users = {"owner": cac_account.owner}
    for role in ("outsider", "viewer", "operator", "manager"):
        users[role] = django_user_model.objects.create_user(username=role, password="x" * 20)
        if role != "outsider":
            Membership.objects.create(account=cac_account, user=users[role], role=role)
    for role, person in users.items():
        client = Client()
        client.force_login(person)
        # Re-authentication is not what this matrix tests: every session has just signed in.
        confirm_identity(client, person)
        clients[role] = client
    return {"account": cac_account, "customer": sandbox_customer, "clients": clients}


def _spare_membership(account, django_user_model) -> Membership:
    spare = django_user_model.objects.create_user(username=f"spare-{uuid.uuid4().hex[:8]}")
    return Membership.objects.create(account=account, user=spare, role="viewer")


def kwargs_for(name: str, cast, django_user_model) -> dict:
    account, customer = cast["account"], cast["customer"]
    params = get_resolver().reverse_dict.getlist(name)[0][0][0][1]
    values = {}
    for param in params:
        if param == "account_id":
            values[param] = account.pk
        elif param == "server_id":
            label = "cp-app" if name == "delete_server" else "web-01"
            values[param] = server_by_label(customer, label).sid
        elif param == "membership_id":
            # A fresh member each time: a removal by one role leaves the next one a target.
            values[param] = _spare_membership(account, django_user_model).pk
        elif param == "invitation_id":
            invitation = Invitation.objects.create(
                account=account,
                role="viewer",
                token_hash=uuid.uuid4().hex * 2,
                expires_at="2999-01-01T00:00:00Z",
            )
            values[param] = invitation.pk
        elif param == "token":
            values[param] = "not-a-real-token"
        else:
            raise AssertionError(f"no value for {param} in {name}")
    return values


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_status_by_role_and_method(name, cast, django_user_model):
    failures = []
    for method in ("GET", "POST"):
        rule = MATRIX[name].get(method)
        if rule is None:
            continue
        for role in ROLES:
            url = reverse(name, kwargs=kwargs_for(name, cast, django_user_model))
            client = cast["clients"][role]
            response = client.get(url) if method == "GET" else client.post(url, rule.data)
            want = expected(role, rule)
            got = response.status_code
            if got != want:
                failures.append(f"{method} {role}: {got}, expected {want}")
            elif role == "anonymous" and want == 302:
                assert response.url.startswith("/auth/login/?next="), response.url
    assert not failures, f"{name}: " + "; ".join(failures)


def test_the_matrix_covers_every_role_and_capability():
    # A role added to the permissions module must be added to this matrix's cast too.
    assert set(ROLE_CAPABILITIES) | {"anonymous", "outsider"} == set(ROLES)
    assert {VIEW, OPERATE, BUILD, MANAGE, OWN} <= {
        rule.need for methods in MATRIX.values() for rule in methods.values()
    }
