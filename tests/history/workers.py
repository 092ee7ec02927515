"""Real worker processes for a test: their own SQLite database and file cache in a temp folder,
with one CloudAccount pointing at the test's sandbox (served by pytest-django's live server)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "manage.py")]

CREATE_ACCOUNT = """
import os
from django.contrib.auth import get_user_model
from servers.models import CloudAccount
owner = get_user_model().objects.create_user("alice", "alice@example.com")
account = CloudAccount(owner=owner, name="Demo", base_url=os.environ["T_URL"])
account.set_credentials(login=os.environ["T_LOGIN"], api_key=os.environ["T_KEY"])
account.save()
"""


def environment(data_dir: Path, fernet_keys: list[str], **extra) -> dict:
    """Like a fresh container's: nothing of this test run's database, cache or settings module."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(data_dir),
        "SECRET_KEY": "worker-test-secret-key",
        "CATCPANEL_FERNET_KEYS": ",".join(fernet_keys),
        "CATCPANEL_CAC_RETRY_BACKOFF": "0",
        # The sandbox the account points at is the live server on this machine.
        "CATCPANEL_API_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(env: dict, *args: str, timeout: float = 180, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MANAGE, *args],
        cwd=ROOT,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def migrated_template(folder: Path) -> Path:
    """A migrated SQLite database to copy into each test (migrating takes seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = manage(environment(folder, [Fernet.generate_key().decode()]), "migrate", "--no-input")
    assert done.returncode == 0, done.stderr[-2000:]
    return folder / "catcpanel.sqlite3"


def prepare(data_dir: Path, template: Path, settings, account_url: str, customer) -> dict:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data_dir / "catcpanel.sqlite3")
    env = environment(data_dir, settings.CATCPANEL_FERNET_KEYS)
    done = manage(
        env,
        "shell",
        "-c",
        CREATE_ACCOUNT,
        T_URL=account_url,
        T_LOGIN=customer.login,
        T_KEY=customer.api_key,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return env


def query(data_dir: Path, sql: str, *params):
    with sqlite3.connect(data_dir / "catcpanel.sqlite3", timeout=20) as db:
        return db.execute(sql, params).fetchall()


def clear_of_round_boundary(minutes: int = 5, margin: float = 15.0) -> None:
    """Wait out the last seconds of a sampling interval: two workers started a second apart on
    either side of a boundary would rightly sample two different rounds."""
    left = minutes * 60 - time.time() % (minutes * 60)
    if left < margin:
        time.sleep(left + 0.5)
