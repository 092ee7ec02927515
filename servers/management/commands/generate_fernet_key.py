"""Print a new encryption key for CATCPANEL_FERNET_KEYS (newest first; keep old keys after it)."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new Fernet key for CATCPANEL_FERNET_KEYS."
    # Must work exactly when the key check (catcpanel.E001) fails: that is when it is needed.
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(Fernet.generate_key().decode())
