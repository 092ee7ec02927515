"""Backups of the panel's database: `manage.py backup` and `manage.py restore`.

An archive is a gzipped tar of two members: `manifest.json` (the panel's version, the time, the
database engine, the applied migrations and a count of every table's rows) and `data.json` (every
row, in Django's serialization). It never holds an encryption key: the stored Cloud at Cost
credentials and two-factor secrets stay encrypted in it, and a restore needs the same
CATCPANEL_FERNET_KEYS as the panel that made it.

One format for both engines, so that a restore needs no client tools in the image (pg_dump is not
in it, and a Debian pg_dump refuses newer servers), and a SQLite panel can move to PostgreSQL by
restoring its archive there. Each archive is one consistent snapshot while the panel serves:
SQLite's online backup API copies the file, PostgreSQL reads in one REPEATABLE READ transaction.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "catcpanel-backup"
FORMAT_VERSION = 1
# migrate writes the first two itself; sessions are left out so that an archive carries no live
# sign-in, and a restore signs everyone out.
EXCLUDED_MODELS = ("contenttypes.contenttype", "auth.permission", "sessions.session")
SNAPSHOT_ALIAS = "catcpanel_backup_snapshot"


class BackupError(Exception):
    """A backup or restore that cannot go on: the message is for the operator."""


@dataclass
class Archive:
    manifest: dict
    data: bytes


def panel_version() -> str:
    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def _labels() -> list[str]:
    return sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in EXCLUDED_MODELS
    )


def _schema(alias: str) -> dict[str, list[str]]:
    applied = defaultdict(list)
    for app_label, name in MigrationRecorder(connections[alias]).applied_migrations():
        applied[app_label].append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


def _counts(alias: str) -> dict[str, int]:
    return {
        label: apps.get_model(label)._default_manager.using(alias).count() for label in _labels()
    }


@contextmanager
def _snapshot():
    """Yield a database alias whose reads all see one moment of the panel's database."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="catcpanel-backup-") as folder:
            copy = os.path.join(folder, "snapshot.sqlite3")
            connection.ensure_connection()
            target = sqlite3.connect(copy)
            try:
                # One step (pages=-1): the copy is the database as one read transaction saw it,
                # while writers carry on (WAL).
                connection.connection.backup(target)
            finally:
                target.close()
            # A connection to the copy that only this thread knows: it is made from a settings
            # entry that is removed again at once, so that nothing iterating over the
            # configured databases (request signals, test isolation) ever meets it.
            connections.settings[SNAPSHOT_ALIAS] = {
                **connections.settings["default"],
                "NAME": copy,
                "OPTIONS": {},
                "CONN_MAX_AGE": 0,
            }
            try:
                snapshot = connections[SNAPSHOT_ALIAS]
            finally:
                del connections.settings[SNAPSHOT_ALIAS]
            try:
                yield SNAPSHOT_ALIAS
            finally:
                snapshot.close()
                del connections[SNAPSHOT_ALIAS]
    elif connection.vendor == "postgresql":
        connection.ensure_connection()
        with transaction.atomic(using="default"):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield "default"
    else:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(payload))


def write_backup(fileobj) -> dict:
    """Write one archive of the database to a binary file object; return its manifest."""
    with _snapshot() as alias, tempfile.TemporaryDirectory(prefix="catcpanel-backup-") as folder:
        data_path = os.path.join(folder, "data.json")
        call_command(
            "dumpdata",
            *_labels(),
            database=alias,
            natural_foreign=True,
            output=data_path,
            verbosity=0,
        )
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": panel_version(),
            "created_at": timezone.now().isoformat(),
            "engine": connections[alias].vendor,
            "schema": _schema(alias),
            "counts": _counts(alias),
            "encryption_key": "not included: a restore needs this panel's CATCPANEL_FERNET_KEYS",
        }
        data = Path(data_path).read_bytes()
    with tarfile.open(fileobj=fileobj, mode="w|gz") as tar:
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
        _add(tar, "data.json", data)
    return manifest


def read_archive(path) -> Archive:
    """Read an archive from a path, or from standard input when the path is "-"."""
    try:
        # A pipe cannot seek, which tarfile needs to tell the compression: read it whole.
        source = {"fileobj": io.BytesIO(sys.stdin.buffer.read())} if path == "-" else {"name": path}
        with tarfile.open(**source, mode="r:*") as tar:
            members = {member.name: member for member in tar.getmembers()}
            if "manifest.json" not in members or "data.json" not in members:
                raise BackupError(
                    f"{path} is not a catcpanel backup: no manifest.json or data.json."
                )
            manifest = json.loads(tar.extractfile(members["manifest.json"]).read())
            data = tar.extractfile(members["data.json"]).read()
    except (tarfile.TarError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} cannot be read as a catcpanel backup: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a catcpanel backup of a format this version reads.")
    return Archive(manifest=manifest, data=data)


