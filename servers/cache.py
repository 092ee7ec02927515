"""A short exclusive lock in the shared cache, for single-flight provider calls.

`cache.add` is atomic on Redis, Memcached and the local-memory cache, but the file-based cache
checks then writes, so two workers could both win. For it the lock is a file created with
O_EXCL next to the cache's files: atomic across threads and processes on one host, which is
the only place a file cache is shared.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache


def _file_cache() -> FileBasedCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, FileBasedCache) else None


def _lock_path(backend: FileBasedCache, key: str) -> Path:
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(backend._dir) / f"{name}.lock"


def acquire(key: str, token: str, seconds: int) -> bool:
    """True if this caller now holds `key` for at most `seconds`."""
    backend = _file_cache()
    if backend is None:
        return caches["default"].add(key, token, seconds)
    path = _lock_path(backend, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                if time.time() - path.stat().st_mtime < seconds:
                    return False
                path.unlink()  # a holder that died: its lock has expired
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        return True
    return False


def held(key: str) -> bool:
    backend = _file_cache()
    if backend is None:
        return caches["default"].get(key) is not None
    return _lock_path(backend, key).exists()


def release(key: str, token: str) -> None:
    backend = _file_cache()
    if backend is None:
        if caches["default"].get(key) == token:
            caches["default"].delete(key)
        return
    path = _lock_path(backend, key)
    try:
        if path.read_text() == token:
            path.unlink()
    except FileNotFoundError:
        pass
