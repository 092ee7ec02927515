"""What can go wrong when talking to Cloud at Cost, as exceptions a person can act on.

`str(exc)` is always `exc.message`: plain words, naming what the panel was doing (from the
endpoint's name, never its URL) and what to do about it. The provider's own code and description
stay on the exception for the audit log. `retryable` says whether the same request may succeed
later, unchanged.

What reaches a person (`message`: pages, toasts, the account's last error, the activity log) tells
the Cloud at Cost API's own answers apart (its error objects, its rate limit and maintenance
notices), and nothing else: a refused, reset or timed-out connection, a TLS failure, an HTTP status
or a body that is not the API's all read as one text (`no_api_answer`). An account's address is
chosen by whoever stored it, so any difference there would tell them what answers where on the
panel's network (which ports are open, what speaks TLS, what a service says). The difference goes
to `detail`, which only the server log shows. The types still differ, for what the panel does
(retry, back off, "unknown outcome" after a timeout once the request was sent).
"""

from collections.abc import Callable
from typing import Any

from servers.cac.models import text

# What the panel was trying to do, per endpoint name, to complete "Cloud at Cost could not ...".
ACTIVITIES = {
    "listservers": "list the servers",
    "listtemplates": "list the templates",
    "listtasks": "list the tasks",
    "powerop": "change the power state",
    "runmode": "change the run mode",
    "renameserver": "rename the server",
    "rdns": "change the reverse DNS",
    "console": "open the console",
    "cloudpro/build": "build the server",
    "cloudpro/delete": "delete the server",
    "cloudpro/resources": "read the Cloud Pro resources",
}

MAINTENANCE_MARKER = "performing maintenance"


MAX_REASON = 200
MAX_DESCRIPTION = 1000


def _text(value: Any) -> str:
    return text(value)[:MAX_DESCRIPTION]


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "\u2026"


def activity(endpoint: str | None) -> str:
    return ACTIVITIES.get(endpoint or "", "answer the request")


class CacError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        code: int | None = None,
        description: str | None = None,
        http_status: int | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.code = code
        self.description = description
        self.http_status = http_status
        # For the server log only: what the address answered, or how the connection failed.
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        details = [repr(self.message)]
        for name in ("endpoint", "code", "http_status"):
            value = getattr(self, name)
            if value is not None:
                details.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(details)})"


class CacAuthError(CacError):
    """The key, the login or the panel's IP address was refused (101, 104; HTTP 403/412)."""


class CacRateLimited(CacError):
    retryable = True


class CacUnavailable(CacError):
    """The provider is down, failing, in maintenance or unreachable: try again later."""

    retryable = True


class CacTimeout(CacUnavailable):
    # False once the request may have reached the provider (a read timeout, a total deadline):
    # an action may then have been carried out although no answer came.
    connecting = False


class CacConnectionError(CacUnavailable):
    pass


class CacBadResponse(CacError):
    """An answer the panel cannot read: not JSON, empty, or not shaped as documented or observed."""


class CacRejected(CacError):
    """The provider understood and refused (`status: "error"`, codes such as 105, 107, 109)."""


class CacAddressRefused(CacError):
    """The account's API address is not one the panel may send a key to (addresses.py)."""


class CacBusy(CacUnavailable):
    """Already as many calls in flight for this account as it may hold (transport.py)."""


class CacNotFound(CacRejected):
    """The server id is not on the account (109 "invalid server ID", or absent from the list)."""


