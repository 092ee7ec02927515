from datetime import timedelta

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from history import worker

# The worker ticks every minute: three missed ticks mean it is not running.
HEALTHY_WITHIN = timedelta(minutes=3)


class Command(BaseCommand):
    help = (
        "Sample every account's servers now (--once), as the worker does every "
        "CATCPANEL_SAMPLE_MINUTES. An account another worker sampled in this interval is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="run one round here, synchronously, and exit"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 0 if the worker ran a round within 3 minutes, else 1 (a health check)",
        )

    def handle(self, *args, **options):
        if options["check"]:
            last = cache.get(worker.HEARTBEAT_KEY)
            if last is None or timezone.now() - last > HEALTHY_WITHIN:
                raise CommandError("The worker has not run a round in the last 3 minutes.")
            self.stdout.write(f"The worker ran a round at {last:%H:%M:%S}.")
            return
        if not options["once"]:
            raise CommandError(
                "The worker samples on its own schedule (manage.py run_huey); "
                "use --once to run one round now."
            )
        report = worker.tick()
        self.stdout.write(str(report))
        if report.failed and not report.sampled:
            raise CommandError("Every account's read failed: see the accounts' last errors.")
