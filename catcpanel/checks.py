"""System checks with stable ids (documented in README and SECURITY.md)."""

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.http.request import validate_host

from servers import crypto


@register()
def check_encryption_keys(app_configs=None, **kwargs):
    try:
        keys = crypto.configured_keys()
    except OSError as exc:
        return [
            Error(
                f"Cannot read or create the encryption key file: {exc.strerror}.",
                id="catcpanel.E001",
            )
        ]
    if not keys and settings.CATCPANEL_GENERATE_KEY and (held := crypto.stored_credentials()):
        # Starting lets the panel serve everything else and say on each account's page what is
        # wrong; generating a key would not.
        return [
            Warning(
                f"The encryption key file {settings.CATCPANEL_FERNET_KEY_FILE} is missing, but the "
                f"database holds the credentials of {len(held)} account(s): {', '.join(held)}. "
                "No new key was generated; these accounts cannot be used.",
                hint=crypto.LOST_KEY_HINT[0].upper() + crypto.LOST_KEY_HINT[1:] + ".",
                id="catcpanel.W005",
            )
        ]
    if not keys:
        return [
            Error(
                "No encryption key for stored credentials.",
                hint="Set CATCPANEL_FERNET_KEYS (newest first); generate one with "
                "`python manage.py generate_fernet_key`.",
                id="catcpanel.E001",
            )
        ]
    try:
        crypto._multifernet(tuple(keys))
    except crypto.EncryptionKeyError as exc:
        return [Error(str(exc), id="catcpanel.E002")]
    return []


@register(Tags.database)
def check_readable_credentials(app_configs=None, databases=None, **kwargs):
    """Accounts whose stored credentials no configured key opens (a wrong or missing key)."""
    if not databases or not crypto.configured_keys():
        return []
    try:
        unreadable = crypto.unreadable_accounts()
    except DatabaseError:
        return []  # not migrated yet: nothing stored
    if not unreadable:
        return []
    names = ", ".join(f"{account.name} ({account.pk})" for account in unreadable)
    return [
        Warning(
            f"The stored credentials of {len(unreadable)} account(s) cannot be decrypted with "
            f"CATCPANEL_FERNET_KEYS: {names}. Their pages say so; the rest of the panel serves.",
            hint=crypto.LOST_KEY_HINT[0].upper() + crypto.LOST_KEY_HINT[1:] + ".",
            id="catcpanel.W006",
        )
    ]


PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def configured_workers() -> int:
    """The web server processes the environment asks for (gunicorn's and the usual PaaS name)."""
    counts = []
    for name in ("GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        try:
            counts.append(int(os.environ.get(name, "1")))
        except ValueError:
            continue
    return max(counts, default=1)


@register()
def check_shared_cache(app_configs=None, **kwargs):
    """Sign-in throttling, re-authentication and one-time build keys live in the cache: each
    worker must see what the others counted."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    messages = []
    workers = configured_workers()
    if backend in PER_PROCESS_CACHES and workers > 1:
        messages.append(
            Warning(
                f"The cache ({backend.rsplit('.', 1)[-1]}) is private to each process, but "
                f"{workers} workers are configured: each counts its own sign-in failures, so "
                "throttling lets several times more guesses through.",
                hint="Set REDIS_URL, or leave CACHE_URL unset for the shared file cache.",
                id="catcpanel.W001",
            )
        )
    if backend == "django.core.cache.backends.dummy.DummyCache":
        messages.append(
            Warning(
                "The cache is DummyCache, which keeps nothing: sign-in throttling is off.",
                hint="Set REDIS_URL, or leave CACHE_URL unset for the shared file cache.",
                id="catcpanel.W002",
            )
        )
    return messages


@register()
def check_site_url(app_configs=None, **kwargs):
    site = urlsplit(settings.SITE_URL)
    origin = f"{site.scheme}://{site.netloc}"
    messages = []
    if settings.DEBUG and site.scheme == "https":
        messages.append(
            Error(
                "DEBUG is on while SITE_URL is https: a served panel would show settings and "
                "tracebacks to anyone who makes it fail.",
                hint="Unset DEBUG (or set DEBUG=false) wherever the panel is reachable by others.",
                id="catcpanel.E003",
            )
        )
    if origin not in settings.CSRF_TRUSTED_ORIGINS:
        messages.append(
            Warning(
                f"SITE_URL's origin {origin} is not in CSRF_TRUSTED_ORIGINS: forms posted from it "
                "may be refused.",
                hint="Unset CSRF_TRUSTED_ORIGINS (it is derived from SITE_URL) or add the origin.",
                id="catcpanel.W003",
            )
        )
    if site.hostname and not validate_host(site.hostname, settings.ALLOWED_HOSTS):
        messages.append(
            Warning(
                f"SITE_URL's host {site.hostname} is not in ALLOWED_HOSTS: every request to it "
                "would be answered 400.",
                hint="Unset ALLOWED_HOSTS (it is derived from SITE_URL) or add the host.",
                id="catcpanel.W004",
            )
        )
    return messages
