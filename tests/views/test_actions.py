"""Server actions through the views, against the sandbox over real HTTP."""

import json

import pytest
from django.core.cache import cache

from servers import services
from servers.models import ActionLog
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def url(account, server, action=""):
    return f"/accounts/{account.pk}/servers/{server.sid}/" + (f"{action}/" if action else "")


def events(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


def test_power_off_sends_the_action_logs_it_and_toasts_the_task_id(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "power"), {"action": "poweroff"}, **HTMX)

    assert response.status_code == 204
    log = ActionLog.objects.get()
    assert (log.action, log.outcome, log.server_id, log.user_name) == (
        "poweroff",
        "success",
        web.sid,
        "alice",
    )
    assert log.task_id and log.finished_at is not None
    toast = events(response)["toast"]
    assert toast["kind"] == "success"
    assert f"task {log.task_id}" in toast["text"]
    # The account's lists refresh themselves.
    assert f"account-changed-{cac_account.pk.hex}" in events(response)
    # The task runs at once in the sandbox; the next list shows the new state.
    page = owner.get(url(cac_account, web))
    assert b"Powered Off" in page.content


def test_action_log_is_pending_while_the_provider_is_called(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    seen = []

    def look(sender, environ=None, **kwargs):
        if environ and environ.get("PATH_INFO", "").endswith("powerop.php"):
            seen.extend(ActionLog.objects.values_list("outcome", flat=True))

    from django.core.signals import request_started

    request_started.connect(look, weak=False)
    try:
        web = server_by_label(sandbox_customer, "web-01")
        owner.post(url(cac_account, web, "power"), {"action": "reset"}, **HTMX)
    finally:
        request_started.disconnect(look)
    assert seen == ["pending"]
    assert ActionLog.objects.get().outcome == "success"


def test_plain_form_post_without_htmx_redirects_back_with_a_message(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "power"), {"action": "poweroff"}, follow=True)
    assert response.redirect_chain[-1][0] == url(cac_account, web)
    assert b"Power off sent to web-01" in response.content


def test_unknown_power_action_is_refused_and_sends_nothing(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "power"), {"action": "destroy"}, **HTMX)
    assert response.status_code == 400
    assert events(response)["toast"]["kind"] == "error"
    assert sandbox_calls.of("powerop") == []
    assert not ActionLog.objects.exists()


def test_a_second_identical_request_while_one_runs_is_already_in_progress(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    # As if another request for this server's power were with the provider right now.
    cache.add(services.lock_key(cac_account, web.sid, "power"), "busy", 60)
    response = owner.post(url(cac_account, web, "power"), {"action": "poweroff"}, **HTMX)

    toast = events(response)["toast"]
    assert toast["kind"] == "error"
    assert "already in progress" in toast["text"]
    assert sandbox_calls.of("powerop") == []
    assert not ActionLog.objects.exists()


def test_the_lock_is_released_after_the_action(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    owner.post(url(cac_account, web, "power"), {"action": "reset"}, **HTMX)
    response = owner.post(url(cac_account, web, "power"), {"action": "reset"}, **HTMX)
    assert events(response)["toast"]["kind"] == "success"
    assert ActionLog.objects.filter(outcome="success").count() == 2


def test_run_mode_safe_is_sent_and_logged(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "runmode"), {"mode": "safe"}, **HTMX)
    assert events(response)["toast"]["kind"] == "success"
    web.refresh_from_db()
    assert web.mode == "Safe"
    log = ActionLog.objects.get()
    assert (log.action, log.parameters) == ("runmode", {"mode": "safe"})


def test_rename_form_opens_inline_and_saves(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    form = owner.get(url(cac_account, web, "rename"), **HTMX)
    assert b'id="rename-form"' in form.content
    assert b'value="web-01"' in form.content

    response = owner.post(url(cac_account, web, "rename"), {"name": "  frontend  "}, **HTMX)
    assert b'id="server-name">frontend<' in response.content
    assert events(response)["toast"]["kind"] == "success"
    web.refresh_from_db()
    assert web.label == "frontend"
    assert ActionLog.objects.get().parameters == {"name": "frontend"}


def test_rename_takes_names_up_to_the_providers_limit_in_the_field_and_on_the_server(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    form = owner.get(url(cac_account, web, "rename"), **HTMX)
    assert f'maxlength="{services.SERVER_NAME_MAX}"'.encode() in form.content

    too_long = owner.post(url(cac_account, web, "rename"), {"name": "y" * 65}, **HTMX)
    assert b'class="field-error"' in too_long.content
    assert sandbox_calls.of("renameserver") == []

    longest = "x" * services.SERVER_NAME_MAX
    response = owner.post(url(cac_account, web, "rename"), {"name": longest}, **HTMX)
    assert events(response)["toast"]["kind"] == "success"
    web.refresh_from_db()
    assert web.label == longest


def test_rename_cancel_shows_the_name_again(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.get(url(cac_account, web, "rename") + "?cancel=1", **HTMX)
    assert b'id="server-name">web-01<' in response.content
    assert b"rename-form" not in response.content


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there", "new\nline"])
def test_invalid_name_gets_a_field_error_and_sends_nothing(
    owner, cac_account, sandbox_customer, sandbox_calls, name
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "rename"), {"name": name}, **HTMX)
    assert response.status_code == 200
    assert b'class="field-error"' in response.content
    assert b'id="rename-form"' in response.content
    assert sandbox_calls.of("renameserver") == []
    assert not ActionLog.objects.exists()
    web.refresh_from_db()
    assert web.label == "web-01"


def test_reverse_dns_is_set(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "rdns"), {"hostname": "Web.Example.com"}, **HTMX)
    assert events(response)["toast"]["kind"] == "success"
    assert b"web.example.com" in response.content
    web.refresh_from_db()
    assert web.rdns == "web.example.com"


@pytest.mark.parametrize(
    "hostname",
    [
        "localhost",
        "-bad.example.com",
        "bad-.example.com",
        "a..example.com",
        "under_score.example.com",
        ("a" * 64) + ".example.com",
        ".".join(["abcdefghi"] * 26),
    ],
)
def test_invalid_hostname_gets_a_field_error_and_sends_nothing(
    owner, cac_account, sandbox_customer, sandbox_calls, hostname
):
    web = server_by_label(sandbox_customer, "web-01")
    before = web.rdns
    response = owner.post(url(cac_account, web, "rdns"), {"hostname": hostname}, **HTMX)
    assert b'class="field-error"' in response.content
    assert b'id="rdns-form"' in response.content
    assert sandbox_calls.of("rdns") == []
    assert not ActionLog.objects.exists()
    web.refresh_from_db()
    assert web.rdns == before


def test_console_redirects_to_the_console_url_and_does_not_keep_it(
    owner, cac_account, sandbox_customer, caplog
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "console"))
    assert response.status_code == 302
    assert response.url.startswith("http://")
    assert "sha1hash=" in response.url
    assert response.headers["Cache-Control"] == "no-store"
    log = ActionLog.objects.get()
    assert (log.action, log.outcome) == ("console", "success")
    token = response.url.split("sha1hash=")[1]
    assert token not in json.dumps(log.parameters) + log.message
    assert token not in caplog.text


def test_console_failure_shows_an_explaining_page(owner, cac_account, sandbox_customer):
    sandbox_customer.empty_console = True
    sandbox_customer.save()
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "console"))
    assert response.status_code == 502
    assert b"The console could not be opened" in response.content
    assert b"that Cloud at Cost&#x27;s API would give" in response.content
    assert ActionLog.objects.get().outcome == "failure"


