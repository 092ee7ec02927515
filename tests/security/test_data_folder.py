"""Everything the panel creates under its data folder is its user's alone, with the shell's usual
umask (022) as under `make run`: the folder, the database and its WAL files, the worker's queue,
the cache's folder and entries, the keys."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in the panel's own process after `make run`'s first two steps: touch what a running panel
# touches, then list the folder while the database connections are still open (-wal, -shm).
EXERCISE = """
import json, os, stat
from pathlib import Path
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from huey.contrib.djhuey import HUEY
from servers import cache as shared_lock
from servers.crypto import fernet
from servers.models import ActionLog
cache.set("catcpanel:probe", "x", 60)
shared_lock.acquire("catcpanel:probe-lock", "token", 60)
fernet()
HUEY.storage.enqueue(b"probe")
ActionLog.objects.create(account_name="probe", user_name="probe", action="probe")
found = {}
for folder, names, files in os.walk(settings.DATA_DIR):
    for name in [*names, *files, "."]:
        path = Path(folder, name)
        found[str(path.relative_to(settings.DATA_DIR))] = stat.S_IMODE(path.stat().st_mode)
print("MODES" + json.dumps(found))
"""


def manage(data_dir: Path, *args: str) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(data_dir),
        "DEBUG": "true",
        "SITE_URL": "http://127.0.0.1:8000",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_make_run_leaves_nothing_readable_by_others(tmp_path):
    data_dir = tmp_path / "var"
    manage(data_dir, "migrate", "--no-input")
    manage(data_dir, "seed_demo")
    out = manage(data_dir, "shell", "-c", EXERCISE)
    modes = json.loads(out.split("MODES", 1)[1])

    expected = {
        ".",
        "catcpanel.sqlite3",
        "catcpanel.sqlite3-wal",
        "catcpanel.sqlite3-shm",
        "huey.sqlite3",
        "fernet.key",
        "cache",
    }
    assert expected <= modes.keys(), sorted(modes)
    assert any(name.startswith("cache/") and name.endswith(".djcache") for name in modes)
    assert any(name.endswith(".lock") for name in modes)
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}


def test_a_folder_and_database_left_readable_by_an_older_version_are_tightened(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    (data_dir / "catcpanel.sqlite3").touch(mode=0o644)
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / "catcpanel.sqlite3", 0o644)
    manage(data_dir, "migrate", "--no-input")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "catcpanel.sqlite3").stat().st_mode) == 0o600
