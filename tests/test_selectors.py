"""Cached reads against the sandbox over real HTTP."""

import pickle
from datetime import timedelta

import pytest
from django.core.cache import cache

from sandbox.models import SandboxServer
from servers import selectors
from servers.cac.errors import CacUnavailable
from servers.models import CloudAccount

pytestmark = pytest.mark.django_db(transaction=True)


def test_servers_are_fetched_once_then_served_from_the_cache(cac_account, sandbox_calls):
    first = selectors.servers_for(cac_account)
    second = selectors.servers_for(cac_account)
    assert len(first.data) == 8 and first.ok and not first.stale
    assert second.data == first.data
    assert sandbox_calls.of("listservers") == ["listservers.php"]


def test_refresh_asks_again(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.servers_for(cac_account, refresh=True)
    assert len(sandbox_calls.of("listservers")) == 2


def test_invalidate_forgets_only_the_named_lists(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.templates_for(cac_account)
    selectors.invalidate(cac_account, "servers")
    selectors.servers_for(cac_account)
    selectors.templates_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2
    assert len(sandbox_calls.of("listtemplates")) == 1


def test_cache_keys_and_values_hold_no_secret(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    key = selectors._key(cac_account, "servers")
    assert cac_account.api_key not in key and cac_account.login not in key
    stored = pickle.dumps(cache.get(key))
    for server in SandboxServer.objects.filter(customer=sandbox_customer):
        assert server.rootpass.encode() not in stored
        assert server.vncpass.encode() not in stored
    assert cac_account.api_key.encode() not in stored


def test_provider_failure_returns_the_last_good_copy_marked_stale(cac_account, sandbox_customer):
    good = selectors.servers_for(cac_account)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    fetched = selectors.servers_for(cac_account, refresh=True)
    assert isinstance(fetched.error, CacUnavailable)
    assert fetched.stale
    assert fetched.data == good.data
    assert fetched.fetched_at == good.fetched_at
    assert fetched.age is not None


def test_provider_failure_without_a_good_copy_returns_no_data(cac_account, sandbox_customer):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    fetched = selectors.servers_for(cac_account)
    assert fetched.data is None and fetched.error is not None and not fetched.stale


def test_success_and_failure_are_recorded_on_the_account(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    stored = CloudAccount.objects.get(pk=cac_account.pk)
    assert stored.last_success_at is not None and stored.last_error == ""
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.templates_for(cac_account)
    stored = CloudAccount.objects.get(pk=cac_account.pk)
    assert "maintenance" in stored.last_error
    assert stored.last_error_at is not None


def stored_contact(account):
    return CloudAccount.objects.values_list("last_success_at", flat=True).get(pk=account.pk)


def test_last_contact_is_written_once_a_minute(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    first = stored_contact(cac_account)
    selectors.tasks_for(cac_account)
    selectors.servers_for(cac_account, refresh=True)
    assert len(sandbox_calls.paths) == 3
    assert stored_contact(cac_account) == first
    cac_account.last_success_at = first - timedelta(seconds=61)
    selectors.servers_for(cac_account, refresh=True)
    assert stored_contact(cac_account) > first


def test_a_success_after_an_error_is_always_written(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    first = stored_contact(cac_account)
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selectors.templates_for(cac_account)
    sandbox_customer.maintenance = False
    sandbox_customer.save()
    selectors.servers_for(cac_account, refresh=True)
    assert stored_contact(cac_account) > first


def test_new_credentials_make_every_cached_list_unreachable(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)
    selectors.forget_account(cac_account)
    selectors.servers_for(cac_account)
    assert len(sandbox_calls.of("listservers")) == 2


def test_tasks_come_pending_first(cac_account):
    tasks = selectors.tasks_for(cac_account).data
    pending = [task.is_pending for task in tasks]
    assert pending == sorted(pending, reverse=True)
    assert pending[0]


def test_resources_and_templates(cac_account):
    resources = selectors.resources_for(cac_account).data
    assert (resources.cpu_free, resources.ram_free, resources.storage_free) == (8, 8192, 300)
    names = [template.name for template in selectors.templates_for(cac_account).data]
    assert names == sorted(names, key=str.lower)


def test_find_server_checks_a_fresh_list_before_saying_no(cac_account, sandbox_customer):
    selectors.servers_for(cac_account)
    new = SandboxServer.objects.filter(customer=sandbox_customer).first()
    assert selectors.find_server(cac_account, new.sid).id == new.sid
    assert selectors.find_server(cac_account, "424242") is None


def test_accounts_for_lists_only_owned_accounts(user, cac_account, django_user_model):
    other = django_user_model.objects.create_user(username="bob", password="x" * 20)
    assert list(selectors.accounts_for(user)) == [cac_account]
    assert list(selectors.accounts_for(other)) == []


def test_refresh_is_fast_for_a_fresh_task_slow_for_a_long_build_and_off_when_idle():
    from datetime import timedelta

    from django.utils import timezone

    from servers.cac.models import Task

    def task(status, minutes_ago):
        started = timezone.now() - timedelta(minutes=minutes_ago)
        return Task("1", "9", "x", "x", "", "reset", status, started, None)

    assert selectors.refresh_seconds([], [task("pending", 1)]) == selectors.FAST_REFRESH_SECONDS
    assert selectors.refresh_seconds([], [task("pending", 90)]) == selectors.SLOW_REFRESH_SECONDS
    assert selectors.refresh_seconds([], [task("completed", 1)]) is None
    assert selectors.refresh_seconds(None, None) is None
