"""A plain page instead of a 500 when an account's stored credentials cannot be decrypted."""

from __future__ import annotations

from django.shortcuts import render

from servers import crypto
from servers.htmx import is_htmx


class UnreadableCredentialsMiddleware:
    """A wrong or lost encryption key makes every provider call of the accounts it encrypted
    fail to start: their pages and sections say which accounts and how to fix it, and the rest
    of the panel keeps serving."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, crypto.DecryptionError | crypto.EncryptionKeyError):
            return None
        from servers import selectors

        # Only the accounts this person may see are named.
        mine = selectors.accounts_for(request.user)
        unreadable = [account for account in mine if not crypto.readable(account)]
        context = {"unreadable": unreadable}
        if is_htmx(request):
            # htmx swaps only 2xx answers: the section shows the message in its place.
            return render(request, "servers/_unreadable_credentials.html", context)
        return render(request, "servers/unreadable_credentials.html", context, status=503)
