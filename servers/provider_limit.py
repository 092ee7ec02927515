"""A per-account budget for the provider calls people ask for directly, past every cache.

"Test connection", opening a console, revealing passwords and "Try again" each call Cloud at Cost
at once. Cloud at Cost rate limits per account (and may block the key), so any member clicking
(or scripting) them in a loop would spend the whole team's allowance. Each account gets
CATCPANEL_PROVIDER_CALLS_PER_MINUTE such calls per minute (0: no limit), counted in the shared
cache, so every worker and replica draws on the same budget. Past it, the call is not made and
the person is told to wait, like any provider error. Cached reads and the automatic refreshes do
not count: they are bounded by the cache already.

The count is exact on Redis (INCR); on the file cache two workers counting in the same instant may
count once, which can let a call or two more through per minute.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from servers.cac.errors import CacError

WINDOW_SECONDS = 60


class TooManyCalls(CacError):
    """The panel's own limit, not the provider's: nothing was sent."""


def _key(account, window: int) -> str:
    return f"catcpanel:provider-calls:{account.pk}:{window}"


def spend(account) -> None:
    """Count one direct provider call for `account`; raise TooManyCalls past the budget."""
    limit = getattr(settings, "CATCPANEL_PROVIDER_CALLS_PER_MINUTE", 0)
    if limit <= 0:
        return
    window = int(time.time() // WINDOW_SECONDS)
    key = _key(account, window)
    cache.add(key, 0, WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add and incr.
        cache.set(key, 1, WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        wait = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
        raise TooManyCalls(
            f"Too many direct requests to Cloud at Cost for {account.name} this minute "
            f"(at most {limit}): wait {wait} s and try again."
        )
