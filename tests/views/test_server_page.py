"""The server page: title and breadcrumb name the server, actions wait (with the reason) while a
task is pending, and times show in the viewer's zone with its name."""

import pytest

from sandbox import services as sandbox
from servers import selectors
from tests.views.conftest import server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def detail(client, account, server, **cookies):
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(f"/accounts/{account.pk}/servers/{server.sid}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_title_and_breadcrumb_name_the_server_and_its_account(
    owner, cac_account, sandbox_customer
):
    text = detail(owner, cac_account, server_by_label(sandbox_customer, "web-01"))
    assert "<title>web-01 · Demo · catcpanel</title>" in text
    assert 'aria-label="Breadcrumb"' in text
    assert 'aria-current="page" data-testid="crumb-server">web-01</li>' in text


def test_power_and_run_mode_wait_with_the_reason_while_a_task_is_pending(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    idle = detail(owner, cac_account, web)
    assert 'data-testid="lock-reason"' not in idle
    assert 'value="reset" data-testid="reset"' in idle and "lock-reason" not in idle

    sandbox_customer.task_seconds = 600
    sandbox_customer.save(update_fields=["task_seconds"])
    sandbox.power(sandbox_customer, web.sid, "reset")  # someone else, from elsewhere
    selectors.invalidate(cac_account, "servers", "tasks")
    busy = detail(owner, cac_account, web)

    assert "Power and run mode wait for the pending task (reset, task" in busy
    reset = busy.split('data-testid="reset"')[1].split(">")[0]
    assert "disabled" in reset and 'aria-describedby="lock-reason"' in reset
    safe = busy.split('data-testid="mode-safe"')[1].split(">")[0]
    assert "disabled" in safe


def test_times_show_in_the_viewers_zone_with_its_name(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    sandbox.power(sandbox_customer, web.sid, "reset")

    assert '<span class="tz">UTC</span>' in detail(owner, cac_account, web)
    paris = detail(owner, cac_account, web, tz="Europe/Paris")
    assert '<span class="tz">Europe/Paris</span>' in paris
    # Anything else is not a zone: UTC, labelled so.
    assert '<span class="tz">UTC</span>' in detail(owner, cac_account, web, tz="Mars/Olympus")


def test_copy_buttons_for_the_address_host_name_and_ssh_line(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    text = detail(owner, cac_account, web)
    assert 'aria-label="Copy IP address"' in text
    assert 'aria-label="Copy host name"' in text
    assert f'data-copy="ssh root@{web.ip}" aria-label="Copy ssh command"' in text
