"""The history tests' cast: the sandbox account of tests/sandbox_fixtures.py, and a clock."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from sandbox.models import SandboxServer

# An hour boundary a few hours back: rounds are run "at" times after it (the provider answers in
# real time), and the charts, which look back from now, include them.
T0 = (timezone.now() - timedelta(hours=4)).replace(minute=0, second=0, microsecond=0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _fast_client(settings):
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0
    settings.CATCPANEL_SAMPLE_MINUTES = 5


def sandbox_servers(customer):
    return list(SandboxServer.objects.filter(customer=customer))


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client
