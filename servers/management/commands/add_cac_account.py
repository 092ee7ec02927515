import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import EmailValidator, URLValidator

from servers.cac import addresses
from servers.cac.client import check_credentials
from servers.cac.errors import CacError
from servers.models import DEFAULT_BASE_URL, CloudAccount


class Command(BaseCommand):
    help = (
        "Store a Cloud at Cost API account for a user. The API key is read from standard input so "
        "that it stays out of the shell history and the process list."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="username of the account's owner")
        parser.add_argument("--name", required=True, help="a name to tell the account apart")
        parser.add_argument("--login", required=True, help="the Cloud at Cost login email")
        parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
        parser.add_argument(
            "--no-verify", action="store_true", help="store without calling listservers first"
        )

    def handle(self, *args, owner, name, login, base_url, no_verify, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user named {owner!r}.")
        name = name.strip()
        if not name:
            raise CommandError("--name must not be blank.")
        if CloudAccount.objects.filter(owner=user, name=name).exists():
            raise CommandError(f"{owner} already has an account named {name!r}.")
        try:
            EmailValidator()(login)
            URLValidator(schemes=["http", "https"])(base_url)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        try:
            addresses.check_resolution(base_url)
        except addresses.AddressNotAllowed as refused:
            raise CommandError(str(refused)) from None

        api_key = self._read_api_key()
        account = CloudAccount(name=name, owner=user, base_url=base_url)
        account.set_credentials(login=login, api_key=api_key)
        if not no_verify:
            try:
                count = check_credentials(base_url=base_url, login=login, api_key=api_key)
            except CacError as exc:
                message = f"The check failed, nothing was stored: {exc} (--no-verify skips it)"
                raise CommandError(message) from None
            self.stdout.write(f"Verified: the account has {count} server(s).")
        account.save()
        self.stdout.write(
            self.style.SUCCESS(f"Stored {name!r} for {owner} (key {account.api_key_display}).")
        )

    def _read_api_key(self) -> str:
        if sys.stdin.isatty():
            self.stderr.write("API key (input is read from standard input): ", ending="")
            self.stderr.flush()
        api_key = sys.stdin.readline().strip()
        if not api_key:
            raise CommandError("No API key on standard input.")
        if any(ch.isspace() for ch in api_key) or len(api_key) > 200:
            raise CommandError("That does not look like an API key.")
        return api_key
