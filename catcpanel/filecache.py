"""The shared cache when no Redis is configured: Django's file cache, with a cheaper cull.

Django's FileBasedCache lists the whole cache folder on every `set` to see whether it holds more
than MAX_ENTRIES files. That costs 0.4 ms with 100 entries and 3 ms with 1,000, on every list the
panel stores. When it does cull, it deletes entries at random, fresh copies included, while
expired files (a rendered copy of the rows outlives its list, and is never read again) stay.

This backend looks at most once a minute per process. When the folder is full, it first deletes
the expired files, and culls at random only if that was not enough.
"""

from __future__ import annotations

import threading
import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_INTERVAL_SECONDS = 60

# Django gives each thread its own backend object: the schedule is per folder, shared by them.
_next_cull: dict[str, float] = {}
_schedule_lock = threading.Lock()


class FileCache(FileBasedCache):
    def _cull(self) -> None:
        if not self._cull_due():
            return
        entries = self._list_cache_files()
        if len(entries) < self._max_entries:
            return
        live = [name for name in entries if not self._drop_if_expired(name)]
        if len(live) >= self._max_entries:
            super()._cull()

    def _cull_due(self) -> bool:
        now = time.monotonic()
        with _schedule_lock:
            if now < _next_cull.get(self._dir, 0.0):
                return False
            _next_cull[self._dir] = now + CULL_INTERVAL_SECONDS
            return True

    def _drop_if_expired(self, name: str) -> bool:
        try:
            with open(name, "rb") as entry:
                return self._is_expired(entry)
        except FileNotFoundError:
            return True
