"""A short exclusive lock in the shared cache, for single-flight provider calls; and a Redis cache
that a stopped Redis does not turn into error pages.

`cache.add` is atomic on Redis, Memcached and the local-memory cache, but the file-based cache
checks then writes, so two workers could both win. For it the lock is a file created with
O_EXCL next to the cache's files: atomic across threads and processes on one host, which is
the only place a file cache is shared.

With Redis stopped, every cache read is a miss and every write is lost (`TolerantRedisCache`):
sections then ask the provider themselves, without single flight, and the sign-in throttle,
which cannot count, refuses sign-ins (it fails closed; sessions live in the database, so people
already signed in stay signed in). Actions that need a per-server lock refuse with a message
(`add_strict` raises `Unavailable`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import ConnectionError as _RedisConnectionError
    from redis.exceptions import ReadOnlyError as _RedisReadOnlyError
    from redis.exceptions import TimeoutError as _RedisTimeoutError

    BACKEND_ERRORS: tuple[type[Exception], ...] = (
        _RedisConnectionError,
        _RedisTimeoutError,
        _RedisReadOnlyError,
    )
except ImportError:  # the redis package is only needed with REDIS_URL
    BACKEND_ERRORS = ()

# One warning per this many seconds while the cache is down, not one per request.
REPORT_EVERY_SECONDS = 30


class Unavailable(Exception):
    """The shared cache did not answer."""


class _Reporter:
    def __init__(self):
        self._lock = threading.Lock()
        self._last = 0.0

    def __call__(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < REPORT_EVERY_SECONDS:
                return
            self._last = now
        logger.warning(
            "The shared cache is not answering (%s): serving without it.", type(error).__name__
        )


_report = _Reporter()


class TolerantRedisCache(RedisCache):
    """Django's Redis cache, where a Redis that does not answer is a miss and a lost write."""

    def _tolerate(self, default, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except BACKEND_ERRORS as error:
            _report(error)
            return default

    def add_strict(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except BACKEND_ERRORS as error:
            _report(error)
            raise Unavailable() from None

    def ping(self) -> bool:
        try:
            self._cache.get_client(write=True).ping()
        except BACKEND_ERRORS as error:
            _report(error)
            return False
        return True

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerate(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._tolerate(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerate(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerate(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._tolerate(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._tolerate({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._tolerate(False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerate(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._tolerate(None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        # Django's answer for a key that is not there: every caller already falls back from it
        # (a counter starts again), as it must when the cache is down. A credential change,
        # whose version bump must not be lost, checks available() first (services/accounts.py).
        try:
            return super().incr(key, delta, version)
        except BACKEND_ERRORS as error:
            _report(error)
            raise ValueError("the shared cache is not answering") from None

    def clear(self):
        return self._tolerate(False, super().clear)


def add_strict(key: str, value, seconds: int) -> bool:
    """`cache.add`, but a cache that does not answer raises `Unavailable` instead of False."""
    backend = caches["default"]
    if isinstance(backend, TolerantRedisCache):
        return backend.add_strict(key, value, seconds)
    return backend.add(key, value, seconds)


def available() -> bool:
    """Whether the shared cache answers now (always true but for a tolerant Redis)."""
    backend = caches["default"]
    return backend.ping() if isinstance(backend, TolerantRedisCache) else True


def _file_cache() -> FileBasedCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, FileBasedCache) else None


def _lock_path(backend: FileBasedCache, key: str) -> Path:
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(backend._dir) / f"{name}.lock"


def acquire(key: str, token: str, seconds: int) -> bool:
    """True if this caller now holds `key` for at most `seconds`.

    Also true when the cache does not answer: nobody can hold the lock then, and a section is
    better read from the provider by each request than not shown at all.
    """
    backend = _file_cache()
    if backend is None:
        try:
            return add_strict(key, token, seconds)
        except Unavailable:
            return True
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
