"""How django-allauth sees this deployment: how a login string names a user (the same hashing
work whoever it names, one failure count per user), the client address its rate limits count,
and how two-factor secrets are kept."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.userkit import filter_users_by_email, get_user_by_username
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables

from catcpanel.client_ip import client_ip
from servers import crypto


def user_for_login(login: str):
    """The one user a login string names (an email address first, then a username), or None."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        users = filter_users_by_email(login, prefer_verified=True, for_login=True)
        if users:
            return users[0]
    return get_user_by_username(login)


class AccountAdapter(DefaultAccountAdapter):
    @sensitive_variables()
    def authenticate(self, request, **credentials):
        # allauth tries an email-looking login as an address and again as a username, hashing the
        # password once per user it finds and once more when it finds none: a known address cost
        # three hashes and an unknown one two, which told them apart. Resolved here to one
        # username, every attempt costs the same: the user's password checked, or a dummy hash.
        login = credentials.get("username") or credentials.get("email") or ""
        user = user_for_login(login)
        one = {"username": user.get_username() if user is not None else login}
        return super().authenticate(request, password=credentials.get("password"), **one)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # Failed sign-ins are counted per user, whichever of their names was typed (allauth
        # counts per login string: a username and an email address would each get the limit).
        login = credentials.get("username") or credentials.get("email") or ""
        user = user_for_login(login)
        return f"user:{user.pk}" if user is not None else f"login:{login.strip().lower()}"

    def get_client_ip(self, request) -> str:
        # allauth's own reading believes X-Forwarded-For as soon as a proxy count is set and
        # takes a custom header whole; ours follows CATCPANEL_TRUSTED_PROXY_* only.
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address.")
        return address


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator-app secrets and recovery-code seeds are encrypted with the same keys as the
    stored Cloud at Cost credentials: a copy of the database alone cannot mint codes."""

    @sensitive_variables()
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    @sensitive_variables()
    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
