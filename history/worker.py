"""What the background worker does each minute, as plain functions the Huey tasks call.

Why Huey: it is maintained, small (one dependency-free package), has Django integration
(`manage.py run_huey`), periodic tasks and locks, and two storages that match how the panel
runs: SQLite in the data folder for the one-machine default (no broker to install) and Redis
when REDIS_URL is set, which several replicas share. Celery needs a broker even on one machine;
django-tasks needs a separate scheduler for periodic work.

Nothing here relies on Huey for exactly-once: every consumer's scheduler enqueues the periodic
task, so with several replicas it runs several times a minute. The database decides instead
(history/sampling.py claims each account's round with a unique row).
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.utils import timezone

from history import notify, sampling

logger = logging.getLogger("history.worker")

HEARTBEAT_KEY = "catcpanel:history:heartbeat"


def tick(now=None) -> sampling.RoundReport:
    """One minute's work: sample the accounts whose interval has come (and notice their events),
    downsample, prune, then send the notifications that are due."""
    report = sampling.run_round(now, after_account=notify.detect)
    # Deliveries are due by the clock, whatever time the round was run for (tests, scripts).
    report.delivered = notify.deliver_due()
    cache.set(HEARTBEAT_KEY, timezone.now(), timeout=None)
    if report.sampled or report.failed:
        logger.info("%s", report)
    return report


def finish_abandoned_actions() -> None:
    """Close activity rows whose request died mid-call (servers.services provides it)."""
    from servers import services

    finish = getattr(services, "finish_abandoned_actions", None)
    if finish is not None:
        finish()
