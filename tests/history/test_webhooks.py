"""history/webhooks.py: where a webhook may go, checked on the name and on the socket."""

import socket

import pytest

from history import webhooks
from tests.history.receivers import WebhookReceiver

HOST = "hooks.example.test"


@pytest.fixture
def resolve_to(monkeypatch):
    """Make HOST resolve to the given addresses, one per lookup (the last repeats), as a DNS
    server under someone else's control could."""
    real = socket.getaddrinfo

    def install(*answers):
        queue = list(answers)

        def fake(host, port, *args, **kwargs):
            if host != HOST:
                return real(host, port, *args, **kwargs)
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake)

    return install


def test_a_name_rebound_to_loopback_after_the_check_gets_nothing(settings, resolve_to):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = False
    with WebhookReceiver() as hook:
        url = hook.url.replace("127.0.0.1", HOST)
        # The name's check sees a public address; the connection is then given 127.0.0.1.
        resolve_to("93.184.215.14", "127.0.0.1")

        with pytest.raises(webhooks.WebhookError) as caught:
            webhooks.post(url, b"{}", {"Content-Type": "application/json"})

        assert str(caught.value) == webhooks.PRIVATE
        assert hook.requests == []


def test_a_private_receiver_is_reached_when_allowed(settings, resolve_to):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = True
    with WebhookReceiver() as hook:
        resolve_to("127.0.0.1")

        status = webhooks.post(hook.url.replace("127.0.0.1", HOST), b"{}", {})

        assert status == 204
        assert len(hook.requests) == 1


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::ffff:127.0.0.1"]
)
def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
    settings, resolve_to, address
):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = False
    resolve_to(address)

    assert webhooks.check_url(f"https://{HOST}/hook") == webhooks.PRIVATE
