"""Create the first superuser from the environment, once.

`CATCPANEL_ADMIN_USER` names the account; the password comes from `CATCPANEL_ADMIN_PASSWORD_FILE`
(a Docker secret) or `CATCPANEL_ADMIN_PASSWORD`; `CATCPANEL_ADMIN_EMAIL` is optional. The container
runs this on every start, so it must be harmless to repeat: an existing user of that name is left
exactly as it is (its password may have been changed since, and the variables may be stale or
already removed). The password is never printed.
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction


class Command(BaseCommand):
    help = (
        "Create the superuser named by CATCPANEL_ADMIN_USER unless a user of that name exists "
        "(password from CATCPANEL_ADMIN_PASSWORD_FILE or CATCPANEL_ADMIN_PASSWORD)."
    )

    def handle(self, *args, **options):
        username = os.environ.get("CATCPANEL_ADMIN_USER", "").strip()
        if not username:
            self.stdout.write("CATCPANEL_ADMIN_USER is not set: no admin to create.")
            return

        user_model = get_user_model()
        users = user_model._default_manager
        if users.filter(**{user_model.USERNAME_FIELD: username}).exists():
            self.stdout.write(f"User {username!r} already exists: left unchanged.")
            return

        password = _admin_password()
        if not password:
            raise CommandError(
                "CATCPANEL_ADMIN_USER is set but no password is: set CATCPANEL_ADMIN_PASSWORD_FILE "
                "or CATCPANEL_ADMIN_PASSWORD (or unset CATCPANEL_ADMIN_USER and run "
                "`python manage.py createsuperuser`)."
            )
        email = os.environ.get("CATCPANEL_ADMIN_EMAIL", "").strip()
        candidate = user_model(**{user_model.USERNAME_FIELD: username, "email": email})
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            # The validators' messages describe the password's faults, never the password.
            raise CommandError(
                "CATCPANEL_ADMIN_PASSWORD is not accepted: " + " ".join(exc.messages)
            ) from None

        try:
            with transaction.atomic():
                users.create_superuser(
                    **{user_model.USERNAME_FIELD: username}, email=email, password=password
                )
        except IntegrityError:
            # Another replica starting at the same moment created it first.
            self.stdout.write(f"User {username!r} already exists: left unchanged.")
            return
        self.stdout.write(self.style.SUCCESS(f"Created the superuser {username!r}."))


def _admin_password() -> str:
    password_file = os.environ.get("CATCPANEL_ADMIN_PASSWORD_FILE", "").strip()
    if password_file:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"Cannot read CATCPANEL_ADMIN_PASSWORD_FILE ({password_file}): {exc.strerror}."
            ) from None
        # `echo secret > file` leaves a newline that is not part of the password.
        return text.removesuffix("\n").removesuffix("\r")
    return os.environ.get("CATCPANEL_ADMIN_PASSWORD", "")
