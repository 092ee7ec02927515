"""Where the panel may send an account's API key: the allowed provider addresses.

`CATCPANEL_API_HOSTS` lists host names or `host:port` (a bare host matches any port). Unset, it is
the Cloud at Cost API host, plus the built-in sandbox under `SITE_URL` when that is mounted.

Two kinds of entry:
- listed explicitly (in the setting, or the mounted sandbox): the operator chose them, so plain
  http and any address they resolve to (a sandbox on 127.0.0.1, a proxy on a private network)
  are accepted;
- the built-in default (the Cloud at Cost API host when the setting is unset): https only, and the
  address actually connected to must be a public one, so that a DNS answer pointing at loopback,
  the private network or a cloud metadata service cannot turn the panel into a probe of its own
  network.

The peer address is checked on the socket the client opened (transport.py), after name
resolution, so a name that resolves differently the second time (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

CAC_API_HOST = "panel.cloudatcost.com"
SANDBOX_PATH = "/sandbox/api/v1/"


class AddressNotAllowed(ValueError):
    """The base URL may not be used; `str()` is a message for the person who typed it."""


@dataclass(frozen=True)
class Rule:
    host: str
    port: int | None
    explicit: bool

    def matches(self, host: str, port: int) -> bool:
        return host == self.host and (self.port is None or self.port == port)


def _parse_entry(entry: str) -> tuple[str, int | None] | None:
    entry = entry.strip().lower().rstrip(".")
    if not entry:
        return None
    if entry.startswith("["):  # [::1]:8000
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port) if port.isdigit() else None
    return entry, None


def sandbox_base_url() -> str | None:
    """The mounted sandbox's API base URL under SITE_URL, or None when it is not mounted."""
    if not getattr(settings, "CATCPANEL_SANDBOX", False):
        return None
    return settings.SITE_URL.rstrip("/") + SANDBOX_PATH


def rules() -> list[Rule]:
    configured = getattr(settings, "CATCPANEL_API_HOSTS", None) or []
    if isinstance(configured, str):
        configured = configured.split(",")
    parsed = [entry for entry in map(_parse_entry, configured) if entry]
    if parsed:
        return [Rule(host, port, explicit=True) for host, port in parsed]
    found = [Rule(CAC_API_HOST, None, explicit=False)]
    sandbox = sandbox_base_url()
    if sandbox:
        parts = urlsplit(sandbox)
        if parts.hostname:
            found.append(Rule(parts.hostname.lower(), _port(parts), explicit=True))
    return found


def _port(parts) -> int:
    try:
        port = parts.port
    except ValueError:
        port = None
    return port or (443 if parts.scheme == "https" else 80)


REFUSED = (
    "This API address is not one the panel may use. Use the Cloud at Cost API address "
    "(https://panel.cloudatcost.com/api/v1/){sandbox}; an administrator can allow others with "
    "CATCPANEL_API_HOSTS."
)


def refused_message() -> str:
    sandbox = sandbox_base_url()
    return REFUSED.format(sandbox=f" or the built-in sandbox ({sandbox})" if sandbox else "")


def rule_for(base_url: str) -> Rule:
    """The rule that allows `base_url`, or AddressNotAllowed with a clear message."""
    parts = urlsplit(base_url or "")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise AddressNotAllowed(refused_message())
    try:
        port = parts.port
    except ValueError:
        raise AddressNotAllowed(refused_message()) from None
    port = port or (443 if scheme == "https" else 80)
    for rule in rules():
        if rule.matches(host, port):
            if scheme != "https" and not rule.explicit:
                raise AddressNotAllowed(
                    "Use an https address: the API key must not travel in plain text."
                )
            return rule
    raise AddressNotAllowed(refused_message())


def is_public(address: str) -> bool:
    """False for loopback, private, link-local (cloud metadata lives there), shared, reserved,
    multicast and unspecified addresses, including IPv4 written inside IPv6."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def peer_allowed(rule: Rule, address: str) -> bool:
    return rule.explicit or is_public(address)


def check_resolution(base_url: str) -> None:
    """For forms: refuse a base URL whose host name resolves to a non-public address (unless it is
    listed explicitly). The client checks again on the socket it opens; this only makes the form
    say so before anything is saved. A name that does not resolve is left to the connection."""
    rule = rule_for(base_url)
    if rule.explicit:
        return
    parts = urlsplit(base_url)
    try:
        answers = socket.getaddrinfo(parts.hostname, _port(parts), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    if any(not is_public(answer[4][0]) for answer in answers):
        raise AddressNotAllowed(refused_message())
