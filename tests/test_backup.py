"""`manage.py backup` and `manage.py restore` (servers/backups.py), on SQLite and, in CI's
PostgreSQL pass, on PostgreSQL: a backup taken while rows are written restores every account
(decrypting) and every activity row, and a restore that cannot succeed changes nothing."""

import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
import tomllib
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections
from django.utils import timezone

from servers import crypto
from servers.models import ActionLog, CloudAccount, Invitation, Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

ACCOUNTS = {f"acct-{n}": (f"owner{n}@example.org", f"api-key-{n}-{'x' * 20}") for n in range(3)}


@pytest.fixture
def panel_data():
    """Accounts with credentials, a member and some activity: what a backup must carry."""
    users = get_user_model().objects
    owner = users.create_user("owner", "owner@example.org", "a long owner passphrase")
    member = users.create_user("member", "member@example.org", "a long member passphrase")
    for name, (login, api_key) in ACCOUNTS.items():
        account = CloudAccount(name=name, owner=owner)
        account.set_credentials(login=login, api_key=api_key)
        account.save()
        Membership.objects.create(account=account, user=member, role=Role.OPERATOR)
        for n in range(5):
            ActionLog.objects.create(
                account=account,
                account_name=name,
                user=owner,
                user_name="owner",
                action="power_on",
                server_id=str(n),
                outcome=ActionLog.Outcome.SUCCESS,
            )
    return owner


class ActivityWriter(threading.Thread):
    """Writes activity rows, each in its own transaction, as a serving panel does."""

    def __init__(self, owner_id):
        super().__init__(daemon=True)
        self.owner_id = owner_id
        self.committed = []
        self.stop = threading.Event()
        self.failure = None

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    row = ActionLog.objects.create(
                        account_name="acct-0",
                        user_id=self.owner_id,
                        user_name="owner",
                        action="reset",
                        outcome=ActionLog.Outcome.SUCCESS,
                    )
                except OperationalError:
                    # SQLite's in-memory test database locks whole tables while the backup
                    # reads (a file database in WAL mode does not): try again, as a panel would.
                    time.sleep(0.005)
                    continue
                self.committed.append(row.pk)
        except Exception as exc:  # reported by the test, not lost in the thread
            self.failure = exc
        finally:
            connections.close_all()


def _wipe():
    call_command("flush", interactive=False, verbosity=0)
    assert not get_user_model().objects.exists()
    assert not ActionLog.objects.exists()


def _use_keys(settings, *keys):
    settings.CATCPANEL_FERNET_KEYS = list(keys)
    crypto._multifernet.cache_clear()


def _manifest(path):
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def test_a_backup_taken_during_writes_restores_every_account_and_activity_row(panel_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    earlier = set(ActionLog.objects.values_list("pk", flat=True))
    writer = ActivityWriter(panel_data.pk)
    writer.start()
    while len(writer.committed) < 20 and writer.is_alive():
        time.sleep(0.01)
    before = earlier | set(writer.committed)
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    after = earlier | set(writer.committed)
    time.sleep(0.05)
    writer.stop.set()
    writer.join(10)
    assert writer.failure is None
    assert len(writer.committed) + len(earlier) > len(after), "it kept writing after the backup"

    manifest = _manifest(archive)
    _wipe()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert "Restored" in out.getvalue()
    for account in CloudAccount.objects.all():
        assert (account.login, account.api_key) == ACCOUNTS[account.name]
    assert CloudAccount.objects.count() == len(ACCOUNTS)
    assert Membership.objects.count() == len(ACCOUNTS)
    restored = set(ActionLog.objects.values_list("pk", flat=True))
    # Every row committed before the backup began is there, none written after it ended, and the
    # manifest counted exactly what was restored: one consistent moment.
    assert before <= restored <= after
    assert manifest["counts"]["servers.actionlog"] == len(restored)
    owner = get_user_model().objects.get(username="owner")
    assert owner.check_password("a long owner passphrase")


def test_the_archive_holds_no_key_and_no_credential_in_clear(panel_data, tmp_path, settings):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())

    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        content = b"".join(tar.extractfile(member).read() for member in tar.getmembers())
    for key in settings.CATCPANEL_FERNET_KEYS:
        assert key.encode() not in content
    for login, api_key in ACCOUNTS.values():
        assert api_key.encode() not in content
        assert login.encode() not in content
    manifest = _manifest(archive)
    assert manifest["version"] == tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert "0005_actionlog_outcome_unknown" in manifest["schema"]["servers"]
    assert manifest["counts"]["servers.cloudaccount"] == len(ACCOUNTS)
    assert manifest["engine"] == connection.vendor


def test_backup_will_not_overwrite_a_file_without_force(panel_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"an older archive")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", "--output", str(archive), stdout=io.StringIO())
    assert archive.read_bytes() == b"an older archive"
    call_command("backup", "--output", str(archive), "--force", stdout=io.StringIO())
    assert _manifest(archive)["counts"]["servers.cloudaccount"] == len(ACCOUNTS)


def test_a_restore_with_the_wrong_key_says_so_and_changes_nothing(panel_data, tmp_path, settings):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    _wipe()
    _use_keys(settings, Fernet.generate_key().decode())

    with pytest.raises(CommandError, match="does not open 3 of the archive's encrypted") as error:
        call_command("restore", str(archive), stdout=io.StringIO())

    assert "Nothing was changed" in str(error.value)
    assert "acct-0" in str(error.value)
    assert not get_user_model().objects.exists()
    assert not CloudAccount.objects.exists()
    assert not ActionLog.objects.exists()


