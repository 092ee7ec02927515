"""How django-allauth sees this deployment: the client address its rate limits count, and how
two-factor secrets are kept."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables

from catcpanel.client_ip import client_ip
from servers import crypto


class AccountAdapter(DefaultAccountAdapter):
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
