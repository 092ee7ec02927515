"""A demo customer with servers in every state the panel has to show.

Used by `manage.py seed_demo` and by the test fixtures, so the demo a person clicks through is the
one the tests exercise. Idempotent: a customer that already exists keeps its servers and history
(what a demo user changed stays changed); only a given api_key is applied again.
"""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sandbox import services
from sandbox.models import SandboxCustomer, SandboxServer, SandboxTask, SandboxTemplate

DEMO_LOGIN = "demo@sandbox.example"

# The reference's list, ids and order as published.
DOCS_TEMPLATES = [
    ("26", "CentOS-7-64bit"),
    ("27", "Ubuntu-14.04.1-LTS-64bit"),
    ("15", "CentOS 6.5 64bit (LAMP)"),
    ("21", "Ubuntu 12.10 64bit"),
    ("23", "Ubuntu 12.04.3 LTS 64bit"),
    ("24", "Windows 2008 R2 64bit (BigDogs Only)"),
    ("25", "Windows 2012 R2 64bit (BigDogs Only)"),
    ("14", "CentOS 6.5 64bit (cPanel-WHM)"),
    ("13", "CentOS 6.5 64bit"),
    ("10", "CentOS 6.5 32bit"),
    ("3", "Debian 7.1 64bit"),
    ("9", "Windows7 64bit (BigDogs Only)"),
    ("2", "Ubuntu-13.10-64bit"),
    ("1", "CentOS 6.4 64bit"),
    ("28", "Minecraft-CentOS-7-64bit"),
]

On, Off, Installing = (
    SandboxServer.Status.ON,
    SandboxServer.Status.OFF,
    SandboxServer.Status.INSTALLING,
)

# (label, status, mode, servertype, template, cpu, ram, storage, extra fields)
DEMO_SERVERS = [
    ("web-01", On, "Normal", "Custom", "Ubuntu-14.04.1-LTS-64bit", 2, 2048, 40, {}),
    ("db-01", Off, "Normal", "Custom", "CentOS-7-64bit", 4, 4096, 100, {}),
    ("mail", On, "Safe", "Custom", "Debian 7.1 64bit", 1, 1024, 20, {}),
    ("cp-app", On, "Normal", "cloudpro", "CentOS-7-64bit", 4, 4096, 100, {}),
    ("cp-worker", Off, "Normal", "cloudpro", "Ubuntu-14.04.1-LTS-64bit", 2, 2048, 60, {}),
    ("cp-build", Installing, "Normal", "cloudpro", "Debian 7.1 64bit", 2, 2048, 40, {}),
    (
        "win-rdp",
        On,
        "Normal",
        "Custom",
        "Windows 2012 R2 64bit (BigDogs Only)",
        4,
        4096,
        69,
        {"hostname": "Not Assigned", "panel_note": None},
    ),
    (None, Off, "Normal", "Custom", "CentOS 6.5 64bit", 1, 512, 10, {}),
]
# Cloud Pro allocation: the three cloudpro servers above use 8 CPU / 8192 MB / 200 GB of it.
DEMO_CLOUDPRO = {"cloudpro_cpu": 16, "cloudpro_ram": 16384, "cloudpro_storage": 500}
# The Installing server's build never finishes on its own during a demo: builds took days live.
STUCK_BUILD = timedelta(days=7)


def create_demo_customer(
    login: str = DEMO_LOGIN, api_key: str | None = None, *, task_seconds: int | None = None
) -> SandboxCustomer:
    """Return the demo customer for `login`, creating it with servers, templates and tasks."""
    with transaction.atomic():
        customer = SandboxCustomer.objects.filter(login=login).first()
        if customer is None:
            customer = SandboxCustomer.objects.create(
                login=login,
                api_key=api_key or secrets.token_hex(24),
                customer_number=str(90000 + secrets.randbelow(9000)),
                shape=settings.CATCPANEL_SANDBOX_SHAPE,
                **DEMO_CLOUDPRO,
            )
            _populate(customer)
        elif api_key and api_key != customer.api_key:
            customer.api_key = api_key
            customer.save(update_fields=["api_key"])
        if task_seconds is not None and customer.task_seconds != task_seconds:
            customer.task_seconds = task_seconds
            customer.save(update_fields=["task_seconds"])
    return customer


def _populate(customer: SandboxCustomer) -> None:
    SandboxTemplate.objects.bulk_create(
        SandboxTemplate(customer=customer, template_id=tid, name=name, position=i)
        for i, (tid, name) in enumerate(DOCS_TEMPLATES)
    )
    now = timezone.now()
    servers = []
    for i, (label, status, mode, kind, template, cpu, ram, storage, extra) in enumerate(
        DEMO_SERVERS
    ):
        servers.append(
            services.new_server(
                customer,
                label=label,
                status=status,
                mode=mode,
                servertype=kind,
                template=template,
                cpu=cpu,
                ram=ram,
                storage=storage,
                sdate=date(2014, 1, 26) + timedelta(days=97 * i),
                **extra,
            )
        )

    # History: a finished reset, one whose server id reads "0" (as the reference's example and the
    # live list had it), and the stuck build behind the Installing server.
    web, mail, building = servers[0], servers[2], servers[5]
    _task(customer, web, "reset", now - timedelta(hours=3), seconds=2, completed=True)
    orphan = _task(customer, mail, "reset", now - timedelta(days=2), seconds=1, completed=True)
    orphan.server, orphan.serverid = None, "0"
    orphan.save(update_fields=["server", "serverid"])
    _task(
        customer,
        building,
        "build",
        now - timedelta(hours=1),
        seconds=int(STUCK_BUILD.total_seconds()),
    )


def _task(customer, server, action, started, *, seconds, completed=False):
    due = started + timedelta(seconds=seconds)
    task = services.new_task(customer, server, action, started)
    task.due_at = due
    if completed:
        task.status = SandboxTask.Status.COMPLETED
        task.finished_at = due
    task.save()
    return task
