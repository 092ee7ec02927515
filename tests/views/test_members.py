"""The Members page: who shares an account, adding, role changes, removal, leaving, transfer."""

import pytest
from django.test import Client
from django.urls import reverse

from servers import services
from servers.models import ActionLog, CloudAccount, Invitation, Membership
from tests.security.identity import confirm_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(offline_account):
    return offline_account


@pytest.fixture
def people(django_user_model):
    return {
        name: django_user_model.objects.create_user(username=name, password="x" * 20)
        for name in ("bob", "carol", "dave")
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    confirm_identity(client, user)
    return client


def member(account, user, role) -> Membership:
    return Membership.objects.create(account=account, user=user, role=role)


def logged(account, action):
    return list(ActionLog.objects.filter(account=account, action=action))


def invite_by_name(client, account, who, role="operator"):
    return client.post(reverse("members", args=[account.pk]), {"who": who, "role": role})


def test_a_username_gets_an_invitation_they_accept_after_signing_in(owner, account, people):
    response = invite_by_name(owner, account, "bob")
    assert response.status_code == 302
    # Not a member yet: nothing is shared before bob says yes.
    assert not Membership.objects.filter(user=people["bob"]).exists()
    [log] = logged(account, "invitation_created")
    assert log.parameters["invitee"] == "bob" and log.parameters["role"] == "operator"
    bob = signed_in(people["bob"])
    assert bob.get(reverse("account_servers", args=[account.pk])).status_code == 404
    home = bob.get("/").getvalue().decode()
    assert 'data-testid="my-invitation" data-account-name="Team"' in home
    # Nobody else sees it, nor can accept it.
    invitation = Invitation.objects.get()
    carol = signed_in(people["carol"])
    assert 'data-testid="my-invitation"' not in carol.get("/").getvalue().decode()
    carol.post(reverse("invitation_accept", args=[invitation.pk]))
    assert not Membership.objects.filter(user=people["carol"]).exists()

    response = bob.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302
    assert Membership.objects.get(account=account, user=people["bob"]).role == "operator"
    [log] = logged(account, "invitation_accepted")
    assert log.user_name == "bob" and log.parameters["role"] == "operator"
    assert "Team" in bob.get("/accounts/").content.decode()
    assert 'data-testid="my-invitation"' not in bob.get("/").getvalue().decode()
    # Once: a second accept changes nothing and says why.
    again = bob.post(reverse("invitation_accept", args=[invitation.pk]), follow=True)
    assert "already used" in again.getvalue().decode()
    assert len(logged(account, "invitation_accepted")) == 1


@pytest.mark.parametrize(
    ("held", "invited", "after"),
    [("manager", "viewer", "manager"), ("viewer", "manager", "manager")],
)
def test_accepting_a_username_invitation_raises_a_role_but_never_lowers_it(
    owner, account, people, held, invited, after
):
    invite_by_name(owner, account, "bob", role=invited)
    # bob became a member another way after the invitation was written.
    member(account, people["bob"], held)
    bob = signed_in(people["bob"])
    bob.post(reverse("invitation_accept", args=[Invitation.objects.get().pk]))
    assert Membership.objects.get(account=account, user=people["bob"]).role == after
    assert Membership.objects.filter(account=account, user=people["bob"]).count() == 1
    [log] = logged(account, "invitation_accepted")
    assert log.parameters["role"] == invited


def test_a_username_invitation_can_be_declined(owner, account, people):
    invite_by_name(owner, account, "dave")
    invitation = Invitation.objects.get()
    dave = signed_in(people["dave"])
    assert dave.post(reverse("invitation_decline", args=[invitation.pk])).status_code == 302
    assert not Membership.objects.filter(user=people["dave"]).exists()
    assert logged(account, "invitation_declined")[0].user_name == "dave"
    dave.post(reverse("invitation_accept", args=[invitation.pk]))
    assert not Membership.objects.filter(user=people["dave"]).exists()


def _answer(client, account, who) -> tuple:
    """What the inviter learns from inviting `who`, with the name itself taken out."""
    response = invite_by_name(client, account, who)
    page = client.get(response.url).content.decode() if response.status_code == 302 else ""
    toasts = [part.split("</div>")[0] for part in page.split('class="toast ')[1:]]
    rows = [part.split(" as ")[0] for part in page.split('data-testid="open-invitation">')[1:]]
    return (
        response.status_code,
        response.headers.get("Location"),
        [text.replace(who, "NAME") for text in toasts],
        rows[0].replace(who, "NAME") if rows else None,
    )


def test_the_answer_is_the_same_whether_or_not_the_username_exists(owner, account, people):
    known = _answer(owner, account, "carol")
    unknown = _answer(owner, account, "nosuchuser")
    assert known[0] == 302 and known[2] and known[3] == "NAME"
    assert known == unknown
    # The unknown name's invitation names nobody, so nobody can ever accept it, even a user who
    # takes that name later.
    assert Invitation.objects.get(invitee="nosuchuser").invitee_user is None
    assert Invitation.objects.get(invitee="carol").invitee_user == people["carol"]


def test_the_owner_and_members_are_refused_by_name(owner, account, people):
    member(account, people["bob"], "viewer")
    for name in ("alice", "BOB"):
        response = invite_by_name(owner, account, name)
        assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_the_page_lists_members_with_their_roles(owner, account, people):
    member(account, people["bob"], "viewer")
    member(account, people["carol"], "manager")
    page = owner.get(reverse("members", args=[account.pk])).content.decode()
    assert 'data-username="alice" data-role="owner"' in page
    assert 'data-username="bob" data-role="viewer"' in page
    assert 'data-username="carol" data-role="manager"' in page


def test_a_viewer_sees_the_members_but_no_controls_and_cannot_invite(account, people):
    member(account, people["bob"], "viewer")
    bob = signed_in(people["bob"])
    page = bob.get(reverse("members", args=[account.pk])).content.decode()
    assert 'data-username="alice"' in page
    assert 'id="invite-form"' not in page and "Change role" not in page
    assert "Transfer ownership" not in page
    refused = bob.post(reverse("members", args=[account.pk]), {"who": "carol", "role": "viewer"})
    assert refused.status_code == 403
    assert not Membership.objects.filter(user=people["carol"]).exists()


def test_a_manager_changes_a_role_and_removes_a_member(account, people):
    member(account, people["bob"], "manager")
    carol = member(account, people["carol"], "viewer")
    bob = signed_in(people["bob"])
    url = reverse("member_role", args=[account.pk, carol.pk])
    assert bob.post(url, {"role": "operator"}).status_code == 302
    carol.refresh_from_db()
    assert carol.role == "operator"
    [log] = logged(account, "member_role_changed")
    assert log.parameters == {"user": "carol", "old": "viewer", "role": "operator"}
    assert log.user_name == "bob"
    assert bob.post(reverse("member_remove", args=[account.pk, carol.pk])).status_code == 302
    assert not Membership.objects.filter(pk=carol.pk).exists()
    assert logged(account, "member_removed")[0].parameters == {"user": "carol"}
    assert signed_in(people["carol"]).get(reverse("members", args=[account.pk])).status_code == 404


def test_a_manager_cannot_demote_remove_or_replace_the_owner(account, people, user):
    member(account, people["bob"], "manager")
    bob = signed_in(people["bob"])
    page = bob.get(reverse("members", args=[account.pk])).content.decode()
    # The owner's row has no controls: the owner has no membership a form could name.
    owner_row = page.split('data-username="alice"')[1].split("</tr>")[0]
    assert "form" not in owner_row
    assert bob.post(reverse("transfer_ownership", args=[account.pk])).status_code == 403
    assert bob.post(reverse("account_delete", args=[account.pk])).status_code == 403
    # Nor can a membership of another account be used to reach this one.
    other = CloudAccount(owner=people["bob"], name="Bob's", base_url="https://cac.example/")
    other.set_credentials(login="b@example.com", api_key="b" * 30)
    other.save()
    foreign = member(other, people["carol"], "viewer")
    url = reverse("member_remove", args=[account.pk, foreign.pk])
    assert bob.post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
    account.refresh_from_db()
    assert account.owner == user


def test_a_member_leaves_and_the_owner_cannot(owner, account, people):
    member(account, people["bob"], "operator")
    bob = signed_in(people["bob"])
    assert bob.post(reverse("leave_account", args=[account.pk])).status_code == 302
    assert not Membership.objects.filter(user=people["bob"]).exists()
    assert logged(account, "member_left")[0].user_name == "bob"
    assert bob.get(reverse("account_servers", args=[account.pk])).status_code == 404
    owner.post(reverse("leave_account", args=[account.pk]))
    assert CloudAccount.objects.get(pk=account.pk).owner.username == "alice"
    assert not logged(account, "member_left")[1:]


def test_the_owner_transfers_the_account_and_stays_as_manager(owner, account, people, user):
    bob_membership = member(account, people["bob"], "operator")
    page = owner.get(reverse("transfer_ownership", args=[account.pk]))
    assert page.status_code == 200 and "bob" in page.content.decode()
    url = reverse("transfer_ownership", args=[account.pk])
    assert owner.post(url, {"membership": bob_membership.pk}).status_code == 302
    account.refresh_from_db()
    assert account.owner == people["bob"]
    assert Membership.objects.get(account=account, user=user).role == "manager"
    assert not Membership.objects.filter(account=account, user=people["bob"]).exists()
    [log] = logged(account, "ownership_transferred")
    assert log.parameters == {"user": "bob", "previous_owner": "alice"}
    # Alice is a manager now: no more transfers or deletes for her.
    assert owner.post(url, {"membership": ""}).status_code == 403
    assert owner.post(reverse("account_delete", args=[account.pk])).status_code == 403


def test_member_changes_ask_for_a_recent_sign_in(account, people, user):
    carol = member(account, people["carol"], "viewer")
    stale = Client()
    stale.force_login(user)  # force_login records no authentication: as if signed in long ago
    response = stale.post(reverse("member_remove", args=[account.pk, carol.pk]))
    assert response.status_code == 302 and "/reauthenticate/" in response.url
    assert Membership.objects.filter(pk=carol.pk).exists()


def test_services_refuse_owner_as_member_and_duplicates(account, user, people):
    with pytest.raises(services.ServiceError):
        services.add_member(account, user, user, "viewer")
    services.add_member(account, user, people["bob"], "viewer")
    with pytest.raises(services.ServiceError):
        services.add_member(account, user, people["bob"], "manager")
    with pytest.raises(services.ServiceError):
        services.add_member(account, user, people["carol"], "owner")


def test_account_list_hides_edit_and_delete_from_roles_without_them(account, people):
    member(account, people["bob"], "manager")
    member(account, people["carol"], "viewer")
    manager_page = signed_in(people["bob"]).get("/accounts/").content.decode()
    assert reverse("account_edit", args=[account.pk]) in manager_page
    assert reverse("account_delete", args=[account.pk]) not in manager_page
    viewer_page = signed_in(people["carol"]).get("/accounts/").content.decode()
    assert reverse("account_edit", args=[account.pk]) not in viewer_page
    assert "team@example.com" not in viewer_page


@pytest.mark.django_db(transaction=True)
def test_a_manager_reveals_passwords_fresh_and_the_log_keeps_none(
    cac_account, sandbox_customer, django_user_model, sandbox_calls
):
    from tests.views.conftest import HTMX, server_by_label

    web = server_by_label(sandbox_customer, "web-01")
    manager = django_user_model.objects.create_user(username="mgr", password="x" * 20)
    operator = django_user_model.objects.create_user(username="op", password="x" * 20)
    member(cac_account, manager, "manager")
    member(cac_account, operator, "operator")
    url = reverse("reveal_passwords", args=[cac_account.pk, web.sid])
    detail = reverse("server_detail", args=[cac_account.pk, web.sid])
    assert "reveal-passwords" not in signed_in(operator).get(detail).content.decode()
    assert signed_in(operator).post(url).status_code == 403
    client = signed_in(manager)
    assert "reveal-passwords" in client.get(detail).content.decode()
    sandbox_calls.clear()
    for _ in range(2):
        response = client.post(url, **HTMX)
        assert response.status_code == 200
        assert web.rootpass in response.content.decode()
        assert web.vncpass in response.content.decode()
        assert "no-store" in response.headers["Cache-Control"]
    # Asked of the provider each time (the server list is cached; the secrets are not).
    assert len(sandbox_calls.of("listservers")) >= 2
    logs = ActionLog.objects.filter(action="reveal_password")
    assert logs.count() == 2 and {log.server_id for log in logs} == {str(web.sid)}
    for log in logs:
        text = f"{log.parameters} {log.message}"
        assert web.rootpass not in text and web.vncpass not in text
