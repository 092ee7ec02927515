"""`manage.py check --deploy --fail-level WARNING` passes with production settings, and fails
when one of them is unsafe: the check is a guard, not a formality."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(tmp_path, **overrides):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SITE_URL": "https://panel.example.org",
        "CATCPANEL_FERNET_KEYS": Fernet.generate_key().decode(),
    }
    env.update(overrides)
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_with_hsts_pass_too(tmp_path):
    result = deploy_check(tmp_path, CATCPANEL_HSTS_SECONDS="31536000")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"DEBUG": "true"}, "catcpanel.E003"),
        ({"CATCPANEL_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SITE_URL": "http://panel.example.org"}, "security.W012"),
        ({"CSRF_TRUSTED_ORIGINS": "https://elsewhere.example.org"}, "catcpanel.W003"),
        ({"CACHE_URL": "locmemcache://", "GUNICORN_WORKERS": "4"}, "catcpanel.W001"),
    ],
)
def test_an_unsafe_production_setting_fails_the_deploy_check(tmp_path, overrides, expected):
    result = deploy_check(tmp_path, **overrides)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_ci_runs_the_same_check():
    script = ROOT / ".ci" / "security-checks"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "set -euo pipefail" in text
    assert "check --deploy --fail-level WARNING" in text
