"""Notifications: events noticed in a sampling round, and their delivery by email and webhook.

Detection runs inside an account's claimed round (history/sampling.py), so one worker looks at an
account per interval; an event is then recorded under a unique identity, so a second look (a slow
round overlapping the next, another replica) records nothing new. Deliveries are rows too, one per
(event, user, channel), claimed with a conditional UPDATE before anything is sent.

Who hears of an event: the users who chose its kind for the account (NotificationPreference) and
who still have a role on it when it is sent (servers.permissions), never anyone else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from history import webhooks
from history.models import (
    AccountWatch,
    Delivery,
    Event,
    EventKind,
    NotificationPreference,
    epoch_minute,
)
from history.sampling import AccountRound
from servers import selectors
from servers.models import ActionLog, CloudAccount
from servers.permissions import VIEW, has_capability

logger = logging.getLogger("history.notify")

ON = "powered on"
# Statuses a server passes through on the way to another: a change from these is the end of a
# task (a build, a power-on), which the task events report, not a surprise.
TRANSIENT = {"installing", "pending on", ""}
MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
LEASE = timedelta(minutes=2)


# --- detection ----------------------------------------------------------------------------------


def detect(result: AccountRound) -> list[Event]:
    """The events in one account's round; called by the round for each account it sampled."""
    now = result.round.started_at
    watch, _ = AccountWatch.objects.get_or_create(account=result.account)
    events = _account_health(result, watch, now)
    if result.ok:
        events += _status_changes(result, now)
        if _wants_task_events(result.account):
            events += _task_events(result.account, watch)
        else:
            # Nobody listens: spare the account's rate limit the task list, and move the baseline
            # so that a later subscriber is not sent every task since the watch began.
            AccountWatch.objects.filter(pk=watch.pk).update(started_at=timezone.now())
    return [event for event in events if event is not None]


