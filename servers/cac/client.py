"""The Cloud at Cost API v1 client: the only code in the panel that speaks HTTP to the provider.

One `CacClient` per stored account, one `requests.Session` per client, one method per endpoint.
Every request has a connect and a read timeout. GET requests are retried (at most twice) on 502, 503
and 504; POST requests never are, since a power operation or a build must not run twice.

Secrets: GET requests must carry the key and login in the query string, so the URL is a secret.
Nothing here puts a URL into a message: errors are built from the endpoint's name, every
`RequestException` is replaced by a `CacError` raised outside the `except` block (so neither
`__cause__` nor `__context__` keeps the original), and urllib3's own loggers get a redacting filter.
"""

import errno
import functools
import http.client
import json
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from servers.cac import addresses, errors, transport
from servers.cac.errors import CacError
from servers.cac.models import (
    ActionResult,
    Resources,
    Server,
    ServerList,
    ServerSecrets,
    Task,
    Template,
    UnexpectedShape,
    identifier,
    records,
)
from servers.cac.redaction import protect_http_loggers, scrub

DEFAULT_BASE_URL = "https://panel.cloudatcost.com/api/v1/"
USER_AGENT = "catcpanel (+https://github.com/catcpanel)"

GET, POST = "GET", "POST"
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRIES = 2
# Retry-After is honoured up to this many seconds: a web request is waiting on the answer.
MAX_RETRY_DELAY = 5.0

POWER_ACTIONS = ("poweron", "poweroff", "reset")
RUN_MODES = ("normal", "safe")

# JSON as PHP sometimes wrote it: a comma before a closing brace or bracket.
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")

T = TypeVar("T")

# What odd data makes Python raise: wrong types, unparsable or huge numbers, nesting deeper than
# the stack, missing keys or items, undecodable text.
HOSTILE_DATA_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, LookupError)

logger = logging.getLogger(__name__)
protect_http_loggers()


@functools.cache
def environment_settings(base_url: str) -> tuple[dict[str, str], str | bool]:
    """The proxies for `base_url` and the CA bundle, as requests reads them from the environment."""
    proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return proxies, bundle or True


