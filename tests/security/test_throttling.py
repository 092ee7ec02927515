"""Sign-in throttling: by client address and by username, on the shared cache, with the client
address read only from a header this deployment trusts."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from allauth.core.internal import ratelimit
from django.test import Client

from tests.sandbox_fixtures import USER_PASSWORD
from tests.security import hashers

LOCKED = "Too many failed login attempts"
ATTEMPTS = 3
WINDOW = 300


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ACCOUNT_RATE_LIMITS = {
        "login_failed": f"{ATTEMPTS}/{WINDOW}s/ip,{ATTEMPTS}/{WINDOW}s/key",
    }


class Clock:
    """allauth's rate limiter reads `time.time()`: moving it forward is waiting without the wait."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset

    def advance(self, seconds):
        self.offset += seconds

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def sign_in(login, password, *, address="192.0.2.10", **headers):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/auth/login/", {"login": login, "password": password}, **headers)
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(login, times, **kwargs):
    for _ in range(times):
        client, response = sign_in(login, "wrong password", **kwargs)
        assert not signed_in(client)
        assert LOCKED not in response.content.decode()


def test_the_right_password_signs_in(user):
    client, response = sign_in("alice", USER_PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_username_locks_after_the_configured_failures_from_any_address(user):
    for number in range(ATTEMPTS):
        fail("alice", 1, address=f"198.51.100.{number + 1}")
    client, response = sign_in("alice", USER_PASSWORD, address="203.0.113.99")
    assert not signed_in(client)
    assert LOCKED in response.content.decode()


def test_an_address_locks_after_the_configured_failures_for_any_username(user):
    for name in ("bob", "carol", "dave"):
        fail(name, 1, address="192.0.2.50")
    client, response = sign_in("alice", USER_PASSWORD, address="192.0.2.50")
    assert not signed_in(client)
    assert LOCKED in response.content.decode()
    # Another address, same user: the user's own count is 0, so it goes through.
    client, _ = sign_in("alice", USER_PASSWORD, address="192.0.2.51")
    assert signed_in(client)


def test_the_lock_lifts_after_the_window(user, clock):
    fail("alice", ATTEMPTS)
    client, response = sign_in("alice", USER_PASSWORD)
    assert LOCKED in response.content.decode()

    clock.advance(WINDOW - 5)
    client, response = sign_in("alice", USER_PASSWORD)
    assert LOCKED in response.content.decode()

    clock.advance(10)
    client, response = sign_in("alice", USER_PASSWORD)
    assert signed_in(client)


def test_the_username_is_counted_whatever_its_case(user):
    fail("ALICE", 1)
    fail("Alice", 1)
    fail("alice", 1)
    _client, response = sign_in("alice", USER_PASSWORD, address="203.0.113.7")
    assert LOCKED in response.content.decode()


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_header(user, settings):
    settings.CATCPANEL_TRUSTED_PROXY_HEADER = ""
    for number in range(ATTEMPTS):
        # Same peer, a different claimed address each time: all count against the peer.
        fail(f"user{number}", 1, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")
    _client, response = sign_in(
        "alice", USER_PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9", HTTP_X_REAL_IP="10.9.9.9"
    )
    assert LOCKED in response.content.decode()


def test_behind_a_proxy_the_address_it_appended_is_counted(user, settings):
    settings.CATCPANEL_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.CATCPANEL_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for number in range(ATTEMPTS):
        # The client forges the left part; the proxy appends the real address on the right.
        fail(
            f"user{number}",
            1,
            address=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 198.51.100.7",
        )
    _, response = sign_in(
        "alice", USER_PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.7"
    )
    assert LOCKED in response.content.decode()
    # Another real client behind the same proxy is not locked out.
    client, _ = sign_in("alice", USER_PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert signed_in(client)


def test_the_admin_sign_in_is_the_panels(user, django_user_model):
    """The admin has no form of its own to guess passwords at: it sends people to /auth/login/."""
    django_user_model.objects.create_superuser("root", "root@example.org", USER_PASSWORD)
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/auth/login/?next=")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": USER_PASSWORD}
    )
    assert not signed_in(client)
    # And the panel's throttle applies to admins as to anyone.
    fail("root", ATTEMPTS)
    client, response = sign_in("root", USER_PASSWORD, address="203.0.113.5")
    assert LOCKED in response.content.decode()


def test_a_signed_in_non_staff_user_cannot_open_the_admin(user):
    client = Client()
    client.force_login(user)
    assert client.get("/admin/login/").status_code == 403


def test_the_limits_come_from_the_environment(tmp_path):
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.ACCOUNT_RATE_LIMITS['login_failed'], "
        "settings.CATCPANEL_TRUSTED_PROXY_HEADER, settings.CATCPANEL_TRUSTED_PROXY_COUNT]))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(tmp_path),
        "DEBUG": "true",
        "CATCPANEL_LOGIN_ATTEMPTS": "7",
        "CATCPANEL_LOGIN_WINDOW_SECONDS": "60",
        "CATCPANEL_TRUSTED_PROXY_HEADER": "X-Real-IP",
        "CATCPANEL_TRUSTED_PROXY_COUNT": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["7/60s/ip,7/60s/key", "X-Real-IP", 2]


ADDRESSES_USED: list[str] = []


@pytest.fixture
def hashes(settings):
    settings.PASSWORD_HASHERS = ["tests.security.hashers.CountingHasher"]
    hashers.computed.clear()
    return hashers.computed


def hashes_for(hashes, login) -> int:
    hashes.clear()
    # A fresh address each time, below the per-address limit (the per-user one is per user).
    address = f"192.0.2.{100 + len(ADDRESSES_USED)}"
    ADDRESSES_USED.append(address)
    _client, response = sign_in(login, "wrong password", address=address)
    assert response.status_code == 200 and LOCKED not in response.content.decode()
    return len(hashes)


def test_an_unknown_login_costs_the_same_hashing_as_a_wrong_password(user, hashes):
    """Counted, not timed: the password hashes an attempt computes are what its time is made of."""
    known = hashes_for(hashes, "alice")
    assert known >= 1
    assert hashes_for(hashes, "nobody") == known
    assert hashes_for(hashes, "ALICE") == known
    known_address = hashes_for(hashes, "alice@example.com")
    assert known_address >= 1
    assert hashes_for(hashes, "nobody@example.com") == known_address


def test_the_limit_counts_per_user_whatever_name_is_typed(user):
    # Alternating the username and the address, from as many addresses as attempts: one count.
    logins = ["alice", "alice@example.com", "ALICE@example.com"]
    for number in range(ATTEMPTS):
        fail(logins[number % len(logins)], 1, address=f"198.51.100.{number + 20}")
    for login in ("alice", "alice@example.com"):
        client, response = sign_in(login, USER_PASSWORD, address="203.0.113.50")
        assert not signed_in(client)
        assert LOCKED in response.content.decode()


def test_the_right_password_by_address_signs_in_and_reauthenticates(user):
    client, response = sign_in("Alice@Example.com", USER_PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    response = client.post("/auth/reauthenticate/", {"password": USER_PASSWORD, "next": "/"})
    assert response.status_code == 302 and response.url == "/"
