"""Home, server detail, templates, tasks (polling) and Cloud Pro (meters and build)."""

import json
import time

import pytest
from django.utils import timezone

from sandbox.models import SandboxServer, SandboxTask
from servers import selectors
from servers.models import ActionLog
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def finish_every_task(customer):
    SandboxTask.objects.filter(customer=customer, status="pending").update(due_at=timezone.now())
    SandboxServer.objects.filter(customer=customer, status="Installing").update(status="Powered On")
    SandboxTask.objects.filter(customer=customer).update(
        status="completed", finished_at=timezone.now()
    )


def test_home_has_a_filter_box_and_every_accounts_servers_in_the_page(owner, cac_account):
    text = owner.get("/").getvalue().decode()
    assert 'id="server-filter"' in text
    # One request: the page waits for the lists (no JavaScript needed), and nothing is left to
    # load lazily.
    assert text.count('data-testid="server-row"') == 8
    assert "Loading…" not in text and 'hx-trigger="load' not in text
    # The section still refreshes itself after an action.
    assert f'hx-get="/accounts/{cac_account.pk}/servers/"' in text


def test_home_is_streamed_with_its_csrf_cookie_and_no_placeholder_left(client, user, cac_account):
    from django.http import StreamingHttpResponse

    client.force_login(user)
    response = client.get("/")
    assert isinstance(response, StreamingHttpResponse)
    assert response["X-Accel-Buffering"] == "no"
    # The sections' power forms need the cookie, and the headers left before they were made.
    assert response.cookies["csrftoken"].value
    text = response.getvalue().decode()
    assert "<!--part-" not in text
    assert text.count('data-testid="server-row"') == 8
    assert text.index('id="account-blocks"') < text.index('data-testid="account-section"')
    assert text.rstrip().endswith("</html>")


def test_a_cold_page_sends_its_frame_while_the_provider_is_asked(
    owner, cac_account, sandbox_customer
):
    sandbox_customer.latency_ms = 1000  # each call stays in flight for a second
    sandbox_customer.save()
    pieces = iter(owner.get("/").streaming_content)
    frame = next(pieces).decode()
    assert "<h1>Servers</h1>" in frame and 'id="account-blocks"' in frame
    assert 'data-testid="server-row"' not in frame
    rest = b"".join(pieces).decode()
    assert rest.count('data-testid="server-row"') == 8


def test_a_section_that_fails_says_so_and_the_sections_after_it_still_come(
    owner, user, cac_account, sandbox_api_url, sandbox_customer, monkeypatch, caplog
):
    from servers.models import CloudAccount
    from servers.views import servers as views

    second = CloudAccount(owner=user, name="Second", base_url=sandbox_api_url)
    second.set_credentials(login=sandbox_customer.login, api_key=sandbox_customer.api_key)
    second.save()
    section = views._section

    def broken_for_the_first(request, account, results):
        if account.pk == cac_account.pk:
            raise RuntimeError("a bug in the first section")
        return section(request, account, results)

    monkeypatch.setattr(views, "_section", broken_for_the_first)
    text = owner.get("/").getvalue().decode()
    assert text.count('data-testid="part-failed"') == 1
    assert text.index('data-testid="part-failed"') < text.index(f'id="account-{second.pk}"')
    assert text.count('data-testid="server-row"') == 8  # the second account's
    assert text.rstrip().endswith("</html>")
    assert "a bug in the first section" in caplog.text


def test_account_section_lists_servers_with_status_usage_and_no_passwords(
    owner, cac_account, sandbox_customer
):
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    text = response.content.decode()
    assert text.count('data-testid="server-row"') == 8
    web = server_by_label(sandbox_customer, "web-01")
    assert 'data-server-name="web-01"' in text
    assert web.ip in text
    assert "Powered On" in text and "Powered Off" in text and "Installing" in text
    assert 'class="usage-item level-' in text and "<meter" not in text  # bars drawn by CSS
    assert "8 servers · 1 installing · 3 powered off · 4 powered on" in text
    # A server with no label is shown by its servername.
    unnamed = SandboxServer.objects.get(customer=sandbox_customer, label=None)
    assert f'data-server-name="{unnamed.servername}"' in text
    for server in SandboxServer.objects.filter(customer=sandbox_customer):
        assert server.rootpass not in text
        assert server.vncpass not in text