def test_a_restore_without_any_key_says_so_and_changes_nothing(panel_data, tmp_path, settings):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    _wipe()
    _use_keys(settings)
    settings.CATCPANEL_GENERATE_KEY = True
    assert not settings.CATCPANEL_FERNET_KEY_FILE.exists()

    with pytest.raises(CommandError, match="no encryption key is configured"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert not get_user_model().objects.exists()
    # The check reads the keys; it never generates one that would then not match.
    assert not settings.CATCPANEL_FERNET_KEY_FILE.exists()


def test_a_restore_after_a_key_rotation_opens_the_archive_with_the_old_key(
    panel_data, tmp_path, settings
):
    old_key = settings.CATCPANEL_FERNET_KEYS[0]
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    _wipe()
    _use_keys(settings, Fernet.generate_key().decode(), old_key)

    call_command("restore", str(archive), stdout=io.StringIO())

    assert {account.api_key for account in CloudAccount.objects.all()} == {
        api_key for _, api_key in ACCOUNTS.values()
    }


def test_a_restore_refuses_an_archive_of_a_newer_schema(panel_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        data = tar.extractfile("data.json").read()
    manifest["version"] = "9.0.0"
    manifest["schema"]["servers"].append("0099_from_the_future")
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(newer, "w:gz") as tar:
        for name, payload in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("data.json", data),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    _wipe()

    with pytest.raises(CommandError, match=r"newer catcpanel \(9\.0\.0\).*0099_from_the_future"):
        call_command("restore", str(newer), stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_a_restore_refuses_a_database_that_is_not_empty(panel_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())
    ActionLog.objects.filter(pk__in=ActionLog.objects.values("pk")[:3]).delete()

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert ActionLog.objects.count() == 12


def test_restore_says_what_is_wrong_with_a_file_that_is_no_archive(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    with pytest.raises(CommandError, match="cannot be read as a catcpanel backup"):
        call_command("restore", str(bogus), stdout=io.StringIO())


# ------------------------------------------------------------------------------------------------
# The native PostgreSQL path that docs/self-hosting.md gives: pg_dump -Fc, then pg_restore into an
# empty database. Its old `pg_restore --clean` exited 1 there ("errors ignored on restore").

DOCUMENTED_PG_RESTORE = ["pg_restore", "--clean", "--if-exists", "--no-owner"]


def _pg_url(name):
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="no PostgreSQL tools"
)
def test_the_documented_pg_dump_and_pg_restore_exit_0_into_an_empty_database(panel_data, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs in CI's PostgreSQL pass")
    dump = tmp_path / "catcpanel.dump"
    with open(dump, "wb") as out:
        subprocess.run(
            ["pg_dump", "-Fc", _pg_url(connection.settings_dict["NAME"])], stdout=out, check=True
        )
    empty = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{empty}"')
        cursor.execute(f'CREATE DATABASE "{empty}"')
    try:
        for command in (DOCUMENTED_PG_RESTORE, ["pg_restore", "--clean"]):
            with open(dump, "rb") as stdin:
                result = subprocess.run(
                    [*command, "-d", _pg_url(empty)], stdin=stdin, capture_output=True, text=True
                )
            if command is DOCUMENTED_PG_RESTORE:
                assert result.returncode == 0, result.stderr
                counted = subprocess.run(
                    ["psql", "-tA", _pg_url(empty), "-c", "SELECT count(*) FROM servers_actionlog"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                assert int(counted.stdout) == 15
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE "{empty}"')
                    cursor.execute(f'CREATE DATABASE "{empty}"')
            else:
                # What the guide said before: it fails on an empty database.
                assert result.returncode == 1
    finally:
        connections.close_all()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{empty}"')


def test_backup_to_standard_output_and_restore_from_standard_input(panel_data, monkeypatch):
    """`docker exec ... backup --output - > file`, and `docker run -i ... restore - < file`."""
    written = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(written))
    monkeypatch.setattr("sys.stderr", io.StringIO())
    call_command("backup", "--output", "-")
    archive = written.getvalue()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert tar.getnames() == ["manifest.json", "data.json"]
    _wipe()

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(archive)))
    call_command("restore", "-", stdout=io.StringIO())

    assert ActionLog.objects.count() == 15
    assert sorted(account.login for account in CloudAccount.objects.all()) == sorted(
        login for login, _ in ACCOUNTS.values()
    )


def _rewrite(archive, target, edit):
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        objects = json.loads(tar.extractfile("data.json").read())
    manifest, objects = edit(manifest, objects)
    with tarfile.open(target, "w:gz") as tar:
        for name, value in (("manifest.json", manifest), ("data.json", objects)):
            payload = json.dumps(value).encode()
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_an_archive_of_an_older_version_restores_with_the_fields_added_since(panel_data, tmp_path):
    """An archive made before servers.0006 added Invitation.invitee_user, with an invitation."""
    account = CloudAccount.objects.get(name="acct-0")
    Invitation.objects.create(
        account=account,
        role=Role.VIEWER,
        token_hash="a" * 64,
        invitee="someone",
        created_by=panel_data,
        expires_at=timezone.now() + timedelta(days=3),
    )
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), stdout=io.StringIO())

    def as_before_0006(manifest, objects):
        manifest["version"] = "0.1.0"
        manifest["schema"]["servers"].remove("0006_invitation_invitee_user")
        for obj in objects:
            if obj["model"] == "servers.invitation":
                del obj["fields"]["invitee_user"]
        return manifest, objects

    older = tmp_path / "older.tar.gz"
    _rewrite(archive, older, as_before_0006)
    _wipe()

    call_command("restore", str(older), stdout=io.StringIO())

    invitation = Invitation.objects.get()
    assert (invitation.invitee, invitation.invitee_user) == ("someone", None)
    assert ActionLog.objects.count() == 15
    assert {a.api_key for a in CloudAccount.objects.all()} == {k for _, k in ACCOUNTS.values()}
