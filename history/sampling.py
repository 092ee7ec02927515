"""The sampling round: read each account's servers once per interval and keep their usage.

Every call to the provider goes through `servers.selectors.servers_for`, the same fetch path the
web pages use: its shared cache and single flight mean that a page load and a sample never both
ask the provider for the same copy, and a copy a page fetched seconds ago is simply sampled. The
account's back-off after a failure (and its rate limit) applies to the worker as to a page.

Several workers or replicas may run a round at the same moment (each Huey consumer schedules the
periodic task): an account's round is claimed by inserting a `SampleRound` row that is unique per
(account, interval), so exactly one of them asks the provider; samples and hourly rows are unique
per (server, minute) and (server, hour) as well.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Max, Min, Q
from django.utils import timezone

from history.models import (
    HourlyUsage,
    Sample,
    SampleRound,
    TrackedServer,
    epoch_minute,
    status_code,
    tenths,
)
from servers import selectors
from servers.models import CloudAccount

logger = logging.getLogger(__name__)

# An hour is downsampled once it ended this long ago: a copy fetched just before the hour's end
# may be sampled a little after it.
SETTLE_MINUTES = 5


def interval_minutes() -> int:
    return max(int(settings.CATCPANEL_SAMPLE_MINUTES), 1)


def bucket_of(moment: datetime) -> int:
    return epoch_minute(moment) // interval_minutes()


@dataclass
class ServerChange:
    """A server whose status differs from the previous round's."""

    tracked: TrackedServer
    before: str
    after: str


@dataclass
class AccountRound:
    account: CloudAccount
    round: SampleRound
    ok: bool = False
    servers: list = field(default_factory=list)
    fetched_at: datetime | None = None
    error: object = None
    changes: list[ServerChange] = field(default_factory=list)
    new_servers: list[TrackedServer] = field(default_factory=list)
    gone: list[TrackedServer] = field(default_factory=list)


@dataclass
class RoundReport:
    bucket: int
    sampled: int = 0  # accounts read
    failed: int = 0  # accounts whose read failed
    skipped: int = 0  # accounts another worker already sampled in this interval
    samples: int = 0
    hours: int = 0  # hourly rows written
    pruned: int = 0
    delivered: int = 0  # notifications sent
    rounds: list[AccountRound] = field(default_factory=list)

    def __str__(self):
        return (
            f"round {self.bucket}: {self.sampled} account(s) sampled, {self.failed} failed, "
            f"{self.skipped} already sampled by another worker; {self.samples} sample(s), "
            f"{self.hours} hourly row(s) written, {self.pruned} old row(s) removed, "
            f"{self.delivered} notification(s) sent"
        )


def run_round(now: datetime | None = None, *, after_account=None) -> RoundReport:
    """One round over every account; `after_account(account_round)` runs for each one sampled."""
    now = now or timezone.now()
    report = RoundReport(bucket=bucket_of(now))
    for account in CloudAccount.objects.order_by("created_at", "pk"):
        claimed = claim(account, report.bucket, now)
        if claimed is None:
            report.skipped += 1
            continue
        result = sample_account(account, claimed, now)
        report.rounds.append(result)
        if result.ok:
            report.sampled += 1
            report.samples += len(result.servers)
        else:
            report.failed += 1
        if after_account is not None:
            try:
                after_account(result)
            except Exception:
                # One account's notifications must not stop the others' sampling.
                logger.exception("after the round of account %s", account.pk)
    report.hours = downsample(now)
    report.pruned = prune(now)
    return report


def claim(account: CloudAccount, bucket: int, now: datetime) -> SampleRound | None:
    try:
        with transaction.atomic():
            return SampleRound.objects.create(account=account, bucket=bucket, started_at=now)
    except IntegrityError:
        return None


