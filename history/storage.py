"""How much the usage history costs at its bounds: rows and bytes, measured, not estimated.

`measure()` fills the tables as they stand after the worker has run for `days` on `servers`
servers (plus a day of older rows for the pruning to remove), prunes, measures the tables with
the database's own accounting (SQLite's dbstat, PostgreSQL's pg_total_relation_size), and rolls
everything back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from history import sampling
from history.models import HourlyUsage, Sample, TrackedServer, epoch_minute
from servers.models import CloudAccount

TABLES = ("history_trackedserver", "history_sample", "history_hourlyusage")


class _Rollback(Exception):
    pass


@dataclass
class Figure:
    servers: int
    days: int
    rows: dict[str, int]
    bytes: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())

    def table(self) -> str:
        lines = [
            f"Usage history for {self.servers} servers over {self.days} days "
            f"({settings.CATCPANEL_HISTORY_RAW_HOURS} h of samples every "
            f"{sampling.interval_minutes()} min, hourly rows for "
            f"{settings.CATCPANEL_HISTORY_HOURLY_DAYS} d), {connection.vendor}:",
            f"{'table':<24}{'rows':>12}{'bytes':>14}{'bytes/row':>11}",
        ]
        for table in TABLES:
            rows, size = self.rows[table], self.bytes[table]
            per_row = f"{size / rows:.0f}" if rows else "-"
            lines.append(f"{table:<24}{rows:>12,}{size:>14,}{per_row:>11}")
        lines.append(f"{'total':<24}{self.total_rows:>12,}{self.total_bytes:>14,}")
        lines.append(f"= {self.total_bytes / 1024 / 1024:.1f} MiB")
        return "\n".join(lines)


def _sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT s.tbl_name, SUM(d.pgsize) FROM dbstat d "
                "JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name"
            )
            found = dict(cursor.fetchall())
            return {table: int(found.get(table, 0)) for table in TABLES}
        sizes = {}
        for table in TABLES:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = int(cursor.fetchone()[0])
        return sizes


def measure(servers: int = 100, days: int = 90) -> Figure:
    now = timezone.now()
    minute = epoch_minute(now)
    step = sampling.interval_minutes()
    figure = None
    try:
        with transaction.atomic():
            before = _sizes()
            owner = get_user_model().objects.create_user(f"storage-figure-{minute}")
            account = CloudAccount(owner=owner, name="storage figure")
            account.set_credentials(login="figure@example.com", api_key="f" * 32)
            account.save()
            tracked = TrackedServer.objects.bulk_create(
                [
                    TrackedServer(account=account, server_id=str(n), name=f"s{n}")
                    for n in range(servers)
                ]
            )
            # A day more than kept, so that pruning has something to do.
            raw_from = minute - (settings.CATCPANEL_HISTORY_RAW_HOURS + 24) * 60
            hours_from = minute // 60 - (days + 1) * 24
            for row in tracked:
                Sample.objects.bulk_create(
                    (
                        Sample(server=row, minute=m, cpu=m % 1000, ram=500, disk=300, status=1)
                        for m in range(raw_from - raw_from % step, minute, step)
                    ),
                    batch_size=2000,
                )
                HourlyUsage.objects.bulk_create(
                    (
                        HourlyUsage(
                            server=row,
                            hour=h,
                            samples=12,
                            on_samples=12,
                            cpu_avg=h % 1000,
                            cpu_min=0,
                            cpu_max=1000,
                            ram_avg=500,
                            ram_min=400,
                            ram_max=600,
                            disk_avg=300,
                            disk_min=300,
                            disk_max=301,
                        )
                        for h in range(hours_from, minute // 60)
                    ),
                    batch_size=2000,
                )
            kept_days = min(days, settings.CATCPANEL_HISTORY_HOURLY_DAYS)
            with override_settings(CATCPANEL_HISTORY_HOURLY_DAYS=kept_days):
                sampling.prune(now)
            after = _sizes()
            rows = {
                "history_trackedserver": TrackedServer.objects.filter(account=account).count(),
                "history_sample": Sample.objects.filter(server__account=account).count(),
                "history_hourlyusage": HourlyUsage.objects.filter(server__account=account).count(),
            }
            figure = Figure(
                servers,
                days,
                rows,
                {table: max(after[table] - before[table], 0) for table in TABLES},
            )
            raise _Rollback
    except _Rollback:
        pass
    return figure


def expected_rows(servers: int, days: int) -> dict[str, int]:
    """What the bounds allow: the figure's rows must equal this."""
    raw = settings.CATCPANEL_HISTORY_RAW_HOURS * 60 // sampling.interval_minutes()
    return {
        "history_trackedserver": servers,
        "history_sample": servers * raw,
        "history_hourlyusage": servers * min(days, settings.CATCPANEL_HISTORY_HOURLY_DAYS) * 24,
    }
