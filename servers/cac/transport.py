"""What keeps one provider from hurting the panel: peer address checks, a total deadline per call,
a cap on the size of an answer, and a bound on the calls in flight per account.

- `requests`' read timeout bounds each read, not the answer: a provider sending a byte a second
  never trips it. Each call therefore runs under a deadline kept by one watchdog thread, which
  shuts the call's sockets down when it passes (whatever the call is doing then: connecting, the
  TLS handshake, reading headers or the body), and the body is read in chunks, checked against the
  deadline and the size cap as it arrives; nothing past the cap is read.
- The address checks happen on the socket itself (`_new_conn`), after name resolution.
- At most `CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT` calls per account run at once in a process; one
  more fails at once with `AccountBusy` instead of taking another worker thread.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from servers.cac.addresses import Rule, peer_allowed

CHUNK_BYTES = 64 * 1024


class TooLarge(Exception):
    pass


class DeadlinePassed(Exception):
    pass


class AccountBusy(Exception):
    pass


class Call:
    """One provider request: its deadline, its sockets, and what went wrong on them."""

    def __init__(self, deadline: float, rule: Rule | None):
        self.deadline = deadline
        self.rule = rule
        self.expired = False
        self.refused_peer: str | None = None
        self._sockets: list = []
        self._done = False
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock) -> None:
        """Sockets, not connections: http.client drops a connection's socket once the answer
        says it will close, while the body is still being read from it."""
        if sock is None:
            return
        with self._lock:
            if not any(known is sock for known in self._sockets):
                self._sockets.append(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock) -> None:
    """Wake a thread blocked on `sock` by shutting the socket down through a duplicate of its file
    descriptor: an SSLSocket's own shutdown() would unwrap it under the reading thread's feet."""
    try:
        duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
    except (OSError, ValueError):
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()


class _Watchdog:
    def __init__(self):
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, Call]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, call: Call) -> None:
        with self._condition:
            heapq.heappush(self._heap, (call.deadline, next(self._order), call))
            # A forked worker inherits the object but not the thread.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="catcpanel-cac-deadlines", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap:
                    self._condition.wait()
                deadline, _, call = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
            call.expire()


_watchdog = _Watchdog()
_current = threading.local()


@contextlib.contextmanager
def running(call: Call) -> Iterator[Call]:
    """Run a request under `call`: its connections are watched and its deadline enforced."""
    _current.call = call
    _watchdog.arm(call)
    try:
        yield call
    finally:
        call.finish()
        _current.call = None


def current_call() -> Call | None:
    return getattr(_current, "call", None)


class _Checked:
    """Mixed into urllib3's connections: check the peer, and let the deadline reach the socket."""

    def _new_conn(self):
        sock = super()._new_conn()
        call = current_call()
        if call is not None and not self.proxy:
            # Through a proxy the peer is the proxy the operator configured, not the provider.
            try:
                peer = sock.getpeername()[0]
            except OSError:
                peer = ""
            if call.rule is None or not peer_allowed(call.rule, peer):
                sock.close()
                call.refused_peer = peer or "?"
                raise NewConnectionError(self, "the provider's address is not allowed")
            # Until TLS wraps it (the wrapper then owns the descriptor).
            call.watch(sock)
        return sock

    def connect(self):
        super().connect()
        if (call := current_call()) is not None:
            call.watch(self.sock)

    def request(self, *args, **kwargs):
        # A connection kept alive from an earlier call.
        if (call := current_call()) is not None:
            call.watch(self.sock)
        return super().request(*args, **kwargs)


class CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class CheckedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections check their peer and obey the call's deadline."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def read_body(response, call: Call, limit: int) -> bytes:
    """The body, read in chunks: TooLarge past `limit` bytes (decoded), DeadlinePassed past the
    call's deadline. Nothing beyond the chunk that crosses the limit is read."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    for chunk in response.raw.stream(CHUNK_BYTES, decode_content=True):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        if call.expired or call.remaining() <= 0:
            raise DeadlinePassed
        chunks.append(chunk)
    if call.expired:
        raise DeadlinePassed
    return b"".join(chunks)


_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


@contextlib.contextmanager
def account_slot(key: str | None, limit: int) -> Iterator[None]:
    """Hold one of the account's `limit` slots for the call, or raise AccountBusy at once."""
    if key is None or limit <= 0:
        yield
        return
    with _slots_lock:
        slot = _slots.setdefault((key, limit), threading.BoundedSemaphore(limit))
    if not slot.acquire(blocking=False):
        raise AccountBusy
    try:
        yield
    finally:
        slot.release()
