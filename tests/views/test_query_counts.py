"""Database queries per page do not grow with the number of accounts or servers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sandbox import services as sandbox
from sandbox.models import SandboxCustomer
from servers.models import CloudAccount, Membership
from tests.sandbox_fixtures import sandbox_account
from tests.views.conftest import HTMX

pytestmark = pytest.mark.django_db(transaction=True)


def add_account(user, sandbox_api_url, name: str, extra_servers: int = 0) -> CloudAccount:
    account = sandbox_account(user, sandbox_api_url, name)
    customer = SandboxCustomer.objects.get(login=account.login)
    for number in range(extra_servers):
        sandbox.new_server(customer, label=f"bulk-{number:03d}", cpu=1, ram=1024, storage=10)
    return account


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
        response.getvalue()  # a streamed page queries while it is sent
    assert response.status_code == 200
    return len(captured)


def section_queries(client, account) -> tuple[int, int]:
    """(queries of a section asked twice with its lists cached, of the first of them).

    The lists are fetched first: a cold section's count would include the sandbox's own
    queries (it runs in the same test database), in whichever thread made the call.
    """
    url = f"/accounts/{account.pk}/servers/"
    client.get(url, **HTMX)
    return queries(client, url, **HTMX), queries(client, url, **HTMX)


def home_queries(client) -> int:
    """Queries of the home page with its lists cached (a cold one also counts the sandbox's own
    queries, which run in the same test database)."""
    queries(client, "/")
    return queries(client, "/")


def test_the_home_page_costs_the_same_for_one_account_or_six(owner, user, sandbox_api_url):
    add_account(user, sandbox_api_url, "first")
    one = home_queries(owner)
    for number in range(5):
        add_account(user, sandbox_api_url, f"more-{number}")
    assert home_queries(owner) == one


def test_a_section_costs_the_same_for_8_servers_or_48(owner, user, sandbox_api_url):
    small = add_account(user, sandbox_api_url, "small")
    big = add_account(user, sandbox_api_url, "big", extra_servers=40)
    assert section_queries(owner, small) == section_queries(owner, big)
    rows = owner.get(f"/accounts/{big.pk}/servers/", **HTMX).content.count(
        b'data-testid="server-row"'
    )
    assert rows == 48


def test_a_members_pages_cost_the_same_for_one_shared_account_or_four(
    user, sandbox_api_url, django_user_model, client
):
    member = django_user_model.objects.create_user(username="mia", password="x" * 20)
    client.force_login(member)
    first = add_account(user, sandbox_api_url, "shared-0")
    Membership.objects.create(account=first, user=member, role="operator")
    home, section = home_queries(client), section_queries(client, first)
    for number in range(1, 4):
        account = add_account(user, sandbox_api_url, f"shared-{number}")
        Membership.objects.create(account=account, user=member, role="viewer")
    assert home_queries(client) == home
    assert section_queries(client, account)[1] <= section[1]
