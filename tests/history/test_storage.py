"""The storage figure: rows stay within the bounds the settings set, and bytes are measured."""

import pytest
from django.core.management import call_command

from history import storage
from history.models import HourlyUsage, Sample, TrackedServer


@pytest.mark.django_db
def test_the_history_is_bounded_by_its_settings_and_left_as_it_was(settings):
    settings.CATCPANEL_HISTORY_RAW_HOURS = 6
    figure = storage.measure(servers=3, days=4)
    assert (
        figure.rows
        == storage.expected_rows(3, 4)
        == {
            "history_trackedserver": 3,
            "history_sample": 3 * 6 * 12,
            "history_hourlyusage": 3 * 4 * 24,
        }
    )
    assert figure.bytes["history_sample"] > 0 and figure.bytes["history_hourlyusage"] > 0
    # Everything was rolled back.
    assert not (TrackedServer.objects.exists() or Sample.objects.exists())
    assert not HourlyUsage.objects.exists()


@pytest.mark.django_db
def test_usage_storage_prints_the_figure(capsys):
    call_command("usage_storage", "--servers", "2", "--days", "2")
    out = capsys.readouterr().out
    assert "Usage history for 2 servers over 2 days" in out
    assert "history_hourlyusage" in out and "MiB" in out
