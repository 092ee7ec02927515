"""Actions against the sandbox over real HTTP: the log, the lock, idempotency, secrets."""

import json
import logging

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from sandbox.models import SandboxServer
from servers import selectors, services
from servers.cac.errors import CacAuthError
from servers.models import ActionLog

pytestmark = pytest.mark.django_db(transaction=True)


def server(account, label):
    return next(s for s in selectors.servers_for(account).data if s.label == label)


def test_power_logs_success_with_the_task_id_and_invalidates_the_lists(cac_account, user):
    web = server(cac_account, "web-01")
    log = services.power(cac_account, user, web, "poweroff")
    stored = ActionLog.objects.get(pk=log.pk)
    assert stored.outcome == "success" and stored.task_id and stored.finished_at
    assert stored.user_name == "alice" and stored.account_name == "Demo"
    copy = cache.get(selectors._key(cac_account, "servers"))
    assert copy is not None and not copy.fresh  # kept as the last good copy
    assert server(cac_account, "web-01").status == "Powered Off"


def test_provider_refusal_is_logged_with_its_code_and_raised(cac_account, user):
    web = server(cac_account, "web-01")
    cac_account.set_credentials(api_key="0" * 40)
    with pytest.raises(CacAuthError):
        services.power(cac_account, user, web, "reset")
    log = ActionLog.objects.get()
    assert (log.outcome, log.provider_code) == ("failure", "104")
    assert "whitelisted" in log.message


def test_a_running_action_refuses_a_duplicate_without_logging(cac_account, user):
    web = server(cac_account, "web-01")
    with (
        services.action_lock(cac_account, web.id, "power", "busy"),
        pytest.raises(services.AlreadyInProgress),
    ):
        services.power(cac_account, user, web, "reset")
    assert not ActionLog.objects.exists()
    # Released: the next one goes through.
    services.power(cac_account, user, web, "reset")
    assert ActionLog.objects.get().outcome == "success"


def test_finished_rows_are_never_rewritten(cac_account, user):
    web = server(cac_account, "web-01")
    log = services.power(cac_account, user, web, "reset")
    services._finish(log, outcome="failure", message="tampered")
    assert ActionLog.objects.get(pk=log.pk).outcome == "success"


def test_build_with_the_same_key_twice_builds_once(cac_account, user, sandbox_customer):
    template = selectors.templates_for(cac_account).data[0]
    before = SandboxServer.objects.filter(customer=sandbox_customer).count()
    first, replayed_first = services.build(
        cac_account, user, cpu=1, ram=1024, storage=20, template=template, idempotency_key="k-1"
    )
    second, replayed_second = services.build(
        cac_account, user, cpu=1, ram=1024, storage=20, template=template, idempotency_key="k-1"
    )
    assert (replayed_first, replayed_second) == (False, True)
    assert first.pk == second.pk
    assert SandboxServer.objects.filter(customer=sandbox_customer).count() == before + 1
    assert first.server_name
    assert first.parameters == {
        "cpu": 1,
        "ram": 1024,
        "storage": 20,
        "os": template.id,
        "os_name": template.name,
    }


def test_build_refuses_values_outside_the_limits_before_calling(cac_account, user):
    template = selectors.templates_for(cac_account).data[0]
    with pytest.raises(services.ServiceError):
        services.build(
            cac_account, user, cpu=32, ram=1024, storage=20, template=template, idempotency_key="x"
        )
    assert not ActionLog.objects.exists()


def test_rename_and_rdns_validate_again_in_the_service(cac_account, user):
    web = server(cac_account, "web-01")
    with pytest.raises(ValidationError):
        services.rename(cac_account, user, web, "x" * 65)
    with pytest.raises(ValidationError):
        services.set_reverse_dns(cac_account, user, web, "nodot")
    assert not ActionLog.objects.exists()


def test_delete_refuses_a_server_that_is_not_cloud_pro(cac_account, user):
    with pytest.raises(services.ServiceError):
        services.delete_server(cac_account, user, server(cac_account, "web-01"))
    assert not ActionLog.objects.exists()


def test_console_url_is_returned_but_never_logged(cac_account, user, caplog):
    caplog.set_level(logging.DEBUG)
    url = services.console_url(cac_account, user, server(cac_account, "web-01"))
    assert url.startswith("http://")
    log = ActionLog.objects.get()
    assert log.outcome == "success"
    stored = json.dumps(log.parameters) + log.message
    token = url.split("sha1hash=")[1]
    assert token not in stored
    assert token not in caplog.text


def test_account_changes_are_recorded_without_the_key(user, sandbox_api_url):
    account = services.add_account(
        user,
        name="New",
        login="n@example.com",
        api_key="supersecretkey99",
        base_url=sandbox_api_url,
    )
    services.update_account(
        account, user, name="New", login="n@example.com", api_key=None, base_url=sandbox_api_url
    )
    assert account.api_key == "supersecretkey99"
    services.delete_account(account, user)
    rows = ActionLog.objects.order_by("id")
    assert [row.action for row in rows] == ["account.add", "account.update", "account.delete"]
    assert all(row.outcome == "success" for row in rows)
    assert "supersecretkey99" not in json.dumps([row.parameters for row in rows])
