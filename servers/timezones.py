"""Times in the viewer's time zone: app.js stores the browser's zone name in a `tz` cookie, and this
middleware activates it for the request. Without the cookie (first page, no JavaScript) or with a
name that is not a real zone, times stay in the server's zone (UTC by default), labelled so."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from urllib.parse import unquote

from django.utils import timezone

COOKIE = "tz"


@lru_cache(maxsize=256)
def zone_named(name: str):
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = zone_named(unquote(request.COOKIES.get(COOKIE, "")))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
