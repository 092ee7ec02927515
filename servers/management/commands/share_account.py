"""Give a user a role on an account, or take it away, for scripted setups."""

import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from servers import services
from servers.models import CloudAccount, Membership, Role


class Command(BaseCommand):
    help = "Share a Cloud at Cost account with a user: viewer, operator or manager (or --remove)."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="The account's name or id.")
        parser.add_argument("--user", required=True, help="The username.")
        parser.add_argument("--role", choices=Role.values, help="viewer, operator or manager.")
        parser.add_argument("--remove", action="store_true", help="Take the user's role away.")

    def handle(self, *args, **options):
        try:
            self._share(**options)
        except services.ServiceError as error:
            raise CommandError(error.message) from None

    def _share(self, *, account, user, role, remove, **options):
        if not remove and not role:
            raise CommandError("Give --role viewer|operator|manager, or --remove.")
        target = self._account(account)
        try:
            person = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        if person.pk == target.owner_id:
            raise CommandError(f"{user} owns {target.name}: the owner's role cannot change here.")
        membership = Membership.objects.filter(account=target, user=person).first()
        # No request, no signed-in person: the log names the command's actor as nobody.
        actor = None
        if remove:
            if membership is None:
                raise CommandError(f"{user} is not a member of {target.name}.")
            services.remove_member(target, actor, membership)
            self.stdout.write(f"Removed {user} from {target.name}.")
        elif membership is None:
            services.add_member(target, actor, person, role)
            self.stdout.write(f"{user} is now {role} on {target.name}.")
        else:
            services.change_role(target, actor, membership, role)
            self.stdout.write(f"{user} is now {role} on {target.name}.")

    def _account(self, value: str) -> CloudAccount:
        try:
            return CloudAccount.objects.get(pk=uuid.UUID(value))
        except (ValueError, CloudAccount.DoesNotExist):
            pass
        matches = list(CloudAccount.objects.filter(name=value)[:2])
        if not matches:
            raise CommandError(f"No account named {value!r}.")
        if len(matches) > 1:
            ids = ", ".join(str(a.pk) for a in CloudAccount.objects.filter(name=value))
            raise CommandError(
                f"Several accounts are named {value!r}: give --account <id> ({ids})."
            )
        return matches[0]
