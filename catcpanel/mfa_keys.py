"""Re-encrypt the stored two-factor secrets under the newest key (see SECURITY.md, rotation).

allauth keeps them in Authenticator.data, passed through MFAAdapter.encrypt: the authenticator
app's `secret` and the recovery codes' `seed`. Run with the credentials' rotation, before the
old key is removed, or people with two-factor on can no longer sign in.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db import transaction

from servers import crypto

ENCRYPTED_FIELDS = ("secret", "seed")


def rotate_mfa_secrets() -> int:
    """Re-encrypt every authenticator's secrets; return how many authenticators changed."""
    changed = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
            data = dict(authenticator.data)
            fields = [name for name in ENCRYPTED_FIELDS if isinstance(data.get(name), str)]
            if not fields:
                continue
            for name in fields:
                data[name] = crypto.rotate(data[name])
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            changed += 1
    return changed
