"""The provider's rules: limits, tasks over time, Cloud Pro resources, usage figures.

Nothing here knows about HTTP or JSON: each operation takes a customer and plain values, changes the
database and returns model objects, or raises `SandboxError` with the provider's code and words.
`sandbox.shapes` turns either into a response body.

Time passes lazily: there is no worker. Every request first calls `complete_due_tasks`, which
finishes the tasks whose time has come and applies their effect to the servers.
"""

import hashlib
import math
import random
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from sandbox.models import (
    SandboxConsoleToken,
    SandboxCustomer,
    SandboxRateWindow,
    SandboxServer,
    SandboxTask,
    SandboxTemplate,
)

CPU_LIMITS = (1, 16)
RAM_LIMITS = (512, 32768)
STORAGE_LIMITS = (10, 1000)
DATACENTERS = (1, 2, 3)
POWER_ACTIONS = ("poweron", "poweroff", "reset")
RUN_MODES = {"normal": "Normal", "safe": "Safe"}
CONSOLE_TOKEN_TTL = timedelta(minutes=5)
NAME_MAX_LENGTH = 64

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class SandboxError(Exception):
    """A refusal the provider answers with `status: error`, its code and description."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def invalid_server() -> SandboxError:
    return SandboxError(109, "invalid server ID")


def task_already_running() -> SandboxError:
    return SandboxError(105, "task already running")


# --- Authentication and the rate limit ----------------------------------------------------------


def find_customer(login: str) -> SandboxCustomer | None:
    return SandboxCustomer.objects.filter(login__iexact=login.strip()).first() if login else None


def key_matches(customer: SandboxCustomer, api_key: str) -> bool:
    return secrets.compare_digest(customer.api_key.encode(), api_key.encode())


def count_request(customer: SandboxCustomer, now=None) -> int:
    """Count one request in the current minute and return the minute's total so far.

    The increment is one UPDATE with F(), so concurrent workers never lose a count.
    """
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    SandboxRateWindow.objects.get_or_create(customer=customer, window_start=window)
    SandboxRateWindow.objects.filter(customer=customer, window_start=window).update(
        count=F("count") + 1
    )
    # Old windows are of no further use; dropping them here keeps the table a few rows long.
    SandboxRateWindow.objects.filter(
        customer=customer, window_start__lt=window - timedelta(minutes=5)
    ).delete()
    return SandboxRateWindow.objects.get(customer=customer, window_start=window).count


def over_rate_limit(customer: SandboxCustomer, now=None) -> bool:
    if not customer.rate_limit:
        return False
    return count_request(customer, now) > customer.rate_limit


# --- Tasks over time ----------------------------------------------------------------------------


def complete_due_tasks(customer: SandboxCustomer, now=None) -> int:
    """Finish every pending task whose time has come, applying its effect; return how many."""
    now = now or timezone.now()
    finished = 0
    due = SandboxTask.objects.filter(
        customer=customer, status=SandboxTask.Status.PENDING, due_at__lte=now
    ).order_by("due_at", "id")
    for task in due:
        with transaction.atomic():
            # Claim the task with a conditional UPDATE: if two workers race, only one gets 1 back
            # and applies the effect, so a server is never powered twice or deleted twice.
            claimed = SandboxTask.objects.filter(
                pk=task.pk, status=SandboxTask.Status.PENDING
            ).update(status=SandboxTask.Status.COMPLETED, finished_at=task.due_at)
            if claimed:
                _apply(task)
                finished += 1
    return finished


def _apply(task: SandboxTask) -> None:
    if task.server_id is None:
        return
    servers = SandboxServer.objects.filter(pk=task.server_id)
    if task.action == "poweroff":
        servers.update(status=SandboxServer.Status.OFF)
    elif task.action in ("poweron", "reset", "build"):
        # A reset ends with the server running, whatever it was before.
        servers.update(status=SandboxServer.Status.ON)
    elif task.action == "delete":
        servers.delete()


def new_task(customer: SandboxCustomer, server: SandboxServer, action: str, now) -> SandboxTask:
    return SandboxTask.objects.create(
        customer=customer,
        idf=_unique_number(SandboxTask, "idf", 10**12, 10**13 - 1),
        server=server,
        serverid=server.sid,
        servername=server.servername,
        label=server.label,
        ip=server.ip,
        rdns=server.rdns,
        rdnsdefault=server.rdnsdefault,
        action=action,
        started_at=now,
        due_at=now + timedelta(seconds=customer.task_seconds),
    )


def _lock(server: SandboxServer) -> SandboxServer:
    """Re-read the server under a row lock: two workers must not both find it without a task.

    (A no-op on SQLite, whose IMMEDIATE transactions already let one writer in at a time.)
    """
    return SandboxServer.objects.select_for_update().get(pk=server.pk)


def _has_pending_task(server: SandboxServer) -> bool:
    return server.tasks.filter(status=SandboxTask.Status.PENDING).exists()


def _unique_number(model, field: str, low: int, high: int) -> int:
    while True:
        number = random.randint(low, high)
        if not model.objects.filter(**{field: number}).exists():
            return number


# --- Reads --------------------------------------------------------------------------------------


def list_servers(customer: SandboxCustomer):
    return list(customer.servers.all())


def list_templates(customer: SandboxCustomer):
    return list(customer.templates.all())


def list_tasks(customer: SandboxCustomer):
    # Oldest first, as the reference's example lists them.
    return list(customer.tasks.order_by("started_at", "id"))


@dataclass(frozen=True)
class Resources:
    cpu_total: int
    ram_total: int
    storage_total: int
    cpu_used: int
    ram_used: int
    storage_used: int

    @property
    def cpu_free(self) -> int:
        return self.cpu_total - self.cpu_used

    @property
    def ram_free(self) -> int:
        return self.ram_total - self.ram_used

    @property
    def storage_free(self) -> int:
        return self.storage_total - self.storage_used


def resources(customer: SandboxCustomer) -> Resources:
    """Total is the allocation; used counts every Cloud Pro server until its delete completes."""
    used = customer.servers.filter(servertype="cloudpro").aggregate(
        cpu=Sum("cpu"), ram=Sum("ram"), storage=Sum("storage")
    )
    return Resources(
        cpu_total=customer.cloudpro_cpu,
        ram_total=customer.cloudpro_ram,
        storage_total=customer.cloudpro_storage,
        cpu_used=used["cpu"] or 0,
        ram_used=used["ram"] or 0,
        storage_used=used["storage"] or 0,
    )


@dataclass(frozen=True)
class Usage:
    cpu: float  # relative to the cpu count, as the provider reports it: 0 .. cpu * 100
    ram: float  # MB
    hd: float  # GB


def usage(server: SandboxServer, now=None) -> Usage:
    """Plausible figures that drift with time, the same in every worker for the same minute.

    A function of (server, time) rather than stored state: nothing to update, nothing to race.
    """
    if server.status != SandboxServer.Status.ON:
        return Usage(0.0, 0.0, 0.0)
    now = now or timezone.now()
    seed = int(hashlib.sha256(server.sid.encode()).hexdigest()[:8], 16)
    phase = (seed % 1000) / 1000
    minutes = now.timestamp() / 60

    def wave(period_minutes: float, low: float, high: float) -> float:
        level = 0.5 + 0.5 * math.sin(2 * math.pi * (minutes / period_minutes + phase))
        return low + (high - low) * level

    cpu_fraction = wave(17, 0.03, 0.85)
    ram_fraction = wave(43, 0.25, 0.8)
    # Disk fills slowly over days and never shrinks below a base: it is a disk, not a CPU.
    hd_fraction = 0.1 + 0.5 * ((seed % 97) / 97) + 0.05 * wave(60 * 24, 0, 1)
    return Usage(
        cpu=round(server.cpu * 100 * cpu_fraction),
        ram=round(server.ram * ram_fraction, 3),
        hd=round(server.storage * min(hd_fraction, 0.95), 6),
    )


# --- Actions ------------------------------------------------------------------------------------


def get_server(customer: SandboxCustomer, sid: str) -> SandboxServer:
    sid = (sid or "").strip()
    server = customer.servers.filter(sid=sid).first() if sid else None
    if server is None:
        raise invalid_server()
    return server


def power(customer: SandboxCustomer, sid: str, action: str, now=None) -> SandboxTask:
    now = now or timezone.now()
    server = get_server(customer, sid)
    if action not in POWER_ACTIONS:
        raise SandboxError(105, "invalid action")
    with transaction.atomic():
        server = _lock(server)
        if _has_pending_task(server):
            raise task_already_running()
        if action == "poweron" and server.status == SandboxServer.Status.OFF:
            # What the live list showed while a power-on waited its turn.
            server.status = SandboxServer.Status.PENDING_ON
            server.save(update_fields=["status"])
        return new_task(customer, server, action, now)


def set_run_mode(customer: SandboxCustomer, sid: str, mode: str) -> SandboxServer:
    server = get_server(customer, sid)
    # The live service took only lowercase and stored it capitalised.
    if mode not in RUN_MODES:
        raise SandboxError(109, "invalid run mode")
    server.mode = RUN_MODES[mode]
    server.save(update_fields=["mode"])
    return server


def rename(customer: SandboxCustomer, sid: str, name: str) -> SandboxServer:
    server = get_server(customer, sid)
    if not name or len(name) > NAME_MAX_LENGTH or not name.isprintable() or not name.strip():
        raise SandboxError(109, "invalid name")
    server.label = name
    server.save(update_fields=["label"])
    return server


def is_valid_hostname(hostname: str) -> bool:
    if not hostname or len(hostname) > 253:
        return False
    labels = hostname.rstrip(".").split(".")
    return len(labels) >= 2 and all(_HOSTNAME_LABEL.match(label) for label in labels)


def set_reverse_dns(customer: SandboxCustomer, sid: str, hostname: str) -> SandboxServer:
    server = get_server(customer, sid)
    if not is_valid_hostname(hostname):
        raise SandboxError(109, "invalid domain name")
    server.hostname = hostname
    server.rdns = hostname
    server.save(update_fields=["hostname", "rdns"])
    return server


def _parse_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class BuildRequest:
    cpu: int
    ram: int
    storage: int
    template: SandboxTemplate
    datacenter: int


def validate_build(customer: SandboxCustomer, *, cpu, ram, storage, os, datacenter=None):
    """The documented limits, then the customer's free Cloud Pro resources."""
    cpu_n, ram_n, storage_n = _parse_int(cpu), _parse_int(ram), _parse_int(storage)
    if cpu_n is None or not CPU_LIMITS[0] <= cpu_n <= CPU_LIMITS[1]:
        raise SandboxError(105, "invalid CPU value")
    if ram_n is None or not RAM_LIMITS[0] <= ram_n <= RAM_LIMITS[1] or ram_n % 4:
        raise SandboxError(105, "invalid RAM value")
    if (
        storage_n is None
        or not STORAGE_LIMITS[0] <= storage_n <= STORAGE_LIMITS[1]
        or storage_n % 10
    ):
        raise SandboxError(105, "invalid storage value")
    template = customer.templates.filter(template_id=str(os or "").strip()).first() if os else None
    if template is None:
        raise SandboxError(105, "no template available")
    if datacenter in (None, ""):
        datacenter_n = DATACENTERS[0]
    else:
        datacenter_n = _parse_int(datacenter)
        if datacenter_n not in DATACENTERS:
            raise SandboxError(105, "invalid datacenter")
    free = resources(customer)
    if cpu_n > free.cpu_free:
        raise SandboxError(107, "Not Enough CPU")
    if ram_n > free.ram_free:
        raise SandboxError(107, "Not Enough RAM")
    if storage_n > free.storage_free:
        raise SandboxError(107, "Not Enough Storage")
    return BuildRequest(cpu_n, ram_n, storage_n, template, datacenter_n)


