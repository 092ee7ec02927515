import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sandbox.demo import create_demo_customer
from servers.models import CloudAccount

DEMO_USERNAME = "demo"
DEMO_ACCOUNT_NAME = "Demo (sandbox)"


def password_file() -> Path:
    return Path(settings.DATA_DIR) / "demo_password"


def read_password() -> str:
    try:
        return password_file().read_text().strip()
    except OSError:
        return ""


def keep_password(password: str) -> None:
    """Beside the database (and the Fernet key), readable by its owner only."""
    path = password_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    path.chmod(0o600)


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo: a user 'demo', a sandbox customer with servers, and a Cloud "
        "at Cost account pointing at the sandbox. Idempotent: the demo password is made once and "
        "printed again on every run; --new-password replaces it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object instead of the greeting"
        )
        parser.add_argument(
            "--new-password", action="store_true", help="give the demo user a new password"
        )

    def handle(self, *args, **options):
        if not settings.CATCPANEL_SANDBOX:
            raise CommandError(
                "The sandbox is off (CATCPANEL_SANDBOX=false): the demo account would point at "
                "nothing. Set CATCPANEL_SANDBOX=true to seed the demo."
            )
        base_url = settings.SITE_URL.rstrip("/") + "/sandbox/api/v1/"
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
            # The password `make run` printed keeps working: a later run prints it again and
            # never replaces it, unless asked to. One the demo user changed since is not known.
            kept = read_password()
            if created or options["new_password"]:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                keep_password(password)
            elif kept and user.check_password(kept):
                password = kept
            else:
                password = None
            customer = create_demo_customer()
            account = CloudAccount.objects.filter(owner=user, name=DEMO_ACCOUNT_NAME).first()
            if account is None:
                account = CloudAccount(owner=user, name=DEMO_ACCOUNT_NAME)
            account.base_url = base_url
            account.set_credentials(login=customer.login, api_key=customer.api_key)
            account.save()

        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "username": DEMO_USERNAME,
                        "password": password,
                        "sandbox_base_url": base_url,
                        "sandbox_login": customer.login,
                        "sandbox_key": customer.api_key,
                    }
                )
            )
            return
        sign_in = (
            f"/ {password}"
            if password
            else "with its password as it was last printed or changed (unchanged now;\n"
            "  `python manage.py seed_demo --new-password` sets and prints a new one)"
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  catcpanel demo is ready.",
                    f"  Open {settings.SITE_URL}/ and sign in as {DEMO_USERNAME} {sign_in}",
                    f"  The account {DEMO_ACCOUNT_NAME!r} talks to the built-in sandbox at",
                    f"  {base_url}",
                    "",
                ]
            )
        )
