"""Browser tests end only once the live server has answered everything the page asked for.

The test database is flushed when a live_server test ends. A request the page sent just before it
closed may still be running in the server's thread then; on SQLite's shared in-memory database that
fails the flush with "database table is locked". Counting requests in flight, and waiting for none,
removes that race.
"""

import threading
import time

import pytest
from django.core.signals import request_finished, request_started

IDLE_TIMEOUT_SECONDS = 10


class InFlight:
    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def started(self, **kwargs):
        with self._lock:
            self.count += 1

    def finished(self, **kwargs):
        with self._lock:
            self.count = max(self.count - 1, 0)

    def wait_until_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count == 0:
                return True
            time.sleep(0.02)
        return False


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(request):
    if "live_server" not in request.fixturenames:
        yield
        return
    # Set up after the database (which pytest-django's live_server helper sets up first) and before
    # the page, so torn down after the page has closed and before the flush.
    request.getfixturevalue("transactional_db")
    in_flight = InFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    yield
    try:
        if not in_flight.wait_until_idle(IDLE_TIMEOUT_SECONDS):
            pytest.fail(f"the live server still had {in_flight.count} request(s) running")
    finally:
        request_started.disconnect(in_flight.started)
        request_finished.disconnect(in_flight.finished)
