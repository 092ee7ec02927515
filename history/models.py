"""Usage history: what the worker saw of each server, kept small.

A sample is five small integers under a per-server row (`TrackedServer`), not a copy of the
provider's record: no name, address or password is repeated per sample, and `rootpass`/`vncpass`
are never read at all (servers.cac.models.Server does not carry them). Percentages are stored in
tenths (0..1000) and times as whole minutes or hours since the epoch, so that a row costs a few
dozen bytes and the database can group by time with integer division on SQLite and PostgreSQL.
"""

import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from servers import crypto
from servers.models import CloudAccount

STATUS_CODES = {"powered on": 1, "powered off": 2, "installing": 3, "pending on": 4}
STATUS_NAMES = {1: "Powered On", 2: "Powered Off", 3: "Installing", 4: "Pending On"}
OTHER_STATUS = 9


def status_code(status: str) -> int:
    return STATUS_CODES.get((status or "").strip().lower(), OTHER_STATUS)


def epoch_minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def minute_time(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def tenths(percent: float) -> int:
    return max(0, min(1000, round(percent * 10)))


class TrackedServer(models.Model):
    """A server the worker has seen on an account: its last known name and status."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="+")
    server_id = models.CharField(max_length=40)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=40, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # Set when a round with a good list no longer has the server (deleted): its history stays
    # until it ages out.
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "server_id"], name="one_tracked_server")
        ]

    def __str__(self):
        return f"{self.name or self.server_id} on {self.account_id}"


class Sample(models.Model):
    """One reading of one server, at full resolution (kept CATCPANEL_HISTORY_RAW_HOURS)."""

    server = models.ForeignKey(TrackedServer, on_delete=models.CASCADE, related_name="samples")
    minute = models.IntegerField()  # minutes since the epoch, UTC
    cpu = models.PositiveSmallIntegerField()  # tenths of a percent
    ram = models.PositiveSmallIntegerField()
    disk = models.PositiveSmallIntegerField()
    status = models.PositiveSmallIntegerField()  # STATUS_CODES

    class Meta:
        constraints = [
            # Two workers sampling the same copy write one row.
            models.UniqueConstraint(fields=["server", "minute"], name="one_sample_per_minute")
        ]
        indexes = [models.Index(fields=["minute"], name="history_sample_minute")]

    def __str__(self):
        return f"{self.server_id} @ {self.minute}"


class HourlyUsage(models.Model):
    """One hour of samples: average, minimum and maximum (kept CATCPANEL_HISTORY_HOURLY_DAYS)."""

    server = models.ForeignKey(TrackedServer, on_delete=models.CASCADE, related_name="hours")
    hour = models.IntegerField()  # hours since the epoch, UTC
    samples = models.PositiveSmallIntegerField()
    # How many of those samples found the server powered on.
    on_samples = models.PositiveSmallIntegerField()
    cpu_avg = models.PositiveSmallIntegerField()
    cpu_min = models.PositiveSmallIntegerField()
    cpu_max = models.PositiveSmallIntegerField()
    ram_avg = models.PositiveSmallIntegerField()
    ram_min = models.PositiveSmallIntegerField()
    ram_max = models.PositiveSmallIntegerField()
    disk_avg = models.PositiveSmallIntegerField()
    disk_min = models.PositiveSmallIntegerField()
    disk_max = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "hour"], name="one_row_per_hour")]
        indexes = [models.Index(fields=["hour"], name="history_hourly_hour")]

    def __str__(self):
        return f"{self.server_id} @ hour {self.hour}"


class SampleRound(models.Model):
    """An account's sampling round, claimed once per interval: the row's uniqueness is what keeps
    several workers or replicas from asking the provider twice for one round."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="+")
    bucket = models.IntegerField()  # epoch minutes // CATCPANEL_SAMPLE_MINUTES
    started_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(null=True)  # None while running

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "bucket"], name="one_round_per_bucket")
        ]

    def __str__(self):
        return f"round {self.bucket} of {self.account_id}"


# --- notifications --------------------------------------------------------------------------


class EventKind(models.TextChoices):
    SERVER_STATUS = "server_status", "A server changed status outside the panel"
    SERVER_RECOVERED = "server_recovered", "A server is powered on again (outside the panel)"
    TASK_FAILED = "task_failed", "A task failed"
    TASK_RECOVERED = "task_recovered", "A task succeeded after failing"
    BUILD_FINISHED = "build_finished", "A Cloud Pro build finished"
    ACCOUNT_FAILING = "account_failing", "Calls to Cloud at Cost keep failing"
    ACCOUNT_RECOVERED = "account_recovered", "Calls to Cloud at Cost work again"


class Event(models.Model):
    """Something a member may want to hear about. `identity` names the event itself (the server and
    round, the task id, the outage's start): unique, so that however many workers notice it, it is
    recorded, and therefore sent, once."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    identity = models.CharField(max_length=200, unique=True)
    server_id = models.CharField(max_length=40, blank=True)
    server_name = models.CharField(max_length=200, blank=True)
    # One plain sentence, and a few plain fields: never a password, key, login or console URL.
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return self.summary


class AccountWatch(models.Model):
    """What the worker remembers of an account between rounds: since when it watches (older tasks
    are not news) and the outage in progress, if any."""

    account = models.OneToOneField(CloudAccount, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    failing_since = models.DateTimeField(null=True, blank=True)
    failing_reported = models.BooleanField(default=False)

    def __str__(self):
        return f"watch on {self.account_id}"


class NotificationPreference(models.Model):
    """Which of an account's events reach one user, and how (email, a webhook, or both)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="+")
    kinds = models.JSONField(default=list, blank=True)
    email = models.BooleanField(default=False)
    webhook_url = models.URLField(max_length=500, blank=True)
    # The HMAC key the webhook's signature is made with, encrypted like the provider credentials.
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_preference_per_account")
        ]

    def __str__(self):
        return f"{self.user} on {self.account_id}"

    @property
    def webhook_secret(self) -> str:
        return (
            crypto.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""
        )

    def new_webhook_secret(self) -> str:
        secret = secrets.token_urlsafe(32)
        self.webhook_secret_encrypted = crypto.encrypt(secret)
        return secret


class Delivery(models.Model):
    """One event to one user on one channel: the delivery log. Unique per (event, user, channel),
    and claimed with a conditional UPDATE before sending, so no worker sends it twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up"
        SKIPPED = "skipped", "Not sent: no access"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user", "channel"], name="one_delivery_per_channel"
            )
        ]

    def __str__(self):
        return f"{self.event_id} to {self.user_id} by {self.channel}: {self.state}"
