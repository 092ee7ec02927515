import pytest

from sandbox.models import SandboxServer
from tests.security.crawl import Cast


@pytest.fixture(autouse=True)
def _fast_client(settings):
    # The client retries GETs on 5xx with backoff; the crawl wants answers, not waits.
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0


@pytest.fixture
def cast(user, cac_account, sandbox_customer) -> Cast:
    # A Cloud Pro server: its detail page shows every control (delete included).
    server = SandboxServer.objects.filter(
        customer=sandbox_customer, servertype__iexact="cloudpro"
    ).first()
    return Cast(owner=user, account=cac_account, server_id=server.sid)
