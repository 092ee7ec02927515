"""listservers, listtemplates, listtasks and cloudpro/resources, in both shapes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox import services
from sandbox.demo import DOCS_TEMPLATES
from sandbox.models import SandboxServer
from tests.sandbox.conftest import body, server_by_label

SERVER_FIELDS = {
    "id", "CustID", "packageid", "servername", "lable", "label", "vmname", "ip", "netmask",
    "gateway", "hostname", "rootpass", "vncport", "vncpass", "servertype", "template", "cpu",
    "cpuusage", "ram", "ramusage", "storage", "hdusage", "sdate", "status", "panel_note", "mode",
    "uid", "sid", "rdns", "rdnsdefault",
}  # fmt: skip


def test_listservers_lists_every_server_with_the_documented_fields(api, shape, sandbox_customer):
    response = api("listservers.php")

    assert response.status_code == 200
    data = body(response)
    assert data["status"] == "ok"
    assert isinstance(data["time"], int)
    assert data["id"] == sandbox_customer.customer_number
    assert len(data["data"]) == 8
    for row in data["data"]:
        expected = SERVER_FIELDS | ({"portgroup"} if shape == "live" else set())
        assert set(row) == expected
    if shape == "live":
        assert data["api"] == "v1"
        assert data["action"] == "listservers"
    else:
        assert "api" not in data


def test_listservers_scalars_are_strings_except_live_null_labels_and_notes(api, shape):
    rows = body(api("listservers.php"))["data"]

    for row in rows:
        for name, value in row.items():
            if value is None:
                assert shape == "live"
                assert name in {"label", "lable", "panel_note"}
            else:
                assert isinstance(value, str), (name, value)


@pytest.mark.parametrize(("shape_name", "missing"), [("docs", ""), ("live", None)])
def test_listservers_carries_the_varied_demo_states(api, sandbox_customer, shape_name, missing):
    sandbox_customer.shape = shape_name
    sandbox_customer.save()
    rows = body(api("listservers.php"))["data"]
    by_label = {row["label"]: row for row in rows}

    assert {row["status"] for row in rows} == {"Powered On", "Powered Off", "Installing"}
    assert by_label["mail"]["mode"] == "Safe"
    assert by_label["win-rdp"]["hostname"] == "Not Assigned"
    assert by_label["win-rdp"]["panel_note"] is missing
    assert by_label[missing]["lable"] is missing
    assert sum(row["servertype"] == "cloudpro" for row in rows) == 3
    assert all(row["id"] == row["sid"] for row in rows)
    # The sandbox is the provider: it hands out the passwords, as the real listservers did.
    assert all(row["rootpass"] and row["vncpass"] for row in rows)
    assert by_label["web-01"]["sdate"] == "01/26/2014"


def test_listservers_escapes_slashes_like_php(api):
    assert b"\\/" in api("listservers.php").content  # sdate "01\/26\/2014"


def test_usage_stays_within_bounds_and_is_zero_when_not_running(api, sandbox_customer):
    rows = body(api("listservers.php"))["data"]

    for row in rows:
        cpu, ram, storage = int(row["cpu"]), int(row["ram"]), int(row["storage"])
        usage = float(row["cpuusage"]), float(row["ramusage"]), float(row["hdusage"])
        if row["status"] == "Powered On":
            assert 0 < usage[0] <= cpu * 100
            assert 0 < usage[1] <= ram
            assert 0 < usage[2] <= storage
        else:
            assert usage == (0, 0, 0)


def test_usage_moves_over_time_and_is_deterministic(sandbox_customer):
    server = server_by_label(sandbox_customer, "web-01")
    now = timezone.now()

    samples = [services.usage(server, now + timedelta(minutes=5 * i)) for i in range(6)]

    assert services.usage(server, now) == services.usage(server, now)
    assert len({sample.cpu for sample in samples}) > 1
    assert len({sample.ram for sample in samples}) > 1
    other = server_by_label(sandbox_customer, "cp-app")
    assert services.usage(other, now) != services.usage(server, now)


def test_listtemplates_docs_shape_is_id_and_detail(api, sandbox_customer):
    data = body(api("listtemplates.php"))

    assert data["status"] == "ok"
    assert data["data"] == [{"id": tid, "detail": name} for tid, name in DOCS_TEMPLATES]


def test_listtemplates_live_shape_is_ce_id_and_name(api, sandbox_customer):
    sandbox_customer.shape = "live"
    sandbox_customer.save()

    data = body(api("listtemplates.php"))

    assert data["data"] == [{"ce_id": tid, "name": name} for tid, name in DOCS_TEMPLATES]


def test_listtasks_shows_pending_and_completed_tasks(api, shape, sandbox_customer):
    data = body(api("listtasks.php"))

    assert data["status"] == "ok"
    assert data["api"] == "v1"
    assert data["action"] == "listtasks"
    assert data["cid"] == sandbox_customer.customer_number
    summary = sorted((row["action"], row["status"]) for row in data["data"])
    assert summary == [("build", "pending"), ("reset", "completed"), ("reset", "completed")]
    # As in the reference's example, a task may name server "0".
    assert "0" in {row["serverid"] for row in data["data"]}
    for row in data["data"]:
        assert set(row) == {
            "cid", "idf", "serverid", "action", "status", "starttime", "finishtime",
            "servername", "ip", "label", "rdns", "rdnsdefault",
        }  # fmt: skip
        assert all(isinstance(row[name], str) for name in ("idf", "serverid", "starttime"))
        assert int(row["finishtime"]) >= int(row["starttime"])


@pytest.mark.parametrize(
    ("shape_name", "total"),
    [
        ("docs", [{"cpu_total": "16", "ram_total": "16384", "storage_total": "500"}]),
        ("live", {"cpu_total": "16", "ram_total": "16384", "storage_total": "500"}),
    ],
)
def test_resources_total_per_shape_and_used_from_cloudpro_servers(
    api, sandbox_customer, shape_name, total
):
    sandbox_customer.shape = shape_name
    sandbox_customer.save()

    data = body(api("cloudpro/resources.php"))

    assert data["status"] == "ok"
    assert data["action"] == "resources"
    assert data["data"]["total"] == total
    # cp-app 4/4096/100 + cp-worker 2/2048/60 + cp-build 2/2048/40; the Custom servers do not count.
    assert data["data"]["used"] == {"cpu_used": "8", "ram_used": "8192", "storage_used": "200"}


def test_resources_used_follows_the_cloudpro_servers(api, sandbox_customer):
    SandboxServer.objects.filter(customer=sandbox_customer, servertype="cloudpro").delete()

    data = body(api("cloudpro/resources.php"))

    assert data["data"]["used"] == {"cpu_used": "0", "ram_used": "0", "storage_used": "0"}


def test_each_customer_sees_only_its_own_servers_and_tasks(api, sandbox_customer):
    from sandbox.demo import create_demo_customer

    other = create_demo_customer(login="bob@sandbox.example")
    own = {server.sid for server in sandbox_customer.servers.all()}

    servers = {row["sid"] for row in body(api("listservers.php"))["data"]}
    tasks = {row["idf"] for row in body(api("listtasks.php"))["data"]}

    assert servers == own
    assert not tasks & {str(task.idf) for task in other.tasks.all()}
