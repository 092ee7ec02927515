"""The API key, the login and console URLs never reach an exception text, a log record or a repr.

Every failure mode runs with a canary key and login while every logger (urllib3 included) records at
DEBUG; then every text an exception can produce and every record are searched for the canaries.
"""

import logging
import traceback
from urllib.parse import quote

import pytest
import requests
import responses

from servers.cac.errors import CacError
from servers.cac.redaction import RedactingFilter, redact, scrub

from . import bodies
from .conftest import CANARY_KEY, CANARY_LOGIN, CANARY_MARKERS, endpoint_url
from .test_errors import CASES

CONSOLE_SECRET = "aBcDeFgG"


def url_with_credentials(endpoint):
    return f"{endpoint_url(endpoint)}?key={CANARY_KEY}&login={quote(CANARY_LOGIN, safe='')}"


def chain(error):
    seen = []
    while error is not None and all(error is not other for other in seen):
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def exception_texts(error):
    texts = ["".join(traceback.format_exception(error))]
    # What an error tracker or Django's debug page shows: frame variables too.
    texts.append(
        "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    )
    for link in chain(error):
        texts += [str(link), repr(link), repr(link.args), repr(vars(link))]
    return texts


def log_texts(caplog):
    texts = [caplog.text, *caplog.early_messages]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), repr(vars(record))]
    return texts


def assert_no_canary(texts):
    for text in texts:
        for marker in (*CANARY_MARKERS, CONSOLE_SECRET):
            assert marker not in text, f"{marker!r} leaked into: {text[:500]}"


class EarlyHandler(logging.Handler):
    """Sees a record where it is logged, before the root's handlers (whose filters, configured in
    settings, rewrite records in place): so the client's own protection is what is tested."""

    def __init__(self, messages):
        super().__init__(logging.DEBUG)
        self.messages = messages

    def emit(self, record):
        self.messages.append(self.format(record))


@pytest.fixture
def capture_everything(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.early_messages = []
    handler = EarlyHandler(caplog.early_messages)
    loggers = [logging.getLogger(name) for name in ("urllib3.connectionpool", "servers.cac.client")]
    for logger in loggers:
        logger.addHandler(handler)
    yield caplog
    for logger in loggers:
        logger.removeHandler(handler)


def run_failure(client, call):
    with pytest.raises(CacError) as caught:
        call(client)
    return caught.value


# Exceptions from requests whose texts carry the URL, as the real ones do.
REQUESTS_FAILURES = [
    requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='cac.example.test', port=443): Max retries exceeded with url: "
        + url_with_credentials("listservers")
    ),
    requests.exceptions.ReadTimeout(f"Read timed out. (url={url_with_credentials('listservers')})"),
    requests.exceptions.ConnectTimeout(
        f"Connect timeout for {url_with_credentials('listservers')}"
    ),
    requests.exceptions.SSLError(
        f"certificate verify failed for {url_with_credentials('listservers')}"
    ),
    requests.exceptions.InvalidURL(f"Invalid URL {url_with_credentials('listservers')}"),
    requests.exceptions.RetryError(url_with_credentials("listservers")),
    requests.exceptions.ChunkedEncodingError(url_with_credentials("listservers")),
    requests.exceptions.HTTPError(
        f"503 Server Error for url: {url_with_credentials('listservers')}"
    ),
]