def sample_account(account: CloudAccount, claimed: SampleRound, now: datetime) -> AccountRound:
    result = AccountRound(account=account, round=claimed)
    fetched = selectors.servers_for(account)
    # A stale copy (the last good one, shown while the provider fails, or while another request's
    # call is under way) is not a new reading: the chart shows a gap for this round rather than
    # repeating old figures.
    if fetched.error is not None or fetched.data is None or fetched.expired:
        result.error = fetched.error
        SampleRound.objects.filter(pk=claimed.pk).update(ok=False)
        return result
    result.ok = True
    result.servers = list(fetched.data)
    result.fetched_at = fetched.fetched_at or now
    # Dated by its round, not by the copy's age (at most CATCPANEL_CACHE_SECONDS): one reading
    # per interval, on the interval's grid.
    minute = epoch_minute(now)
    tracked = {row.server_id: row for row in TrackedServer.objects.filter(account=account)}

    fresh = [
        TrackedServer(
            account=account,
            server_id=server.id,
            name=server.name[:200],
            status=server.status[:40],
            first_seen_at=now,
            last_seen_at=now,
        )
        for server in result.servers
        if server.id not in tracked
    ]
    if fresh:
        TrackedServer.objects.bulk_create(fresh, ignore_conflicts=True)
        for row in TrackedServer.objects.filter(
            account=account, server_id__in=[row.server_id for row in fresh]
        ):
            tracked[row.server_id] = row
            result.new_servers.append(row)

    seen = set()
    for server in result.servers:
        row = tracked[server.id]
        seen.add(server.id)
        if row in result.new_servers:
            continue
        status = server.status[:40]
        if row.status != status:
            result.changes.append(ServerChange(row, row.status, status))
        if row.status != status or row.name != server.name[:200] or row.gone_at is not None:
            row.status, row.name, row.gone_at = status, server.name[:200], None
            TrackedServer.objects.filter(pk=row.pk).update(
                status=status, name=row.name, gone_at=None, last_seen_at=now
            )
    TrackedServer.objects.filter(account=account, server_id__in=seen).update(last_seen_at=now)
    for server_id, row in tracked.items():
        if server_id not in seen and row.gone_at is None:
            row.gone_at = now
            result.gone.append(row)
    if result.gone:
        TrackedServer.objects.filter(pk__in=[row.pk for row in result.gone]).update(gone_at=now)

    Sample.objects.bulk_create(
        [
            Sample(
                server=tracked[server.id],
                minute=minute,
                cpu=tenths(server.cpu_percent),
                ram=tenths(server.ram_percent),
                disk=tenths(server.disk_percent),
                status=status_code(server.status),
            )
            for server in result.servers
        ],
        ignore_conflicts=True,
    )
    SampleRound.objects.filter(pk=claimed.pk).update(ok=True)
    return result


def downsample(now: datetime | None = None) -> int:
    """Turn every complete hour of samples not yet downsampled into hourly rows; return how many.

    Idempotent: an hour already written is left alone (the unique constraint absorbs a race).
    """
    now = now or timezone.now()
    end_hour = (epoch_minute(now) - SETTLE_MINUTES) // 60  # hours before this one are complete
    done = HourlyUsage.objects.aggregate(last=Max("hour"))["last"]
    start_minute = (done + 1) * 60 if done is not None else None
    rows = Sample.objects.filter(minute__lt=end_hour * 60)
    if start_minute is not None:
        rows = rows.filter(minute__gte=start_minute)
    groups = (
        rows.annotate(hour=F("minute") / 60)
        .values("server_id", "hour")
        .annotate(
            n=Count("id"),
            on=Count("id", filter=Q(status=1)),
            cpu_avg=Avg("cpu"),
            cpu_min=Min("cpu"),
            cpu_max=Max("cpu"),
            ram_avg=Avg("ram"),
            ram_min=Min("ram"),
            ram_max=Max("ram"),
            disk_avg=Avg("disk"),
            disk_min=Min("disk"),
            disk_max=Max("disk"),
        )
        .order_by()
    )
    hourly = [
        HourlyUsage(
            server_id=group["server_id"],
            hour=group["hour"],
            samples=group["n"],
            on_samples=group["on"],
            **{
                f"{metric}_{kind}": round(group[f"{metric}_{kind}"])
                for metric in ("cpu", "ram", "disk")
                for kind in ("avg", "min", "max")
            },
        )
        for group in groups
    ]
    HourlyUsage.objects.bulk_create(hourly, ignore_conflicts=True, batch_size=500)
    return len(hourly)


def prune(now: datetime | None = None) -> int:
    """Drop what is older than the settings keep; return how many rows went."""
    now = now or timezone.now()
    minute = epoch_minute(now)
    raw_from = minute - settings.CATCPANEL_HISTORY_RAW_HOURS * 60
    hourly_from = minute // 60 - settings.CATCPANEL_HISTORY_HOURLY_DAYS * 24
    removed = Sample.objects.filter(minute__lt=raw_from).delete()[0]
    removed += HourlyUsage.objects.filter(hour__lt=hourly_from).delete()[0]
    removed += SampleRound.objects.filter(bucket__lt=raw_from // interval_minutes()).delete()[0]
    # A server deleted long ago whose every row has aged out.
    keep_until = now - timedelta(days=settings.CATCPANEL_HISTORY_HOURLY_DAYS)
    removed += TrackedServer.objects.filter(gone_at__lt=keep_until).delete()[0]
    return removed
