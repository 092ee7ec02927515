"""Keeping Cloud at Cost credentials out of log records and error texts.

Two layers. `redact()` removes anything that looks like a secret parameter (`key=...`,
`"login": ...`, a console URL's query) whatever its value; `scrub()` also removes the literal values
a client knows (its key and login, raw and URL-encoded), for provider text that might echo them.
`RedactingFilter` applies `redact()` to whole log records; `protect_http_loggers()` attaches it to
the loggers of urllib3 and requests themselves, so that their records are clean before any handler
(the console, Sentry, pytest's caplog) sees them, even if someone turns their level down to DEBUG.
"""

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"

# Names ending like these carry secrets: key, api_key, apikey, login, rootpass, vncpass, password,
# sha1hash, token, secret. Matched as `name=value` (query strings, form bodies) and as
# `"name": "value"` / `'name': 'value'` (JSON, Python reprs of dicts).
_NAME = r"[A-Za-z_]*(?:key|login|pass|password|hash|token|secret)"
_QUERY_PARAM = re.compile(rf"(?i)\b({_NAME})(=|%3D)[^&\s'\"<>]*")
_MAPPING_ITEM = re.compile(rf"(?i)([\"']{_NAME}[\"']\s*:\s*)(?:\"[^\"]*\"|'[^']*'|[^,}}\s]+)")
# A console URL is a bearer token for the server's screen: drop its whole query.
_CONSOLE_QUERY = re.compile(r"(?i)(console\.html)\?[^\s'\"<>]*")

# The loggers that write request URLs (urllib3 at DEBUG: `"GET /api/v1/x.php?key=... HTTP/1.1"`).
HTTP_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
)


def redact(text: str) -> str:
    text = _QUERY_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _MAPPING_ITEM.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _CONSOLE_QUERY.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`redact()`, and every literal occurrence of the secrets (raw or URL-encoded) removed."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
            text = text.replace(form, REDACTED)
    return redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, exception text and stack with `redact()`; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string: keep what can be kept, without the arguments.
            message, record.args = str(record.msg), None
        cleaned = redact(message)
        if cleaned != message or not isinstance(record.msg, str):
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is cleaned once, here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_http_filter = RedactingFilter()


def protect_http_loggers() -> None:
    """Attach the filter to the HTTP libraries' own loggers (idempotent)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _http_filter not in logger.filters:
            logger.addFilter(_http_filter)
