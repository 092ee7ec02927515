import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from servers import crypto

DEFAULT_BASE_URL = "https://panel.cloudatcost.com/api/v1/"


class CloudAccount(models.Model):
    """One Cloud at Cost API account: its login and key are stored encrypted, never in clear."""

    # A random id in URLs: a sequential one would reveal how many accounts exist.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cloud_accounts"
    )
    base_url = models.URLField(max_length=300, default=DEFAULT_BASE_URL)
    login_encrypted = models.TextField(editable=False)
    api_key_encrypted = models.TextField(editable=False)
    # The last four characters, to tell keys apart on screen ("…a1b2"); never more.
    api_key_hint = models.CharField(max_length=8, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the owner: members without two-factor sign-in may look but not act (permissions.py).
    require_two_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<CloudAccount {self.id} {self.name!r}>"

    @property
    def login(self) -> str:
        return crypto.decrypt(self.login_encrypted)

    @property
    def api_key(self) -> str:
        return crypto.decrypt(self.api_key_encrypted)

    @property
    def api_key_display(self) -> str:
        return f"…{self.api_key_hint}" if self.api_key_hint else ""

    @sensitive_variables()
    def set_credentials(self, *, login: str | None = None, api_key: str | None = None) -> None:
        """Encrypt and store; None leaves a value as it is (a blank key field on edit keeps it)."""
        if login is not None:
            self.login_encrypted = crypto.encrypt(login)
        if api_key is not None:
            self.api_key_encrypted = crypto.encrypt(api_key)
            self.api_key_hint = api_key[-4:] if len(api_key) >= 12 else ""

    @sensitive_variables()
    def client(self):
        from servers.cac.client import CacClient

        return CacClient(
            base_url=self.base_url,
            login=self.login,
            api_key=self.api_key,
            # One account's slow provider holds at most CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT
            # worker threads.
            concurrency_key=str(self.pk) if self.pk else None,
        )


class ActionLog(models.Model):
    """Append-only record of every action taken through the panel.

    Written as `pending` before the provider is called and finished afterwards, so that a crash or a
    timeout still leaves a trace. The actor's name and the account's name are copied so that a row
    outlives the user or account it speaks of.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"
        # The provider may or may not have carried the action out (the answer was lost, or the
        # request that made it died): the person must check the server.
        UNKNOWN = "unknown", "Unknown outcome"

    account = models.ForeignKey(
        CloudAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    account_name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    user_name = models.CharField(max_length=150)
    server_id = models.CharField(max_length=40, blank=True, db_index=True)
    server_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    # Never a secret: the services decide what goes here.
    parameters = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    provider_code = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)
    task_id = models.CharField(max_length=40, blank=True)
    # A build form's one-time key: a second submit of the same form finds this row instead of
    # building a second server.
    idempotency_key = models.CharField(max_length=40, blank=True, db_index=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["account", "-started_at"])]

    def __str__(self):
        return f"{self.user_name} {self.action} {self.server_name or self.account_name}"


class Role(models.TextChoices):
    """Roles a member can be given; "owner" is not one of them: CloudAccount.owner says who owns."""

    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    MANAGER = "manager", "Manager"


class Membership(models.Model):
    """A user's role on an account they do not own."""

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cloud_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_membership_per_user")
        ]
        ordering = ["user__username"]

    def __str__(self):
        return f"{self.user} {self.role} on {self.account}"


class Invitation(models.Model):
    """A one-time link to join an account with a role.

    Only the SHA-256 of the link's token is stored: a copy of the database cannot be used to join.
    """

    account = models.ForeignKey(CloudAccount, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Who it was meant for, as the inviter typed it; anyone holding the link may accept it.
    invitee = models.CharField(max_length=254, blank=True)
    # Set when a username was typed and names a user: only that user may accept, after signing
    # in, from their home page. Such an invitation has no link (servers/team.py).
    invitee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cloud_invitations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation to {self.account} as {self.role}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
