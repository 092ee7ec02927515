"""An action that fails while the panel looks its server up still gets its activity row.

No cached list and a provider that is in maintenance or too slow: the action is never sent, but
the person asked for it, so the activity says what was asked and why it did not happen.
"""

import json

import pytest

from servers.models import ActionLog
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def url(account, server, action):
    return f"/accounts/{account.pk}/servers/{server.sid}/{action}/"


def test_a_power_action_refused_by_a_provider_in_maintenance_gets_a_failed_row(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    sandbox_customer.maintenance = True
    sandbox_customer.save()

    response = owner.post(url(cac_account, web, "power"), {"action": "poweroff"}, **HTMX)

    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["toast"]["kind"] == "error"
    log = ActionLog.objects.get()
    assert (log.action, log.outcome, log.server_id) == ("poweroff", "failure", web.sid)
    assert "maintenance" in log.message and log.finished_at is not None
    assert log.parameters == {"action": "poweroff"} and log.user_name == "alice"


def test_a_rename_whose_server_lookup_times_out_gets_a_failed_row(
    owner, cac_account, sandbox_customer, settings
):
    web = server_by_label(sandbox_customer, "web-01")
    settings.CATCPANEL_CAC_READ_TIMEOUT = 0.3
    sandbox_customer.latency_ms = 1000
    sandbox_customer.save()

    response = owner.post(url(cac_account, web, "rename"), {"name": "new-name"}, **HTMX)

    assert response.status_code < 500
    log = ActionLog.objects.get()
    assert (log.action, log.outcome, log.server_id) == ("rename", "failure", web.sid)
    # Said as any failure that is not the API's own answer is (servers/cac/errors.py).
    assert "that Cloud at Cost's API would give, when asked to list the servers" in log.message


def test_opening_the_form_is_not_an_action_and_writes_no_row(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    owner.get(url(cac_account, web, "rename"), **HTMX)
    assert not ActionLog.objects.exists()


def test_a_console_request_refused_during_the_lookup_gets_a_failed_row(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    response = owner.post(url(cac_account, web, "console"))
    assert response.status_code == 502
    assert ActionLog.objects.get().action == "console"
