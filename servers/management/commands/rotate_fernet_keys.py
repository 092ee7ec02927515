from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catcpanel.mfa_keys import rotate_mfa_secrets
from servers import crypto
from servers.models import CloudAccount


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential and two-factor secret under the newest key in "
        "CATCPANEL_FERNET_KEYS. Put the new key first, keep the old ones after it, run this, then "
        "remove the old keys."
    )

    def handle(self, *args, **options):
        # One transaction: a value under an unlisted key leaves everything as it was.
        with transaction.atomic():
            accounts = self._rotate_accounts()
            try:
                authenticators = rotate_mfa_secrets()
            except crypto.DecryptionError:
                raise CommandError(
                    "A two-factor secret is encrypted under a key that is not in "
                    "CATCPANEL_FERNET_KEYS; nothing was changed."
                ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted the credentials of {accounts} account(s) and the two-factor "
                f"secrets of {authenticators} authenticator(s)."
            )
        )

    def _rotate_accounts(self) -> int:
        rotated = 0
        for account in CloudAccount.objects.select_for_update().only(
            "id", "name", "login_encrypted", "api_key_encrypted"
        ):
            try:
                account.login_encrypted = crypto.rotate(account.login_encrypted)
                account.api_key_encrypted = crypto.rotate(account.api_key_encrypted)
            except crypto.DecryptionError:
                raise CommandError(
                    f"Account {account.name!r} ({account.id}) is encrypted under a key that is "
                    "not in CATCPANEL_FERNET_KEYS; nothing was changed."
                ) from None
            account.save(update_fields=["login_encrypted", "api_key_encrypted"])
            rotated += 1
        return rotated
