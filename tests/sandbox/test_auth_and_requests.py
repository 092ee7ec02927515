"""Keys, methods and where parameters come from."""

import pytest

from tests.sandbox.conftest import ALL_ENDPOINTS, API, GET_ENDPOINTS, POST_ENDPOINTS, body

AUTH_STATUS = {"docs": 403, "live": 412}


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_wrong_key_is_error_104_with_the_shapes_status(api, shape, endpoint):
    response = api(endpoint, key="not-the-key")

    assert response.status_code == AUTH_STATUS[shape]
    data = body(response)
    assert (data["status"], data["error"], data["error_description"]) == (
        "error",
        104,
        "invalid ip address connection",
    )


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_wrong_key_can_answer_403_per_customer(api, sandbox_customer, endpoint):
    sandbox_customer.auth_error_status = 403
    sandbox_customer.save()

    response = api(endpoint, key="not-the-key")

    assert response.status_code == 403
    assert body(response)["error"] == 104


def test_unknown_login_is_refused_like_a_wrong_key(api):
    response = api("listservers.php", login="nobody@example.com")

    assert response.status_code == 403
    assert body(response)["error"] == 104


def test_the_key_of_another_customer_does_not_open_this_one(api):
    from sandbox.demo import create_demo_customer

    other = create_demo_customer(login="bob@sandbox.example")

    assert api("listservers.php", key=other.api_key).status_code == 403


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
@pytest.mark.parametrize("missing", ["key", "login"])
def test_missing_key_or_login_is_101(api, shape, endpoint, missing):
    response = api(endpoint, **{missing: None})

    data = body(response)
    # Without a login nobody is known, and the sandbox's default shape (docs) answers.
    assert response.status_code == (AUTH_STATUS[shape] if missing == "key" else 403)
    assert (data["status"], data["error"]) == ("error", 101)


def test_console_over_get_is_101_even_with_a_good_key(api, shape, sandbox_customer):
    server = sandbox_customer.servers.first()

    response = api("console.php", method="GET", sid=server.sid)

    assert body(response)["error"] == 101
    assert not server.console_tokens.exists()


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_post_endpoints_refuse_get(api, endpoint):
    response = api(endpoint, method="GET", sid="1")

    assert body(response)["status"] == "error"
    assert body(response)["error"] == 101


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_get_endpoints_read_only_the_query_string_whatever_the_method(api, endpoint):
    response = api(endpoint, method="POST")

    assert response.status_code == 403
    assert body(response)["error"] == 101


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_a_post_to_a_get_endpoint_with_the_key_in_the_query_string_is_answered(
    client, sandbox_customer, endpoint
):
    query = f"key={sandbox_customer.api_key}&login={sandbox_customer.login}"

    response = client.post(f"{API}{endpoint}?{query}")

    assert response.status_code == 200
    assert body(response)["status"] == "ok"


def test_post_parameters_only_in_the_query_string_are_no_parameters(client, sandbox_customer):
    server = sandbox_customer.servers.get(label="web-01")
    query = f"key={sandbox_customer.api_key}&login={sandbox_customer.login}&sid={server.sid}"

    response = client.post(f"{API}renameserver.php?{query}&name=from-query")

    assert response.status_code == 403
    assert body(response)["error"] == 101
    server.refresh_from_db()
    assert server.label == "web-01"


def test_post_endpoints_ignore_the_query_string(client, sandbox_customer):
    server = sandbox_customer.servers.get(label="web-01")
    query = "key=wrong&login=nobody@example.com&sid=1&name=query"

    response = client.post(
        f"{API}renameserver.php?{query}",
        {
            "key": sandbox_customer.api_key,
            "login": sandbox_customer.login,
            "sid": server.sid,
            "name": "body",
        },
    )

    assert body(response)["status"] == "ok"
    server.refresh_from_db()
    assert server.label == "body"


def test_ip_bypass_is_ignored(api, sandbox_customer):
    assert api("listservers.php", ip_bypass="1", key="wrong").status_code == 403
    assert api("listservers.php", ip_bypass="1").status_code == 200


def test_login_is_matched_whatever_its_case(api, sandbox_customer):
    assert api("listservers.php", login=sandbox_customer.login.upper()).status_code == 200


def test_no_csrf_token_is_needed(sandbox_customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    server = sandbox_customer.servers.get(label="web-01")

    response = strict.post(
        f"{API}powerop.php",
        {
            "key": sandbox_customer.api_key,
            "login": sandbox_customer.login,
            "sid": server.sid,
            "action": "reset",
        },
    )

    assert body(response)["status"] == "ok"


def test_json_content_type_per_shape(api, sandbox_customer):
    assert api("listservers.php")["Content-Type"] == "application/json"
    sandbox_customer.shape = "live"
    sandbox_customer.save()
    assert api("listservers.php")["Content-Type"].startswith("text/html")