def build(customer: SandboxCustomer, *, cpu, ram, storage, os, datacenter=None, now=None):
    """Start a Cloud Pro build: the server is listed at once as Installing, its task pending."""
    now = now or timezone.now()
    with transaction.atomic():
        # Validated under a lock on the customer so that two builds (two workers) cannot both
        # spend the same free RAM.
        customer = SandboxCustomer.objects.select_for_update().get(pk=customer.pk)
        request = validate_build(
            customer, cpu=cpu, ram=ram, storage=storage, os=os, datacenter=datacenter
        )
        server = new_server(
            customer,
            servertype="cloudpro",
            template=request.template.name,
            cpu=request.cpu,
            ram=request.ram,
            storage=request.storage,
            status=SandboxServer.Status.INSTALLING,
            datacenter=request.datacenter,
            label=None,
            sdate=timezone.localdate(now),
        )
        return new_task(customer, server, "build", now), server


def delete(customer: SandboxCustomer, sid: str, now=None) -> SandboxTask:
    now = now or timezone.now()
    server = get_server(customer, sid)
    if not server.is_cloudpro:
        raise SandboxError(107, "Invalid Server Permission")
    with transaction.atomic():
        server = _lock(server)
        if _has_pending_task(server):
            raise task_already_running()
        return new_task(customer, server, "delete", now)


