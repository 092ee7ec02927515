"""A request that dies mid-action (kill -9, SIGTERM past the graceful timeout) leaves no pending
row and no lock behind: the next request finishes its row as "unknown" and takes its lock.

Real gunicorn processes: the panel's worker is killed while the provider (the sandbox, a process
of its own) is still answering; then the same action is asked again at once.
"""

import signal
import threading
from contextlib import suppress

import requests

from servers.services import UNKNOWN_ABANDONED
from tests.faults import stack as stacks

LATENCY_MS = 8000


def power(stack, session, server, action, timeout=30):
    return session.post(
        stack.url(f"/accounts/{stack.account}/servers/{server['sid']}/power/"),
        data={"action": action},
        headers=stacks.htmx(session),
        timeout=timeout,
    )


def healthy(panel) -> bool:
    # A worker still importing the app answers late: that is not an answer yet.
    try:
        return requests.get(panel.url + "/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def start_slow_action(stack, session, server):
    """Power off through the panel while the provider takes LATENCY_MS; return when the row is
    written (the request is then waiting for the provider)."""
    # The server list is cached first, so that only the action itself is slow.
    listed = session.get(
        stack.url(f"/accounts/{stack.account}/servers/"), headers=stacks.htmx(session), timeout=20
    )
    assert listed.status_code == 200
    stack.provider_switches(latency_ms=LATENCY_MS)

    def send():
        # The worker dies: the answer is lost, as a person's browser would lose it.
        with suppress(requests.RequestException):
            power(stack, session, server, "poweroff")

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    stacks.wait_for(
        lambda: stack.actions() == [("poweroff", "pending", "", None)], 30, "the pending row"
    )
    return thread


def assert_retry_goes_through_and_the_dead_row_is_finished(stack, session, server):
    stack.provider_switches(latency_ms=0)
    retried = power(stack, session, server, "reset")
    assert retried.status_code == 204
    assert stacks.toast(retried)["kind"] == "success", stacks.toast(retried)
    rows = stack.actions()
    assert [row[:3] for row in rows] == [
        ("poweroff", "unknown", UNKNOWN_ABANDONED),
        ("reset", "success", rows[1][2]),
    ]
    assert all(row[3] is not None for row in rows), "every row is finished"
    assert "the panel stopped before the provider answered: check the server" in rows[0][2]


def test_a_worker_killed_mid_action_leaves_no_pending_row_and_no_lock(stack):
    panel = stack.start_panel()
    session = stack.sign_in()
    server = next(s for s in stack.servers if s["status"] == "Powered On")
    thread = start_slow_action(stack, session, server)

    (worker,) = stacks.children(panel.process.pid)
    stacks.kill(worker, signal.SIGKILL)
    thread.join(timeout=30)
    # The master starts a new worker on the same address.
    stacks.wait_for(lambda: healthy(panel), 60, "a new worker")

    assert_retry_goes_through_and_the_dead_row_is_finished(stack, session, server)


def test_a_panel_stopped_past_its_graceful_timeout_leaves_no_pending_row_and_no_lock(stack):
    panel = stack.start_panel("--graceful-timeout", "1")
    session = stack.sign_in()
    server = next(s for s in stack.servers if s["status"] == "Powered On")
    thread = start_slow_action(stack, session, server)

    panel.process.send_signal(signal.SIGTERM)
    panel.process.wait(timeout=30)
    thread.join(timeout=30)
    # The row is still pending: nobody was left to finish it.
    assert stack.actions() == [("poweroff", "pending", "", None)]

    stack.start_panel()
    assert_retry_goes_through_and_the_dead_row_is_finished(stack, session, server)
