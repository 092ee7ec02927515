"""Helpers for the sandbox's own tests: call an endpoint as a client would, in either shape."""

import json

import pytest

API = "/sandbox/api/v1/"
GET_ENDPOINTS = ["listservers.php", "listtemplates.php", "listtasks.php", "cloudpro/resources.php"]
POST_ENDPOINTS = [
    "powerop.php",
    "renameserver.php",
    "rdns.php",
    "console.php",
    "runmode.php",
    "cloudpro/build.php",
    "cloudpro/delete.php",
]
ALL_ENDPOINTS = GET_ENDPOINTS + POST_ENDPOINTS


def body(response) -> dict:
    return json.loads(response.content)


@pytest.fixture
def api(client, sandbox_customer):
    """`api(endpoint, **params)`: GET or POST as the reference says, with the customer's key.

    Pass key=None or login=None to leave one out, method="GET"/"POST" to force a method.
    """

    def call(endpoint, method=None, **params):
        params.setdefault("key", sandbox_customer.api_key)
        params.setdefault("login", sandbox_customer.login)
        params = {name: value for name, value in params.items() if value is not None}
        method = method or ("GET" if endpoint in GET_ENDPOINTS else "POST")
        if method == "GET":
            return client.get(API + endpoint, params)
        return client.post(API + endpoint, params)

    return call


@pytest.fixture(params=["docs", "live"])
def shape(request, sandbox_customer):
    """Run a test once per response shape."""
    sandbox_customer.shape = request.param
    sandbox_customer.save()
    return request.param


def server_by_label(customer, label):
    return customer.servers.get(label=label)
