"""Tasks finish lazily, on the next request after their time, and change the servers then."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox import services
from sandbox.models import SandboxServer, SandboxTask
from tests.sandbox.conftest import body, server_by_label


@pytest.fixture
def slow(sandbox_customer):
    """Tasks take a minute: nothing finishes unless a test moves its clock."""
    sandbox_customer.task_seconds = 60
    sandbox_customer.save()
    return sandbox_customer


def make_due(task_id):
    """Pretend the task's minute has passed, without sleeping."""
    SandboxTask.objects.filter(idf=task_id).update(due_at=timezone.now() - timedelta(seconds=1))


def status_of(api, sid):
    rows = body(api("listservers.php"))["data"]
    return next((row["status"] for row in rows if row["sid"] == sid), None)


def task_status(api, task_id):
    rows = body(api("listtasks.php"))["data"]
    return next(row["status"] for row in rows if row["idf"] == str(task_id))


@pytest.mark.parametrize(
    ("label", "action", "meanwhile", "after"),
    [
        ("web-01", "poweroff", "Powered On", "Powered Off"),
        ("db-01", "poweron", "Pending On", "Powered On"),
        ("web-01", "reset", "Powered On", "Powered On"),
        ("db-01", "reset", "Powered Off", "Powered On"),
    ],
)
def test_power_changes_the_server_when_its_task_completes(
    api, slow, label, action, meanwhile, after
):
    server = server_by_label(slow, label)
    task_id = body(api("powerop.php", sid=server.sid, action=action))["taskid"]

    assert status_of(api, server.sid) == meanwhile
    assert task_status(api, task_id) == "pending"

    make_due(task_id)

    assert status_of(api, server.sid) == after
    assert task_status(api, task_id) == "completed"
    # Once done, another power operation is accepted again.
    again = body(api("powerop.php", sid=server.sid, action="reset"))
    assert again["status"] == "ok"


def test_a_server_waiting_to_power_on_shows_no_usage(api, slow):
    server = server_by_label(slow, "db-01")
    api("powerop.php", sid=server.sid, action="poweron")

    row = next(r for r in body(api("listservers.php"))["data"] if r["sid"] == server.sid)

    assert row["status"] == "Pending On"
    assert (row["cpuusage"], row["ramusage"], row["hdusage"]) == ("0", "0", "0")


def test_with_no_delay_the_next_request_sees_the_task_completed(api, sandbox_customer):
    server = server_by_label(sandbox_customer, "web-01")

    task_id = body(api("powerop.php", sid=server.sid, action="poweroff"))["taskid"]

    assert task_status(api, task_id) == "completed"
    assert status_of(api, server.sid) == "Powered Off"


def test_a_build_appears_installing_then_powered_on(api, slow):
    data = body(api("cloudpro/build.php", cpu=2, ram=2048, storage=20, os=27))
    sid = SandboxServer.objects.get(servername=data["servername"]).sid

    assert status_of(api, sid) == "Installing"

    make_due(data["taskid"])

    assert status_of(api, sid) == "Powered On"
    assert task_status(api, data["taskid"]) == "completed"


def test_a_deleted_server_disappears_when_its_task_completes(api, slow):
    worker = server_by_label(slow, "cp-worker")
    task_id = body(api("cloudpro/delete.php", sid=worker.sid))["taskid"]

    assert status_of(api, worker.sid) == "Powered Off"

    make_due(task_id)

    assert status_of(api, worker.sid) is None
    used = body(api("cloudpro/resources.php"))["data"]["used"]
    assert used == {"cpu_used": "6", "ram_used": "6144", "storage_used": "140"}
    # The finished task still tells which server it removed.
    task = next(row for row in body(api("listtasks.php"))["data"] if row["idf"] == str(task_id))
    assert (task["serverid"], task["label"], task["status"]) == (
        worker.sid,
        "cp-worker",
        "completed",
    )
    assert body(api("powerop.php", sid=worker.sid, action="poweron"))["error"] == 109


def test_completing_is_done_once_even_if_asked_twice(slow):
    server = server_by_label(slow, "db-01")
    task = services.power(slow, server.sid, "poweron")
    later = timezone.now() + timedelta(minutes=2)

    assert services.complete_due_tasks(slow, later) == 1
    assert services.complete_due_tasks(slow, later) == 0
    task.refresh_from_db()
    assert task.finished_at == task.due_at


def test_the_task_delay_is_per_customer(api, slow):
    from sandbox.demo import create_demo_customer

    quick = create_demo_customer(login="quick@sandbox.example", task_seconds=0)
    server = server_by_label(quick, "web-01")

    services.power(quick, server.sid, "poweroff")
    services.complete_due_tasks(quick)

    server.refresh_from_db()
    assert server.status == "Powered Off"
    assert slow.tasks.filter(status="pending").count() == 1  # only the demo's stuck build