def _account_health(result: AccountRound, watch: AccountWatch, now: datetime) -> list:
    account = result.account
    if not result.ok:
        if watch.failing_since is None:
            watch.failing_since = now
            watch.save(update_fields=["failing_since"])
        threshold = timedelta(minutes=settings.CATCPANEL_ALERT_FAILING_MINUTES)
        if not watch.failing_reported and now - watch.failing_since >= threshold:
            watch.failing_reported = True
            watch.save(update_fields=["failing_reported"])
            minutes = int((now - watch.failing_since).total_seconds() // 60)
            return [
                record(
                    account,
                    EventKind.ACCOUNT_FAILING,
                    f"account_failing:{account.pk}:{epoch_minute(watch.failing_since)}",
                    f"Calls to Cloud at Cost for {account.name} have failed for {minutes} min: "
                    f"{_reason(result.error)}",
                    detail={"failing_since": watch.failing_since.isoformat(), "minutes": minutes},
                    at=now,
                )
            ]
        return []
    if watch.failing_since is None:
        return []
    since, reported = watch.failing_since, watch.failing_reported
    watch.failing_since, watch.failing_reported = None, False
    watch.save(update_fields=["failing_since", "failing_reported"])
    if not reported:
        return []
    return [
        record(
            account,
            EventKind.ACCOUNT_RECOVERED,
            f"account_recovered:{account.pk}:{epoch_minute(since)}",
            f"Calls to Cloud at Cost for {account.name} work again.",
            detail={"failing_since": since.isoformat()},
            at=now,
        )
    ]


def _reason(error) -> str:
    return selectors.describe_error(error) if error is not None else "no answer"


def _status_changes(result: AccountRound, now: datetime) -> list:
    events = []
    for change in result.changes:
        before, after = change.before.lower(), change.after.lower()
        if before in TRANSIENT:
            continue
        # Through the panel: an action on this server since the previous reading explains it.
        since = change.tracked.last_seen_at - timedelta(minutes=1)
        if ActionLog.objects.filter(
            account=result.account, server_id=change.tracked.server_id, started_at__gte=since
        ).exists():
            continue
        recovered = after == ON
        name = change.tracked.name or change.tracked.server_id
        events.append(
            record(
                result.account,
                EventKind.SERVER_RECOVERED if recovered else EventKind.SERVER_STATUS,
                f"server_status:{result.account.pk}:{change.tracked.server_id}:{epoch_minute(now)}",
                f"{name} on {result.account.name} is {change.after} (was {change.before}), "
                "not through the panel.",
                server_id=change.tracked.server_id,
                server_name=name,
                detail={"before": change.before, "after": change.after},
                at=now,
            )
        )
    return events


TASK_KINDS = (EventKind.TASK_FAILED, EventKind.TASK_RECOVERED, EventKind.BUILD_FINISHED)


def _wants_task_events(account: CloudAccount) -> bool:
    return any(
        set(kinds) & set(TASK_KINDS)
        for kinds in NotificationPreference.objects.filter(account=account).values_list(
            "kinds", flat=True
        )
    )


def _task_events(account: CloudAccount, watch: AccountWatch) -> list:
    fetched = selectors.tasks_for(account)
    if fetched.data is None:
        return []
    events = []
    # The provider's task times are whole seconds.
    since = watch.started_at - timedelta(seconds=1)
    tasks = sorted(fetched.data, key=lambda task: _when(task) or since)
    failed_by_target: dict[tuple, object] = {}
    for task in tasks:
        when = _when(task)
        target = (task.server_id, task.action)
        name = task.label or task.server_name or task.server_id
        if task.status not in ("pending", "completed"):
            failed_by_target[target] = task
            if when is not None and when >= since:
                events.append(
                    _task_event(
                        account,
                        EventKind.TASK_FAILED,
                        f"task_failed:{task.id}",
                        task,
                        f"The {task.action} task on {name} ({account.name}) failed "
                        f"({task.status}).",
                    )
                )
        elif task.status == "completed":
            earlier = failed_by_target.pop(target, None)
            if earlier is not None and when is not None and when >= since:
                events.append(
                    _task_event(
                        account,
                        EventKind.TASK_RECOVERED,
                        f"task_recovered:{earlier.id}",
                        task,
                        f"The {task.action} task on {name} ({account.name}) succeeded "
                        "after failing.",
                    )
                )
            if task.action == "build" and when is not None and when >= since:
                events.append(
                    _task_event(
                        account,
                        EventKind.BUILD_FINISHED,
                        f"build_finished:{task.id}",
                        task,
                        f"The Cloud Pro build of {name} ({account.name}) finished.",
                    )
                )
    return events


def _when(task):
    return task.finished_at or task.started_at


def _task_event(account, kind, identity, task, summary) -> Event | None:
    return record(
        account,
        kind,
        f"{identity.split(':')[0]}:{account.pk}:{identity.split(':', 1)[1]}",
        summary,
        server_id=task.server_id,
        server_name=task.label or task.server_name,
        detail={"task_id": task.id, "action": task.action, "status": task.status},
        at=_when(task),
    )


def record(
    account: CloudAccount,
    kind: str,
    identity: str,
    summary: str,
    *,
    server_id: str = "",
    server_name: str = "",
    detail: dict | None = None,
    at: datetime | None = None,
) -> Event | None:
    """The event, if this call is the one that recorded it (None if it was already known), with a
    delivery for each user who asked for it and may see the account."""
    try:
        with transaction.atomic():
            event = Event.objects.create(
                account=account,
                kind=kind,
                identity=identity[:200],
                server_id=server_id[:40],
                server_name=server_name[:200],
                summary=summary[:300],
                detail=detail or {},
                occurred_at=at or timezone.now(),
            )
            Delivery.objects.bulk_create(_deliveries(event), ignore_conflicts=True)
    except IntegrityError:
        return None
    logger.info("event %s: %s", kind, summary)
    return event


def _deliveries(event: Event) -> list[Delivery]:
    rows = []
    preferences = NotificationPreference.objects.filter(account=event.account).select_related(
        "user"
    )
    for preference in preferences:
        if event.kind not in preference.kinds or not preference.user.is_active:
            continue
        if not has_capability(preference.user, event.account, VIEW):
            continue
        if preference.email and preference.user.email:
            rows.append(Delivery(event=event, user=preference.user, channel=Delivery.Channel.EMAIL))
        if preference.webhook_url:
            rows.append(
                Delivery(event=event, user=preference.user, channel=Delivery.Channel.WEBHOOK)
            )
    return rows


# --- delivery ---------------------------------------------------------------------------------


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Send what is due; return how many were sent. Safe to run in several workers at once."""
    now = now or timezone.now()
    # A sender that died mid-delivery leaves a lease that runs out: the delivery is due again.
    Delivery.objects.filter(state=Delivery.State.SENDING, lease_until__lt=now).update(
        state=Delivery.State.PENDING
    )
    due = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )[:limit]
    sent = 0
    for delivery_id in list(due.values_list("id", flat=True)):
        claimed = Delivery.objects.filter(pk=delivery_id, state=Delivery.State.PENDING).update(
            state=Delivery.State.SENDING, lease_until=now + LEASE
        )
        if claimed:
            sent += _send(
                Delivery.objects.select_related("event__account", "user").get(pk=delivery_id), now
            )
    return sent


def _send(delivery: Delivery, now: datetime) -> int:
    event, user = delivery.event, delivery.user
    # Access is checked again at sending time: a member removed since the event hears nothing.
    if not user.is_active or not has_capability(user, event.account, VIEW):
        _finish(delivery, Delivery.State.SKIPPED, error="The user has no access to the account.")
        return 0
    preference = NotificationPreference.objects.filter(user=user, account=event.account).first()
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            _send_email(event, user)
            status = None
        else:
            if preference is None or not preference.webhook_url:
                _finish(delivery, Delivery.State.SKIPPED, error="No webhook is set any more.")
                return 0
            status = _send_webhook(delivery, preference)
    except DeliveryError as exc:
        _retry(delivery, now, str(exc), exc.status)
        return 0
    except Exception as exc:  # an SMTP server's refusal, a socket error: retried the same way
        _retry(delivery, now, f"{type(exc).__name__}: {exc}", None)
        return 0
    _finish(delivery, Delivery.State.SENT, status=status)
    return 1


class DeliveryError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _finish(delivery: Delivery, state: str, *, status=None, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=state,
        attempts=delivery.attempts + 1,
        response_status=status,
        last_error=error[:300],
        sent_at=timezone.now() if state == Delivery.State.SENT else None,
        lease_until=None,
    )


def _retry(delivery: Delivery, now: datetime, error: str, status) -> None:
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        state, next_at = Delivery.State.FAILED, now
    else:
        # 30 s, 1 min, 2 min, 4 min, 8 min: about a quarter of an hour in all.
        state = Delivery.State.PENDING
        next_at = now + timedelta(seconds=FIRST_RETRY_SECONDS * 2 ** (attempts - 1))
    Delivery.objects.filter(pk=delivery.pk).update(
        state=state,
        attempts=attempts,
        next_attempt_at=next_at,
        response_status=status,
        last_error=error[:300],
        lease_until=None,
    )
    logger.warning("delivery %s failed (attempt %s): %s", delivery.pk, attempts, error[:200])


def event_url(event: Event) -> str:
    base = settings.SITE_URL
    if event.server_id:
        return f"{base}/accounts/{event.account_id}/servers/{event.server_id}/"
    return f"{base}/accounts/{event.account_id}/servers/"


def payload(event: Event, delivery: Delivery) -> dict:
    """What a webhook receives: names, ids and the summary; never a password, key or login."""
    return {
        "event": event.kind,
        "event_id": event.pk,
        "delivery_id": delivery.pk,
        "occurred_at": event.occurred_at.isoformat(),
        "summary": event.summary,
        "account": {"id": str(event.account_id), "name": event.account.name},
        "server": ({"id": event.server_id, "name": event.server_name} if event.server_id else None),
        "detail": event.detail,
        "url": event_url(event),
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: what X-Catcpanel-Signature carries."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _send_webhook(delivery: Delivery, preference: NotificationPreference) -> int:
    body = json.dumps(payload(delivery.event, delivery), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "catcpanel-webhook",
        "X-Catcpanel-Event": delivery.event.kind,
        "X-Catcpanel-Delivery": str(delivery.pk),
        "X-Catcpanel-Timestamp": timestamp,
        "X-Catcpanel-Signature": signature(preference.webhook_secret, timestamp, body),
    }
    try:
        status = webhooks.post(preference.webhook_url, body, headers)
    except webhooks.WebhookError as exc:
        raise DeliveryError(str(exc), exc.status) from None
    return status


def _send_email(event: Event, user) -> None:
    subject = f"[catcpanel] {event.get_kind_display()}: {event.server_name or event.account.name}"
    body = (
        f"{event.summary}\n\n"
        f"Account: {event.account.name}\n"
        + (f"Server: {event.server_name} ({event.server_id})\n" if event.server_id else "")
        + f"When: {timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M %Z}\n\n"
        f"{event_url(event)}\n\n"
        "You get this because you chose these events for this account in catcpanel "
        f"({settings.SITE_URL}/accounts/{event.account_id}/notifications/).\n"
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