def test_section_polls_slowly_for_a_long_build_often_for_a_fresh_task_and_stops_when_idle(
    owner, cac_account, sandbox_customer
):
    # The demo's build has been Installing for an hour: no need to ask every few seconds.
    slow = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content.decode()
    assert 'hx-trigger="every 30s"' in slow
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    web = server_by_label(sandbox_customer, "web-01")
    owner.post(f"/accounts/{cac_account.pk}/servers/{web.sid}/power/", {"action": "reset"}, **HTMX)
    fast = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content.decode()
    assert 'hx-trigger="every 5s"' in fast
    finish_every_task(sandbox_customer)
    selectors.invalidate(cac_account)  # the busy copy's few seconds have passed
    idle = owner.get(f"/accounts/{cac_account.pk}/servers/?poll=1", **HTMX).content.decode()
    assert "every" not in idle


def test_after_an_action_the_new_status_shows_once_the_busy_copy_expires(
    owner, cac_account, sandbox_customer, monkeypatch
):
    monkeypatch.setattr(selectors, "BUSY_CACHE_SECONDS", 1)
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    section = f"/accounts/{cac_account.pk}/servers/"
    web = server_by_label(sandbox_customer, "web-01")
    owner.post(f"{section}{web.sid}/power/", {"action": "poweroff"}, **HTMX)
    busy = owner.get(section, **HTMX).content.decode()
    assert "Powered On" in busy.split(f'data-server-id="{web.sid}"')[1].split("</tr>")[0]
    SandboxTask.objects.filter(customer=sandbox_customer, status="pending").update(
        due_at=timezone.now()
    )
    time.sleep(1.2)
    # The servers copy made while the task was pending is kept for the busy period, not the
    # 30 s of an idle account.
    done = owner.get(f"{section}?poll=1", **HTMX).content.decode()
    assert "Powered Off" in done.split(f'data-server-id="{web.sid}"')[1].split("</tr>")[0]


def test_lists_are_cached_between_page_loads(owner, cac_account, sandbox_calls):
    owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    sandbox_calls.clear()
    owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert sandbox_calls.paths == []
    # A poll reads the shared cache too: open tabs cost the provider nothing more.
    owner.get(f"/accounts/{cac_account.pk}/servers/?poll=1", **HTMX)
    assert sandbox_calls.paths == []
    selectors.invalidate(cac_account)
    owner.get(f"/accounts/{cac_account.pk}/servers/?poll=1", **HTMX)
    assert sandbox_calls.of("listservers")


