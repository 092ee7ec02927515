"""An action whose answer was lost is recorded as "unknown outcome", never as failed or pending.

Against the sandbox over real HTTP: its latency switch makes the answer come after the panel's
read timeout, while the sandbox still carries the action out.
"""

import time
from types import SimpleNamespace

import pytest

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
    assert "Could not connect" in log.message


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