def new_server(customer: SandboxCustomer, **fields) -> SandboxServer:
    """A server with provider-looking defaults; `fields` override any of them."""
    sid = str(_unique_number(SandboxServer, "sid", 10**8, 10**9 - 1))
    host = random.randint(2, 254)
    subnet = random.choice(["192.0.2", "198.51.100", "203.0.113"])  # documentation ranges only
    kind = "CloudPRO" if fields.get("servertype") == "cloudpro" else "iOD"
    vmname = f"c{customer.customer_number}-{kind}-{sid[-6:]}"
    defaults = {
        "sid": sid,
        "servername": vmname,
        "vmname": vmname,
        "label": None,
        "ip": f"{subnet}.{host}",
        "gateway": f"{subnet}.1",
        "hostname": f"{vmname}.cloudatcost.com",
        "rdns": f"{vmname}.cloudatcost.com",
        "rootpass": secrets.token_urlsafe(9),
        "vncport": str(random.randint(10000, 60000)),
        "vncpass": secrets.token_urlsafe(6),
        "uid": str(random.randint(10**8, 10**9 - 1)),
        "panel_note": "",
    }
    defaults.update(fields)
    return SandboxServer.objects.create(customer=customer, **defaults)


# --- Console ------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_console_token(customer: SandboxCustomer, sid: str, now=None):
    """Return (server, token): the token goes into the URL once and is stored only as a hash."""
    now = now or timezone.now()
    server = get_server(customer, sid)
    token = secrets.token_hex(20)  # 40 hex digits, like the reference's sha1hash
    SandboxConsoleToken.objects.filter(expires_at__lt=now).delete()
    SandboxConsoleToken.objects.create(
        server=server,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + CONSOLE_TOKEN_TTL,
    )
    return server, token


def console_server(sid: str, token: str, now=None) -> SandboxServer | None:
    """The server a console token opens, or None if the token is unknown, expired or not its own."""
    if not token:
        return None
    now = now or timezone.now()
    grant = (
        SandboxConsoleToken.objects.select_related("server")
        .filter(token_hash=hash_token(token), expires_at__gt=now)
        .first()
    )
    if grant is None or grant.server.sid != sid:
        return None
    return grant.server
