"""Activity: every action recorded, newest first, per account and per server, paginated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from servers.models import ActionLog
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def add_rows(account, count, *, server_id="", start=None):
    start = start or timezone.now() - timedelta(days=1)
    ActionLog.objects.bulk_create(
        ActionLog(
            account=account,
            account_name=account.name,
            user_name="alice",
            server_id=server_id,
            server_name=f"srv-{server_id}" if server_id else "",
            action="reset",
            outcome="success",
            message=f"row {i}",
            started_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    )


def test_activity_is_newest_first_and_paginated(owner, cac_account):
    add_rows(cac_account, 30)
    first = owner.get(f"/accounts/{cac_account.pk}/activity/").content.decode()
    assert first.count('class="activity-row"') == 25
    assert first.index("row 29") < first.index("row 28")
    assert "row 4<" not in first
    assert "Older" in first and "Page 1 of 2" in first
    second = owner.get(f"/accounts/{cac_account.pk}/activity/?page=2").content.decode()
    assert second.count('class="activity-row"') == 5
    assert "row 4<" in second and "Newer" in second


def test_server_activity_shows_only_that_server(owner, cac_account):
    add_rows(cac_account, 3, server_id="111")
    add_rows(cac_account, 2, server_id="222")
    text = owner.get(f"/accounts/{cac_account.pk}/servers/111/activity/").content.decode()
    assert text.count('class="activity-row"') == 3
    assert "srv-222" not in text


def test_every_step_of_a_session_shows_in_activity(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    base = f"/accounts/{cac_account.pk}/servers/{web.sid}/"
    owner.post(base + "power/", {"action": "poweroff"}, **HTMX)
    owner.post(base + "rename/", {"name": "frontend"}, **HTMX)
    owner.post(base + "rdns/", {"hostname": "bad"}, **HTMX)  # invalid: not recorded
    owner.post(base + "runmode/", {"mode": "safe"}, **HTMX)
    text = owner.get(f"/accounts/{cac_account.pk}/activity/").content.decode()
    actions = [part.split('"')[0] for part in text.split('data-action="')[1:]]
    assert actions == ["runmode", "rename", "poweroff"]
    assert "Succeeded" in text
    recent = owner.get(base + "activity/?recent=1", **HTMX).content.decode()
    assert recent.count('class="activity-row"') == 3


def test_activity_of_another_users_account_is_404(outsider, cac_account):
    add_rows(cac_account, 1)
    assert outsider.get(f"/accounts/{cac_account.pk}/activity/").status_code == 404


def test_activity_rows_cannot_be_changed_in_the_admin(cac_account, admin_client):
    add_rows(cac_account, 1)
    row = ActionLog.objects.get()
    assert admin_client.get(f"/admin/servers/actionlog/{row.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/servers/actionlog/add/").status_code == 403
    admin_client.post(f"/admin/servers/actionlog/{row.pk}/change/", {"message": "edited"})
    row.refresh_from_db()
    assert row.message == "row 0"
