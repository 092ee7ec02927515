import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sandbox.demo import create_demo_customer
from servers.models import CloudAccount

DEMO_USERNAME = "demo"
DEMO_ACCOUNT_NAME = "Demo (sandbox)"


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo: a user 'demo' with a new random password, a sandbox "
        "customer with servers, and a Cloud at Cost account pointing at the sandbox. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object instead of the greeting"
        )

    def handle(self, *args, **options):
        if not settings.CATCPANEL_SANDBOX:
            raise CommandError(
                "The sandbox is off (CATCPANEL_SANDBOX=false): the demo account would point at "
                "nothing. Set CATCPANEL_SANDBOX=true to seed the demo."
            )
        # A fresh password on every run: nothing to store, and the one printed last always works.
        password = secrets.token_urlsafe(12)
        base_url = settings.SITE_URL.rstrip("/") + "/sandbox/api/v1/"
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
            user.set_password(password)
            user.save()
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
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  catcpanel demo is ready.",
                    f"  Open {settings.SITE_URL}/ and sign in as {DEMO_USERNAME} / {password}",
                    f"  The account {DEMO_ACCOUNT_NAME!r} talks to the built-in sandbox at",
                    f"  {base_url}",
                    "",
                ]
            )
        )
