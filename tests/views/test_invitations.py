"""Invitation links: shown once, stored as a hash, mailed when there is an address, used once,
expiring, revocable; a signed-in user accepts, a new person creates a user and joins."""

import contextlib
import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from servers import services
from servers.models import ActionLog, Invitation, Membership
from tests.security.identity import confirm_identity

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/invitations/[A-Za-z0-9_-]+/)")


@pytest.fixture
def account(offline_account):
    return offline_account


def invite(owner, account, who="", role="operator") -> str:
    response = owner.post(reverse("members", args=[account.pk]), {"who": who, "role": role})
    assert response.status_code == 200
    return LINK.search(response.content.decode()).group(1)


def test_the_link_is_shown_once_and_only_its_hash_is_stored(owner, account):
    path = invite(owner, account)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values()))
    assert invitation.expires_at - timezone.now() > timedelta(days=6)
    [log] = ActionLog.objects.filter(action="invitation_created")
    assert token not in str(log.parameters) and log.parameters["role"] == "operator"
    # The page lists the open invitation, never its link again.
    page = owner.get(reverse("members", args=[account.pk])).content.decode()
    assert "open-invitation" in page and token not in page
    assert mail.outbox == []


def test_an_email_address_gets_the_link_by_mail(owner, account):
    path = invite(owner, account, who="newcomer@example.com")
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert path in message.body and "Team" in message.subject


def test_a_signed_in_user_accepts_once(owner, account, django_user_model):
    path = invite(owner, account, role="viewer")
    bob_user = django_user_model.objects.create_user(username="bob", password="x" * 20)
    bob = Client()
    bob.force_login(bob_user)
    page = bob.get(path)
    assert page.status_code == 200 and "accept-invitation" in page.content.decode()
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = bob.post(path)
    assert response.status_code == 302
    assert response.url == reverse("account_servers", args=[account.pk])
    assert Membership.objects.get(account=account, user=bob_user).role == "viewer"
    [log] = ActionLog.objects.filter(action="invitation_accepted")
    assert log.user_name == "bob" and log.parameters["role"] == "viewer"
    # Used: the link works no more, for anybody.
    assert bob.get(path).status_code == 404
    assert Client().get(path).status_code == 404


def test_a_new_person_creates_a_user_through_the_link(owner, account):
    path = invite(owner, account, who="new@example.com", role="operator")
    stranger = Client()
    page = stranger.get(path)
    assert page.status_code == 200 and "signup-and-join" in page.content.decode()
    weak = stranger.post(path, {"username": "newbie", "password1": "123", "password2": "123"})
    assert weak.status_code == 400
    assert not get_user_model().objects.filter(username="newbie").exists()
    differ = {"username": "newbie", "password1": "a long pass phrase 1", "password2": "other"}
    assert stranger.post(path, differ).status_code == 400
    taken = {
        "username": "ALICE",
        "password1": "a long pass phrase 1",
        "password2": "a long pass phrase 1",
    }
    assert "taken" in stranger.post(path, taken).content.decode()
    good = {
        "username": "newbie",
        "password1": "a long pass phrase 1",
        "password2": "a long pass phrase 1",
    }
    response = stranger.post(path, good)
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert newbie.email == "new@example.com" and newbie.check_password(good["password1"])
    assert Membership.objects.get(account=account, user=newbie).role == "operator"
    # Signed in as the new user, who sees the account.
    assert "Team" in stranger.get("/").getvalue().decode()
    assert Client().post(path, {**good, "username": "second"}).status_code == 404


def test_an_expired_or_revoked_link_is_404(owner, account, user):
    expired_path = invite(owner, account)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(expired_path).status_code == 404
    revoked_path = invite(owner, account)
    invitation = Invitation.objects.order_by("-created_at").first()
    revoke = reverse("invitation_revoke", args=[account.pk, invitation.pk])
    assert owner.post(revoke).status_code == 302
    assert Client().get(revoked_path).status_code == 404
    assert ActionLog.objects.filter(action="invitation_revoked").count() == 1
    with pytest.raises(services.ServiceError):
        services.accept_invitation(revoked_path.rstrip("/").rsplit("/", 1)[1], user)


def test_accepting_never_lowers_a_role(owner, account, django_user_model):
    carol_user = django_user_model.objects.create_user(username="carol", password="x" * 20)
    Membership.objects.create(account=account, user=carol_user, role="manager")
    path = invite(owner, account, role="viewer")
    carol = Client()
    carol.force_login(carol_user)
    confirm_identity(carol, carol_user)
    carol.post(path)
    assert Membership.objects.get(account=account, user=carol_user).role == "manager"


def test_a_made_up_token_is_404(client):
    assert client.get("/invitations/made-up/").status_code == 404
    assert client.post("/invitations/made-up/", {"username": "x"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_one_link_at_once_one_joins_the_other_is_told(
    account, user, django_user_model, monkeypatch
):
    owner = Client()
    owner.force_login(user)
    confirm_identity(owner, user)
    path = invite(owner, account, role="operator")
    people = [
        django_user_model.objects.create_user(username=name, password="x" * 20)
        for name in ("bob", "carol")
    ]
    clients = {}
    for person in people:
        clients[person.username] = Client()
        clients[person.username].force_login(person)
    # Both requests find the link open before either accepts it: the race, every time.
    both_checked = threading.Barrier(2, timeout=10)
    real_open, real_accept = services.open_invitation, services.accept_invitation
    # PostgreSQL runs both accepting transactions at once (select_for_update makes the second
    # wait for the first). SQLite runs one writer at a time: a file database makes the second
    # wait for the lock (busy timeout), but the tests' in-memory database, shared between
    # threads, answers "table is locked" at once instead. This lock stands in for that wait.
    one_writer = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def open_then_wait(token):
        found = real_open(token)
        both_checked.wait()
        return found

    def accept_as_the_database_allows(token, user):
        with one_writer:
            return real_accept(token, user)

    monkeypatch.setattr(services, "open_invitation", open_then_wait)
    monkeypatch.setattr(services, "accept_invitation", accept_as_the_database_allows)
    answers, failures = {}, []

    def accept(person):
        try:
            answers[person.username] = clients[person.username].post(path)
        except Exception as error:
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    statuses = sorted(response.status_code for response in answers.values())
    assert statuses == [302, 409]
    [loser] = [response for response in answers.values() if response.status_code == 409]
    assert "already used" in loser.content.decode()
    assert Membership.objects.filter(account=account).count() == 1
    assert ActionLog.objects.filter(action="invitation_accepted").count() == 1


def test_a_line_break_in_the_account_name_never_reaches_a_mail_header(owner, account):
    account.name = "Team\r\nBcc: everyone@example.com\nX-Evil: 1"
    account.save()
    invite(owner, account, who="newcomer@example.com")
    [message] = mail.outbox
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers and "\nX-Evil" not in headers
    assert message.subject == "Invitation to Team Bcc: everyone@example.com X-Evil: 1 on catcpanel"
    assert message.recipients() == ["newcomer@example.com"]


def test_an_address_with_a_line_break_is_refused(owner, account):
    response = owner.post(
        reverse("members", args=[account.pk]),
        {"who": "a@example.com\nBcc: b@example.com", "role": "viewer"},
    )
    assert response.status_code == 200
    assert "Enter a username, an email address" in response.content.decode()
    assert mail.outbox == [] and not Invitation.objects.exists()