def provider_code(value: Any) -> int | None:
    """The `error` field as a number: live answers sent 104, the docs' example "107"."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def rejection(
    endpoint: str, payload: dict, *, http_status: int | None, clean: Callable[[str], str]
) -> CacError:
    """The exception for a JSON answer with `status: "error"`, from its code and description."""
    code = provider_code(payload.get("error"))
    raw_description = payload.get("error_description")
    description = _text(clean(_text(raw_description))) if raw_description is not None else ""
    details = dict(
        endpoint=endpoint, code=code, description=description or None, http_status=http_status
    )
    lowered = description.lower()
    doing = activity(endpoint)

    if code == 104:
        # The provider answers 104 for a wrong key and for a wrong login as well as for an IP
        # address missing from the whitelist, and does not say which.
        return CacAuthError(
            "Access refused (error 104): Cloud at Cost did not accept this account's API key, "
            "its login email, or this panel's IP address. Check the key and the login, and that "
            "the panel's IP address is whitelisted in your Cloud at Cost API settings (a "
            "comma-separated list).",
            **details,
        )
    if code == 101:
        return CacAuthError(
            "Access refused: Cloud at Cost did not accept this account's API key and login. "
            "Check them in the account settings.",
            **details,
        )
    if code == 105 and (not description or "task" in lowered):
        return CacRejected(
            f"Cloud at Cost could not {doing}: a task is already running for this server. "
            "Wait for it to finish (see Tasks) and try again.",
            **details,
        )
    if code == 109 and "server" in lowered:
        return CacNotFound(
            f"Cloud at Cost could not {doing}: invalid server ID (the server is not on this "
            "account any more; refresh the list).",
            **details,
        )
    if code == 109 and "domain" in lowered:
        return CacRejected(
            f"Cloud at Cost could not {doing}: invalid domain name. Use a full host name such "
            "as host.example.com.",
            **details,
        )
    if http_status == 503:
        return rate_limited(**details)
    if http_status in (403, 412) and not description:
        return access_refused(endpoint, http_status, code=code)
    # The provider's words go into the message: a page, a toast header, the account's last
    # error. Kept short, whatever length it sent.
    reason = _shorten(description, MAX_REASON) or (
        f"error {code}" if code is not None else "no reason given"
    )
    return CacRejected(f"Cloud at Cost could not {doing}: {reason}.", **details)


def rate_limited(**details: Any) -> CacRateLimited:
    details["http_status"] = 503
    return CacRateLimited(
        "Cloud at Cost is busy with this account's requests: rate limited, try again in a minute.",
        **details,
    )


def access_refused(endpoint: str, http_status: int, *, code: int | None = None) -> CacAuthError:
    return CacAuthError(
        f"Access refused (HTTP {http_status}): check this account's API key and login, and that "
        "the panel's IP address is whitelisted in your Cloud at Cost API settings.",
        endpoint=endpoint,
        code=code,
        http_status=http_status,
    )


# One text for every failure that is not the API's own answer, whatever the address did.
NO_API_ANSWER = (
    "No answer from {host} that Cloud at Cost's API would give, when asked to {doing}. "
    "Try again later, or check this account's API address; the server log has the details."
)

# The provider's plain-text notices are recognised only in a short body: a long page that happens
# to contain the words is not the provider's notice.
MAX_NOTICE = 500
RATE_LIMIT_MARKER = "rate limit"
MAX_EXCERPT = 200


def no_api_answer(
    endpoint: str | None,
    host: str | None,
    detail: str,
    *,
    kind: type[CacError] = CacBadResponse,
    http_status: int | None = None,
    description: str | None = None,
) -> CacError:
    """What a person sees for anything but the Cloud at Cost API's own answer; `detail` says what
    it was, for the server log."""
    return kind(
        NO_API_ANSWER.format(host=host or "the API host", doing=activity(endpoint)),
        endpoint=endpoint,
        http_status=http_status,
        description=description,
        detail=detail,
    )


def excerpt(text: str, clean: Callable[[str], str]) -> str:
    """The start of a body for the server log: whitespace folded, credentials scrubbed, bounded."""
    return clean(" ".join(text[: MAX_EXCERPT * 4].split()))[:MAX_EXCERPT]


def from_http_failure(
    endpoint: str, http_status: int, text: str, *, clean: Callable[[str], str], host: str | None
) -> CacError:
    """The exception for an answer that is not a readable JSON object, or an HTTP error status.

    `text` is the body (possibly empty); JSON `status: "error"` bodies go to `rejection()` first.
    Only the provider's own plain-text notices (maintenance, the documented "503 Rate limit hit")
    are told as such; every other status and body reads the same (`no_api_answer`).
    """
    snippet = excerpt(text, clean) or None
    details = dict(endpoint=endpoint, description=snippet, http_status=http_status)
    notice = text.strip().lower() if len(text.strip()) <= MAX_NOTICE else ""

    if MAINTENANCE_MARKER in notice:
        return CacUnavailable(
            'Cloud at Cost is down for maintenance ("We are currently performing maintenance"). '
            "Try again later.",
            **details,
        )
    if http_status == 503 and RATE_LIMIT_MARKER in notice:
        return rate_limited(**details)
    # 5xx stays retryable (GETs were already retried on 502/503/504): the same request may work
    # later. The status and body go to the log, never into the message.
    kind = CacUnavailable if http_status >= 500 else CacBadResponse
    return no_api_answer(
        endpoint,
        host,
        f"HTTP {http_status}, {len(text)} characters: {snippet or ''!r}",
        kind=kind,
        http_status=http_status,
        description=snippet,
    )


def unexpected_shape(endpoint: str, what: str, *, http_status: int | None = None) -> CacError:
    """A JSON answer in the API's own form (`status: "ok"`) whose content the panel cannot use."""
    return CacBadResponse(
        f"Cloud at Cost sent an unexpected answer when asked to {activity(endpoint)} ({what}).",
        endpoint=endpoint,
        http_status=http_status,
    )