def test_server_detail_shows_every_field_but_the_passwords(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    text = owner.get(f"/accounts/{cac_account.pk}/servers/{web.sid}/").content.decode()
    for value in (
        web.ip,
        web.netmask,
        web.gateway,
        web.hostname,
        web.vmname,
        web.rdns,
        web.template,
    ):
        assert value in text
    assert web.rootpass not in text and web.vncpass not in text
    for label in (
        "Power on",
        "Power off",
        "Reset",
        "Normal mode",
        "Safe mode",
        "Rename",
        "Open console",
    ):
        assert label in text
    assert 'target="_blank"' in text
    assert 'hx-confirm="Power off web-01?' in text


def test_unknown_server_detail_is_404(owner, cac_account):
    assert owner.get(f"/accounts/{cac_account.pk}/servers/123/").status_code == 404


def test_templates_page_lists_template_names(owner, cac_account):
    text = owner.get(f"/accounts/{cac_account.pk}/templates/").content.decode()
    assert text.count('class="template-row"') == 15
    assert "CentOS-7-64bit" in text


def test_templates_in_the_live_shape_are_read_too(owner, cac_account, sandbox_customer):
    sandbox_customer.shape = "live"
    sandbox_customer.save()
    text = owner.get(f"/accounts/{cac_account.pk}/templates/").content.decode()
    assert text.count('class="template-row"') == 15


def test_tasks_page_puts_pending_tasks_first_and_polls(owner, cac_account):
    text = owner.get(f"/accounts/{cac_account.pk}/tasks/").content.decode()
    statuses = [part.split('"')[0] for part in text.split('data-status="')[1:]]
    assert statuses[0] == "pending"
    assert "completed" in statuses
    assert statuses == sorted(statuses, key=lambda s: s != "pending")
    # Only the demo's week-long build is pending: it is checked slowly.
    assert "every 30s" in text


def test_tasks_page_polls_every_3_seconds_for_a_task_just_started(
    owner, cac_account, sandbox_customer
):
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    web = server_by_label(sandbox_customer, "web-01")
    owner.post(f"/accounts/{cac_account.pk}/servers/{web.sid}/power/", {"action": "reset"}, **HTMX)
    text = owner.get(f"/accounts/{cac_account.pk}/tasks/").content.decode()
    assert "every 3s" in text


def test_task_poll_continues_while_pending_and_stops_with_286(owner, cac_account, sandbox_customer):
    url = f"/accounts/{cac_account.pk}/tasks/?poll=1"
    assert owner.get(url, **HTMX).status_code == 200
    finish_every_task(sandbox_customer)
    selectors.invalidate(cac_account)
    response = owner.get(url, **HTMX)
    assert response.status_code == 286
    assert b'id="tasks"' in response.content
    assert b"every" not in response.content


def test_cloudpro_page_shows_total_used_and_free(owner, cac_account):
    text = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    assert 'id="meter-cpu"' in text and 'id="meter-ram"' in text and 'id="meter-storage"' in text
    # Demo allocation 16 / 16384 / 500, of which the three Cloud Pro servers use 8 / 8192 / 200.
    assert "8 free" in text
    assert "8192 MB free" in text
    assert "300 GB free" in text
    assert 'id="build-form"' in text


def build_data(page, **changes):
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    data = {"cpu": 1, "ram": 1024, "storage": 20, "os": "CentOS-7-64bit", "idempotency_key": key}
    data.update(changes)
    return data


def test_build_starts_an_installing_server_and_a_pending_task(owner, cac_account, sandbox_customer):
    sandbox_customer.task_seconds = 3600
    sandbox_customer.save()
    page = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    response = owner.post(f"/accounts/{cac_account.pk}/cloudpro/build/", build_data(page), **HTMX)
    events = json.loads(response.headers["HX-Trigger"])
    assert events["toast"]["kind"] == "success"
    assert "Build started: task" in events["toast"]["text"]
    assert f"account-changed-{cac_account.pk.hex}" in events
    log = ActionLog.objects.get(action="build")
    assert log.outcome == "success" and log.task_id and log.server_name
    assert log.parameters["os_name"] == "CentOS-7-64bit"
    # A fresh form with a new key for the next server.
    assert build_data(page)["idempotency_key"] not in response.content.decode()
    # At once: the new server shows as Installing, the task as pending.
    listing = owner.get(f"/accounts/{cac_account.pk}/servers/?cloudpro=1", **HTMX).content.decode()
    row = listing.split(f'data-server-name="{log.server_name}"')[1].split("</tr>")[0]
    assert "Installing" in row
    tasks = owner.get(f"/accounts/{cac_account.pk}/tasks/").content.decode()
    assert f'data-task-id="{log.task_id}"' in tasks


def test_a_double_submitted_build_builds_one_server(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    page = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    data = build_data(page)
    before = SandboxServer.objects.filter(customer=sandbox_customer).count()
    first = owner.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    second = owner.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    assert json.loads(first.headers["HX-Trigger"])["toast"]["kind"] == "success"
    toast = json.loads(second.headers["HX-Trigger"])["toast"]
    assert toast["kind"] == "success" and "already submitted" in toast["text"]
    assert len(sandbox_calls.of("cloudpro/build")) == 1
    assert SandboxServer.objects.filter(customer=sandbox_customer).count() == before + 1
    assert ActionLog.objects.filter(action="build").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cpu": 0}, "cpu"),
        ({"cpu": 17}, "cpu"),
        ({"ram": 256}, "ram"),
        ({"ram": 1026}, "ram"),
        ({"ram": 32772}, "ram"),
        ({"storage": 5}, "storage"),
        ({"storage": 25}, "storage"),
        ({"storage": 1010}, "storage"),
        ({"cpu": 9}, "cpu"),  # only 8 free
        ({"ram": 8196}, "ram"),  # only 8192 MB free
        ({"storage": 310}, "storage"),  # only 300 GB free
        ({"os": "Windows 95"}, "os"),
        ({"cpu": "two"}, "cpu"),
    ],
)
def test_invalid_build_values_get_field_errors_and_send_nothing(
    owner, cac_account, sandbox_customer, sandbox_calls, changes, field
):
    page = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    response = owner.post(
        f"/accounts/{cac_account.pk}/cloudpro/build/", build_data(page, **changes), **HTMX
    )
    text = response.content.decode()
    assert response.status_code == 200
    field_html = text.split(f'for="id_{field}"')[1].split("<label")[0]
    assert 'class="field-error"' in field_html
    assert sandbox_calls.of("cloudpro/build") == []
    assert not ActionLog.objects.exists()


