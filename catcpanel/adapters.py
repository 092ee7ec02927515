"""How django-allauth sees this deployment: the client address its rate limits count."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from catcpanel.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # allauth's own reading believes X-Forwarded-For as soon as a proxy count is set and
        # takes a custom header whole; ours follows CATCPANEL_TRUSTED_PROXY_* only.
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address.")
        return address
