"""GET requests are retried at most twice on 502/503/504; POST requests never are."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import responses

from servers.cac.client import MAX_RETRY_DELAY, parse_retry_after
from servers.cac.errors import CacAuthError, CacError, CacRateLimited, CacUnavailable

from . import bodies
from .conftest import endpoint_url

SERVERS = endpoint_url("listservers")


def test_get_succeeds_after_two_503(cac, client, sleeps):
    cac.add(responses.GET, SERVERS, status=503)
    cac.add(responses.GET, SERVERS, status=503)
    cac.add(responses.GET, SERVERS, body=bodies.DOCS_LISTSERVERS)

    [server] = client.list_servers()

    assert server.id == "2402939"
    assert len(cac.calls) == 3
    # Exponential backoff from the configured base (0.25 s in these tests).
    assert sleeps == [0.25, 0.5]


def test_get_gives_up_after_three_503(cac, client, sleeps):
    # The provider's documented notice ("503 Rate limit hit"), as the sandbox sends it.
    cac.add(responses.GET, SERVERS, status=503, body="Rate limit hit")

    with pytest.raises(CacRateLimited, match="rate limited, try again in a minute"):
        client.list_servers()

    assert len(cac.calls) == 3
    assert len(sleeps) == 2


def test_a_503_without_the_notice_is_retried_then_unavailable(cac, client, sleeps):
    """Any other 503 is not known to be the provider's rate limit: retried all the same, then
    said as every answer that is not the API's is (what sends 503 is the server log's business)."""
    cac.add(responses.GET, SERVERS, status=503, body="<h1>Service Unavailable</h1>")

    with pytest.raises(CacUnavailable, match=r"No answer from cac\.example\.test") as caught:
        client.list_servers()

    assert caught.value.retryable and caught.value.http_status == 503
    assert len(cac.calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("status", [502, 504])
def test_get_retries_gateway_errors_too(cac, client, status):
    cac.add(responses.GET, SERVERS, status=status)
    cac.add(responses.GET, SERVERS, body=bodies.DOCS_LISTSERVERS)

    assert len(client.list_servers()) == 1
    assert len(cac.calls) == 2


def test_get_gives_up_on_gateway_errors_as_unavailable(cac, client):
    cac.add(responses.GET, SERVERS, status=502)

    with pytest.raises(CacUnavailable) as caught:
        client.list_servers()

    assert caught.value.http_status == 502
    assert len(cac.calls) == 3


@pytest.mark.parametrize("status", [500, 412, 400])
def test_other_statuses_are_not_retried(cac, client, sleeps, status):
    cac.add(responses.GET, SERVERS, status=status)

    with pytest.raises(CacError):
        client.list_servers()

    assert len(cac.calls) == 1 and sleeps == []


def test_a_refusal_is_not_retried(cac, client):
    cac.add(responses.GET, endpoint_url("listtasks"), body=bodies.DOCS_IP_ERROR)

    with pytest.raises(CacAuthError):
        client.list_tasks()

    assert len(cac.calls) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize(
    ("endpoint", "call"),
    [
        ("powerop", lambda c: c.power("1", "reset")),
        ("cloudpro/build", lambda c: c.build(cpu=1, ram=1024, storage=10, os="1")),
        ("console", lambda c: c.console_url("1")),
    ],
)
def test_post_is_never_retried(cac, client, sleeps, status, endpoint, call):
    cac.add(responses.POST, endpoint_url(endpoint), status=status, body="Rate limit hit")
    cac.add(responses.POST, endpoint_url(endpoint), body='{"status":"ok","result":"successful"}')

    with pytest.raises(CacUnavailable if status != 503 else CacRateLimited):
        call(client)

    assert len(cac.calls) == 1 and sleeps == []


def test_retry_after_in_seconds_is_honoured(cac, client, sleeps):
    cac.add(responses.GET, SERVERS, status=503, headers={"Retry-After": "2"})
    cac.add(responses.GET, SERVERS, status=503, headers={"Retry-After": "1.5"})
    cac.add(responses.GET, SERVERS, body=bodies.DOCS_LISTSERVERS)

    client.list_servers()

    assert sleeps == [2.0, 1.5]


def test_retry_after_is_capped(cac, client, sleeps):
    cac.add(responses.GET, SERVERS, status=503, headers={"Retry-After": "3600"})
    cac.add(responses.GET, SERVERS, body=bodies.DOCS_LISTSERVERS)

    client.list_servers()

    assert sleeps == [MAX_RETRY_DELAY]
    assert MAX_RETRY_DELAY <= 5


def test_unreadable_retry_after_falls_back_to_backoff(cac, client, sleeps):
    cac.add(responses.GET, SERVERS, status=503, headers={"Retry-After": "soon"})
    cac.add(responses.GET, SERVERS, body=bodies.DOCS_LISTSERVERS)

    client.list_servers()

    assert sleeps == [0.25]


def test_retry_after_as_a_date():
    later = datetime.now(UTC) + timedelta(seconds=30)

    assert parse_retry_after(format_datetime(later, usegmt=True)) == pytest.approx(30, abs=2)
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Thu, 99 Foo") is None


def test_backoff_base_comes_from_settings(cac, make_client, settings, sleeps):
    settings.CATCPANEL_CAC_RETRY_BACKOFF = 0.01
    cac.add(responses.GET, SERVERS, status=503, body="Rate limit hit")

    with pytest.raises(CacRateLimited):
        make_client(retry_backoff=None).list_servers()

    assert sleeps == [0.01, 0.02]
