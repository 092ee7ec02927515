"""Every failure mode the provider showed becomes a specific CacError a person can act on."""

import json

import pytest
import requests
import responses

from servers.cac.errors import (
    CacAuthError,
    CacBadResponse,
    CacConnectionError,
    CacError,
    CacNotFound,
    CacRateLimited,
    CacRejected,
    CacTimeout,
    CacUnavailable,
)

from . import bodies
from .conftest import endpoint_url

GET, POST = responses.GET, responses.POST


def list_servers(c):
    return c.list_servers()


def list_tasks(c):
    return c.list_tasks()


def power(c):
    return c.power("254513205", "reset")


def rename(c):
    return c.rename("254513205", "web")


def rdns(c):
    return c.set_reverse_dns("254513205", "not a host")


def build(c):
    return c.build(cpu=16, ram=32768, storage=1000, os="75")


def delete(c):
    return c.delete("254513205")


def console(c):
    return c.console_url("254513205")


# Whatever is not the API's own answer reads the same (errors.no_api_answer).
NO_API_WORDS = ["No answer from cac.example.test that Cloud at Cost's API would give",
                "the server log has the details"]  # fmt: skip
NO_API = [*NO_API_WORDS, "list the servers"]
NO_API_POWER = [*NO_API_WORDS, "change the power state"]


def error_body(code, description):
    return json.dumps(
        {"status": "error", "time": 1, "error": code, "error_description": description}
    )


