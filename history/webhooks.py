"""POST a webhook: the standard library's HTTP client (only servers/cac/ uses requests), a short
timeout, no redirects followed, and no private address unless allowed.

The address is checked twice: the name when the URL is saved or used (`check_url`), and the peer of
the socket actually opened, before a byte of the request is sent. A name whose DNS answer changes
in between (rebinding) still cannot make the worker post to its own network.
"""

from __future__ import annotations

import http.client
import socket
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import (
    HTTPHandler,
    HTTPRedirectHandler,
    HTTPSHandler,
    ProxyHandler,
    Request,
    build_opener,
)

from django.conf import settings

from servers.cac.addresses import is_public

TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


PRIVATE = "That address is on a private network; webhooks go to public addresses."


def _check_peer(sock) -> None:
    if settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE:
        return
    if not is_public(sock.getpeername()[0]):
        sock.close()
        raise WebhookError(PRIVATE)


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        _check_peer(self.sock)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        super().connect()
        _check_peer(self.sock)


class _CheckedHTTPHandler(HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


def check_url(url: str) -> str | None:
    """Why `url` may not receive webhooks, or None. A private, loopback or link-local address is
    refused unless CATCPANEL_WEBHOOK_ALLOW_PRIVATE: the worker must not be a way into the network
    it runs in."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    if parts.username or parts.password:
        return "Put no user name or password in the address: the signature authenticates."
    if settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return "That host name does not resolve."
    if any(not is_public(info[4][0]) for info in infos):
        return PRIVATE
    return None


def post(url: str, body: bytes, headers: dict) -> int:
    problem = check_url(url)
    if problem:
        raise WebhookError(problem)
    host = urlsplit(url).hostname
    opener = build_opener(_NoRedirects, ProxyHandler({}), _CheckedHTTPHandler, _CheckedHTTPSHandler)
    try:
        # The scheme is http or https: check_url() above refused anything else.
        request = Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except HTTPError as exc:
        raise WebhookError(f"{host} answered HTTP {exc.code}", exc.code) from None
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{host} could not be reached: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"{host} answered HTTP {status}", status)
    return status
