"""Served over https (SITE_URL), the panel sets Secure cookies and redirects plain http, except
the health check; HSTS and the proxy's https header are opt-in."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.sandbox_fixtures import USER_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name, None) for name in [
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF",
]}))
"""


def settings_for(tmp_path, **environ):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 60,
        **environ,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_https_site_url_makes_cookies_secure_and_redirects(tmp_path):
    values = settings_for(tmp_path, SITE_URL="https://panel.example.org")
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$"]
    assert values["ALLOWED_HOSTS"][0] == "panel.example.org"
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://panel.example.org"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    # Opt-in only.
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_an_http_site_url_keeps_plain_cookies_and_no_redirect(tmp_path):
    values = settings_for(tmp_path, SITE_URL="http://127.0.0.1:8000")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False


def test_hsts_and_the_proxy_header_when_asked_for(tmp_path):
    values = settings_for(
        tmp_path,
        SITE_URL="https://panel.example.org",
        CATCPANEL_HSTS_SECONDS="31536000",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        CATCPANEL_SSL_REDIRECT="false",
    )
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False


@pytest.fixture
def https_panel(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 3600


def test_plain_http_is_redirected_but_the_health_check_is_not(db, https_panel):
    client = Client()
    response = client.get("/accounts/?page=2")
    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/?page=2"
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.content == b"ok"


def test_over_https_cookies_are_secure_httponly_and_hsts_is_sent(user, https_panel):
    client = Client()
    response = client.post(
        "/auth/login/", {"login": "alice", "password": USER_PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    page = client.get("/auth/login/", secure=True)
    csrf = page.cookies.get("csrftoken") or response.cookies.get("csrftoken")
    assert csrf is not None and csrf["secure"] and csrf["httponly"]
    assert page.headers["Strict-Transport-Security"].startswith("max-age=3600")


def test_a_forged_proto_header_is_ignored_unless_configured(db, https_panel, settings):
    client = Client()
    assert client.get("/accounts/", HTTP_X_FORWARDED_PROTO="https").status_code == 301
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/", HTTP_X_FORWARDED_PROTO="https").status_code == 302
