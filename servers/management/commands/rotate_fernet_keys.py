from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from servers import crypto
from servers.models import CloudAccount


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential under the newest key in CATCPANEL_FERNET_KEYS. Put the "
        "new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options):
        rotated = 0
        with transaction.atomic():
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
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted the credentials of {rotated} account(s).")
        )
