"""The key goes only to allowed addresses: the host list, https for the default host, and the
address actually connected to (after name resolution, on the socket itself)."""

import socket

import pytest

from servers.cac import addresses
from servers.cac.errors import CacAddressRefused, CacConnectionError

REFUSED = "This API address is not one the panel may use."


@pytest.fixture
def defaults(settings):
    """The production default: the Cloud at Cost host only (no sandbox mounted)."""
    settings.CATCPANEL_API_HOSTS = []
    settings.CATCPANEL_SANDBOX = False
    return settings


@pytest.fixture
def resolve_to(monkeypatch):
    """Make panel.cloudatcost.com resolve to the given addresses, one list per lookup (the last
    repeats), as a DNS server under someone else's control could."""
    real = socket.getaddrinfo

    def install(*answers):
        queue = list(answers)

        def fake(host, port, *args, **kwargs):
            if host != addresses.CAC_API_HOST:
                return real(host, port, *args, **kwargs)
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake)

    return install


def test_a_host_not_listed_is_refused_before_anything_is_sent(make_client, http_server, settings):
    settings.CATCPANEL_API_HOSTS = ["localhost", "cac.example.test"]

    with pytest.raises(CacAddressRefused) as caught:
        make_client(base_url=http_server.base_url).list_servers()

    assert caught.value.message.startswith(REFUSED)
    assert "CATCPANEL_API_HOSTS" in caught.value.message
    assert http_server.received == []


def test_a_bare_host_matches_any_port_and_host_port_only_that_port(
    make_client, http_server, settings
):
    port = int(http_server.base_url.split(":")[2].split("/")[0])
    http_server.answer = (200, "text/html", b'{"status":"ok","data":[]}')

    for allowed in (["127.0.0.1"], [f"127.0.0.1:{port}"], [" 127.0.0.1 ", "x.example:1"]):
        settings.CATCPANEL_API_HOSTS = allowed
        assert make_client(base_url=http_server.base_url).list_servers() == []

    settings.CATCPANEL_API_HOSTS = [f"127.0.0.1:{port + 1}"]
    with pytest.raises(CacAddressRefused):
        make_client(base_url=http_server.base_url).list_servers()
    assert len(http_server.received) == 3


def test_the_default_is_the_cloud_at_cost_host_over_https_only(defaults):
    assert addresses.rule_for("https://panel.cloudatcost.com/api/v1/").explicit is False
    with pytest.raises(addresses.AddressNotAllowed, match="https"):
        addresses.rule_for("http://panel.cloudatcost.com/api/v1/")
    for elsewhere in (
        "https://panel.cloudatcost.com.evil.example/api/v1/",
        "https://127.0.0.1/api/v1/",
        "https://169.254.169.254/latest/",
        "https://user:pw@panel.cloudatcost.com/api/v1/",
        "ftp://panel.cloudatcost.com/",
    ):
        with pytest.raises(addresses.AddressNotAllowed, match=REFUSED):
            addresses.rule_for(elsewhere)


def test_the_mounted_sandbox_is_allowed_by_default(defaults):
    defaults.CATCPANEL_SANDBOX = True
    defaults.SITE_URL = "http://127.0.0.1:8000"

    assert addresses.rule_for("http://127.0.0.1:8000/sandbox/api/v1/").explicit
    with pytest.raises(addresses.AddressNotAllowed):
        addresses.rule_for("http://127.0.0.1:8001/sandbox/api/v1/")
    assert "http://127.0.0.1:8000/sandbox/api/v1/" in addresses.refused_message()


def test_a_stored_account_with_an_address_no_longer_allowed_is_not_called(
    make_client, http_server, defaults
):
    """Saved before the list existed: refused at call time, with the same message."""
    with pytest.raises(CacAddressRefused):
        make_client(base_url=http_server.base_url).power("1", "reset")
    assert http_server.received == []


def test_a_name_resolving_to_loopback_is_refused_on_the_socket(
    make_client, http_server, defaults, resolve_to
):
    """DNS rebinding: the first answer (the form's check) is public, the one the connection
    gets is 127.0.0.1. The check on the socket refuses it before a byte is sent."""
    resolve_to("93.184.215.14", "127.0.0.1")
    port = http_server.server_address[1]
    url = f"https://panel.cloudatcost.com:{port}/api/v1/"
    addresses.check_resolution(url)  # what the form sees: a public address

    with pytest.raises(CacAddressRefused) as caught:
        make_client(base_url=url).list_servers()

    assert caught.value.message.startswith(REFUSED)
    assert http_server.received == []


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"]
)
def test_the_form_check_refuses_names_resolving_to_non_public_addresses(
    defaults, resolve_to, address
):
    resolve_to(address)
    with pytest.raises(addresses.AddressNotAllowed):
        addresses.check_resolution("https://panel.cloudatcost.com/api/v1/")


def test_listed_hosts_may_resolve_anywhere(make_client, http_server, settings, resolve_to):
    settings.CATCPANEL_API_HOSTS = ["127.0.0.1"]
    http_server.answer = (200, "text/html", b'{"status":"ok","data":[]}')
    addresses.check_resolution(http_server.base_url)
    assert make_client(base_url=http_server.base_url).list_servers() == []


def test_non_public_addresses(defaults):
    for address in ("127.0.0.1", "::1", "fe80::1", "::ffff:127.0.0.1", "fd00::1", "224.0.0.1"):
        assert not addresses.is_public(address), address
    for address in ("93.184.215.14", "2606:4700::6810:84e5"):
        assert addresses.is_public(address), address


def test_a_failing_allowed_address_is_still_a_connection_error(make_client, closed_port):
    with pytest.raises(CacConnectionError):
        make_client(base_url=f"http://127.0.0.1:{closed_port}/api/v1/").list_servers()
