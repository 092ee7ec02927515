"""The security system checks (catcpanel/checks.py): each fires on its condition and only then."""

import pytest

from catcpanel.checks import check_shared_cache, check_site_url

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "x"}}


def ids(messages):
    return [message.id for message in messages]


@pytest.fixture
def no_workers(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["GUNICORN_WORKERS", "WEB_CONCURRENCY"])
def test_a_per_process_cache_with_several_workers_is_W001(settings, no_workers, variable):
    settings.CACHES = LOCMEM
    no_workers.setenv(variable, "4")
    messages = check_shared_cache()
    assert ids(messages) == ["catcpanel.W001"]
    assert "4 workers" in messages[0].msg


def test_a_per_process_cache_with_one_worker_passes(settings, no_workers):
    settings.CACHES = LOCMEM
    no_workers.setenv("GUNICORN_WORKERS", "1")
    assert check_shared_cache() == []


def test_a_shared_cache_with_several_workers_passes(settings, no_workers):
    settings.CACHES = REDIS
    no_workers.setenv("GUNICORN_WORKERS", "8")
    assert check_shared_cache() == []


def test_the_dummy_cache_turns_throttling_off_W002(settings, no_workers):
    settings.CACHES = DUMMY
    assert ids(check_shared_cache()) == ["catcpanel.W002"]
    no_workers.setenv("WEB_CONCURRENCY", "3")
    assert ids(check_shared_cache()) == ["catcpanel.W001", "catcpanel.W002"]


def test_debug_with_an_https_site_url_is_E003(settings):
    settings.SITE_URL = "https://panel.example.org"
    settings.CSRF_TRUSTED_ORIGINS = ["https://panel.example.org"]
    settings.ALLOWED_HOSTS = ["panel.example.org"]
    settings.DEBUG = True
    assert ids(check_site_url()) == ["catcpanel.E003"]
    settings.DEBUG = False
    assert check_site_url() == []


def test_debug_with_an_http_site_url_passes(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.CSRF_TRUSTED_ORIGINS = ["http://127.0.0.1:8000"]
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.DEBUG = True
    assert check_site_url() == []


def test_a_site_url_missing_from_trusted_origins_is_W003(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://panel.example.org"
    settings.ALLOWED_HOSTS = ["panel.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://other.example.org", "http://panel.example.org"]
    messages = check_site_url()
    assert ids(messages) == ["catcpanel.W003"]
    assert "https://panel.example.org" in messages[0].msg


def test_a_site_url_host_not_allowed_is_W004(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://panel.example.org:8443"
    settings.CSRF_TRUSTED_ORIGINS = ["https://panel.example.org:8443"]
    settings.ALLOWED_HOSTS = ["other.example.org"]
    assert ids(check_site_url()) == ["catcpanel.W004"]
    settings.ALLOWED_HOSTS = [".example.org"]
    assert check_site_url() == []


def test_the_derived_defaults_pass():
    """With nothing set, SITE_URL's origin and host are trusted: the checks stay quiet."""
    assert check_site_url() == []