# (id, method, endpoint, call, response, class, words in the message, code, description, http)
CASES = [
    (
        "400 invalid api url",
        GET, "listservers", list_servers, dict(status=400, body="Invalid api URL"),
        CacBadResponse, NO_API, None, "Invalid api URL", 400,
    ),
    (
        "403 without body",
        GET, "listservers", list_servers, dict(status=403, body=""),
        CacBadResponse, NO_API, None, None, 403,
    ),
    (
        "412 with 104 (live)",
        GET, "listservers", list_servers, dict(status=412, json=bodies.LIVE_IP_ERROR_412),
        CacAuthError,
        # 104 is sent for a wrong key or login as well as a missing whitelist entry: all three.
        ["API key", "login email", "IP address", "whitelisted in your Cloud at Cost API settings"],
        104, "invalid ip address connection", 412,
    ),
    (
        "200 with 104 (docs)",
        GET, "listtasks", list_tasks, dict(status=200, body=bodies.DOCS_IP_ERROR),
        CacAuthError, ["API key", "login", "IP address is whitelisted"],
        104, "invalid ip address connection", 200,
    ),
    (
        "101 missing api key",
        POST, "console", console, dict(status=403, body=error_body(101, "missing API key")),
        CacAuthError, ["API key and login"], 101, "missing API key", 403,
    ),
    (
        "500 plain",
        GET, "listservers", list_servers, dict(status=500, body="Internal Server Error"),
        CacUnavailable, NO_API, None, "Internal Server Error", 500,
    ),
    (
        "503 rate limit notice on POST (docs: '503 Rate limit hit')",
        POST, "powerop", power, dict(status=503, body="Rate limit hit"),
        CacRateLimited, ["rate limited, try again in a minute"], None, "Rate limit hit", 503,
    ),
    (
        "503 without the notice",
        POST, "powerop", power, dict(status=503, body=""),
        CacUnavailable, NO_API_POWER, None, None, 503,
    ),
    (
        "503 with an error body",
        POST, "powerop", power, dict(status=503, body=error_body(999, "slow down")),
        CacRateLimited, ["rate limited, try again in a minute"], 999, "slow down", 503,
    ),
    (
        "502 on POST",
        POST, "cloudpro/delete", delete, dict(status=502, body="<html>Bad Gateway</html>"),
        CacUnavailable, [*NO_API_WORDS, "delete the server"], None, None, 502,
    ),
    (
        "105 task running, numeric error",
        POST, "powerop", power, dict(status=200, body=bodies.DOCS_POWEROP_ERROR),
        CacRejected, ["a task is already running for this server"],
        105, "task already running", 200,
    ),
    (
        "105 other reason keeps the description",
        POST, "cloudpro/build", build,
        dict(status=200, body=error_body(105, "no template available by that id")),
        CacRejected, ["build the server", "no template available by that id"], 105, None, 200,
    ),
    (
        "107 string error, trailing comma (docs)",
        POST, "cloudpro/build", build, dict(status=200, body=bodies.DOCS_BUILD_ERROR),
        CacRejected, ["build the server", "Not Enough RAM"], 107, "Not Enough RAM", 200,
    ),
    (
        "107 invalid server permission (docs)",
        POST, "cloudpro/delete", delete, dict(status=200, body=bodies.DOCS_DELETE_ERROR),
        CacRejected, ["Invalid Server Permission"], 107, "Invalid Server Permission", 200,
    ),
    (
        "109 invalid server id",
        POST, "renameserver", rename, dict(status=200, body=bodies.DOCS_INVALID_SERVER),
        CacNotFound, ["invalid server ID", "rename the server"], 109, "invalid server ID", 200,
    ),
    (
        "109 invalid domain name",
        POST, "rdns", rdns, dict(status=200, body=bodies.DOCS_INVALID_DOMAIN),
        CacRejected, ["invalid domain name", "reverse DNS"], 109, "invalid domain name", 200,
    ),
    (
        "unknown code without description",
        POST, "powerop", power, dict(status=200, body='{"status":"error","error":"x1"}'),
        CacRejected, ["change the power state", "no reason given"], None, None, 200,
    ),
    (
        "error field without status",
        POST, "powerop", power, dict(status=200, body='{"error":108,"error_description":"odd"}'),
        CacRejected, ["odd"], 108, "odd", 200,
    ),
    (
        "another service's error object (no status, no code)",
        GET, "listservers", list_servers, dict(status=404, json={"error": "no such route here"}),
        CacBadResponse, NO_API, None, None, 404,
    ),
    (
        "SQL error from listtasks (text)",
        GET, "listtasks", list_tasks, dict(status=200, body=bodies.SQL_ERROR_LISTTASKS),
        CacBadResponse, [*NO_API_WORDS, "list the tasks"], None, bodies.SQL_ERROR_LISTTASKS,
        200,
    ),
    (
        "SQL error from delete (text)",
        POST, "cloudpro/delete", delete, dict(status=200, body=bodies.SQL_ERROR_DELETE),
        CacBadResponse, [*NO_API_WORDS, "delete the server"], None, bodies.SQL_ERROR_DELETE,
        200,
    ),
    (
        "maintenance notice",
        GET, "listservers", list_servers, dict(status=200, body=bodies.MAINTENANCE),
        CacUnavailable, ["maintenance", "Try again later"], None, bodies.MAINTENANCE, 200,
    ),
    (
        "empty console body",
        POST, "console", console, dict(status=200, body=""),
        CacBadResponse, [*NO_API_WORDS, "open the console"], None, None, 200,
    ),
    (
        "console not a web address",
        POST, "console", console,
        dict(status=200, body='{"status":"ok","console":"javascript:alert(1)"}'),
        CacBadResponse, ["open the console", "not a web address"], None, None, None,
    ),
    (
        "console field missing",
        POST, "console", console, dict(status=200, body='{"status":"ok"}'),
        CacBadResponse, ["open the console", "no console address"], None, None, None,
    ),
    (
        "JSON that is not an object",
        GET, "listservers", list_servers, dict(status=200, body="[1, 2]"),
        CacBadResponse, NO_API, None, None, 200,
    ),
    (
        "unknown status",
        GET, "listservers", list_servers, dict(status=200, body='{"status":"disabled"}'),
        CacBadResponse, NO_API, None, None, 200,
    ),
    (
        "data not a list",
        GET, "listservers", list_servers, dict(status=200, body='{"status":"ok","data":"none"}'),
        CacBadResponse, ["unexpected answer", "not a list"], None, None, None,
    ),
    (
        "connection error raised by requests",
        GET, "listservers", list_servers, dict(body=requests.exceptions.ConnectionError("refused")),
        CacConnectionError, NO_API, None, None, None,
    ),
    (
        "TLS error raised by requests",
        GET, "listservers", list_servers, dict(body=requests.exceptions.SSLError("bad cert")),
        CacConnectionError, NO_API, None, None, None,
    ),
    (
        "connect timeout raised by requests",
        POST, "powerop", power, dict(body=requests.exceptions.ConnectTimeout("slow")),
        CacTimeout, NO_API_POWER, None, None, None,
    ),
    (
        "read timeout raised by requests",
        POST, "powerop", power, dict(body=requests.exceptions.ReadTimeout("slow")),
        CacTimeout, NO_API_POWER, None, None, None,
    ),
    (
        "broken answer raised by requests",
        GET, "listtasks", list_tasks, dict(body=requests.exceptions.ChunkedEncodingError("cut")),
        CacConnectionError, [*NO_API_WORDS, "list the tasks"], None, None, None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "endpoint", "call", "response", "kind", "words", "code", "description", "http"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_failure_becomes_a_specific_error(
    cac, client, method, endpoint, call, response, kind, words, code, description, http
):
    cac.add(method, endpoint_url(endpoint), **response)

    with pytest.raises(CacError) as caught:
        call(client)

    error = caught.value
    assert type(error) is kind
    assert str(error) == error.message
    for word in words:
        assert word in error.message
    assert error.endpoint == endpoint
    assert error.code == code
    if description is not None:
        assert error.description == description
    assert error.http_status == http
    assert error.retryable == isinstance(error, (CacUnavailable, CacRateLimited))
    # Raised outside the except block: nothing of requests' exception is chained.
    assert error.__cause__ is None and error.__context__ is None


def test_server_secrets_for_an_unknown_server(cac, client):
    cac.add(GET, endpoint_url("listservers"), body=bodies.DOCS_LISTSERVERS)

    with pytest.raises(CacNotFound, match="Server 999 is not on this Cloud at Cost account"):
        client.server_secrets("999")


def test_not_found_is_a_rejection():
    # Views may catch either: a vanished server is both.
    assert issubclass(CacNotFound, CacRejected)
    assert issubclass(CacTimeout, CacUnavailable) and issubclass(CacConnectionError, CacUnavailable)


def test_provider_text_echoing_the_credentials_is_scrubbed(cac, client):
    echo = error_body(101, f"missing API key for {client._login} ({client._api_key})")
    cac.add(POST, endpoint_url("powerop"), body=echo)

    with pytest.raises(CacAuthError) as caught:
        power(client)

    assert caught.value.description == "missing API key for [redacted] ([redacted])"


def test_repr_names_the_class_and_code():
    error = CacRejected("Cloud at Cost could not build the server: Not Enough RAM.", code=107,
                        endpoint="cloudpro/build", http_status=200)  # fmt: skip

    assert repr(error) == (
        "CacRejected('Cloud at Cost could not build the server: Not Enough RAM.', "
        "endpoint='cloudpro/build', code=107, http_status=200)"
    )


# Answers that are not the Cloud at Cost API's, each with what the server log should say of it.
NOT_THE_API = {
    "400 text": (dict(status=400, body="Invalid api URL"), "HTTP 400, 15 characters"),
    "403 empty": (dict(status=403, body=""), "HTTP 403, 0 characters"),
    "404 html": (dict(status=404, body="<h1>admin console</h1>"), "'<h1>admin console</h1>'"),
    "418 text": (dict(status=418, body="I'm a teapot"), "HTTP 418"),
    "500 text": (dict(status=500, body="Internal Server Error"), "HTTP 500"),
    "502 html": (dict(status=502, body="<html>Bad Gateway</html>"), "HTTP 502"),
    "503 html": (dict(status=503, body="<h1>Service Unavailable</h1>"), "HTTP 503"),
    "301": (dict(status=301, headers={"Location": "http://10.0.0.1/"}), "HTTP 301"),
    "200 text": (dict(status=200, body="router login"), "HTTP 200, 12 characters"),
    "200 empty": (dict(status=200, body=""), "HTTP 200, 0 characters"),
    "200 JSON list": (dict(status=200, body="[1]"), "JSON that is not a JSON object"),
    "200 other JSON": (dict(status=200, body='{"status":"up"}'), "JSON that is an unknown status"),
    "404 other JSON error": (dict(status=404, json={"error": "no route"}), "HTTP 404"),
    "refused": (dict(body=requests.exceptions.ConnectionError("refused")), "connection failed"),
    "TLS": (dict(body=requests.exceptions.SSLError("bad cert")), "connection failed"),
    "connect timeout": (dict(body=requests.exceptions.ConnectTimeout("x")), "connect timeout"),
    "read timeout": (dict(body=requests.exceptions.ReadTimeout("x")), "read timeout of 3 s"),
}  # fmt: skip


def test_every_answer_that_is_not_the_api_reads_the_same(cac, client, caplog):
    """The words a person sees do not tell what answered (a status, a body, TLS, a timeout): an
    account's address is chosen by whoever stored it. The server log says what it was."""
    caplog.set_level("WARNING", logger="servers.cac.client")
    messages, details = set(), set()
    for name, (response, detail) in NOT_THE_API.items():
        cac.add(GET, endpoint_url("listservers"), **response)
        caplog.clear()
        with pytest.raises(CacError) as caught:
            client.list_servers()
        cac.reset()
        error = caught.value
        messages.add(error.message)
        details.add(error.detail)
        assert detail in error.detail, name
        assert error.detail in caplog.text, name
        assert error.detail not in error.message, name

    assert messages == {
        "No answer from cac.example.test that Cloud at Cost's API would give, when asked to list "
        "the servers. Try again later, or check this account's API address; the server log has "
        "the details."
    }
    assert len(details) > 10


def test_the_providers_own_answers_keep_their_words(cac, client):
    """Its error objects and its documented plain-text notices say something true and useful,
    and nothing about the network: told as they are."""
    cases = [
        (dict(status=412, json=bodies.LIVE_IP_ERROR_412), "Access refused (error 104)"),
        (dict(status=503, body="Rate limit hit"), "rate limited, try again in a minute"),
        (dict(status=200, body=bodies.MAINTENANCE), "down for maintenance"),
        (dict(status=200, body=error_body(107, "Not Enough RAM")), "Not Enough RAM"),
    ]
    for response, words in cases:
        cac.add(GET, endpoint_url("listservers"), **response)
        with pytest.raises(CacError) as caught:
            client.list_servers()
        cac.reset()
        assert words in caught.value.message
        assert "No answer from" not in caught.value.message
