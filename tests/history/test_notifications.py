"""Events noticed in sampling rounds against the sandbox, delivered once to a real SMTP server and
a real webhook receiver on 127.0.0.1, with the signature checked and nothing secret inside."""

import hashlib
import hmac
import json
import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from history import notify, worker
from history.models import Delivery, Event, EventKind, NotificationPreference
from sandbox.models import SandboxServer, SandboxTask
from servers import selectors, services
from servers.models import Membership
from tests.history.conftest import at, sandbox_servers
from tests.history.receivers import SmtpSink, WebhookReceiver

ALL_KINDS = [kind.value for kind in EventKind]


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


@pytest.fixture
def hook(settings):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = True
    with WebhookReceiver() as receiver:
        yield receiver


def subscribe(user, account, hook=None, kinds=ALL_KINDS, email=True) -> str:
    preference = NotificationPreference(
        user=user, account=account, kinds=kinds, email=email, webhook_url=hook.url if hook else ""
    )
    secret = preference.new_webhook_secret() if hook else ""
    preference.save()
    return secret


def tick(minutes):
    cache.clear()  # each round reads the provider afresh
    return worker.tick(at(minutes))


def running(customer) -> SandboxServer:
    return next(s for s in sandbox_servers(customer) if s.status == SandboxServer.Status.ON)


def secrets_of(customer) -> list[str]:
    values = [customer.api_key, customer.login]
    for server in sandbox_servers(customer):
        values += [server.rootpass, server.vncpass]
    return [value for value in values if value]


def assert_signed(request, secret):
    headers = request["headers"]
    expected = hmac.new(
        secret.encode(),
        headers["X-Catcpanel-Timestamp"].encode() + b"." + request["body"],
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Catcpanel-Signature"] == f"sha256={expected}"
    # The receiver's check fails for another secret.
    assert headers["X-Catcpanel-Signature"] != notify.signature(
        "not-the-secret", headers["X-Catcpanel-Timestamp"], request["body"]
    )


def add_task(customer, server, action, status):
    now = timezone.now()
    return SandboxTask.objects.create(
        customer=customer,
        idf=random.randint(10**12, 10**13 - 1),
        server=server,
        serverid=server.sid,
        servername=server.servername,
        label=server.label,
        ip=server.ip,
        rdns=server.rdns,
        rdnsdefault=server.rdnsdefault,
        action=action,
        status=status,
        started_at=now,
        due_at=now,
        finished_at=now,
    )


def test_a_status_change_outside_the_panel_is_sent_once_by_email_and_webhook(
    cac_account, user, sandbox_customer, smtp, hook
):
    secret = subscribe(user, cac_account, hook)
    tick(0)  # what the servers are like when the worker starts watching: no news
    assert not Event.objects.exists()
    server = running(sandbox_customer)
    server.status = SandboxServer.Status.OFF
    server.save()
    tick(5)
    tick(10)

    event = Event.objects.get()
    assert event.kind == EventKind.SERVER_STATUS and event.server_id == server.sid
    assert len(smtp.messages) == 1 and smtp.messages[0]["to"] == [user.email]
    assert "Powered Off" in smtp.messages[0]["text"]
    assert len(hook.requests) == 1
    assert_signed(hook.requests[0], secret)
    body = hook.json()
    assert body["event"] == "server_status"
    assert body["server"]["id"] == server.sid
    assert body["detail"] == {"before": "Powered On", "after": "Powered Off"}
    for value in secrets_of(sandbox_customer):
        assert value not in hook.requests[0]["body"].decode()
        assert value not in smtp.messages[0]["text"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}

    server.status = SandboxServer.Status.ON
    server.save()
    tick(15)
    assert Event.objects.filter(kind=EventKind.SERVER_RECOVERED).count() == 1
    assert [r["headers"]["X-Catcpanel-Event"] for r in hook.requests] == [
        "server_status",
        "server_recovered",
    ]
    assert len(smtp.messages) == 2


def test_a_change_made_through_the_panel_is_not_news(cac_account, user, sandbox_customer, hook):
    subscribe(user, cac_account, hook, email=False)
    tick(0)
    server = running(sandbox_customer)
    services.power(cac_account, user, selectors.find_server(cac_account, server.sid), "poweroff")
    tick(5)
    server.refresh_from_db()
    assert server.status == SandboxServer.Status.OFF  # the change did happen
    assert not Event.objects.exists() and hook.requests == []


def test_failed_tasks_their_recovery_and_finished_builds(cac_account, user, sandbox_customer, hook):
    subscribe(user, cac_account, hook, email=False)
    tick(0)
    server = running(sandbox_customer)
    add_task(sandbox_customer, server, "poweron", "failed")
    add_task(sandbox_customer, server, "build", "completed")
    tick(5)
    tick(10)
    assert sorted(Event.objects.values_list("kind", flat=True)) == [
        EventKind.BUILD_FINISHED,
        EventKind.TASK_FAILED,
    ]
    later = add_task(sandbox_customer, server, "poweron", "completed")
    later.started_at = later.finished_at = timezone.now() + timedelta(seconds=1)
    later.save()
    tick(15)
    tick(20)
    assert Event.objects.filter(kind=EventKind.TASK_RECOVERED).count() == 1
    assert sorted(r["headers"]["X-Catcpanel-Event"] for r in hook.requests) == [
        "build_finished",
        "task_failed",
        "task_recovered",
    ]


def test_an_account_failing_too_long_is_reported_once_and_so_is_its_recovery(
    cac_account, user, sandbox_customer, smtp, settings
):
    settings.CATCPANEL_ALERT_FAILING_MINUTES = 10
    subscribe(user, cac_account)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    for minutes in (0, 5):
        tick(minutes)
    assert not Event.objects.exists()  # failing, but not for long enough yet
    for minutes in (10, 15, 20):
        tick(minutes)
    assert list(Event.objects.values_list("kind", flat=True)) == [EventKind.ACCOUNT_FAILING]
    sandbox_customer.maintenance = False
    sandbox_customer.save()
    tick(25)
    tick(30)
    assert Event.objects.filter(kind=EventKind.ACCOUNT_RECOVERED).count() == 1
    assert len(smtp.messages) == 2
    assert "have failed for 10 min" in smtp.messages[0]["text"]


def test_nothing_reaches_a_user_without_access(
    cac_account, user, sandbox_customer, django_user_model, hook, smtp
):
    stranger = django_user_model.objects.create_user("bob", "bob@example.com")
    member = django_user_model.objects.create_user("carol", "carol@example.com")
    leaver = django_user_model.objects.create_user("dave", "dave@example.com")
    Membership.objects.create(account=cac_account, user=member, role="viewer")
    leaving = Membership.objects.create(account=cac_account, user=leaver, role="viewer")
    for person in (stranger, member, leaver):
        # A preference row alone (left from an earlier membership, say) grants nothing.
        subscribe(person, cac_account, email=True)
    tick(0)
    server = running(sandbox_customer)
    server.status = SandboxServer.Status.OFF
    server.save()
    # The event is noticed while dave is a member; he leaves before it is sent.
    cache.clear()
    from history import sampling

    sampling.run_round(at(5), after_account=notify.detect)
    leaving.delete()
    notify.deliver_due()
    assert [m["to"] for m in smtp.messages] == [["carol@example.com"]]
    assert not Delivery.objects.filter(user=stranger).exists()
    assert Delivery.objects.get(user=leaver).state == Delivery.State.SKIPPED


def test_a_failing_webhook_is_retried_with_back_off(cac_account, user, sandbox_customer, settings):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = True
    with WebhookReceiver(fail_first=1) as hook:
        secret = subscribe(user, cac_account, hook, email=False)
        tick(0)
        server = running(sandbox_customer)
        server.status = SandboxServer.Status.OFF
        server.save()
        tick(5)
        delivery = Delivery.objects.get()
        assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
        assert notify.deliver_due() == 0  # not due yet
        assert notify.deliver_due(timezone.now() + timedelta(seconds=31)) == 1
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts, delivery.response_status) == ("sent", 2, 204)
        assert len(hook.requests) == 2
        assert {r["headers"]["X-Catcpanel-Delivery"] for r in hook.requests} == {str(delivery.pk)}
        assert_signed(hook.requests[1], secret)