@pytest.mark.parametrize(
    ("method", "endpoint", "call", "response"),
    [case[1:5] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_no_canary_in_any_documented_failure(
    capture_everything, cac, client, method, endpoint, call, response
):
    cac.add(method, endpoint_url(endpoint), **response)

    error = run_failure(client, call)

    assert_no_canary(exception_texts(error) + log_texts(capture_everything) + [repr(client)])


@pytest.mark.parametrize("failure", REQUESTS_FAILURES, ids=lambda e: type(e).__name__)
def test_no_canary_when_requests_raises_with_the_url(capture_everything, cac, client, failure):
    assert CANARY_KEY in str(failure)  # the test would catch a leak
    cac.add(responses.GET, endpoint_url("listservers"), body=failure)

    error = run_failure(client, lambda c: c.list_servers())

    assert_no_canary(exception_texts(error) + log_texts(capture_everything))


def test_no_canary_after_retries(capture_everything, cac, client):
    cac.add(responses.GET, endpoint_url("listservers"), status=503, body=url_with_credentials("x"))

    error = run_failure(client, lambda c: c.list_servers())

    assert len(cac.calls) == 3
    assert_no_canary(exception_texts(error) + log_texts(capture_everything))


def test_no_canary_when_the_provider_echoes_the_credentials(capture_everything, cac, client):
    echo = f"Unknown user {CANARY_LOGIN} with key {CANARY_KEY} in {url_with_credentials('x')}"
    cac.add(responses.GET, endpoint_url("listtasks"), body=echo)
    cac.add(
        responses.POST,
        endpoint_url("powerop"),
        json={"status": "error", "error": 101, "error_description": echo},
    )

    errors = [
        run_failure(client, lambda c: c.list_tasks()),
        run_failure(client, lambda c: c.power("1", "reset")),
    ]

    assert [e.description is not None for e in errors] == [True, True]
    assert_no_canary(
        [text for e in errors for text in exception_texts(e)] + log_texts(capture_everything)
    )


def test_no_canary_for_an_unknown_server(capture_everything, cac, client):
    cac.add(responses.GET, endpoint_url("listservers"), body=bodies.DOCS_LISTSERVERS)

    error = run_failure(client, lambda c: c.server_secrets("999"))

    assert_no_canary(exception_texts(error) + log_texts(capture_everything))


def test_no_canary_when_connection_is_refused(capture_everything, make_client, closed_port):
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}/api/v1/")

    error = run_failure(client, lambda c: c.list_servers())

    assert type(error).__name__ == "CacConnectionError"
    assert_no_canary(exception_texts(error) + log_texts(capture_everything) + [repr(client)])


def test_no_canary_when_the_provider_never_answers(capture_everything, make_client, silent_server):
    client = make_client(base_url=silent_server, read_timeout=0.3)

    errors = [
        run_failure(client, lambda c: c.list_servers()),
        run_failure(client, lambda c: c.rename("1", "x")),
    ]

    assert [type(e).__name__ for e in errors] == ["CacTimeout", "CacTimeout"]
    assert_no_canary(
        [text for e in errors for text in exception_texts(e)] + log_texts(capture_everything)
    )


def test_no_canary_in_urllib3_logs_over_real_http(capture_everything, make_client, http_server):
    """urllib3 logs every request line, with the query string, at DEBUG."""
    http_server.answer = (200, "text/html", bodies.DOCS_LISTSERVERS.encode())
    client = make_client(base_url=http_server.base_url)

    assert len(client.list_servers()) == 1

    [(_, path, _)] = http_server.received
    assert CANARY_KEY in path  # the key really was in the URL urllib3 logged
    urllib3_lines = [
        r.getMessage() for r in capture_everything.records if r.name.startswith("urllib3")
    ]
    assert any("listservers.php?key=[redacted]&login=[redacted]" in line for line in urllib3_lines)
    assert any("listservers.php?key=[redacted]" in m for m in capture_everything.early_messages)
    assert_no_canary(log_texts(capture_everything))


def test_console_url_is_not_logged(capture_everything, make_client, http_server):
    http_server.answer = (200, "text/html", bodies.DOCS_CONSOLE.encode())
    client = make_client(base_url=http_server.base_url)

    url = client.console_url("1234567890")

    assert CONSOLE_SECRET in url
    assert_no_canary(log_texts(capture_everything))


def test_client_repr_shows_only_the_host(make_client):
    client = make_client(base_url="https://panel.example.test/api/v1/")

    assert repr(client) == "<CacClient panel.example.test>"
    assert str(client) == repr(client)


def test_client_repr_leaves_out_credentials_in_the_base_url(make_client):
    client = make_client(base_url="https://someone:hunter2@panel.example.test/api/v1/")

    assert "hunter2" not in repr(client) and "someone" not in repr(client)


class TestRedact:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "GET /api/v1/x.php?key=abc&login=a%40b.c HTTP/1.1",
                "GET /api/v1/x.php?key=[redacted]&login=[redacted] HTTP/1.1",
            ),
            ("key=abc&login=a@b.c&sid=1", "key=[redacted]&login=[redacted]&sid=1"),
            ("api_key=abc apikey=def", "api_key=[redacted] apikey=[redacted]"),
            ("{'key': 'abc', 'sid': '1'}", "{'key': [redacted], 'sid': '1'}"),
            (
                '{"login": "a@b.c", "rootpass": "pw"}',
                '{"login": [redacted], "rootpass": [redacted]}',
            ),
            (
                "http://h:1/console.html?servername=1&sha1hash=z done",
                "http://h:1/console.html?[redacted] done",
            ),
            ("nothing secret here", "nothing secret here"),
        ],
    )
    def test_patterns(self, text, expected):
        assert redact(text) == expected

    def test_scrub_removes_known_values_in_every_encoding(self):
        encoded = quote(CANARY_LOGIN, safe="")
        text = f"{CANARY_KEY} {CANARY_LOGIN} {encoded} zq%2Bcanary7731%40example.com"

        assert scrub(text, [CANARY_KEY, CANARY_LOGIN, ""]) == " ".join(["[redacted]"] * 4)


