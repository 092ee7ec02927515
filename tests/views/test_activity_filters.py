"""The activity page: readable labels, filters in the URL, and never another account's rows."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from servers.models import ActionLog, CloudAccount, Membership
from servers.templatetags.panel import ACTION_LABELS, action_label
from tests.views.conftest import HTMX, server_by_label

ROOT = Path(__file__).resolve().parents[2]
RECORDERS = {"_start", "_record", "_member_record", "record_lookup_failure", "_server_action"}
NOT_ACTIONS = {"store_true", "store_false", "append", "count"}


def recorded_actions() -> set[str]:
    """Every action name the panel's code writes into the activity log, read from its source."""
    found = set()
    for path in (ROOT / "servers").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in RECORDERS and len(node.args) > 2:
                argument = node.args[2]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "action"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value not in NOT_ACTIONS
                ):
                    found.add(value.value)
    from servers import services

    return found | set(services.POWER_ACTIONS)


def test_every_recorded_action_has_a_readable_label():
    actions = recorded_actions()

    # The scan finds server actions, account changes and team changes alike.
    assert {"poweroff", "rename", "console", "account.add", "member_added"} <= actions
    missing = sorted(action for action in actions if action not in ACTION_LABELS)
    assert missing == []
    for action in actions:
        label = action_label(action)
        assert label[0].isupper() and "_" not in label and "." not in label, label


def test_an_action_without_a_label_still_reads_as_words():
    assert action_label("history.sample_failed") == "History sample failed"


