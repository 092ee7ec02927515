"""Wait until the database accepts connections: the container starts before PostgreSQL is ready."""

import math
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections


class Command(BaseCommand):
    help = "Retry connecting to the database until it answers or --timeout seconds pass."
    # The system checks run later, in `migrate`; a missing key must not hide a missing database.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between tries")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, timeout, interval, database, **options):
        connection = connections[database]
        where = _describe(connection.settings_dict)
        deadline = time.monotonic() + timeout
        attempts = 0
        with _bounded_connect(connection, timeout):
            while True:
                attempts += 1
                try:
                    connection.ensure_connection()
                    break
                except OperationalError as exc:
                    last_error = _first_line(exc)
                    connection.close()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CommandError(
                        f"The database ({where}) did not answer within {timeout:g} s "
                        f"({attempts} attempts). Last error: {last_error}"
                    )
                if attempts == 1:
                    self.stderr.write(f"Waiting for the database ({where})...")
                time.sleep(min(interval, remaining))
        self.stdout.write(f"The database ({where}) is available.")


class _bounded_connect:
    """libpq waits as long as the OS lets a connect hang: cap one try by the whole timeout."""

    def __init__(self, connection, timeout):
        self.options = connection.settings_dict.setdefault("OPTIONS", {})
        self.applies = connection.vendor == "postgresql" and "connect_timeout" not in self.options
        self.seconds = max(2, math.ceil(timeout))  # libpq ignores values below 2

    def __enter__(self):
        if self.applies:
            self.options["connect_timeout"] = self.seconds

    def __exit__(self, *exc_info):
        if self.applies:
            self.options.pop("connect_timeout", None)


def _describe(settings_dict) -> str:
    """Engine, host and name: never the password (nor the user)."""
    engine = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    place = f"{host}:{port}" if host and port else host
    name = settings_dict.get("NAME") or ""
    return " ".join(part for part in (engine, place, str(name)) if part)


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
