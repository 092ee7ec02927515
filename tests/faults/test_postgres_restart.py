"""PostgreSQL restarted under a running panel (as an upgrade or a crash would): the action in
flight still finishes its row, and the pages after it answer.

Real processes: the panel's gunicorn on a throwaway PostgreSQL cluster, restarted while the
panel waits for the provider (a gunicorn of its own, on its own database).
"""

import threading
import time

import pytest

from tests.faults import stack as stacks

pytestmark = pytest.mark.skipif(
    not stacks.can_run_postgres(), reason="needs PostgreSQL 15's binaries and root (su postgres)"
)

LATENCY_MS = 5000


@pytest.fixture
def postgres_stack(tmp_path, provider):
    postgres = stacks.Postgres()
    made = None
    try:
        template = stacks.Template(tmp_path, postgres.url)
        made = stacks.build(tmp_path, provider, template)
        yield made, postgres
    finally:
        if made is not None:
            for replica in made.started:
                stacks.replicas.stop(replica)
        postgres.stop()


def test_an_action_in_flight_when_postgresql_restarts_still_finishes_its_row(postgres_stack):
    stack, postgres = postgres_stack
    stack.start_panel()
    session = stack.sign_in()
    servers = f"/accounts/{stack.account}/servers/"
    assert session.get(stack.url(servers), headers=stacks.htmx(session), timeout=20).ok
    server = next(s for s in stack.servers if s["status"] == "Powered On")
    stack.provider_switches(latency_ms=LATENCY_MS)

    answers = {}

    def power_off():
        answers["power"] = session.post(
            stack.url(f"{servers}{server['sid']}/power/"),
            data={"action": "poweroff"},
            headers=stacks.htmx(session),
            timeout=60,
        )

    thread = threading.Thread(target=power_off)
    thread.start()
    stacks.wait_for(
        lambda: stack.actions() == [("poweroff", "pending", "", None)], 30, "the pending row"
    )
    started = time.monotonic()
    postgres.restart()
    restart_seconds = time.monotonic() - started
    thread.join(timeout=60)

    print(f"PostgreSQL restarted in {restart_seconds:.2f} s while the action was in flight")
    answer = answers["power"]
    assert answer.status_code == 204, answer.text[-2000:]
    assert stacks.toast(answer)["kind"] == "success", stacks.toast(answer)
    rows = stack.actions()
    assert [row[:2] for row in rows] == [("poweroff", "success")]
    assert rows[0][3] is not None

    # The next requests find a new connection (CONN_HEALTH_CHECKS): no error page.
    stack.provider_switches(latency_ms=0)
    for path in (servers, f"/accounts/{stack.account}/activity/", "/accounts/"):
        assert session.get(stack.url(path), timeout=20).status_code == 200, path
