"""The client against the sandbox over real HTTP, in both response shapes: the two halves agree."""

import pytest
import requests

from servers.cac import errors

SHAPES = ["docs", "live"]


@pytest.fixture(params=SHAPES)
def client(request, sandbox_customer, cac_account):
    sandbox_customer.shape = request.param
    sandbox_customer.save()
    with cac_account.client() as client:
        yield client


def by_label(servers, label):
    return next(server for server in servers if server.label == label)


def test_lists_servers_templates_tasks_and_resources(client):
    servers = client.list_servers()
    assert len(servers) == 8
    web = by_label(servers, "web-01")
    assert (web.cpu, web.ram, web.storage, web.status) == (2, 2048, 40, "Powered On")
    assert web.name == "web-01"
    assert not hasattr(web, "rootpass") and "rootpass" not in repr(web)

    templates = client.list_templates()
    assert "CentOS-7-64bit" in {template.name for template in templates}
    assert all(template.id for template in templates)

    resources = client.resources()
    assert (resources.cpu_total, resources.ram_total, resources.storage_total) == (16, 16384, 500)
    assert (resources.cpu_used, resources.ram_used, resources.storage_used) == (8, 8192, 200)
    assert resources.ram_free == 8192

    assert isinstance(client.list_tasks(), list)


def test_power_off_makes_a_task_that_changes_the_server(client):
    web = by_label(client.list_servers(), "web-01")
    result = client.power(web.id, "poweroff")
    assert result.task_id
    assert str(result.task_id) in {task.id for task in client.list_tasks()}
    # The demo customer's tasks finish at once (task_seconds = 0).
    assert by_label(client.list_servers(), "web-01").status == "Powered Off"


def test_rename_reverse_dns_and_run_mode_take_effect(client):
    web = by_label(client.list_servers(), "web-01")
    client.rename(web.id, "frontend")
    client.set_reverse_dns(web.id, "frontend.example.org")
    client.set_run_mode(web.id, "Safe")
    renamed = next(server for server in client.list_servers() if server.id == web.id)
    assert (renamed.label, renamed.rdns, renamed.mode) == (
        "frontend",
        "frontend.example.org",
        "Safe",
    )


def test_console_url_opens_the_sandbox_console_of_that_server(client):
    web = by_label(client.list_servers(), "web-01")
    url = client.console_url(web.id)
    assert url.startswith("http://")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert web.ip in page.text


def test_server_secrets_come_only_from_their_own_call(client):
    web = by_label(client.list_servers(), "web-01")
    secrets = client.server_secrets(web.id)
    assert secrets.root_password and secrets.vnc_password
    assert secrets.root_password not in repr(secrets)
    with pytest.raises(errors.CacNotFound):
        client.server_secrets("999999999")


def test_build_then_delete_a_cloud_pro_server(client):
    template = next(t for t in client.list_templates() if t.name == "CentOS-7-64bit")
    result = client.build(cpu=2, ram=2048, storage=20, os=template.id)
    assert result.task_id and result.server_name
    built = next(
        server for server in client.list_servers() if server.servername == result.server_name
    )
    assert built.is_cloudpro
    assert client.resources().ram_used == 8192 + 2048

    client.delete(built.id)
    assert result.server_name not in {server.servername for server in client.list_servers()}


def test_provider_refusals_become_typed_errors(client):
    servers = client.list_servers()
    with pytest.raises(errors.CacRejected) as not_enough:
        client.build(cpu=16, ram=32768, storage=10, os=client.list_templates()[0].id)
    assert not_enough.value.code == 107
    with pytest.raises(errors.CacRejected) as not_cloudpro:
        client.delete(by_label(servers, "web-01").id)
    assert not_cloudpro.value.code == 107
    with pytest.raises(errors.CacRejected) as bad_host:
        client.set_reverse_dns(by_label(servers, "web-01").id, "not a hostname")
    assert bad_host.value.code == 109


@pytest.mark.parametrize("status", [412, 403])
def test_a_wrong_key_is_an_auth_error_with_the_whitelist_hint(
    sandbox_customer, cac_account, status
):
    sandbox_customer.auth_error_status = status
    sandbox_customer.save()
    cac_account.set_credentials(api_key="wrong-key-0123456789")
    with pytest.raises(errors.CacAuthError) as caught:
        cac_account.client().list_servers()
    assert caught.value.code == 104
    assert caught.value.http_status == status
    assert "whitelist" in caught.value.message


def test_the_rate_limit_is_a_typed_error_after_retries(sandbox_customer, cac_account, settings):
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0
    sandbox_customer.rate_limit = 2
    sandbox_customer.save()
    client = cac_account.client()
    client.list_servers()
    client.list_templates()
    with pytest.raises(errors.CacRateLimited):
        client.list_tasks()
