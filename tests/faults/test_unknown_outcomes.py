"""An action whose answer was lost is recorded as "unknown outcome", never as failed or pending.

Against the sandbox over real HTTP: its latency switch makes the answer come after the panel's
read timeout, while the sandbox still carries the action out.
"""

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import responses

from sandbox.models import SandboxTask
from servers import selectors, services
from servers.cac.errors import CacConnectionError
from servers.models import ActionLog, CloudAccount
from tests.deploy.replicas import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def server(account, label):
    return next(s for s in selectors.servers_for(account).data if s.label == label)


def test_a_timeout_after_the_request_was_sent_is_an_unknown_outcome(
    cac_account, user, sandbox_customer, settings
):
    web = server(cac_account, "web-01")
    settings.CATCPANEL_CAC_READ_TIMEOUT = 0.5
    sandbox_customer.latency_ms = 1500
    sandbox_customer.save()

    with pytest.raises(services.OutcomeUnknown) as raised:
        services.power(cac_account, user, web, "poweroff")

    log = ActionLog.objects.get()
    assert log.outcome == ActionLog.Outcome.UNKNOWN
    assert "check the server" in log.message and log.finished_at is not None
    assert "check the server" in raised.value.message
    # The provider carried it out after all: that is why "failed" would have been a lie.
    deadline = time.monotonic() + 10
    while not SandboxTask.objects.filter(server__sid=web.id, action="poweroff").exists():
        assert time.monotonic() < deadline, "the sandbox never carried the action out"
        time.sleep(0.1)


def test_a_connection_refused_before_anything_was_sent_stays_failed(user):
    account = CloudAccount(
        owner=user, name="Closed", base_url=f"http://127.0.0.1:{free_port()}/api/v1/"
    )
    account.set_credentials(login="team@example.com", api_key="k" * 30)
    account.save()

    with pytest.raises(CacConnectionError):
        services.power(account, user, SimpleNamespace(id="7", name="web"), "reset")

    log = ActionLog.objects.get()
    assert log.outcome == ActionLog.Outcome.FAILURE
    assert "No answer from 127.0.0.1 that Cloud at Cost's API would give" in log.message


def test_a_read_timeout_of_the_console_address_is_a_plain_failure(
    cac_account, user, sandbox_customer, settings
):
    """Reading the console address changes nothing on the server: nothing to check there."""
    web = server(cac_account, "web-01")
    settings.CATCPANEL_CAC_READ_TIMEOUT = 0.5
    sandbox_customer.latency_ms = 1500
    sandbox_customer.save()
    with pytest.raises(services.CacError):
        services.console_url(cac_account, user, web)
    assert ActionLog.objects.get().outcome == ActionLog.Outcome.FAILURE


def test_values_too_long_for_their_columns_are_cut_to_fit(cac_account, user):
    """SQLite does not enforce lengths, so the stored lengths are what is checked; on PostgreSQL
    (CI's second pass) the same names would raise DataError without the cut."""
    long_name = "n" * 500 + "\x00\ud800"
    target = SimpleNamespace(id="9" * 80, name=long_name)
    log = services._start(cac_account, user, "poweroff", server=target, parameters={"x": "\x00"})
    services._finish(
        log,
        outcome=ActionLog.Outcome.FAILURE,
        provider_code="1" * 80,
        task_id="t" * 80,
        message="m" * 2000 + "\ud800",
    )

    stored = ActionLog.objects.get(pk=log.pk)
    for field in ("server_id", "server_name", "provider_code", "task_id", "message"):
        value = getattr(stored, field)
        assert len(value) <= ActionLog._meta.get_field(field).max_length, field
        assert "\x00" not in value and "\ud800" not in value
    assert stored.outcome == ActionLog.Outcome.FAILURE
    assert stored.server_name == "n" * 200
    assert stored.parameters == {"x": ""}


REFUSE_SUCCESS = {
    "sqlite": [
        "CREATE TRIGGER refuse_success BEFORE UPDATE ON servers_actionlog "
        "WHEN NEW.outcome = 'success' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_success() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'disk full'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_success BEFORE UPDATE ON servers_actionlog FOR EACH ROW "
        "WHEN (NEW.outcome = 'success') EXECUTE FUNCTION refuse_success()",
    ],
}