def check_schema(manifest: dict) -> None:
    """Refuse an archive whose database had migrations this version of the panel does not know."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app_label}.{name}"
        for app_label, names in manifest["schema"].items()
        for name in names
        if (app_label, name) not in known
    ]
    if unknown:
        raise BackupError(
            f"The archive was made by a newer catcpanel ({manifest.get('version')}): its database "
            f"has migrations this version ({panel_version()}) does not know "
            f"({', '.join(unknown[:5])}). Restore it with that version or a later one. "
            "Nothing was changed."
        )


def _configured_fernet() -> MultiFernet | None:
    """The keys the panel would read, without ever generating one (unlike servers.crypto)."""
    keys = [key.strip() for key in settings.CATCPANEL_FERNET_KEYS if key.strip()]
    key_file = Path(settings.CATCPANEL_FERNET_KEY_FILE)
    if not keys and key_file.exists():
        keys = [key_file.read_text().strip()]
    if not keys:
        return None
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise BackupError(
            "CATCPANEL_FERNET_KEYS holds a value that is not a Fernet key. Nothing was changed."
        ) from None


def _encrypted_values(objects: list[dict]):
    """(what, token) for every encrypted value in the archive's rows."""
    for obj in objects:
        fields = obj.get("fields", {})
        if obj.get("model") == "servers.cloudaccount":
            what = f"account {fields.get('name')!r}"
            for name in ("login_encrypted", "api_key_encrypted"):
                if fields.get(name):
                    yield what, fields[name]
        elif obj.get("model") == "mfa.authenticator":
            data = fields.get("data") or {}
            if isinstance(data, str):
                data = json.loads(data)
            for name in ("secret", "seed"):
                if isinstance(data.get(name), str):
                    yield f"a two-factor authenticator of user #{fields.get('user')}", data[name]


def check_keys(objects: list[dict]) -> int:
    """Every encrypted value in the archive opens with the configured keys; return how many."""
    values = list(_encrypted_values(objects))
    if not values:
        return 0
    fernet = _configured_fernet()
    if fernet is None:
        raise BackupError(
            f"The archive holds {len(values)} encrypted value(s), and no encryption key is "
            "configured: set CATCPANEL_FERNET_KEYS (or put the key file back in "
            f"{settings.CATCPANEL_FERNET_KEY_FILE}) to the key of the panel that made the backup. "
            "Nothing was changed."
        )
    unreadable = []
    for what, token in values:
        try:
            fernet.decrypt(token.encode())
        except (InvalidToken, TypeError, ValueError):
            if what not in unreadable:
                unreadable.append(what)
    if unreadable:
        raise BackupError(
            f"The configured encryption key does not open {len(unreadable)} of the archive's "
            f"encrypted entries ({', '.join(unreadable[:5])}): it is not the key of the panel "
            "that made the backup. Set CATCPANEL_FERNET_KEYS to that key (the old one may follow "
            "a new one, newest first). Nothing was changed."
        )
    return len(values)


def _rows_in_target() -> dict[str, int]:
    connection = connections["default"]
    tables = set(connection.introspection.table_names())
    found = {}
    for label in _labels():
        model = apps.get_model(label)
        if model._meta.db_table in tables:
            count = model._default_manager.count()
            if count:
                found[label] = count
    return found


def restore(archive: Archive) -> dict[str, int]:
    """Check everything, then load the archive into the empty database; return its row counts."""
    manifest = archive.manifest
    check_schema(manifest)
    try:
        objects = json.loads(archive.data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(
            f"The archive's data.json is damaged: {exc}. Nothing was changed."
        ) from None
    check_keys(objects)
    occupied = _rows_in_target()
    if occupied:
        listed = ", ".join(f"{count} {label}" for label, count in sorted(occupied.items())[:5])
        raise BackupError(
            f"The database is not empty ({listed}): restore writes into an empty database only, "
            "so that nothing is mixed or overwritten. Point DATABASE_URL at a new database (or "
            "start with a new /data volume) and run the restore again. Nothing was changed."
        )

    # The rows load into this version's schema: its models are the ones the deserializer knows
    # (an older schema's tables would lack the columns added since). Fields an older archive does
    # not have take their defaults; fields this version no longer has are skipped.
    call_command("migrate", verbosity=0, no_input=True)
    # Tables this version has dropped have nowhere to go.
    known = set(_labels())
    objects = [obj for obj in objects if obj.get("model") in known]
    with tempfile.TemporaryDirectory(prefix="catcpanel-restore-") as folder:
        data_path = os.path.join(folder, "data.json")
        Path(data_path).write_text(json.dumps(objects))
        with transaction.atomic():
            call_command("loaddata", data_path, ignorenonexistent=True, verbosity=0)
            loaded = {label: count for label, count in _counts("default").items() if count}
            expected = {
                label: count
                for label, count in manifest["counts"].items()
                if count and label in known
            }
            if loaded != expected:
                raise BackupError(
                    "The rows loaded do not match the archive's manifest "
                    f"(loaded {loaded}, manifest {expected}); nothing was kept."
                )
    return loaded
