"""Huey tasks (found by `manage.py run_huey`): thin wrappers over history.worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from history import worker


# Every minute: each account's round is due once per CATCPANEL_SAMPLE_MINUTES, which the round
# itself decides, so a changed setting needs no new schedule. The lock keeps one consumer's two
# threads from overlapping when a round is slow; replicas are kept apart by the database.
@db_periodic_task(crontab(minute="*"), retries=0)
@lock_task("catcpanel-history-tick")
def sample_usage_tick():
    worker.tick()


@db_periodic_task(crontab(minute="*/5"), retries=0)
@lock_task("catcpanel-finish-abandoned")
def finish_abandoned_actions():
    worker.finish_abandoned_actions()
