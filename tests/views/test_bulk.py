"""Bulk power across accounts: a confirmation that lists the servers, one real call per server
(each in the activity log), roles checked per account, and each account's concurrency respected."""

import json

import pytest
from django.db import connection
from django.test import Client

from sandbox.demo import create_demo_customer
from servers.models import ActionLog, CloudAccount, Membership
from tests.views.conftest import server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/bulk/power/"
NDJSON = {"HTTP_ACCEPT": "application/x-ndjson"}


def in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.fixture
def _quick(settings):
    settings.CATCPANEL_BULK_INTERVAL = 0
    if in_memory_sqlite():
        # pytest-django's live server shares one in-memory SQLite connection between its threads:
        # two sandbox calls at once would collide there (not on a file or PostgreSQL).
        settings.CATCPANEL_BULK_WORKERS = 1


@pytest.fixture
def other_customer(db):
    return create_demo_customer(login="bob@sandbox.example", task_seconds=0)


@pytest.fixture
def other_account(django_user_model, other_customer, sandbox_api_url):
    """An account owned by someone else, where alice is only a viewer."""
    bob = django_user_model.objects.create_user(username="bob", password="x" * 20)
    account = CloudAccount(owner=bob, name="Bob's", base_url=sandbox_api_url)
    account.set_credentials(login=other_customer.login, api_key=other_customer.api_key)
    account.save()
    return account


def key(account, customer, label) -> str:
    return f"{account.pk}:{server_by_label(customer, label).sid}"


def test_the_first_post_asks_and_lists_the_servers_without_acting(
    owner, cac_account, sandbox_customer, _quick
):
    selection = [key(cac_account, sandbox_customer, label) for label in ("web-01", "mail")]
    response = owner.post(URL, {"action": "reset", "servers": selection})

    text = response.content.decode()
    assert response.status_code == 200
    assert "Reset 2 servers?" in text and "web-01" in text and "mail" in text
    assert 'name="confirmed" value="1"' in text
    assert not ActionLog.objects.exists()


def test_confirmed_it_powers_each_server_and_logs_each_call(
    owner, cac_account, sandbox_customer, _quick
):
    selection = [key(cac_account, sandbox_customer, label) for label in ("web-01", "mail")]
    response = owner.post(URL, {"action": "poweroff", "servers": selection, "confirmed": "1"})

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("✓ Power off: task") == 2
    logs = ActionLog.objects.filter(action="poweroff")
    assert sorted(logs.values_list("server_name", flat=True)) == ["mail", "web-01"]
    assert set(logs.values_list("outcome", flat=True)) == {"success"}
    assert all(log.task_id for log in logs)


def test_across_two_accounts_a_viewer_row_is_refused_and_the_others_go_ahead(
    owner, user, cac_account, sandbox_customer, other_account, other_customer, _quick
):
    Membership.objects.create(account=other_account, user=user, role="viewer")
    mine = key(cac_account, sandbox_customer, "web-01")
    theirs = key(other_account, other_customer, "web-01")

    response = owner.post(
        URL, {"action": "reset", "servers": [mine, theirs], "confirmed": "1"}, **NDJSON
    )

    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    by_key = {line["key"]: line for line in lines}
    assert by_key[theirs]["ok"] is False and "role" in by_key[theirs]["text"]
    assert by_key[mine]["ok"] is True and by_key[mine]["text"].startswith("Reset: task")
    assert by_key[mine]["event"] == f"account-changed-{cac_account.pk.hex}"
    # Only the allowed call reached a provider, and only it is in the log.
    log = ActionLog.objects.get()
    assert (log.account_id, log.server_name, log.action) == (cac_account.pk, "web-01", "reset")


def test_an_operator_on_the_second_account_acts_on_both(
    owner, user, cac_account, sandbox_customer, other_account, other_customer, _quick
):
    Membership.objects.create(account=other_account, user=user, role="operator")
    selection = [
        key(cac_account, sandbox_customer, "web-01"),
        key(other_account, other_customer, "web-01"),
    ]
    owner.post(URL, {"action": "reset", "servers": selection, "confirmed": "1"})

    accounts = set(ActionLog.objects.filter(outcome="success").values_list("account", flat=True))
    assert accounts == {cac_account.pk, other_account.pk}


def test_a_stranger_account_is_refused_like_a_missing_server(
    client, django_user_model, cac_account, sandbox_customer, _quick
):
    mallory = django_user_model.objects.create_user(username="mallory", password="x" * 20)
    client.force_login(mallory)
    selection = [key(cac_account, sandbox_customer, "web-01")]
    response = client.post(URL, {"action": "reset", "servers": selection, "confirmed": "1"})

    assert "No such server." in response.content.decode()
    assert not ActionLog.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "explode", "servers": ["x:1"]}, "Choose power on, power off or reset."),
        ({"action": "reset"}, "Select at least one server first."),
    ],
)
def test_bad_input_is_a_clear_message_and_changes_nothing(owner, cac_account, data, message):
    response = owner.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ActionLog.objects.exists()


def test_a_viewer_gets_no_checkbox(cac_account, django_user_model):
    vera = django_user_model.objects.create_user(username="vera", password="x" * 20)
    Membership.objects.create(account=cac_account, user=vera, role="viewer")
    client = Client()
    client.force_login(vera)
    section = client.get(f"/accounts/{cac_account.pk}/servers/", HTTP_HX_REQUEST="true")
    home = client.get("/")

    assert 'class="row-select"' not in section.content.decode()
    assert 'id="bulk-form"' not in home.getvalue().decode()


def test_no_more_calls_at_once_than_the_accounts_concurrency(
    owner, cac_account, sandbox_customer, settings
):
    if in_memory_sqlite():
        pytest.skip("needs a database the live server's threads can share (PostgreSQL, .ci/run)")
    settings.CATCPANEL_BULK_INTERVAL = 0
    # The client allows 3 calls per account and process; bulk keeps one free for the pages.
    settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = 3
    # Slow enough answers that calls would overlap if nothing held them back.
    sandbox_customer.latency_ms = 300
    sandbox_customer.save(update_fields=["latency_ms"])
    labels = ("web-01", "db-01", "mail", "cp-app", "win-rdp")
    selection = [key(cac_account, sandbox_customer, label) for label in labels]

    owner.post(URL, {"action": "reset", "servers": selection, "confirmed": "1"})

    logs = list(ActionLog.objects.filter(action="reset"))
    assert len(logs) == 5
    # The most calls in flight at any moment, from each call's start and finish in the log.
    edges = sorted(
        [(log.started_at, 1) for log in logs] + [(log.finished_at, -1) for log in logs],
        key=lambda edge: (edge[0], edge[1]),
    )
    in_flight = peak = 0
    for _, step in edges:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak <= 2
    assert set(ActionLog.objects.values_list("outcome", flat=True)) == {"success"}


def test_a_server_that_cannot_be_looked_up_still_gets_its_row_once_confirmed(
    owner, cac_account, sandbox_customer, _quick
):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    selection = [key(cac_account, sandbox_customer, "web-01")]

    owner.post(URL, {"action": "reset", "servers": selection})
    assert not ActionLog.objects.exists()

    response = owner.post(URL, {"action": "reset", "servers": selection, "confirmed": "1"})

    assert response.status_code == 200
    log = ActionLog.objects.get()
    assert (log.action, log.outcome) == ("reset", ActionLog.Outcome.FAILURE)
    assert log.server_id == server_by_label(sandbox_customer, "web-01").sid
    assert log.message and log.finished_at is not None
