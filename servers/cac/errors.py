"""What can go wrong when talking to Cloud at Cost, as exceptions a person can act on.

`str(exc)` is always `exc.message`: plain words, naming what the panel was doing (from the
endpoint's name, never its URL) and what to do about it. The provider's own code and description
stay on the exception for the audit log. `retryable` says whether the same request may succeed
later, unchanged.
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
    ):
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.code = code
        self.description = description
        self.http_status = http_status

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


def from_http_failure(
    endpoint: str, http_status: int, text: str, *, clean: Callable[[str], str]
) -> CacError:
    """The exception for an answer that is not a readable JSON object, or an HTTP error status.

    `text` is the body (possibly empty); JSON `status: "error"` bodies go to `rejection()` first.
    """
    doing = activity(endpoint)
    snippet = clean(" ".join(text.split()))[:200] or None
    details = dict(endpoint=endpoint, description=snippet, http_status=http_status)

    if MAINTENANCE_MARKER in text.lower():
        return CacUnavailable(
            'Cloud at Cost is down for maintenance ("We are currently performing maintenance"). '
            "Try again later.",
            **details,
        )
    if http_status == 503:
        return rate_limited(**details)
    if http_status in (403, 412):
        return access_refused(endpoint, http_status)
    if 300 <= http_status < 400:
        return CacBadResponse(
            f"Cloud at Cost redirected the request to {doing} (HTTP {http_status}). Check this "
            "account's API URL: it should be the full https address ending in /api/v1/.",
            **details,
        )
    if 400 <= http_status < 500:
        return CacBadResponse(
            f"Cloud at Cost did not recognise the request to {doing} (HTTP {http_status}). Check "
            "this account's API URL: it should end in /api/v1/.",
            **details,
        )
    if http_status == 500:
        return CacUnavailable(
            f"Cloud at Cost had an internal error while trying to {doing} (HTTP 500). "
            "Try again later.",
            **details,
        )
    if http_status >= 500:
        return CacUnavailable(
            f"Cloud at Cost is not answering (HTTP {http_status}) and could not {doing}. "
            "Try again in a few minutes.",
            **details,
        )
    if not text.strip():
        return CacBadResponse(
            f"Cloud at Cost sent an empty answer when asked to {doing}. Try again in a minute; "
            "if it keeps happening, use the Cloud at Cost panel for this.",
            **details,
        )
    return CacBadResponse(
        f"Cloud at Cost sent an answer that is not JSON when asked to {doing} (their server "
        "reported an error of its own). Try again later.",
        **details,
    )


def unexpected_shape(endpoint: str, what: str, *, http_status: int | None = None) -> CacError:
    return CacBadResponse(
        f"Cloud at Cost sent an unexpected answer when asked to {activity(endpoint)} ({what}).",
        endpoint=endpoint,
        http_status=http_status,
    )


def timed_out(endpoint: str, seconds: float, *, connecting: bool) -> CacTimeout:
    stage = "accept the connection" if connecting else "answer"
    error = CacTimeout(
        f"Cloud at Cost did not {stage} within {seconds:g} seconds when asked to "
        f"{activity(endpoint)}. Try again later.",
        endpoint=endpoint,
    )
    error.connecting = connecting
    return error


def connection_failed(endpoint: str, host: str, *, tls: bool = False) -> CacConnectionError:
    if tls:
        message = (
            f"Could not make a secure connection to {host} to {activity(endpoint)}: its TLS "
            "certificate was not accepted. Try again later, or check this account's API URL."
        )
    else:
        message = (
            f"Could not connect to {host} to {activity(endpoint)}. Check this account's API URL "
            "and this server's network, then try again."
        )
    return CacConnectionError(message, endpoint=endpoint)


def address_refused(endpoint: str | None, message: str) -> CacAddressRefused:
    return CacAddressRefused(message, endpoint=endpoint)


def unreachable(endpoint: str | None) -> CacConnectionError:
    """One message for every way an address the user just chose can fail, so that the form does
    not tell them what answers where on the panel's network (status codes, TLS, bodies)."""
    return CacConnectionError(
        "No Cloud at Cost API answered at this address. Check the API address, or try again "
        "later; the activity log keeps the details.",
        endpoint=endpoint,
    )


def too_large(endpoint: str, limit: int) -> CacBadResponse:
    return CacBadResponse(
        f"Cloud at Cost sent an answer larger than {limit / 1_000_000:g} MB when asked to "
        f"{activity(endpoint)}; the panel stopped reading it (CATCPANEL_CAC_MAX_ANSWER_BYTES).",
        endpoint=endpoint,
    )


def deadline_passed(endpoint: str, seconds: float) -> CacTimeout:
    return CacTimeout(
        f"Cloud at Cost did not finish answering within {seconds:g} seconds when asked to "
        f"{activity(endpoint)}. Try again later.",
        endpoint=endpoint,
    )


def busy(endpoint: str, limit: int) -> CacBusy:
    calls = "call" if limit == 1 else "calls"
    return CacBusy(
        f"Cloud at Cost is slow for this account: the panel is already waiting on {limit} "
        f"{calls} to it, and could not {activity(endpoint)} now. Try again in a moment.",
        endpoint=endpoint,
    )
