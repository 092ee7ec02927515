import time

from django.core.management.base import BaseCommand

from history import storage


class Command(BaseCommand):
    help = (
        "Print the rows and bytes the usage history takes at its bounds for N servers over D days "
        "(measured in a transaction that is rolled back). On a live SQLite panel it holds the "
        "write lock while it runs: prefer a scratch copy (CATCPANEL_DATA_DIR=$(mktemp -d))."
    )

    def add_arguments(self, parser):
        parser.add_argument("--servers", type=int, default=100)
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args, **options):
        started = time.monotonic()
        figure = storage.measure(options["servers"], options["days"])
        self.stdout.write(figure.table())
        self.stdout.write(f"(measured in {time.monotonic() - started:.1f} s)")
