"""Settings come from the environment: each case runs in a fresh interpreter with its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
from django.conf import settings
import django
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "options": db.get("OPTIONS", {}),
    "cache": settings.CACHES["default"]["BACKEND"], "secret": settings.SECRET_KEY,
    "signup": settings.ACCOUNT_SIGNUP_ENABLED, "sandbox": settings.CATCPANEL_SANDBOX,
    "hosts": settings.ALLOWED_HOSTS, "origins": settings.CSRF_TRUSTED_ORIGINS,
    "email": settings.EMAIL_BACKEND, "conn_max_age": db.get("CONN_MAX_AGE"),
}))
"""


def load_settings(tmp_path, **environ):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(tmp_path),
        **environ,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return result


def settings_of(tmp_path, **environ):
    result = load_settings(tmp_path, **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_local_defaults_are_sqlite_with_wal_and_a_shared_file_cache(tmp_path):
    values = settings_of(tmp_path, DEBUG="true")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "catcpanel.sqlite3")
    assert values["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in values["options"]["init_command"]
    assert "busy_timeout" in values["options"]["init_command"]
    # A gunicorn thread keeps its connection: opening one costs 1.3 ms of CPU.
    assert values["conn_max_age"] == 60
    assert values["cache"] == "catcpanel.filecache.FileCache"
    assert values["signup"] is False
    assert values["sandbox"] is True


def test_database_url_and_redis_url_move_to_postgresql_and_redis(tmp_path):
    values = settings_of(
        tmp_path,
        SECRET_KEY="s",
        DATABASE_URL="postgres://panel:pw@db.internal:5432/catcpanel",
        REDIS_URL="redis://cache.internal:6379/1",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    # Redis, where a Redis that is down is a miss rather than a 500 (servers/cache.py).
    assert values["cache"] == "servers.cache.TolerantRedisCache"
    assert values["sandbox"] is False


def test_secret_key_is_required_with_debug_off(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-docker-secret\n")
    values = settings_of(tmp_path, SECRET_KEY_FILE=str(secret_file))
    assert values["secret"] == "from-a-docker-secret"


def test_site_url_gives_allowed_hosts_and_trusted_origins(tmp_path):
    values = settings_of(tmp_path, SECRET_KEY="s", SITE_URL="https://panel.example.org/")
    assert "panel.example.org" in values["hosts"]
    assert values["origins"] == ["https://panel.example.org"]


def test_signup_and_email_follow_their_variables(tmp_path):
    values = settings_of(
        tmp_path,
        SECRET_KEY="s",
        CATCPANEL_SIGNUP="true",
        EMAIL_URL="smtp://u:p@mail.example.org:587",
    )
    assert values["signup"] is True
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_the_secret_key_generated_in_the_data_folder_is_used(tmp_path):
    (tmp_path / "secret_key").write_text("generated-by-the-entrypoint\n")
    assert settings_of(tmp_path)["secret"] == "generated-by-the-entrypoint"