class CacClient:
    @sensitive_variables("login", "api_key")
    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        login: str,
        api_key: str,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_backoff: float | None = None,
        total_timeout: float | None = None,
        max_answer_bytes: int | None = None,
        concurrency_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        base_url = (base_url or DEFAULT_BASE_URL).strip()
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = urlsplit(self._base_url).hostname or "the API host"
        self._login = login
        self._api_key = api_key
        self.connect_timeout = (
            settings.CATCPANEL_CAC_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        self.read_timeout = (
            settings.CATCPANEL_CAC_READ_TIMEOUT if read_timeout is None else read_timeout
        )
        self.retry_backoff = (
            getattr(settings, "CATCPANEL_CAC_RETRY_BACKOFF", 0.5)
            if retry_backoff is None
            else retry_backoff
        )
        self.total_timeout = (
            settings.CATCPANEL_CAC_TOTAL_TIMEOUT if total_timeout is None else total_timeout
        )
        self.max_answer_bytes = (
            settings.CATCPANEL_CAC_MAX_ANSWER_BYTES
            if max_answer_bytes is None
            else max_answer_bytes
        )
        # Calls sharing a key share CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT slots (None: unbounded).
        self.concurrency_key = concurrency_key
        self._sleep = sleep
        self._session = requests.Session()
        adapter = transport.CheckedAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        # requests would read the proxy variables, the CA bundle and ~/.netrc again on every
        # call (0.6 ms, a quarter of a call to a provider on this host); read them once instead.
        # A netrc login is never wanted: the credentials travel as parameters.
        self._session.trust_env = False
        proxies, self._session.verify = environment_settings(self._base_url)
        self._session.proxies = dict(proxies)

    def __repr__(self) -> str:
        return f"<CacClient {self.host}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "CacClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Endpoints -------------------------------------------------------------------------------

    def list_servers(self) -> ServerList:
        return ServerList.of(self._list("listservers", Server.from_api))

    @sensitive_variables()
    def server_secrets(self, server_id: str) -> ServerSecrets:
        """The root and VNC passwords, read fresh: they are never kept on `Server`."""
        wanted = str(server_id)
        secrets = next(
            (
                ServerSecrets.from_api(item)
                for item in self._list("listservers", dict)
                if identifier(item.get("id")) == wanted
            ),
            None,
        )
        if secrets is None:
            raise errors.CacNotFound(
                f"Server {wanted} is not on this Cloud at Cost account (refresh the list).",
                endpoint="listservers",
            )
        return secrets

    def list_templates(self) -> list[Template]:
        return self._list("listtemplates", Template.from_api)

    def list_tasks(self) -> list[Task]:
        return self._list("listtasks", Task.from_api)

    def power(self, server_id: str, action: str) -> ActionResult:
        if action not in POWER_ACTIONS:
            raise ValueError(f"power action must be one of {POWER_ACTIONS}, not {action!r}")
        return self._action("powerop", {"sid": server_id, "action": action})

    def set_run_mode(self, server_id: str, mode: str) -> ActionResult:
        # listservers shows "Normal"/"Safe"; runmode.php accepts only lowercase.
        mode = mode.lower()
        if mode not in RUN_MODES:
            raise ValueError(f"run mode must be one of {RUN_MODES}, not {mode!r}")
        return self._action("runmode", {"sid": server_id, "mode": mode})

    def rename(self, server_id: str, name: str) -> ActionResult:
        return self._action("renameserver", {"sid": server_id, "name": name})

    def set_reverse_dns(self, server_id: str, hostname: str) -> ActionResult:
        return self._action("rdns", {"sid": server_id, "hostname": hostname})

    @sensitive_variables()
    def console_url(self, server_id: str) -> str:
        """A bearer URL for the server's screen: hand it to the user, never log or cache it."""
        payload = self._call("console", POST, {"sid": server_id})
        url = payload.get("console")
        if not isinstance(url, str) or not url.strip():
            raise errors.unexpected_shape("console", "no console address")
        url = url.strip()
        if not url.isascii() or not url.isprintable() or len(url) > 2000:
            # It becomes a Location header: no controls, and nothing that cannot be encoded.
            raise errors.unexpected_shape("console", "the console address is not a web address")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise errors.unexpected_shape("console", "the console address is not a web address")
        return url

    def build(
        self, *, cpu: int, ram: int, storage: int, os: str, datacenter: int | None = None
    ) -> ActionResult:
        """Build a Cloud Pro server; `os` is a template id. The result names the new server."""
        params = {"cpu": cpu, "ram": ram, "storage": storage, "os": os}
        if datacenter is not None:
            params["datacenter"] = datacenter
        return self._action("cloudpro/build", params)

    def delete(self, server_id: str) -> ActionResult:
        return self._action("cloudpro/delete", {"sid": server_id})

    @sensitive_variables()
    def resources(self) -> Resources:
        payload = self._call("cloudpro/resources", GET)
        return self._parse("cloudpro/resources", Resources.from_api, payload.get("data"))

    # Plumbing --------------------------------------------------------------------------------

    @sensitive_variables()
    def _list(self, endpoint: str, parse_item: Callable[[dict], T]) -> list[T]:
        def parse(data: Any) -> list[T]:
            return [parse_item(item) for item in records(data, "data")]

        return self._parse(endpoint, parse, self._call(endpoint, GET).get("data"))

    def _action(self, endpoint: str, params: dict[str, Any]) -> ActionResult:
        return self._parse(endpoint, ActionResult.from_api, self._call(endpoint, POST, params))

    def _parse(self, endpoint: str, parse: Callable[[Any], T], data: Any) -> T:
        try:
            return parse(data)
        except UnexpectedShape as exc:
            what = str(exc)
        except HOSTILE_DATA_ERRORS:
            # Whatever a hostile body makes the parser trip on (nesting, huge numbers, odd
            # types) is the provider's fault, told as such, never an error page. A bug of the
            # panel's own (anything else) still is one.
            what = "an answer the panel cannot read"
        # The raw answer (listservers carries every root password) must not be among the
        # variables of a traceback that an error page or tracker might show.
        del data
        raise errors.unexpected_shape(endpoint, what)

    @sensitive_variables()
    def _call(self, endpoint: str, method: str, params: dict[str, Any] | None = None) -> dict:
        """One request to `<base_url><endpoint>.php`: the decoded JSON object, or a `CacError`.

        Checked at call time, not only when the account was saved: an account stored before the
        allowed addresses were narrowed is refused here, before its key goes anywhere.
        """
        try:
            rule = addresses.rule_for(self._base_url)
        except addresses.AddressNotAllowed as refused:
            message = str(refused)
        else:
            limit = settings.CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT
            try:
                with transport.account_slot(self.concurrency_key, limit):
                    return self._call_within_deadline(endpoint, method, params or {}, rule)
            except transport.AccountBusy:
                failure = errors.busy(endpoint, limit)
            logger.warning("Cloud at Cost %s %s refused: %s", method, endpoint, failure)
            raise failure
        failure = errors.address_refused(endpoint, message)
        logger.warning(
            "Cloud at Cost %s %s refused: the API address is not allowed", method, endpoint
        )
        raise failure

    def _call_within_deadline(
        self, endpoint: str, method: str, params: dict[str, Any], rule: addresses.Rule
    ) -> dict:
        retries_left = MAX_RETRIES if method == GET else 0
        deadline = time.monotonic() + self.total_timeout
        while True:
            started = time.monotonic()
            response, failure = self._send(endpoint, method, params, rule, deadline)
            if failure is not None:
                break
            logger.info(
                "Cloud at Cost %s %s: HTTP %s in %.0f ms",
                method,
                endpoint,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code in RETRY_STATUSES and retries_left > 0:
                attempt = MAX_RETRIES - retries_left
                delay = self._retry_delay(response, attempt)
                # A retry that could not finish before the deadline is not tried.
                if time.monotonic() + delay < deadline:
                    retries_left -= 1
                    logger.warning(
                        "Cloud at Cost %s %s: HTTP %s, retrying in %.1f s",
                        method,
                        endpoint,
                        response.status_code,
                        delay,
                    )
                    response.close()
                    self._sleep(delay)
                    continue
            payload, failure = self._interpret(endpoint, response)
            if failure is None:
                return payload
            break
        # The detail, when there is one, is what the person was not told (errors.no_api_answer).
        logger.warning(
            "Cloud at Cost %s %s to %s failed: %s: %s",
            method,
            endpoint,
            self.host,
            type(failure).__name__,
            failure.detail or failure.message,
        )
        raise failure

    @sensitive_variables()
    def _send(
        self,
        endpoint: str,
        method: str,
        params: dict[str, Any],
        rule: addresses.Rule,
        deadline: float,
    ) -> tuple[requests.Response | None, CacError | None]:
        """The response, its body read, or the `CacError` to raise.

        The error is returned, not raised: the caller raises it outside this `except` block, so
        that requests' exception (its message holds the URL, and so the key) is not kept as its
        `__context__`. The credentials exist only in this frame, which is never part of a
        traceback: a debug page or an error tracker showing frame variables cannot reveal them.
        Credentials go in the query string for GET and in the form body for POST, as the API wants.
        """
        fields = {"key": self._api_key, "login": self._login, **params}
        call = transport.Call(deadline, rule)
        remaining = max(call.remaining(), 0.001)
        response = None
        kind = None
        how = ""
        with transport.running(call):
            try:
                response = self._session.request(
                    method,
                    urljoin(self._base_url, f"{endpoint}.php"),
                    params=fields if method == GET else None,
                    data=fields if method == POST else None,
                    timeout=(
                        min(self.connect_timeout, remaining),
                        min(self.read_timeout, remaining),
                    ),
                    # A redirect would carry the key in the query string to wherever it points.
                    allow_redirects=False,
                    # Read below, in chunks, against the deadline and the size cap.
                    stream=True,
                )
                response._content = transport.read_body(response, call, self.max_answer_bytes)
            except transport.TooLarge:
                kind = "too large"
            except transport.DeadlinePassed:
                kind = "deadline"
            except requests.exceptions.ConnectTimeout:
                kind = "connect timeout"
            except requests.exceptions.Timeout:
                kind = "read timeout"
            except requests.exceptions.SSLError as exc:
                kind, how = "tls", transport_failure(exc)
            except (
                requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError,
                OSError,
            ) as exc:
                kind, how = "connection", transport_failure(exc)
            finally:
                if kind is not None and response is not None:
                    # Closes the connection: whatever else was sent is never read.
                    response.close()
        if kind is None:
            return response, None
        if call.refused_peer is not None:
            return None, errors.address_refused(endpoint, addresses.refused_message())
        host = self.host
        if call.expired or kind == "deadline":
            return None, errors.deadline_passed(endpoint, self.total_timeout, host=host)
        if kind == "too large":
            return None, errors.too_large(endpoint, self.max_answer_bytes, host=host)
        if kind == "connect timeout":
            failure = errors.timed_out(endpoint, self.connect_timeout, connecting=True, host=host)
            return None, failure
        if kind == "read timeout":
            failure = errors.timed_out(endpoint, self.read_timeout, connecting=False, host=host)
            return None, failure
        return None, errors.connection_failed(endpoint, host, how)

    @sensitive_variables()
    def _interpret(
        self, endpoint: str, response: requests.Response
    ) -> tuple[dict, None] | tuple[None, CacError]:
        """The decoded JSON object, or the `CacError` it means.

        Returned, not raised, for the same reason as in `_send`: this frame holds the raw body (the
        passwords of `listservers`, or provider text echoing the credentials), so it must not end
        up in a traceback.
        """
        try:
            return self._interpret_body(endpoint, response)
        except HOSTILE_DATA_ERRORS:
            return None, errors.unexpected_shape(
                endpoint, "an answer the panel cannot read", http_status=response.status_code
            )

    @sensitive_variables("body", "payload")
    def _interpret_body(
        self, endpoint: str, response: requests.Response
    ) -> tuple[dict, None] | tuple[None, CacError]:
        status = response.status_code
        # JSON came as text/html, for which requests would guess Latin-1: PHP wrote UTF-8, so decode
        # that whatever the content type says (and drop a byte-order mark if one slipped in).
        body = response.content.decode("utf-8-sig", errors="replace")
        payload = decode_json(body)
        clean = self._clean
        if isinstance(payload, dict):
            outcome = str(payload.get("status", "")).strip().lower()
            # The API's own error object: `status: "error"`, or an `error` code without a status
            # (a number, as the provider sent). Any other service's `{"error": "..."}` is not it.
            coded = errors.provider_code(payload.get("error")) is not None
            if outcome == "error" or (outcome != "ok" and coded):
                return None, errors.rejection(endpoint, payload, http_status=status, clean=clean)
            if 200 <= status < 300 and outcome in ("ok", ""):
                return payload, None
        if 200 <= status < 300 and payload is not None:
            what = "not a JSON object" if not isinstance(payload, dict) else "an unknown status"
            detail = f"HTTP {status}, JSON that is {what}: {errors.excerpt(body, clean)!r}"
            return None, errors.no_api_answer(endpoint, self.host, detail, http_status=status)
        return None, errors.from_http_failure(endpoint, status, body, clean=clean, host=self.host)

    @sensitive_variables()
    def _clean(self, text: str) -> str:
        return scrub(text, (self._api_key, self._login))

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        delay = self.retry_backoff * (2**attempt) if retry_after is None else retry_after
        return min(max(delay, 0.0), MAX_RETRY_DELAY)


def decode_json(body: str) -> Any:
    """The decoded body, or None. Tolerates the trailing comma of the docs' build error example."""
    if not body.strip():
        return None
    # RecursionError: nesting deeper than the interpreter's stack (`[[[[...]]]]`).
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", body))
    except (ValueError, RecursionError):
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime.now(UTC)).total_seconds()


@sensitive_variables("login", "api_key")
def check_credentials(
    *, base_url: str, login: str, api_key: str, concurrency_key: str | None = None
) -> int:
    """One listservers call with credentials someone just typed: the number of servers, or a
    CacError in words for the person at the form.

    The address was chosen by that person, so what it answered is not told back in detail (an
    HTTP status, a TLS failure, a body): that would let them map what answers where on the
    panel's network. A refusal in the provider's own words (a wrong key, error 104) is told as it
    is; the server log keeps the detail of the rest.
    """
    try:
        with CacClient(
            base_url=base_url, login=login, api_key=api_key, concurrency_key=concurrency_key
        ) as client:
            return len(client.list_servers())
    except (errors.CacAuthError, errors.CacAddressRefused, errors.CacBusy) as exc:
        failure = exc.with_traceback(None)
    except errors.CacRejected as exc:
        failure = exc.with_traceback(None) if exc.code is not None else _unreachable(exc)
    except CacError as exc:
        failure = _unreachable(exc)
    raise failure


def _unreachable(exc: CacError) -> CacError:
    logger.warning(
        "Checking new credentials failed: %s: %s [%s]",
        type(exc).__name__,
        exc.message,
        exc.detail or f"HTTP {exc.http_status}",
    )
    return errors.unreachable(exc.endpoint)


# What the log may say about a failed connection: names from the standard library, never the
# text of requests' exceptions (it holds the URL, and so the key).
_OS_ERRORS = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ConnectionAbortedError, "connection aborted"),
    (BrokenPipeError, "connection closed while sending"),
    (TimeoutError, "timed out"),
)


def transport_failure(exc: BaseException) -> str:
    """How a connection failed, for the server log: refused, reset, name resolution, TLS (with
    OpenSSL's reason), or an answer that is not HTTP."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 20:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({current.verify_message or current.reason})"
        if isinstance(current, ssl.SSLError):
            return f"TLS failure ({current.reason or type(current).__name__})"
        if isinstance(current, socket.gaierror):
            return "the host name did not resolve"
        if isinstance(current, http.client.HTTPException):
            return f"not an HTTP answer ({type(current).__name__})"
        for kind, words in _OS_ERRORS:
            if isinstance(current, kind):
                return words
        if isinstance(current, OSError) and current.errno in errno.errorcode:
            return f"connection failed ({errno.errorcode[current.errno]})"
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        nested += list(current.args)
        pending += [item for item in nested if isinstance(item, BaseException)]
    return f"connection failed ({type(exc).__name__})"
