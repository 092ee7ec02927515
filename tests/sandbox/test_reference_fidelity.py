"""What a client written against the reference (or the live record) relies on (issue 17).

Each test is one thing such a client does or reads, in the shape it was written for.
"""

import pytest
from django.core.management import call_command

from tests.sandbox.conftest import API, GET_ENDPOINTS, POST_ENDPOINTS, body, server_by_label


def credentials(customer, **extra):
    return {"key": customer.api_key, "login": customer.login, **extra}


def query(customer, **extra):
    return "&".join(f"{name}={value}" for name, value in credentials(customer, **extra).items())


def live(customer):
    customer.shape = "live"
    customer.save()
    return customer


# 1. Where parameters are read: each endpoint in one place, whatever the method.


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_an_action_reads_only_the_form_body(client, sandbox_customer, endpoint):
    web = server_by_label(sandbox_customer, "web-01")
    tasks = web.tasks.count()
    url = f"{API}{endpoint}?{query(sandbox_customer, sid=web.sid, action='reset', name='q')}"

    as_get = client.get(url)
    as_post_with_a_query = client.post(url)

    assert body(as_get)["error"] == body(as_post_with_a_query)["error"] == 101
    assert as_get.status_code == as_post_with_a_query.status_code == 403
    web.refresh_from_db()
    assert web.label == "web-01"
    assert web.tasks.count() == tasks
    assert not web.console_tokens.exists()


def test_an_action_with_its_parameters_in_the_body_is_carried_out(client, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")

    response = client.post(
        f"{API}renameserver.php", credentials(sandbox_customer, sid=web.sid, name="front")
    )

    assert body(response)["status"] == "ok"
    web.refresh_from_db()
    assert web.label == "front"


# 2. Under --shape live every answer is text/html, even one given before the customer is known.


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_live_shape_answers_a_get_of_an_action_as_text_html(client, sandbox_customer, endpoint):
    live(sandbox_customer)

    response = client.get(f"{API}{endpoint}?{query(sandbox_customer, sid='1')}")

    assert response["Content-Type"].startswith("text/html")
    assert response.status_code == 412
    assert body(response)["error"] == 101


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_live_shape_answers_a_post_to_a_list_as_text_html(client, sandbox_customer, endpoint):
    live(sandbox_customer)

    response = client.post(f"{API}{endpoint}", credentials(sandbox_customer))

    assert response["Content-Type"].startswith("text/html")
    assert body(response)["error"] == 101


def test_a_login_no_customer_has_is_answered_in_the_sandboxs_shape(db, client, settings):
    url = f"{API}listservers.php?key=whatever&login=nobody@example.com"

    docs = client.get(url)
    settings.CATCPANEL_SANDBOX_SHAPE = "live"
    live_answer = client.get(url)

    assert (docs.status_code, docs["Content-Type"]) == (403, "application/json")
    assert live_answer.status_code == 412
    assert live_answer["Content-Type"].startswith("text/html")
    assert body(docs)["error"] == body(live_answer)["error"] == 104


def test_a_new_customer_takes_the_sandboxs_shape(db, settings):
    from sandbox.demo import create_demo_customer

    settings.CATCPANEL_SANDBOX_SHAPE = "live"

    assert create_demo_customer(login="new@sandbox.example").shape == "live"


# 3. A list endpoint reads the query string: a key sent only in a POST body is no key.


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_a_list_endpoint_ignores_a_key_in_a_post_body(client, sandbox_customer, endpoint):
    response = client.post(f"{API}{endpoint}", credentials(sandbox_customer))

    assert response.status_code == 403
    assert body(response)["error"] == 101
    assert "Allow" not in response


# 4. The docs shape answers a wrong key with the reference's 403, unless a switch says otherwise.


@pytest.mark.parametrize(
    ("shape_name", "switch", "expected"),
    [
        ("docs", None, 403),
        ("live", None, 412),
        ("docs", "412", 412),
        ("live", "403", 403),
    ],
)
def test_a_wrong_key_gets_the_shapes_status_unless_switched(
    client, sandbox_customer, shape_name, switch, expected
):
    args = ["--customer", sandbox_customer.login, "--shape", shape_name]
    call_command("sandbox_config", *args, *(["--auth-error-status", switch] if switch else []))

    response = client.get(
        f"{API}listservers.php", {"key": "wrong", "login": sandbox_customer.login}
    )

    assert response.status_code == expected
    assert body(response)["error"] == 104


def test_the_switch_can_hand_the_status_back_to_the_shape(client, sandbox_customer):
    call_command(
        "sandbox_config", "--customer", sandbox_customer.login, "--auth-error-status", "412"
    )
    call_command(
        "sandbox_config", "--customer", sandbox_customer.login, "--auth-error-status", "shape"
    )

    response = client.get(
        f"{API}listservers.php", {"key": "wrong", "login": sandbox_customer.login}
    )

    assert response.status_code == 403
    sandbox_customer.refresh_from_db()
    assert sandbox_customer.auth_error_status is None


# 5. The docs shape has no null labels or notes (a live quirk); the live shape keeps them.


def unlabelled_rows(client, customer):
    servers = body(client.get(f"{API}listservers.php", credentials(customer)))["data"]
    tasks = body(client.get(f"{API}listtasks.php", credentials(customer)))["data"]
    return servers, tasks


@pytest.mark.parametrize(("shape_name", "missing"), [("docs", ""), ("live", None)])
def test_null_labels_are_a_live_quirk(client, sandbox_customer, shape_name, missing):
    sandbox_customer.shape = shape_name
    sandbox_customer.save()
    # A fresh build has no label, and neither has its task.
    client.post(
        f"{API}cloudpro/build.php",
        credentials(sandbox_customer, cpu=1, ram=1024, storage=10, os=26),
    )

    servers, tasks = unlabelled_rows(client, sandbox_customer)

    unnamed = [row for row in servers if row["label"] in ("", None)]
    assert len(unnamed) == 2
    assert [(row["label"], row["lable"]) for row in unnamed] == [(missing, missing)] * 2
    assert [row["panel_note"] for row in servers if row["label"] == "win-rdp"] == [missing]
    build = next(row for row in tasks if row["action"] == "build" and row["label"] != "cp-build")
    assert build["label"] == missing


# 6. listtasks lists the oldest task first, as the reference's example does.


def test_listtasks_lists_the_oldest_first(client, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    taskid = body(
        client.post(f"{API}powerop.php", credentials(sandbox_customer, sid=web.sid, action="reset"))
    )["taskid"]

    rows = body(client.get(f"{API}listtasks.php", credentials(sandbox_customer)))["data"]

    starts = [int(row["starttime"]) for row in rows]
    assert len(rows) == 4
    assert starts == sorted(starts)
    assert starts[0] < starts[-1]
    assert rows[-1]["idf"] == str(taskid)
