"""State of the simulated Cloud at Cost API.

Everything lives in the database, not in process memory, so that several gunicorn workers (and a
restart) see one provider. Field values keep the provider's own vocabulary ("Powered On",
"cloudpro", "Normal") so that serialising them is a lookup, not a translation. Some text fields are
nullable on purpose: the provider sends `null` for a label or note, which is not the same as "".
"""

from django.db import models
from django.utils import timezone


class SandboxCustomer(models.Model):
    """One provider account: its login and API key, its Cloud Pro allocation and its switches."""

    class Shape(models.TextChoices):
        DOCS = "docs", "As the published reference shows"
        LIVE = "live", "As the live service answered"

    login = models.EmailField(unique=True)
    # The sandbox plays the provider, which must know the key to compare it (and seed_demo prints it
    # again on every run), so it is kept in clear. It is a throwaway key for a simulator.
    api_key = models.CharField(max_length=64, unique=True)
    customer_number = models.CharField(max_length=12, help_text="The provider's CustID / cid.")

    cloudpro_cpu = models.PositiveIntegerField(default=16)
    cloudpro_ram = models.PositiveIntegerField(default=16384, help_text="MB")
    cloudpro_storage = models.PositiveIntegerField(default=500, help_text="GB")

    # Behaviour switches (sandbox_config sets them).
    shape = models.CharField(max_length=4, choices=Shape.choices, default=Shape.DOCS)
    task_seconds = models.PositiveIntegerField(default=20)
    # None: what the shape answered (docs 403, live 412); a number overrides it.
    auth_error_status = models.PositiveSmallIntegerField(null=True, blank=True, default=None)
    rate_limit = models.PositiveIntegerField(default=0, help_text="Requests per minute; 0 = off")
    latency_ms = models.PositiveIntegerField(default=0)
    fail_rate = models.FloatField(default=0.0, help_text="0.0 .. 1.0")
    fail_status = models.PositiveSmallIntegerField(default=500)
    plain_text = models.BooleanField(default=False)
    maintenance = models.BooleanField(default=False)
    empty_console = models.BooleanField(default=False)
    json_as_html = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["login"]

    def __str__(self):
        return self.login

    def __repr__(self):
        # Never the key.
        return f"<SandboxCustomer {self.pk} {self.login!r}>"

    # A wrong or missing key: the reference's "403 Invalid or missing api key"; live it was 412.
    AUTH_ERROR_STATUS = {Shape.DOCS: 403, Shape.LIVE: 412}

    @property
    def effective_auth_error_status(self) -> int:
        return self.auth_error_status or self.AUTH_ERROR_STATUS[self.shape]

    def config(self) -> dict:
        """The switches, as sandbox_config prints them."""
        return {
            "login": self.login,
            "shape": self.shape,
            "task_seconds": self.task_seconds,
            "auth_error_status": self.effective_auth_error_status,
            "auth_error_status_follows_shape": self.auth_error_status is None,
            "rate_limit": self.rate_limit,
            "latency_ms": self.latency_ms,
            "fail_rate": self.fail_rate,
            "fail_status": self.fail_status,
            "plain_text": self.plain_text,
            "maintenance": self.maintenance,
            "empty_console": self.empty_console,
            "json_as_html": self.json_as_html,
            "cloudpro": {
                "cpu": self.cloudpro_cpu,
                "ram": self.cloudpro_ram,
                "storage": self.cloudpro_storage,
            },
        }


class SandboxTemplate(models.Model):
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="templates"
    )
    template_id = models.CharField(max_length=12)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "template_id"], name="sandbox_template_id")
        ]

    def __str__(self):
        return f"{self.template_id} {self.name}"


class SandboxServer(models.Model):
    class Status(models.TextChoices):
        ON = "Powered On"
        OFF = "Powered Off"
        INSTALLING = "Installing"
        PENDING_ON = "Pending On"

    customer = models.ForeignKey(SandboxCustomer, on_delete=models.CASCADE, related_name="servers")
    # The provider's `id` and `sid`: the same number here, so a client may send either as `sid`.
    sid = models.CharField(max_length=12, unique=True)
    packageid = models.CharField(max_length=12, default="21579")
    servername = models.CharField(max_length=100)
    label = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    vmname = models.CharField(max_length=100)
    ip = models.CharField(max_length=45)
    netmask = models.CharField(max_length=45, default="255.255.255.0")
    gateway = models.CharField(max_length=45)
    hostname = models.CharField(max_length=255)
    rootpass = models.CharField(max_length=64)
    vncport = models.CharField(max_length=6)
    vncpass = models.CharField(max_length=64)
    servertype = models.CharField(max_length=20, default="Custom")
    template = models.CharField(max_length=100)
    cpu = models.PositiveIntegerField()
    ram = models.PositiveIntegerField(help_text="MB")
    storage = models.PositiveIntegerField(help_text="GB")
    sdate = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ON)
    panel_note = models.CharField(max_length=200, null=True, blank=True, default="")  # noqa: DJ001
    mode = models.CharField(max_length=10, default="Normal")
    uid = models.CharField(max_length=12)
    rdns = models.CharField(max_length=255)
    rdnsdefault = models.CharField(max_length=255, default="ptr-not-configured.cloudatcost")
    portgroup = models.CharField(max_length=40, default="Cloud-ip-1")
    datacenter = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.sid} {self.label or self.servername}"

    def __repr__(self):
        # Never the passwords.
        return f"<SandboxServer {self.sid} {self.servername!r} {self.status!r}>"

    @property
    def is_cloudpro(self) -> bool:
        return self.servertype == "cloudpro"


class SandboxTask(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"

    customer = models.ForeignKey(SandboxCustomer, on_delete=models.CASCADE, related_name="tasks")
    idf = models.BigIntegerField(unique=True)
    # SET_NULL: a delete task outlives the server it removed; the copied fields below keep showing
    # what it was about, as the provider's list does.
    server = models.ForeignKey(
        SandboxServer, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    serverid = models.CharField(max_length=12)
    servername = models.CharField(max_length=100)
    label = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    ip = models.CharField(max_length=45)
    rdns = models.CharField(max_length=255)
    rdnsdefault = models.CharField(max_length=255)
    action = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.idf} {self.action} {self.status}"


class SandboxConsoleToken(models.Model):
    """A console URL's bearer token: only its SHA-256 is kept, so the table cannot hand one out."""

    server = models.ForeignKey(
        SandboxServer, on_delete=models.CASCADE, related_name="console_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"console token for {self.server.sid}"


class SandboxRateWindow(models.Model):
    """Requests counted per customer per minute, in the database so every worker shares them."""

    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="rate_windows"
    )
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "window_start"], name="sandbox_rate_window")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.window_start:%H:%M} {self.count}"