class TestRedactingFilter:
    def record(self, msg, args=(), exc_info=None):
        return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, exc_info)

    def test_cleans_arguments(self):
        record = self.record("%s %s", ("GET", "/x.php?key=abc"))

        assert RedactingFilter().filter(record) is True
        assert record.getMessage() == "GET /x.php?key=[redacted]"

    def test_leaves_clean_records_alone(self):
        record = self.record("%s done", ("listservers",))

        RedactingFilter().filter(record)

        assert (record.msg, record.args) == ("%s done", ("listservers",))

    def test_a_non_string_message(self):
        record = self.record(requests.exceptions.ConnectionError("url: /x.php?key=abc"))

        RedactingFilter().filter(record)

        assert record.getMessage() == "url: /x.php?key=[redacted]"

    def test_a_broken_format_string_keeps_the_record(self):
        record = self.record("key=abc %s %s", ("only one",))

        assert RedactingFilter().filter(record) is True
        assert record.getMessage() == "key=[redacted] %s %s"

    def test_exception_text_and_stack(self):
        try:
            raise requests.exceptions.HTTPError("503 for url: /x.php?key=abc&login=me")
        except requests.exceptions.HTTPError:
            record = self.record("failed", exc_info=__import__("sys").exc_info())
        record.stack_info = "Stack: login=me"

        RedactingFilter().filter(record)
        text = logging.Formatter().format(record)

        assert "key=[redacted]&login=[redacted]" in text
        assert "abc" not in text and "login=me" not in text


SERVER_WITHOUT_ID = {"servername": "no id"}


@pytest.mark.parametrize(
    ("call", "servers"),
    [
        (lambda c: c.list_servers(), [bodies.LIVE_SERVER, SERVER_WITHOUT_ID]),
        (lambda c: c.server_secrets("404"), [bodies.LIVE_SERVER]),
    ],
    ids=["unexpected shape", "unknown server"],
)
def test_no_password_among_traceback_variables(cac, client, call, servers):
    cac.add(responses.GET, endpoint_url("listservers"), json={"status": "ok", "data": servers})

    error = run_failure(client, call)

    for text in exception_texts(error):
        assert "live-root-pw" not in text and "live-vnc-pw" not in text
