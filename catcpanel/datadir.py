"""The data folder holds the database, the keys and the cache: readable by the panel's user only.

The Docker entrypoint sets `umask 077`, but `make run`, a bare `manage.py` or a process manager
start with whatever umask the shell had (often 022: readable by everyone on the host). So the
settings create the folder and the files SQLite opens with owner-only modes up front; SQLite
gives its -wal and -shm files the database's own mode, Django's file cache makes its folder 0700
and its entries 0600, and the key files are created 0600 where they are written.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create `path` (and its parents) owner-only; tighten it if it is ours and looser."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create `path` empty and owner-only if it is missing (an empty file is a new SQLite
    database); tighten it if it is ours and looser."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        pass
    except OSError:
        return  # not ours to create (a read-only folder): whoever owns it decides
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        _tighten(companion, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    try:
        status = path.stat()
        if status.st_uid == os.getuid() and status.st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        pass
