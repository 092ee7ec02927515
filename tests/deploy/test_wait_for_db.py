import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command

from tests.deploy.conftest import ROOT


def wait_for_db(environ, *arguments):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "wait_for_db", *arguments],
        cwd=ROOT,
        env={**environ, "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=90,
    )
    return result, time.monotonic() - started


@pytest.mark.django_db
def test_succeeds_at_once_against_the_test_database():
    out = StringIO()
    call_command("wait_for_db", "--timeout", "5", stdout=out, stderr=StringIO())
    assert "is available" in out.getvalue()


def test_gives_up_after_the_timeout_with_a_clear_message_and_no_password(clean_env, free_port):
    environ = {
        **clean_env,
        "DATABASE_URL": f"postgres://panel:hunter2-db-secret@127.0.0.1:{free_port}/catcpanel",
    }

    result, elapsed = wait_for_db(environ, "--timeout", "1")

    assert result.returncode == 1
    assert f"The database (postgresql 127.0.0.1:{free_port} catcpanel) did not answer" in (
        result.stderr
    )
    assert "within 1 s" in result.stderr
    assert "hunter2-db-secret" not in result.stdout + result.stderr
    # One second of retries plus interpreter and Django start-up, with room for a busy machine.
    assert elapsed < 30


def test_retries_until_the_database_can_be_opened(clean_env, tmp_path):
    """SQLite cannot open a file in a folder that does not exist yet: retry until it does."""
    late_folder = tmp_path / "mounted-later"
    environ = {
        **clean_env,
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{late_folder / 'panel.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "wait_for_db", "--timeout", "60", "--interval", "0.2"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The folder appears only once the command has failed and said it is waiting.
        assert "Waiting for the database" in process.stderr.readline()
        late_folder.mkdir()
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 0, stderr
    assert "is available" in stdout