def test_a_webhook_to_a_private_address_is_refused_unless_allowed(
    cac_account, user, sandbox_customer, settings
):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = True
    with WebhookReceiver() as hook:
        subscribe(user, cac_account, hook, email=False)
        tick(0)
        server = running(sandbox_customer)
        server.status = SandboxServer.Status.OFF
        server.save()
        settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = False
        tick(5)
        assert hook.requests == []
        delivery = Delivery.objects.get()
        assert "private network" in delivery.last_error


def test_the_webhook_body_is_json_with_names_and_ids_only(cac_account, user):
    event = notify.record(
        cac_account,
        EventKind.BUILD_FINISHED,
        "build_finished:x:1",
        "A build finished.",
        server_id="42",
        server_name="web",
        detail={"task_id": "1"},
    )
    delivery = Delivery(pk=7, event=event, user=user, channel="webhook")
    body = notify.payload(event, delivery)
    assert set(body) == {
        "event",
        "event_id",
        "delivery_id",
        "occurred_at",
        "summary",
        "account",
        "server",
        "detail",
        "url",
    }
    assert json.loads(json.dumps(body))["account"] == {"id": str(cac_account.pk), "name": "Demo"}


def test_without_a_task_subscriber_the_round_does_not_read_the_tasks(
    cac_account, user, sandbox_customer, sandbox_calls
):
    subscribe(user, cac_account, kinds=[EventKind.SERVER_STATUS])
    tick(0)
    server = running(sandbox_customer)
    task = add_task(sandbox_customer, server, "poweron", "failed")
    task.started_at = task.due_at = task.finished_at = timezone.now() - timedelta(seconds=10)
    task.save()
    tick(5)
    assert sandbox_calls.of("listtasks") == [] and not Event.objects.exists()
    # Subscribing later does not bring up what happened before.
    NotificationPreference.objects.filter(user=user).update(kinds=ALL_KINDS)
    tick(10)
    assert len(sandbox_calls.of("listtasks")) == 1 and not Event.objects.exists()
