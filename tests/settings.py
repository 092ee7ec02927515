"""The project's settings, with what a test run needs and nothing else changed.

The environment still decides the database and cache, so the same suite runs on SQLite with the
file cache (`make test`) and on PostgreSQL with Redis (`.ci/run`).
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CATCPANEL_SANDBOX", "true")
# The sandbox runs on 127.0.0.1 (live_server, random ports); the client's failure tests talk to
# made-up hosts through `responses`, and accounts are stored at the default address without a
# call. Listed explicitly, they may use http and loopback (tests/cac/test_addresses.py tests the
# production default).
os.environ.setdefault(
    "CATCPANEL_API_HOSTS",
    "127.0.0.1,localhost,testserver,cac.example.test,cac.example,panel.example.test,"
    "panel.cloudatcost.com",
)

# pytest-xdist runs the suite in several processes that inherit this one's environment: each gets
# its own data folder (SQLite, file cache) and its own Redis database, since a test's cache.clear()
# would otherwise wipe another process's throttle counters and cached lists mid-test. The values go
# back into the environment so that servers a test starts as subprocesses share them.
_process = os.environ.get("PYTEST_XDIST_WORKER") or "main"
if os.environ.get("CATCPANEL_TESTS_PROCESS") != _process:
    os.environ["CATCPANEL_TESTS_PROCESS"] = _process
    os.environ["CATCPANEL_DATA_DIR"] = tempfile.mkdtemp(prefix=f"catcpanel-tests-{_process}-")
    if _process != "main" and os.environ.get("REDIS_URL"):
        _db = 1 + int(_process.removeprefix("gw")) % 15
        os.environ["REDIS_URL"] = (
            urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{_db}").geturl()
        )

from catcpanel.settings import *  # noqa: E402, F403
from catcpanel.settings import STORAGES  # noqa: E402

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
