import time

from django.core.management.base import BaseCommand, CommandError

from servers.backups import BackupError, read_archive, restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `manage.py backup` into an empty database. Refuses, changing "
        "nothing, an archive from a newer catcpanel, a database that is not empty, and an archive "
        "whose encrypted credentials the configured CATCPANEL_FERNET_KEYS cannot open."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="the archive written by `manage.py backup`, or - for standard input"
        )

    def handle(self, *args, path, **options):
        started = time.monotonic()
        try:
            archive = read_archive(path)
            loaded = restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = archive.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(loaded.values())} rows ("
                f"{loaded.get('servers.cloudaccount', 0)} Cloud at Cost accounts, "
                f"{loaded.get('servers.actionlog', 0)} activity rows) from the backup of "
                f"catcpanel {manifest['version']} taken {manifest['created_at']}, in "
                f"{time.monotonic() - started:.1f} s. Everyone signs in again."
            )
        )
