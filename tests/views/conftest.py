"""The cast for view tests: the owner, an outsider and an anonymous visitor."""

import pytest
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


def server_by_label(customer, label) -> SandboxServer:
    return SandboxServer.objects.get(customer=customer, label=label)
