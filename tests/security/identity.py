"""Test helpers for who a session has proven to be: a recent sign-in, a two-factor device, a
browser handed a session."""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.totp.internal.auth import app_settings as totp_settings
from django.conf import settings
from django.test import Client


def confirm_identity(client, user, *, seconds_ago: float = 0.0, method: str = "password") -> None:
    """Record in the client's session what a password (or code) confirmation records."""
    session = client.session
    records = session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    records.append({"method": method, "at": time.time() - seconds_ago, "reauthenticated": True})
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def forget_identity(client) -> None:
    session = client.session
    session.pop(AUTHENTICATION_METHODS_SESSION_KEY, None)
    session.save()


def enable_totp(user) -> tuple[str, list[str]]:
    """Give `user` an authenticator app and recovery codes; return the secret and the codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user)
    return secret, codes.generate_codes()


def totp_code(secret: str, *, periods_ahead: int = 0) -> str:
    counter = int(time.time()) // totp_settings.TOTP_PERIOD + periods_ahead
    return format_hotp_value(hotp_value(secret, counter))


def hand_session(page, base_url, user, *, confirmed=True):
    """Give the browser a session of `user` for `base_url`, made on the server side; the page.

    A second faster than the sign-in form, which test_sign_in.py exercises on its own.
    `confirmed=False` leaves out the recent proof of identity that dangerous actions ask for.
    """
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if confirmed:
        # As the sign-in form records it: dangerous actions accept it for a few minutes.
        confirm_identity(client, user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    return page
