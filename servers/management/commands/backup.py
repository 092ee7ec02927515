import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from servers.backups import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write one consistent archive of the database (a gzipped tar: manifest.json and "
        "data.json) while the panel serves. It holds no encryption key: keep CATCPANEL_FERNET_KEYS "
        "(or /data/fernet.key) apart from it. `--output -` writes the archive to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="the archive's path, or - for stdout")
        parser.add_argument(
            "--force", action="store_true", help="replace the file at --output if there is one"
        )

    def handle(self, *args, output, force, **options):
        started = time.monotonic()
        try:
            if output == "-":
                manifest = write_backup(sys.stdout.buffer)
                sys.stdout.buffer.flush()
                report = sys.stderr
            else:
                manifest = self._write_file(Path(output), force)
                report = self.stdout
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["counts"].values())
        accounts = manifest["counts"].get("servers.cloudaccount", 0)
        activity = manifest["counts"].get("servers.actionlog", 0)
        seconds = time.monotonic() - started
        report.write(
            f"Backed up {rows} rows ({accounts} Cloud at Cost accounts, {activity} activity rows) "
            f"of catcpanel {manifest['version']} to {output} in {seconds:.1f} s. "
            "The encryption key is not in it: keep the key and the archive apart.\n"
        )

    def _write_file(self, path: Path, force: bool) -> dict:
        if path.exists() and not force:
            raise CommandError(f"{path} exists: choose another name, or give --force.")
        partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
        # Readable by its owner only: the archive holds every user's password hash.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                manifest = write_backup(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return manifest