def add_row(account, *, user_name, server_id, server_name, action, minutes_ago=1, message=""):
    return ActionLog.objects.create(
        account=account,
        account_name=account.name,
        user_name=user_name,
        server_id=server_id,
        server_name=server_name,
        action=action,
        outcome="success",
        message=message or f"{user_name} {action} {server_name}",
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def rows(offline_account):
    # Newest first on the page: reset, rename, poweron, account.add.
    for minutes_ago, (user_name, server_id, server_name, action) in enumerate(
        [
            ("alice", "111", "web", "reset"),
            ("carol", "111", "web", "rename"),
            ("alice", "222", "db", "poweron"),
            ("alice", "", "", "account.add"),
        ],
        start=1,
    ):
        add_row(
            offline_account,
            user_name=user_name,
            server_id=server_id,
            server_name=server_name,
            action=action,
            minutes_ago=minutes_ago,
        )
    return offline_account


def shown(response) -> list[str]:
    text = response.content.decode()
    return [part.split('"')[0] for part in text.split('data-action="')[1:]]


@pytest.mark.django_db
def test_filters_by_server_user_and_action_from_the_url(client, user, rows):
    client.force_login(user)
    page = f"/accounts/{rows.pk}/activity/"

    assert shown(client.get(page)) == ["reset", "rename", "poweron", "account.add"]
    assert shown(client.get(page + "?server=111")) == ["reset", "rename"]
    assert shown(client.get(page + "?user=alice")) == ["reset", "poweron", "account.add"]
    assert shown(client.get(page + "?action=rename")) == ["rename"]
    assert shown(client.get(page + "?server=111&user=alice")) == ["reset"]
    none = client.get(page + "?server=222&action=rename")
    assert shown(none) == []
    assert "No activity matches these filters." in none.content.decode()


@pytest.mark.django_db
def test_the_filter_form_offers_the_accounts_own_values_with_labels(client, user, rows):
    client.force_login(user)

    text = client.get(f"/accounts/{rows.pk}/activity/?user=carol").content.decode()

    assert '<form class="inline-form activity-filters" method="get"' in text
    assert '<option value="111">web</option>' in text
    assert '<option value="222">db</option>' in text
    assert '<option value="carol" selected>carol</option>' in text
    assert '<option value="account.add">Account added</option>' in text
    assert '<option value="poweron">Power on</option>' in text
    assert "Clear filters" in text


@pytest.mark.django_db
def test_a_renamed_server_is_offered_under_its_latest_name(client, user, offline_account):
    add_row(offline_account, user_name="a", server_id="7", server_name="old", action="reset",
            minutes_ago=10)  # fmt: skip
    add_row(offline_account, user_name="a", server_id="7", server_name="new", action="rename")
    client.force_login(user)

    text = client.get(f"/accounts/{offline_account.pk}/activity/").content.decode()

    assert '<option value="7">new</option>' in text
    assert '<option value="7">old</option>' not in text


@pytest.mark.django_db
def test_pages_keep_the_filters(client, user, offline_account):
    for minute in range(30):
        add_row(offline_account, user_name="alice", server_id="1", server_name="web",
                action="reset", minutes_ago=minute + 1)  # fmt: skip
    add_row(offline_account, user_name="bob", server_id="1", server_name="web", action="reset")
    client.force_login(user)

    first = client.get(f"/accounts/{offline_account.pk}/activity/?user=alice").content.decode()

    assert 'href="?user=alice&amp;page=2"' in first
    second = client.get(f"/accounts/{offline_account.pk}/activity/?user=alice&page=2")
    assert len(shown(second)) == 5
    assert "bob reset" not in second.content.decode()


@pytest.mark.django_db
def test_a_filter_never_reveals_another_accounts_rows(client, user, rows, django_user_model):
    bob = django_user_model.objects.create_user(username="bob", password="b" * 20)
    theirs = CloudAccount(owner=bob, name="Bob's", base_url="https://cac.example/api/v1/")
    theirs.set_credentials(login="bob@example.com", api_key="b" * 30)
    theirs.save()
    add_row(theirs, user_name="bob", server_id="999", server_name="secret-box", action="delete",
            message="bob's own row")  # fmt: skip
    add_row(theirs, user_name="bob", server_id="111", server_name="bobs-web", action="reset",
            message="bob's row on a server id alice also has")  # fmt: skip
    client.force_login(user)
    page = f"/accounts/{rows.pk}/activity/"

    for query in ("?server=999", "?user=bob", "?action=delete", "?server=111", ""):
        text = client.get(page + query).content.decode()
        assert "bob's" not in text, query
        assert "secret-box" not in text and "bobs-web" not in text, query
        assert '<option value="bob"' not in text and '<option value="999"' not in text, query
    assert shown(client.get(page + "?server=111")) == ["reset", "rename"]
    # Another account's page, filtered or not, is not found at all.
    assert client.get(f"/accounts/{theirs.pk}/activity/?user=alice").status_code == 404
    assert client.get(f"/accounts/{theirs.pk}/servers/999/activity/").status_code == 404


@pytest.mark.django_db
def test_a_viewer_filters_only_the_account_shared_with_them(rows, django_user_model):
    viewer = django_user_model.objects.create_user(username="vera", password="v" * 20)
    Membership.objects.create(account=rows, user=viewer, role="viewer")
    mine = CloudAccount(owner=rows.owner, name="Private", base_url="https://cac.example/api/v1/")
    mine.set_credentials(login="private@example.com", api_key="p" * 30)
    mine.save()
    add_row(mine, user_name="alice", server_id="111", server_name="private-web", action="reset")
    client = Client()
    client.force_login(viewer)

    text = client.get(f"/accounts/{rows.pk}/activity/?server=111").content.decode()

    assert shown(client.get(f"/accounts/{rows.pk}/activity/?server=111")) == ["reset", "rename"]
    assert "private-web" not in text
    assert client.get(f"/accounts/{mine.pk}/activity/").status_code == 404


@pytest.mark.django_db
def test_a_servers_activity_page_filters_by_user_and_action_within_that_server(client, user, rows):
    client.force_login(user)
    page = f"/accounts/{rows.pk}/servers/111/activity/"

    assert shown(client.get(page)) == ["reset", "rename"]
    assert shown(client.get(page + "?user=carol")) == ["rename"]
    # The server is the page's own: a server in the query cannot widen it.
    assert shown(client.get(page + "?server=222")) == ["reset", "rename"]
    text = client.get(page).content.decode()
    assert 'name="server"' not in text
    assert "Activity of web" in text


def test_no_no_task_id_returned_wording_anywhere():
    for folder in ("servers", "templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".html", ".js", ".txt"}:
                assert "no task id" not in path.read_text(errors="ignore").lower(), path


@pytest.mark.django_db(transaction=True)
def test_a_rename_says_the_provider_accepted_it(owner, cac_account, sandbox_customer):
    import json

    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(
        f"/accounts/{cac_account.pk}/servers/{web.sid}/rename/", {"name": "front"}, **HTMX
    )

    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["text"] == "Renamed web-01: the provider accepted it."
