"""The cast for view tests: the owner, an outsider and an anonymous visitor, and a way to see
every request the sandbox received (the panel's client talks to it over real HTTP)."""

import threading

import pytest
from django.core.signals import request_started
from django.test import Client

from sandbox.models import SandboxServer
from tests.security.identity import confirm_identity

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_client(settings):
    # The client retries GETs on 5xx with backoff; tests want the failure, not the wait.
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    # As a real sign-in does: dangerous actions accept it for a few minutes (catcpanel/reauth.py).
    confirm_identity(client, user)
    return client


@pytest.fixture
def outsider(db, django_user_model):
    other = django_user_model.objects.create_user(username="mallory", password="x" * 20)
    outsider_client = Client()
    outsider_client.force_login(other)
    return outsider_client


class SandboxCalls:
    """The paths of the sandbox API requests made since the fixture started."""

    def __init__(self):
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, sender, environ=None, **kwargs):
        path = (environ or {}).get("PATH_INFO", "")
        if path.startswith("/sandbox/api/"):
            with self._lock:
                self.paths.append(path.removeprefix("/sandbox/api/v1/"))

    def clear(self):
        with self._lock:
            self.paths.clear()

    def of(self, endpoint: str) -> list[str]:
        return [path for path in self.paths if path == f"{endpoint}.php"]


@pytest.fixture
def sandbox_calls():
    calls = SandboxCalls()
    # request_started fires in the live server's thread too: receivers are process-wide.
    request_started.connect(calls, weak=False)
    yield calls
    request_started.disconnect(calls)


def server_by_label(customer, label) -> SandboxServer:
    return SandboxServer.objects.get(customer=customer, label=label)
