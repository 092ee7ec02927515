"""The history tests' cast: the sandbox account of tests/sandbox_fixtures.py, and a clock."""

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.models import SandboxServer

# A fixed hour boundary: rounds are run "at" times after it, the provider answers in real time.
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _fast_client(settings):
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0
    settings.CATCPANEL_SAMPLE_MINUTES = 5


def sandbox_servers(customer):
    return list(SandboxServer.objects.filter(customer=customer))
