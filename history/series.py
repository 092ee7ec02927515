"""Reads of the usage history, shaped for charts: points in time with gaps where nothing was read.

A gap is a stretch with no reading (the provider failed, the worker was stopped, the server was
not on the account): it is a `None` point, which the chart draws as a break, never as a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, F
from django.utils import timezone

from history.models import HourlyUsage, Sample, TrackedServer, epoch_minute
from history.sampling import interval_minutes
from servers.models import CloudAccount

METRICS = ("cpu", "ram", "disk")
METRIC_NAMES = {"cpu": "CPU", "ram": "RAM", "disk": "Disk"}


@dataclass(frozen=True)
class Span:
    key: str
    label: str
    hours: int

    @property
    def hourly(self) -> bool:
        """Longer spans read the hourly rows; the last day reads every sample."""
        return self.hours > 24


SPANS = (Span("24h", "24 hours", 24), Span("7d", "7 days", 24 * 7), Span("30d", "30 days", 24 * 30))


@dataclass(frozen=True)
class Point:
    at: datetime
    # Percent per metric; (min, max) bands for hourly points.
    values: dict[str, float]
    bands: dict[str, tuple[float, float]] | None = None


@dataclass
class Series:
    span: Span
    start: datetime
    end: datetime
    # Runs of consecutive points: a new run starts after a gap.
    runs: list[list[Point]]

    @property
    def points(self) -> list[Point]:
        return [point for run in self.runs for point in run]

    @property
    def gaps(self) -> int:
        return max(len(self.runs) - 1, 0)


def tracked_server(account: CloudAccount, server_id) -> TrackedServer | None:
    return TrackedServer.objects.filter(account=account, server_id=str(server_id)).first()


def series_for(tracked: TrackedServer | None, span: Span, now: datetime | None = None) -> Series:
    now = now or timezone.now()
    start = now - timedelta(hours=span.hours)
    if tracked is None:
        return Series(span, start, now, [])
    if span.hourly:
        rows = HourlyUsage.objects.filter(
            server=tracked, hour__gte=epoch_minute(start) // 60
        ).order_by("hour")
        points = [
            (
                row.hour * 60,
                Point(
                    at=_at(row.hour * 60 + 30),
                    values={m: getattr(row, f"{m}_avg") / 10 for m in METRICS},
                    bands={
                        m: (getattr(row, f"{m}_min") / 10, getattr(row, f"{m}_max") / 10)
                        for m in METRICS
                    },
                ),
            )
            for row in rows
        ]
        step = 60
    else:
        rows = Sample.objects.filter(server=tracked, minute__gte=epoch_minute(start)).order_by(
            "minute"
        )
        points = [
            (
                row.minute,
                Point(at=_at(row.minute), values={m: getattr(row, m) / 10 for m in METRICS}),
            )
            for row in rows
        ]
        step = interval_minutes()
    return Series(span, start, now, split_runs(points, step))


def split_runs(points: list[tuple[int, Point]], step: int) -> list[list[Point]]:
    """Break the line where readings are missing: more than one and a half steps apart."""
    runs: list[list[Point]] = []
    previous = None
    for minute, point in points:
        if previous is None or minute - previous > step * 1.5:
            runs.append([])
        runs[-1].append(point)
        previous = minute
    return runs


def _at(minute: int) -> datetime:
    from history.models import minute_time

    return minute_time(minute)


# --- sparklines: one query for a page's accounts -------------------------------------------------

SPARK_SLOT_MINUTES = 30


def sparklines_for(account: CloudAccount, now: datetime | None = None) -> dict[str, list]:
    """{server id: [(slot, cpu percent)]} for the last 24 h, in half-hour slots, for every server of
    the account; read in one query with the accounts it was shown with (`show_together`), and kept
    on the account object for the rest of the render."""
    cached = account.__dict__.get("_history_sparklines")
    if cached is not None:
        return cached
    load_sparklines(account.__dict__.get("_history_sparkline_group") or [account], now)
    return account.__dict__["_history_sparklines"]


def show_together(accounts: list[CloudAccount]) -> None:
    """The first of `accounts` whose rows are rendered reads every one's sparklines, in one query
    (one a section took a millisecond each, in a cold page's serial rendering after the provider
    answers: 25 ms for 25 accounts). A page whose rows are all cached reads none."""
    for account in accounts:
        account.__dict__["_history_sparkline_group"] = accounts


def load_sparklines(accounts: list[CloudAccount], now: datetime | None = None) -> None:
    """Every account's sparklines, in one query."""
    accounts = [a for a in accounts if a.__dict__.get("_history_sparklines") is None]
    if not accounts:
        return
    now = now or timezone.now()
    first = epoch_minute(now - timedelta(hours=24))
    rows = (
        Sample.objects.filter(server__account__in=[a.pk for a in accounts], minute__gte=first)
        .annotate(slot=F("minute") / SPARK_SLOT_MINUTES)
        .values("server__account_id", "server__server_id", "slot")
        .annotate(cpu=Avg("cpu"))
        .order_by("server__account_id", "server__server_id", "slot")
    )
    lines: dict = {account.pk: {} for account in accounts}
    for row in rows:
        points = lines[row["server__account_id"]].setdefault(row["server__server_id"], [])
        points.append((row["slot"], row["cpu"] / 10))
    for account in accounts:
        account.__dict__["_history_sparklines"] = lines[account.pk]
        account.__dict__["_history_sparkline_first_slot"] = first // SPARK_SLOT_MINUTES