def timed_out(endpoint: str, seconds: float, *, connecting: bool, host: str | None) -> CacTimeout:
    """No connection within `seconds` (`connecting`), or no answer once the request was sent.

    The message is the same as for any other failure: a port that takes the connection and stays
    silent must not read differently from a closed one. The services tell an action's "unknown
    outcome" from the type and `connecting`, not from the words.
    """
    if connecting:
        detail = f"connect timeout after {seconds:g} s"
    else:
        detail = f"no answer within the read timeout of {seconds:g} s (the request was sent)"
    error = no_api_answer(endpoint, host, detail, kind=CacTimeout)
    error.connecting = connecting
    return error


def connection_failed(endpoint: str, host: str | None, detail: str) -> CacConnectionError:
    """Refused, reset, DNS, TLS, not HTTP: `detail` (from the client) says which, for the log."""
    return no_api_answer(endpoint, host, detail, kind=CacConnectionError)


def address_refused(endpoint: str | None, message: str) -> CacAddressRefused:
    return CacAddressRefused(message, endpoint=endpoint)


def unreachable(endpoint: str | None) -> CacConnectionError:
    """One message for every way an address the user just chose can fail, so that the form does
    not tell them what answers where on the panel's network (status codes, TLS, bodies)."""
    return CacConnectionError(
        "No Cloud at Cost API answered at this address. Check the API address, or try again "
        "later; the server log has the details.",
        endpoint=endpoint,
    )


def too_large(endpoint: str, limit: int, *, host: str | None) -> CacBadResponse:
    return no_api_answer(
        endpoint,
        host,
        f"answer larger than {limit} bytes (CATCPANEL_CAC_MAX_ANSWER_BYTES); not read further",
    )


def deadline_passed(endpoint: str, seconds: float, *, host: str | None) -> CacTimeout:
    error = no_api_answer(
        endpoint,
        host,
        f"no complete answer within {seconds:g} s (CATCPANEL_CAC_TOTAL_TIMEOUT)",
        kind=CacTimeout,
    )
    error.connecting = False
    return error


def busy(endpoint: str, limit: int) -> CacBusy:
    calls = "call" if limit == 1 else "calls"
    return CacBusy(
        f"Cloud at Cost is slow for this account: the panel is already waiting on {limit} "
        f"{calls} to it, and could not {activity(endpoint)} now. Try again in a moment.",
        endpoint=endpoint,
    )
