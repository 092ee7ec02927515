"""Sampling rounds against the sandbox over real HTTP: what is stored, what is not asked twice."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection

from history import sampling
from history.models import HourlyUsage, Sample, SampleRound, TrackedServer, status_code
from sandbox.models import SandboxServer
from servers import selectors
from tests.history.conftest import at, sandbox_servers


def test_a_round_stores_one_sample_per_server_from_the_provider(cac_account, sandbox_customer):
    report = sampling.run_round(at(1))
    expected = sandbox_servers(sandbox_customer)
    assert report.sampled == 1 and report.failed == 0
    assert Sample.objects.count() == len(expected) > 0
    tracked = {row.server_id: row for row in TrackedServer.objects.filter(account=cac_account)}
    assert set(tracked) == {server.sid for server in expected}
    for server in expected:
        sample = Sample.objects.get(server=tracked[server.sid])
        assert sample.status == status_code(server.status)
        assert sample.minute == int(at(1).timestamp() // 60)
        assert 0 <= sample.cpu <= 1000 and 0 <= sample.ram <= 1000 and 0 <= sample.disk <= 1000
        if server.status != SandboxServer.Status.ON:
            assert (sample.cpu, sample.ram) == (0, 0)
    # Something was actually measured on the running servers.
    assert Sample.objects.filter(ram__gt=0).exists()


def test_no_password_is_stored(cac_account, sandbox_customer):
    sampling.run_round(at(1))
    secrets = {s.rootpass for s in sandbox_servers(sandbox_customer)} | {
        s.vncpass for s in sandbox_servers(sandbox_customer)
    }
    with connection.cursor() as cursor:
        dumped = []
        for table in ("history_trackedserver", "history_sample", "history_sampleround"):
            cursor.execute(f"SELECT * FROM {table}")
            dumped.extend(str(value) for row in cursor.fetchall() for value in row)
    text = " ".join(dumped)
    assert all(secret and secret not in text for secret in secrets)


def test_a_second_round_in_the_same_interval_asks_nothing(cac_account, sandbox_calls):
    sampling.run_round(at(1))
    cache.clear()  # even with nothing cached, the claimed round is not repeated
    report = sampling.run_round(at(4))
    assert report.skipped == 1 and report.sampled == 0
    assert len(sandbox_calls.of("listservers")) == 1
    assert SampleRound.objects.count() == 1


def test_a_round_samples_the_copy_a_page_just_fetched(cac_account, sandbox_calls):
    selectors.servers_for(cac_account)  # what the servers page does
    sampling.run_round(at(1))
    assert len(sandbox_calls.of("listservers")) == 1
    assert Sample.objects.count() > 0


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory SQLite test database answers 'table is locked' instead of waiting; "
    "test_worker_process.py runs two real workers on a SQLite file instead",
)
def test_two_concurrent_rounds_make_one_provider_call(cac_account, sandbox_calls):
    barrier = threading.Barrier(2)
    reports = []

    def run():
        barrier.wait()
        try:
            reports.append(sampling.run_round(at(1)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((r.sampled, r.skipped) for r in reports) == [(0, 1), (1, 0)]
    assert len(sandbox_calls.of("listservers")) == 1
    assert SampleRound.objects.count() == 1


def test_a_round_during_a_pages_call_stores_no_old_copy_as_a_reading(cac_account, sandbox_calls):
    from servers import cache as shared_lock

    selectors.servers_for(cac_account)
    selectors.expire(cac_account, "servers")  # the copy's time is up
    # A page is asking the provider right now: the sampler is answered at once with the old copy.
    assert shared_lock.acquire(selectors._keys(cac_account, "servers").lock, "a-page", 60)
    report = sampling.run_round(at(1))
    assert report.failed == 1 and Sample.objects.count() == 0
    assert len(sandbox_calls.of("listservers")) == 1


def test_a_failed_read_stores_no_sample_and_marks_the_round(cac_account, sandbox_customer):
    sandbox_customer.maintenance = True
    sandbox_customer.save()
    report = sampling.run_round(at(1))
    assert report.failed == 1 and Sample.objects.count() == 0
    assert SampleRound.objects.get().ok is False


def test_rounds_are_downsampled_to_hourly_average_min_and_max(cac_account, sandbox_customer):
    for minute in range(0, 60, 5):
        cache.clear()  # a fresh reading each round
        sampling.run_round(at(minute))
    sampling.run_round(at(70))  # the hour has ended and settled: it is downsampled
    hour = int(at(0).timestamp() // 3600)
    rows = HourlyUsage.objects.filter(hour=hour)
    assert rows.count() == len(sandbox_servers(sandbox_customer))
    for row in rows:
        samples = list(Sample.objects.filter(server=row.server, minute__lt=(hour + 1) * 60))
        assert row.samples == len(samples) == 12
        cpu = [s.cpu for s in samples]
        assert row.cpu_min == min(cpu) and row.cpu_max == max(cpu)
        assert row.cpu_avg == round(sum(cpu) / len(cpu))
        assert row.on_samples == sum(1 for s in samples if s.status == 1)
    # Downsampling again writes nothing new.
    assert sampling.downsample(at(75)) == 0


def test_old_rows_are_pruned_by_the_settings(cac_account, settings):
    settings.CATCPANEL_HISTORY_RAW_HOURS = 1
    settings.CATCPANEL_HISTORY_HOURLY_DAYS = 1
    sampling.run_round(at(0))
    sampling.run_round(at(70))
    assert HourlyUsage.objects.exists()
    kept_raw = Sample.objects.filter(minute=int(at(70).timestamp() // 60)).count()
    sampling.run_round(at(130))  # the first round's samples are now over an hour old
    assert not Sample.objects.filter(minute=int(at(0).timestamp() // 60)).exists()
    assert Sample.objects.filter(minute=int(at(70).timestamp() // 60)).count() == kept_raw
    sampling.run_round(at(60 * 26))
    assert not HourlyUsage.objects.filter(hour=int(at(0).timestamp() // 3600)).exists()


def test_a_deleted_server_is_marked_gone_and_keeps_its_history(cac_account, sandbox_customer):
    sampling.run_round(at(1))
    victim = sandbox_servers(sandbox_customer)[0]
    victim.delete()
    cache.clear()
    sampling.run_round(at(6))
    row = TrackedServer.objects.get(account=cac_account, server_id=victim.sid)
    assert row.gone_at is not None
    assert Sample.objects.filter(server=row).count() == 1


@pytest.mark.django_db
def test_sample_usage_once_needs_no_account(capsys):
    from django.core.management import call_command

    call_command("sample_usage", "--once")
    assert "0 account(s) sampled" in capsys.readouterr().out


@pytest.mark.django_db
def test_sample_usage_check_is_healthy_only_after_a_round():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("sample_usage", "--check")
    call_command("sample_usage", "--once")
    call_command("sample_usage", "--check")


@pytest.mark.django_db
def test_the_worker_sweep_finishes_abandoned_activity_rows(offline_account, user):
    from datetime import timedelta

    from django.utils import timezone

    from history import tasks
    from servers.models import ActionLog

    old = ActionLog.objects.create(
        account=offline_account,
        account_name="Team",
        user=user,
        user_name="alice",
        action="poweroff",
        started_at=timezone.now() - timedelta(hours=1),
    )
    tasks.finish_abandoned_actions.call_local()
    old.refresh_from_db()
    assert old.outcome == ActionLog.Outcome.UNKNOWN and old.finished_at is not None