def test_console_only_follows_http_and_https_urls(
    owner, cac_account, sandbox_customer, live_server
):
    """The sandbox only hands out http URLs, so a provider sending another scheme is simulated."""
    import responses

    web = server_by_label(sandbox_customer, "web-01")
    owner.get(url(cac_account, web))  # the server list is now cached
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(live_server.url + "/sandbox/api/v1/listservers.php")
        mock.add(
            responses.POST,
            live_server.url + "/sandbox/api/v1/console.php",
            json={"status": "ok", "time": 1, "console": "javascript:alert(1)"},
        )
        response = owner.post(url(cac_account, web, "console"))
    assert response.status_code == 502
    assert "Location" not in response.headers
    assert ActionLog.objects.get().outcome == "failure"


def test_delete_requires_the_exact_name_and_sends_nothing_otherwise(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    cp = server_by_label(sandbox_customer, "cp-app")
    response = owner.post(url(cac_account, cp, "delete"), {"confirm_name": "cp-ap"})
    assert response.status_code == 200
    assert b'class="field-error"' in response.content
    assert sandbox_calls.of("cloudpro/delete") == []
    assert not ActionLog.objects.exists()


def test_delete_a_cloudpro_server_by_typing_its_name(owner, cac_account, sandbox_customer):
    cp = server_by_label(sandbox_customer, "cp-app")
    response = owner.post(url(cac_account, cp, "delete"), {"confirm_name": "cp-app"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/accounts/{cac_account.pk}/servers/"
    assert b"Deleting cp-app: task" in response.content
    log = ActionLog.objects.get()
    assert (log.action, log.outcome, log.server_name) == ("delete", "success", "cp-app")
    listing = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    assert b'data-server-name="cp-app"' not in listing.content


def test_delete_is_refused_for_a_server_that_is_not_cloud_pro(
    owner, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    page = owner.get(url(cac_account, web, "delete"), follow=True)
    assert b"Only Cloud Pro servers can be deleted" in page.content
    owner.post(url(cac_account, web, "delete"), {"confirm_name": "web-01"})
    assert sandbox_calls.of("cloudpro/delete") == []
    assert not ActionLog.objects.exists()
    detail = owner.get(url(cac_account, web))
    assert b'data-testid="delete-server"' not in detail.content


def test_inline_edit_refreshes_the_account_only_after_its_own_swap(
    owner, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    response = owner.post(url(cac_account, web, "rename"), {"name": "frontend"}, **HTMX)
    assert f"account-changed-{cac_account.pk.hex}" not in events(response)
    after_settle = json.loads(response.headers["HX-Trigger-After-Settle"])
    assert f"account-changed-{cac_account.pk.hex}" in after_settle
