import pytest
from django.core.management import CommandError, call_command

from servers.models import ActionLog, CloudAccount, Membership

pytestmark = pytest.mark.django_db


def make_account(owner, name):
    account = CloudAccount(owner=owner, name=name, base_url="https://cac.example/api/v1/")
    account.set_credentials(login="x@example.com", api_key="k" * 30)
    account.save()
    return account


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="x" * 20)


def test_share_change_and_remove(user, bob, capsys):
    account = make_account(user, "Team")
    call_command("share_account", account="Team", user="bob", role="viewer")
    assert Membership.objects.get(account=account, user=bob).role == "viewer"
    call_command("share_account", account=str(account.pk), user="bob", role="manager")
    assert Membership.objects.get(account=account, user=bob).role == "manager"
    call_command("share_account", account="Team", user="bob", remove=True)
    assert not Membership.objects.exists()
    actions = list(ActionLog.objects.order_by("started_at", "id").values_list("action", flat=True))
    assert actions[-3:] == ["member_added", "member_role_changed", "member_removed"]
    assert "Removed bob" in capsys.readouterr().out


def test_an_ambiguous_name_asks_for_the_id(user, bob):
    first, second = make_account(user, "Twin"), make_account(user, "Twin")
    with pytest.raises(CommandError) as raised:
        call_command("share_account", account="Twin", user="bob", role="viewer")
    assert str(first.pk) in str(raised.value) and str(second.pk) in str(raised.value)
    call_command("share_account", account=str(second.pk), user="bob", role="operator")
    assert Membership.objects.get().account == second


@pytest.mark.parametrize(
    "kwargs",
    [
        {"account": "Nope", "user": "bob", "role": "viewer"},
        {"account": "Team", "user": "nobody", "role": "viewer"},
        {"account": "Team", "user": "alice", "role": "viewer"},
        {"account": "Team", "user": "bob"},
        {"account": "Team", "user": "bob", "remove": True},
    ],
)
def test_refusals(user, bob, kwargs):
    make_account(user, "Team")
    with pytest.raises(CommandError):
        call_command("share_account", **kwargs)


def test_an_unknown_role_is_refused(user, bob):
    make_account(user, "Team")
    with pytest.raises(CommandError):
        call_command("share_account", account="Team", user="bob", role="owner")
