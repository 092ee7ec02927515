"""No provider can hold a call, a thread or the memory of the panel: a total deadline however the
answer trickles in, a cap on its size, and a bound on the calls in flight per account. Each over
real sockets on 127.0.0.1."""

import gzip
import threading
import time
import tracemalloc

import pytest

from servers.cac.errors import CacBadResponse, CacBusy, CacTimeout

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
BODY = b'{"status":"ok","data":[]}'


def trickle_body(connection, server):
    """Headers at once, then the body one byte every 50 ms, padded to last a minute."""
    server.send(connection, HEADERS)
    for byte in BODY[:-2] + b" " * 1200 + BODY[-2:]:
        if server.release.is_set():
            return
        server.send(connection, bytes([byte]))
        time.sleep(0.05)


def trickle_headers(connection, server):
    """The status line, then header bytes one every 50 ms, never ending the headers."""
    server.send(connection, b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not server.release.is_set():
        server.send(connection, b"a")
        time.sleep(0.05)


@pytest.mark.parametrize("handler", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_an_answer_trickling_in_is_cut_at_the_total_deadline(make_client, raw_server, handler):
    server = raw_server(handler)
    # Each read gets a byte well within the read timeout: only the total deadline can end this.
    client = make_client(base_url=server.base_url, read_timeout=5, total_timeout=0.6)

    with pytest.raises(CacTimeout) as caught:
        client.list_servers()

    # Said as every other failure to get the API's answer is; the log has what happened.
    assert caught.value.message == (
        "No answer from 127.0.0.1 that Cloud at Cost's API would give, when asked to "
        "list the servers. Try again later, or check this account's API address; the server log "
        "has the details."
    )
    assert caught.value.detail == "no complete answer within 0.6 s (CATCPANEL_CAC_TOTAL_TIMEOUT)"
    assert not caught.value.connecting
    # The connection was closed under the provider: its next byte failed.
    assert server.cut.wait(5)
    assert server.sent < 600


def test_the_deadline_covers_retries(make_client, http_server, sleeps):
    http_server.answer = (502, "text/html", b"Bad gateway")
    # Retry-After asks for 5 s, more than the deadline leaves: no retry is even tried.
    client = make_client(base_url=http_server.base_url, total_timeout=1, retry_backoff=10)

    with pytest.raises(CacBadResponse.__base__):
        client.list_servers()

    assert len(http_server.received) == 1 and sleeps == []


FLOOD_BYTES = 64 * 1024 * 1024


def flood(connection, server):
    """No Content-Length, then megabytes of a JSON string until the client hangs up."""
    server.send(connection, HEADERS)
    server.send(connection, b'{"status":"ok","data":[{"id":"1","label":"')
    chunk = b"a" * 65536
    for _ in range(FLOOD_BYTES // len(chunk)):
        if server.release.is_set():
            return
        server.send(connection, chunk)


def test_a_larger_answer_than_the_cap_is_refused_and_not_read(make_client, raw_server):
    server = raw_server(flood)
    client = make_client(base_url=server.base_url, max_answer_bytes=1_000_000)

    tracemalloc.start()
    try:
        with pytest.raises(CacBadResponse) as caught:
            client.list_servers()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.message == (
        "No answer from 127.0.0.1 that Cloud at Cost's API would give, when asked to "
        "list the servers. Try again later, or check this account's API address; the server log "
        "has the details."
    )
    assert caught.value.detail == (
        "answer larger than 1000000 bytes (CATCPANEL_CAC_MAX_ANSWER_BYTES); not read further"
    )
    # The client hung up: the provider could not send the rest (what it did send filled the
    # kernel's socket buffers: 2 to 4 MB here).
    assert server.cut.wait(5)
    assert server.sent < FLOOD_BYTES
    # Memory held what was read up to the cap, not what was sent (1.2 MB measured).
    assert peak < 3 * 1_000_000


def test_a_declared_length_over_the_cap_is_refused_before_reading(make_client, raw_server):
    def declare(connection, server):
        server.send(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n")
        server.release.wait(10)

    server = raw_server(declare)
    client = make_client(base_url=server.base_url, max_answer_bytes=1_000_000)

    with pytest.raises(CacBadResponse) as caught:
        client.list_servers()

    assert "larger than 1000000 bytes" in caught.value.detail


def test_an_answer_within_the_cap_is_read(make_client, http_server):
    body = b'{"status":"ok","data":[{"id":"7","label":"' + b"b" * 500_000 + b'"}]}'
    http_server.answer = (200, "text/html", body)

    [server] = make_client(base_url=http_server.base_url, max_answer_bytes=1_000_000).list_servers()

    assert server.id == "7"


def hang(connection, server):
    server.release.wait(30)


def test_one_account_holds_at_most_its_share_of_threads(
    make_client, raw_server, http_server, settings
):
    settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = 2
    hanging = raw_server(hang)
    outcomes = []

    def call():
        client = make_client(
            base_url=hanging.base_url, concurrency_key="slow", read_timeout=20, total_timeout=20
        )
        try:
            client.list_servers()
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in range(200):
        if hanging.accepted == 2:
            break
        time.sleep(0.02)
    assert hanging.accepted == 2

    # A third call for that account fails at once, without connecting.
    with pytest.raises(CacBusy) as caught:
        make_client(base_url=hanging.base_url, concurrency_key="slow").list_tasks()
    assert caught.value.message == (
        "Cloud at Cost is slow for this account: the panel is already waiting on 2 calls to it, "
        "and could not list the tasks now. Try again in a moment."
    )
    assert caught.value.retryable
    # Another account is not affected.
    http_server.answer = (200, "text/html", BODY)
    assert make_client(base_url=http_server.base_url, concurrency_key="fast").list_servers() == []

    hanging.close()
    for thread in threads:
        thread.join(timeout=10)
    assert len(outcomes) == 2 and hanging.accepted == 2
    # The slots are free again.
    http_server.answer = (200, "text/html", BODY)
    make_client(base_url=http_server.base_url, concurrency_key="slow").list_servers()


def test_a_compressed_answer_is_capped_once_decompressed(make_client, raw_server):
    """50 MB of JSON gzipped into 50 kB: the cap counts what it decompresses to, and only a
    chunk at a time is decompressed (1.35 MB peak measured)."""
    bomb = gzip.compress(b'{"status":"ok","data":"' + b"0" * 50_000_000 + b'"}', 9)

    def send(connection, server):
        head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
        server.send(connection, head % len(bomb) + bomb)

    server = raw_server(send)
    client = make_client(base_url=server.base_url, max_answer_bytes=1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(CacBadResponse) as caught:
            client.list_servers()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than 1000000 bytes" in caught.value.detail
    assert peak < 3 * 1_000_000
