"""The address a request came from, as far as this deployment can trust it.

Without CATCPANEL_TRUSTED_PROXY_HEADER it is the TCP peer (REMOTE_ADDR) and no header counts: any
client can send X-Forwarded-For. Behind reverse proxies it is read from the header they set,
counting CATCPANEL_TRUSTED_PROXY_COUNT entries from the right: each proxy appends the address it
saw, so the right-most entries are the ones your proxies wrote and everything to their left may
have come from the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    header = settings.CATCPANEL_TRUSTED_PROXY_HEADER
    if header:
        hops = [hop for hop in request.headers.get(header, "").split(",") if hop.strip()]
        count = max(settings.CATCPANEL_TRUSTED_PROXY_COUNT, 1)
        if len(hops) >= count:
            address = _clean(hops[-count])
            if address:
                return address
        # No usable header: the request did not come through the proxies (or they are
        # misconfigured). The peer's address is still not something the client chose.
    return _clean(request.META.get("REMOTE_ADDR", ""))