ALLOW_SUCCESS = {
    "sqlite": ["DROP TRIGGER refuse_success"],
    "postgresql": [
        "DROP TRIGGER refuse_success ON servers_actionlog",
        "DROP FUNCTION refuse_success()",
    ],
}


def test_an_answer_that_cannot_be_recorded_still_finishes_the_row_as_unknown(cac_account, user):
    """The database refuses the finishing write (here a trigger; in life a full disk or a
    value it will not take): the provider did act, so the row says unknown, never pending."""
    from django.db import connection

    web = server(cac_account, "web-01")
    with connection.cursor() as cursor:
        for statement in REFUSE_SUCCESS[connection.vendor]:
            cursor.execute(statement)
    try:
        services.power(cac_account, user, web, "poweroff")
    finally:
        # The schema outlives the test's rows: the next tests must be able to succeed.
        with connection.cursor() as cursor:
            for statement in ALLOW_SUCCESS[connection.vendor]:
                cursor.execute(statement)

    log = ActionLog.objects.get()
    assert log.outcome == ActionLog.Outcome.UNKNOWN
    assert log.message == services.UNKNOWN_UNRECORDED and log.finished_at is not None


def test_rows_of_requests_that_died_are_finished_by_the_next_one(cac_account, user, settings):
    from datetime import timedelta

    from django.utils import timezone

    web = server(cac_account, "web-01")
    old = ActionLog.objects.create(
        account=cac_account,
        account_name="Demo",
        user_name="alice",
        server_id=web.id,
        action="reset",
        started_at=timezone.now() - timedelta(seconds=services._lock_seconds() + 1),
    )
    recent = ActionLog.objects.create(
        account=cac_account, account_name="Demo", user_name="alice", action="rename"
    )

    assert services.finish_abandoned_actions() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.outcome == ActionLog.Outcome.UNKNOWN and old.finished_at is not None
    assert "the panel stopped before the provider answered: check the server" in old.message
    assert recent.outcome == ActionLog.Outcome.PENDING  # its request may still be waiting


def test_a_lock_holder_is_dead_only_when_its_process_on_this_host_is_gone():
    import subprocess
    import sys

    alive = services.process_identity()
    assert not services.holder_is_dead(alive)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host, boot, _, ticks = alive.split("|")
    assert services.holder_is_dead(f"{host}|{boot}|{child.pid}|{ticks}")
    # Another machine (or container): only the lock's expiry can tell.
    assert not services.holder_is_dead(f"elsewhere|{boot}|{child.pid}|{ticks}")
    assert not services.holder_is_dead("busy")


def test_a_killed_process_not_yet_reaped_is_dead():
    """A zombie keeps its /proc entry until its parent reaps it; a worker whose gunicorn master
    was stopped first may stay one for a while."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host, boot, _, _ = services.process_identity().split("|")
        identity = f"{host}|{boot}|{child.pid}|{services._started_ticks(child.pid)}"
        assert not services.holder_is_dead(identity)
        child.send_signal(signal.SIGKILL)
        # Not waited for: a zombie until then.
        deadline = time.monotonic() + 10
        while " Z " not in Path(f"/proc/{child.pid}/stat").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert services.holder_is_dead(identity)
    finally:
        child.kill()
        child.wait()


@responses.activate
def test_a_provider_error_with_a_nul_and_a_lone_surrogate_is_stored_as_last_error(offline_account):
    """JSON may carry "\\u0000" and "\\ud800"; neither PostgreSQL nor any UTF-8 encoder takes
    them. The account's last error is stored without them, cut to its column."""
    body = (
        '{"status": "error", "time": 1, "error": 107, "error_description": '
        '"bad\\u0000 \\ud800 ' + "x" * 400 + '"}'
    )
    responses.add(
        responses.GET, offline_account.base_url + "listservers.php", body=body, status=200
    )

    fetched = selectors.servers_for(offline_account)

    assert fetched.error is not None
    offline_account.refresh_from_db()
    stored = offline_account.last_error
    assert stored and len(stored) <= 300
    assert "\x00" not in stored and "\ud800" not in stored
