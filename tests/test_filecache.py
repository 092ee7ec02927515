"""The file cache: culls at most once a minute, and drops expired entries before live ones."""

import pytest

from catcpanel import filecache
from catcpanel.filecache import FileCache


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(filecache.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(filecache, "_next_cull", {})
    return now


def file_cache(tmp_path, max_entries=10):
    return FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": max_entries, "CULL_FREQUENCY": 2}})


def entries(tmp_path) -> int:
    return len(list(tmp_path.glob("*.djcache")))


def test_a_full_folder_is_not_listed_again_within_the_minute(tmp_path, clock):
    cache = file_cache(tmp_path)
    for number in range(30):
        cache.set(f"key-{number}", number, 3600)
    # The first set found the folder empty; the others did not look.
    assert entries(tmp_path) == 30
    clock[0] += filecache.CULL_INTERVAL_SECONDS
    cache.set("one-more", 1, 3600)
    # Over the limit and nothing expired: culled at random, as Django does (half, then the new one).
    assert entries(tmp_path) == 16


def test_expired_entries_go_first_and_live_ones_stay(tmp_path, clock):
    cache = file_cache(tmp_path)
    for number in range(20):
        cache.set(f"old-{number}", number, 3600)
    for number in range(5):
        cache.set(f"live-{number}", number, 3600)
    for number in range(20):
        cache.set(f"old-{number}", number, -1)  # expired: a copy of rows nobody reads again
    clock[0] += filecache.CULL_INTERVAL_SECONDS
    cache.set("new", "value", 3600)
    assert entries(tmp_path) == 6
    assert [cache.get(f"live-{number}") for number in range(5)] == [0, 1, 2, 3, 4]
    assert cache.get("new") == "value"


def test_every_thread_shares_one_schedule_per_folder(tmp_path, clock):
    first, second = file_cache(tmp_path), file_cache(tmp_path)
    first.set("a", 1, 3600)
    assert filecache._next_cull == {str(tmp_path): 1000.0 + filecache.CULL_INTERVAL_SECONDS}
    assert second._cull_due() is False
    assert file_cache(tmp_path / "elsewhere")._cull_due() is True
