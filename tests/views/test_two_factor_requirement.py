"""An owner can require two-factor sign-in: a member without it sees the account but cannot act."""

import pytest
from django.test import Client
from django.urls import reverse

from servers.models import ActionLog, CloudAccount, Membership
from tests.security.identity import confirm_identity, enable_totp
from tests.views.conftest import server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    confirm_identity(client, user)
    return client


@pytest.fixture
def operator(cac_account, django_user_model):
    person = django_user_model.objects.create_user(username="olga", password="x" * 20)
    Membership.objects.create(account=cac_account, user=person, role="operator")
    return person


def require(client, account, required: bool):
    data = {"required": "on"} if required else {}
    return client.post(reverse("two_factor_requirement", args=[account.pk]), data)


def test_an_owner_without_two_factor_cannot_require_it(user, cac_account):
    client = signed_in(user)
    response = require(client, cac_account, True)
    assert response.status_code == 302
    cac_account.refresh_from_db()
    assert cac_account.require_two_factor is False
    assert not ActionLog.objects.filter(action="two_factor_required").exists()
    page = client.get(response.url)
    assert "Set up two-factor sign-in for yourself first" in page.content.decode()


def test_an_owner_with_two_factor_requires_it_and_it_is_recorded(user, cac_account):
    enable_totp(user)
    client = signed_in(user)
    require(client, cac_account, True)
    cac_account.refresh_from_db()
    assert cac_account.require_two_factor is True
    log = ActionLog.objects.get(action="two_factor_required")
    assert (log.user_name, log.account_id) == ("alice", cac_account.pk)

    require(client, cac_account, False)
    cac_account.refresh_from_db()
    assert cac_account.require_two_factor is False
    assert ActionLog.objects.filter(action="two_factor_optional").count() == 1


def test_only_the_owner_sets_the_requirement(cac_account, operator, django_user_model):
    manager = django_user_model.objects.create_user(username="max", password="x" * 20)
    Membership.objects.create(account=cac_account, user=manager, role="manager")
    enable_totp(manager)
    assert require(signed_in(manager), cac_account, True).status_code == 403
    cac_account.refresh_from_db()
    assert cac_account.require_two_factor is False


def test_a_member_without_two_factor_can_look_but_not_act(
    cac_account, sandbox_customer, operator, sandbox_calls
):
    CloudAccount.objects.filter(pk=cac_account.pk).update(require_two_factor=True)
    web = server_by_label(sandbox_customer, "web-01")
    client = signed_in(operator)

    page = client.get(reverse("server_detail", args=[cac_account.pk, web.sid]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="two-factor-required"' in body
    assert 'data-testid="power-off"' not in body

    sandbox_calls.clear()
    refused = client.post(reverse("power", args=[cac_account.pk, web.sid]), {"action": "poweroff"})
    assert refused.status_code == 403
    assert sandbox_calls.of("powerop") == []
    assert not ActionLog.objects.filter(action="power").exists()


def test_the_same_member_acts_once_two_factor_is_set_up(
    cac_account, sandbox_customer, operator, sandbox_calls
):
    CloudAccount.objects.filter(pk=cac_account.pk).update(require_two_factor=True)
    enable_totp(operator)
    web = server_by_label(sandbox_customer, "web-01")
    client = signed_in(operator)

    page = client.get(reverse("server_detail", args=[cac_account.pk, web.sid]))
    assert 'data-testid="two-factor-required"' not in page.content.decode()
    client.post(reverse("power", args=[cac_account.pk, web.sid]), {"action": "poweroff"})
    assert len(sandbox_calls.of("powerop")) == 1


def test_without_the_requirement_nobody_is_asked(cac_account, sandbox_customer, operator):
    web = server_by_label(sandbox_customer, "web-01")
    page = signed_in(operator).get(reverse("server_detail", args=[cac_account.pk, web.sid]))
    body = page.content.decode()
    assert 'data-testid="two-factor-required"' not in body
    assert 'data-testid="power-off"' in body
