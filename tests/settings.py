"""The project's settings, with what a test run needs and nothing else changed.

The environment still decides the database and cache, so the same suite runs on SQLite with the
file cache (`make test`) and on PostgreSQL with Redis (`.ci/run`).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CATCPANEL_SANDBOX", "true")
os.environ.setdefault("CATCPANEL_DATA_DIR", tempfile.mkdtemp(prefix="catcpanel-tests-"))

from catcpanel.settings import *  # noqa: F403
from catcpanel.settings import STORAGES

# Under live_server, manifest storage breaks htmx (MACHINE-NOTES): serve plain static files.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# collectstatic never runs for tests: an empty folder keeps whitenoise from warning on each request.
STATIC_ROOT = Path(os.environ["CATCPANEL_DATA_DIR"]) / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Fast hashing: the tests create many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
