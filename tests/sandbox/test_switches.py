"""The per-customer switches that reproduce the provider's failure modes."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.models import SandboxRateWindow
from tests.sandbox.conftest import ALL_ENDPOINTS, body, server_by_label


def switch(customer, **fields):
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()


# --- rate limit -----------------------------------------------------------------------------------


def test_rate_limit_answers_503_past_the_limit(api, sandbox_customer):
    switch(sandbox_customer, rate_limit=3)
    # Start well inside a minute so the window cannot roll over between the calls.
    if timezone.now().second > 55:
        time.sleep(60 - timezone.now().second)

    statuses = [api("listtemplates.php").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 503, 503]


def test_rate_limit_is_counted_in_the_database_per_customer(api, sandbox_customer):
    switch(sandbox_customer, rate_limit=2)
    now = timezone.now().replace(second=0, microsecond=0)
    # Another worker already spent this minute (and the next, should the clock tick over).
    for start in (now, now + timedelta(minutes=1)):
        SandboxRateWindow.objects.create(customer=sandbox_customer, window_start=start, count=2)

    response = api("listservers.php")

    assert response.status_code == 503
    SandboxRateWindow.objects.all().delete()
    assert api("listservers.php").status_code == 200


def test_rate_limit_zero_is_off(api, sandbox_customer):
    switch(sandbox_customer, rate_limit=0)

    assert all(api("listtemplates.php").status_code == 200 for _ in range(10))
    assert not SandboxRateWindow.objects.exists()


# --- random failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_fail_rate_one_always_fails(api, sandbox_customer, endpoint, status):
    switch(sandbox_customer, fail_rate=1.0, fail_status=status)

    response = api(endpoint, sid="1")

    assert response.status_code == status
    with pytest.raises(json.JSONDecodeError):
        body(response)


def test_fail_rate_one_leaves_the_state_alone(api, sandbox_customer):
    switch(sandbox_customer, fail_rate=1.0)
    web = server_by_label(sandbox_customer, "web-01")

    api("renameserver.php", sid=web.sid, name="changed")

    web.refresh_from_db()
    assert web.label == "web-01"


def test_fail_rate_zero_never_fails(api, sandbox_customer):
    switch(sandbox_customer, fail_rate=0.0)

    assert all(api("listtemplates.php").status_code == 200 for _ in range(20))


def test_fail_rate_half_fails_some_of_the_time(api, sandbox_customer):
    switch(sandbox_customer, fail_rate=0.5, fail_status=503)

    statuses = {api("listtemplates.php").status_code for _ in range(60)}

    assert statuses == {200, 503}  # 2**-59 odds of a false failure


# --- plain-text bodies ----------------------------------------------------------------------------


def test_plain_text_listtasks_answers_the_sql_error(api, sandbox_customer):
    switch(sandbox_customer, plain_text=True)

    response = api("listtasks.php")

    assert response.status_code == 200
    assert response.content == b"Unknown column 'iod.apitask.cid' in 'field list'"


def test_plain_text_delete_answers_the_sql_error_and_deletes_nothing(api, sandbox_customer):
    switch(sandbox_customer, plain_text=True)
    worker = server_by_label(sandbox_customer, "cp-worker")

    response = api("cloudpro/delete.php", sid=worker.sid)

    assert response.content == b"Table 'panel.hardware_hd' doesn't exist"
    assert not worker.tasks.filter(action="delete").exists()


def test_plain_text_leaves_the_other_endpoints_json(api, sandbox_customer):
    switch(sandbox_customer, plain_text=True)

    assert body(api("listservers.php"))["status"] == "ok"


# --- maintenance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_maintenance_answers_the_notice_everywhere(api, sandbox_customer, endpoint):
    switch(sandbox_customer, maintenance=True)

    response = api(endpoint, sid="1")

    assert response.content == b"We are currently performing maintenance"
    assert response["Content-Type"].startswith("text/html")


def test_maintenance_comes_before_the_key_check(api, sandbox_customer):
    switch(sandbox_customer, maintenance=True)

    response = api("listservers.php", key="wrong")

    assert response.content == b"We are currently performing maintenance"


# --- console, content type, latency ---------------------------------------------------------------


def test_empty_console_answers_an_empty_body(api, sandbox_customer):
    switch(sandbox_customer, empty_console=True)
    web = server_by_label(sandbox_customer, "web-01")

    response = api("console.php", sid=web.sid)

    assert response.status_code == 200
    assert response.content == b""
    assert not web.console_tokens.exists()


def test_json_as_html_keeps_the_docs_shape_but_says_text_html(api, sandbox_customer):
    switch(sandbox_customer, json_as_html=True)

    response = api("listtemplates.php")

    assert response["Content-Type"].startswith("text/html")
    assert body(response)["data"][0] == {"id": "26", "detail": "CentOS-7-64bit"}


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_live_shape_serves_every_json_answer_as_text_html(api, sandbox_customer, endpoint):
    switch(sandbox_customer, shape="live")

    response = api(endpoint, sid="1")

    assert response["Content-Type"].startswith("text/html")
    assert body(response)["status"] in {"ok", "error"}


def test_latency_delays_the_answer(api, sandbox_customer):
    switch(sandbox_customer, latency_ms=300)

    started = time.monotonic()
    response = api("listtemplates.php")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_the_latency_includes_the_sandboxs_own_work(api, sandbox_customer, monkeypatch):
    """The provider worked on its own host, within its round trip: the answer leaves the latency
    after the call came in, not the latency plus the sandbox's time (which would charge the
    panel's machine for the provider's work)."""
    from sandbox import services

    list_servers = services.list_servers

    def slow_list_servers(customer):
        time.sleep(0.4)
        return list_servers(customer)

    monkeypatch.setattr(services, "list_servers", slow_list_servers)
    switch(sandbox_customer, latency_ms=500)

    started = time.monotonic()
    response = api("listservers.php")
    took = time.monotonic() - started

    assert response.status_code == 200
    # 0.5 s, not 0.9 s: the 0.4 s of work happened within the latency.
    assert 0.5 <= took < 0.8


def test_simulated_failures_are_not_logged_as_server_errors(api, sandbox_customer, caplog):
    switch(sandbox_customer, fail_rate=1.0, fail_status=500)

    with caplog.at_level("WARNING", logger="django.request"):
        response = api("listservers.php")

    assert response.status_code == 500
    assert not [r for r in caplog.records if r.name == "django.request"]