def test_build_failure_from_the_provider_is_a_toast_and_a_failed_row(
    owner, cac_account, sandbox_customer
):
    page = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    response = owner.post(f"/accounts/{cac_account.pk}/cloudpro/build/", build_data(page), **HTMX)
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["kind"] == "error" and "maintenance" in toast["text"]
    assert ActionLog.objects.get().outcome == "failure"
    assert b"maintenance" in response.content


def test_a_build_still_running_answers_already_in_progress_and_keeps_the_key(
    owner, cac_account, sandbox_calls
):
    from django.core.cache import cache

    from servers import services

    page = owner.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    data = build_data(page)
    cache.add(services.lock_key(cac_account, data["idempotency_key"], "build"), "busy", 60)
    response = owner.post(f"/accounts/{cac_account.pk}/cloudpro/build/", data, **HTMX)
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["kind"] == "error" and "already in progress" in toast["text"]
    assert data["idempotency_key"] in response.content.decode()
    assert sandbox_calls.of("cloudpro/build") == []
    assert not ActionLog.objects.exists()


# --- expired copies, other requests' calls, the follow-up ---------------------------------------


def expire_section(account):

    selectors.expire(account, "servers", "tasks")


ROW = 'data-testid="server-row"'


def test_home_shows_expired_copies_at_once_and_sends_the_fresh_ones_at_its_end(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    owner.get("/").getvalue()
    expire_section(cac_account)
    sandbox_customer.latency_ms = 1000  # the fresh copies come long after the expired ones
    sandbox_customer.save()
    sandbox_calls.clear()
    chunks = [chunk.decode() for chunk in owner.get("/").streaming_content]
    text = "".join(chunks)
    expired, _, fresh = text.partition(f'<template data-fresh-for="servers-{cac_account.pk}">')
    assert expired.count(ROW) == 8 and "getting the latest…</p>" in expired  # one ellipsis, no "…."
    assert fresh.count(ROW) == 8 and "getting the latest…" not in fresh
    # The expired copy went to the browser before the provider answered, in a part of its own.
    shown = next(chunk for chunk in chunks if ROW in chunk)
    assert "data-fresh-for" not in shown
    assert "/sections/" not in text  # nothing left for a follow-up request
    assert sorted(sandbox_calls.paths) == ["listservers.php", "listtasks.php"]


def test_fresh_copies_the_page_does_not_wait_for_come_by_one_follow_up(
    owner, cac_account, sandbox_customer, sandbox_calls, monkeypatch
):
    from servers import cache as shared_lock
    from servers.views import servers as views

    owner.get("/").getvalue()
    expire_section(cac_account)
    sandbox_customer.latency_ms = 1000
    sandbox_customer.save()
    monkeypatch.setattr(views, "SECTION_WAIT_SECONDS", 0.2)
    sandbox_calls.clear()
    text = owner.get("/").getvalue().decode()
    assert text.count(ROW) == 8 and "getting the latest…" in text and "data-fresh-for" not in text
    follow_up = text.split('hx-get="/sections/?')[1].split('"')[0].replace("&amp;", "&")
    assert f"account={cac_account.pk}" in follow_up
    # The page's own calls go on and store the fresh copies; the follow-up then reads them.
    deadline = time.monotonic() + 10
    for name in ("servers", "tasks"):
        while shared_lock.held(selectors._keys(cac_account, name).lock):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    fresh = owner.get(f"/sections/?{follow_up}", **HTMX).content.decode()
    assert f'id="servers-{cac_account.pk}" hx-swap-oob="innerHTML"' in fresh
    assert fresh.count(ROW) == 8 and "getting the latest…" not in fresh
    assert sorted(sandbox_calls.paths) == ["listservers.php", "listtasks.php"]


def test_a_fresh_section_that_fails_leaves_the_expired_one_and_a_follow_up(
    owner, cac_account, monkeypatch
):
    from servers.views import servers as views

    owner.get("/").getvalue()
    expire_section(cac_account)

    def broken(*args):
        raise RuntimeError("a bug in the fresh section")

    monkeypatch.setattr(views, "_fresh_section", broken)
    text = owner.get("/").getvalue().decode()
    assert text.count(ROW) == 8 and "getting the latest…" in text
    assert f"/sections/?account={cac_account.pk}" in text
    assert 'data-testid="part-failed"' not in text


def test_the_follow_up_skips_accounts_the_user_cannot_see(owner, outsider, cac_account):
    assert b"servers-" not in outsider.get(f"/sections/?account={cac_account.pk}", **HTMX).content


def hold(account, name):
    from servers import cache as shared_lock

    assert shared_lock.acquire(selectors._keys(account, name).lock, "another-request", 60)


def test_a_section_shows_its_expired_copy_without_a_banner_while_another_request_fetches(
    owner, cac_account, settings
):
    settings.CATCPANEL_CAC_READ_TIMEOUT = 1  # bounds how long the old code waited
    section = f"/accounts/{cac_account.pk}/servers/"
    owner.get(section, **HTMX)
    expire_section(cac_account)
    hold(cac_account, "servers")
    text = owner.get(section, **HTMX).content.decode()
    assert text.count('data-testid="server-row"') == 8
    assert "account-error" not in text and "Still loading" not in text
    # It asks again half a second later, when that call may have ended.
    assert 'hx-trigger="load delay:500ms"' in text


def test_a_section_with_nothing_known_yet_answers_at_once_with_a_placeholder(
    owner, cac_account, sandbox_calls, settings
):
    settings.CATCPANEL_CAC_READ_TIMEOUT = 1
    hold(cac_account, "servers")
    hold(cac_account, "tasks")
    text = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content.decode()
    assert 'data-testid="section-loading"' in text and "account-error" not in text
    assert 'hx-trigger="load delay:500ms"' in text
    assert sandbox_calls.paths == []


PAGES = {
    "templates": ("templates/", ("templates",), 'class="template-row"'),
    "tasks": ("tasks/", ("tasks",), 'class="task-row"'),
    "cloudpro": ("cloudpro/", ("resources", "templates"), 'id="meter-cpu"'),
    "server": ("servers/{sid}/", ("tasks", "servers"), "Power off"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_shows_its_expired_copies_at_once_and_asks_again_right_after(
    owner, cac_account, sandbox_customer, sandbox_calls, page
):

    path, names, marker = PAGES[page]
    web = server_by_label(sandbox_customer, "web-01")
    url = f"/accounts/{cac_account.pk}/" + path.format(sid=web.sid)
    assert marker in owner.get(url).content.decode()
    selectors.expire(cac_account, *names)
    sandbox_calls.clear()
    text = owner.get(url).content.decode()
    assert marker in text
    assert sandbox_calls.paths == []
    # A follow-up fetches the fresh copy (the Cloud Pro page also loads its servers lazily).
    fresh = owner.get(url, **HTMX).content.decode()
    assert marker in fresh
    assert text.count('hx-trigger="load') == fresh.count('hx-trigger="load') + 1
    assert sorted(call.removesuffix(".php") for call in sandbox_calls.paths) == sorted(
        "cloudpro/" + name if name == "resources" else "list" + name for name in names
    )


def test_the_cloudpro_page_asks_for_resources_and_templates_at_once(owner, cac_account):
    from django.core.signals import request_finished, request_started

    from tests.test_selectors import InFlight

    counter = InFlight()
    request_started.connect(counter.started, weak=False)
    request_finished.connect(counter.finished, weak=False)
    try:
        from sandbox.models import SandboxCustomer

        SandboxCustomer.objects.filter(login=cac_account.login).update(latency_ms=300)
        assert owner.get(f"/accounts/{cac_account.pk}/cloudpro/").status_code == 200
    finally:
        request_started.disconnect(counter.started)
        request_finished.disconnect(counter.finished)
    assert counter.most_overall == 2
