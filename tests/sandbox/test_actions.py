"""powerop, runmode, renameserver, rdns, console, cloudpro/build and cloudpro/delete."""

import pytest

from sandbox.models import SandboxServer, SandboxTask
from tests.sandbox.conftest import body, server_by_label


@pytest.fixture
def web(sandbox_customer):
    return server_by_label(sandbox_customer, "web-01")


# --- powerop --------------------------------------------------------------------------------------


def test_powerop_docs_shape_carries_serverid_and_action(api, web):
    data = body(api("powerop.php", sid=web.sid, action="poweroff"))

    assert data["status"] == "ok"
    assert data["api"] == "v1"
    assert data["serverid"] == web.sid
    assert data["action"] == "poweroff"
    assert isinstance(data["taskid"], int)
    assert data["result"] == "successful"
    task = SandboxTask.objects.get(idf=data["taskid"])
    assert (task.action, task.status, task.serverid) == ("poweroff", "pending", web.sid)


def test_powerop_live_shape_has_no_serverid_or_action(api, sandbox_customer, web):
    sandbox_customer.shape = "live"
    sandbox_customer.save()

    data = body(api("powerop.php", sid=web.sid, action="reset"))

    assert set(data) == {"status", "time", "api", "taskid", "result"}
    assert data["result"] == "successful"


def test_second_power_op_while_one_is_pending_is_105(api, shape, sandbox_customer, web):
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    assert body(api("powerop.php", sid=web.sid, action="poweroff"))["status"] == "ok"

    data = body(api("powerop.php", sid=web.sid, action="poweron"))

    assert data == {
        "status": "error",
        "time": data["time"],
        "error": 105,
        "error_description": "task already running",
    }


def test_power_on_an_installing_server_is_105_while_its_build_runs(api, sandbox_customer):
    building = server_by_label(sandbox_customer, "cp-build")

    data = body(api("powerop.php", sid=building.sid, action="poweron"))

    assert (data["error"], data["error_description"]) == (105, "task already running")


@pytest.mark.parametrize("action", ["", "PowerOn", "shutdown"])
def test_powerop_rejects_unknown_actions(api, web, action):
    data = body(api("powerop.php", sid=web.sid, action=action))

    assert data["status"] == "error"
    assert data["error"] == 105


@pytest.mark.parametrize(
    "endpoint",
    ["powerop.php", "runmode.php", "renameserver.php", "rdns.php", "console.php"],
)
@pytest.mark.parametrize("sid", ["", "123", "not-a-number"])
def test_unknown_server_id_is_109(api, shape, endpoint, sid):
    params = {"action": "reset", "mode": "safe", "name": "x", "hostname": "a.example.com"}

    response = api(endpoint, sid=sid, **params)

    data = body(response)
    assert response.status_code == 200  # an error with HTTP 200, as the provider did
    assert (data["status"], data["error"], data["error_description"]) == (
        "error",
        109,
        "invalid server ID",
    )


def test_a_server_of_another_customer_is_109(api, web):
    from sandbox.demo import create_demo_customer

    stranger = create_demo_customer(login="bob@sandbox.example")
    foreign = stranger.servers.first()

    data = body(api("powerop.php", sid=foreign.sid, action="reset"))

    assert data["error"] == 109


# --- runmode --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "stored"), [("safe", "Safe"), ("normal", "Normal")])
def test_runmode_accepts_lowercase_and_stores_capitalised(api, shape, web, mode, stored):
    data = body(api("runmode.php", sid=web.sid, mode=mode))

    assert data == {
        "status": "ok",
        "time": data["time"],
        "api": "v1",
        "serverid": web.sid,
        "result": "successful",
    }
    web.refresh_from_db()
    assert web.mode == stored


@pytest.mark.parametrize("mode", ["Safe", "NORMAL", "", "idle"])
def test_runmode_rejects_anything_but_lowercase_normal_or_safe(api, web, mode):
    data = body(api("runmode.php", sid=web.sid, mode=mode))

    assert data["status"] == "error"
    web.refresh_from_db()
    assert web.mode == "Normal"


# --- renameserver ---------------------------------------------------------------------------------


def test_rename_sets_both_label_spellings(api, shape, web):
    data = body(api("renameserver.php", sid=web.sid, name="front door"))

    assert (data["status"], data["serverid"], data["result"]) == ("ok", web.sid, "successful")
    row = next(r for r in body(api("listservers.php"))["data"] if r["sid"] == web.sid)
    assert row["label"] == row["lable"] == "front door"


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there", "new\nline"])
def test_rename_validates_the_name(api, web, name):
    data = body(api("renameserver.php", sid=web.sid, name=name))

    assert (data["status"], data["error"]) == ("error", 109)
    web.refresh_from_db()
    assert web.label == "web-01"


def test_rename_accepts_64_characters(api, web):
    assert body(api("renameserver.php", sid=web.sid, name="y" * 64))["status"] == "ok"


# --- rdns -----------------------------------------------------------------------------------------


def test_rdns_sets_hostname_and_reverse_dns(api, shape, web):
    data = body(api("rdns.php", sid=web.sid, hostname="www.example.com"))

    assert (data["status"], data["serverid"]) == ("ok", web.sid)
    web.refresh_from_db()
    assert (web.hostname, web.rdns) == ("www.example.com", "www.example.com")


@pytest.mark.parametrize(
    "hostname",
    ["", "localhost", "-bad.example.com", "a..b", "spa ce.example.com", "x" * 64 + ".com"],
)
def test_rdns_rejects_invalid_domain_names(api, web, hostname):
    data = body(api("rdns.php", sid=web.sid, hostname=hostname))

    assert (data["error"], data["error_description"]) == (109, "invalid domain name")


# --- console --------------------------------------------------------------------------------------


def test_console_answers_a_url_of_the_reference_form(api, shape, web):
    data = body(api("console.php", sid=web.sid))

    assert (data["status"], data["api"], data["serverid"]) == ("ok", "v1", web.sid)
    url = data["console"]
    assert url.startswith(f"http://testserver/sandbox/console/{web.sid}/console.html?")
    assert f"servername={web.servername}" in url
    assert f"hostname={web.ip}" in url
    assert f"sshkey={web.vncport}" in url
    assert "sha1hash=" in url


def test_console_stores_only_a_hash_of_the_token(api, web):
    url = body(api("console.php", sid=web.sid))["console"]
    token = url.split("sha1hash=")[1]

    stored = web.console_tokens.get()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


# --- cloudpro/build -------------------------------------------------------------------------------


def build(api, **overrides):
    params = {"cpu": "1", "ram": "1024", "storage": "10", "os": "26", **overrides}
    return body(api("cloudpro/build.php", **params))


def test_build_answers_taskid_and_servername_and_lists_the_server_installing(
    api, shape, sandbox_customer
):
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()

    data = build(api, datacenter="2")

    assert (data["status"], data["action"], data["result"]) == ("ok", "build", "successful")
    assert isinstance(data["taskid"], int)
    rows = body(api("listservers.php"))["data"]
    new = next(row for row in rows if row["servername"] == data["servername"])
    assert new["status"] == "Installing"
    assert new["servertype"] == "cloudpro"
    assert new["template"] == "CentOS-7-64bit"
    assert (new["cpu"], new["ram"], new["storage"]) == ("1", "1024", "10")
    assert SandboxServer.objects.get(sid=new["sid"]).datacenter == 2
    task = next(t for t in body(api("listtasks.php"))["data"] if t["idf"] == str(data["taskid"]))
    assert (task["action"], task["status"]) == ("build", "pending")
    used = body(api("cloudpro/resources.php"))["data"]["used"]
    assert used == {"cpu_used": "9", "ram_used": "9216", "storage_used": "210"}


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"cpu": "0"}, "invalid CPU value"),
        ({"cpu": "17"}, "invalid CPU value"),
        ({"cpu": "two"}, "invalid CPU value"),
        ({"cpu": None}, "invalid CPU value"),
        ({"ram": "511"}, "invalid RAM value"),
        ({"ram": "1026"}, "invalid RAM value"),
        ({"ram": "32772"}, "invalid RAM value"),
        ({"storage": "5"}, "invalid storage value"),
        ({"storage": "15"}, "invalid storage value"),
        ({"storage": "1010"}, "invalid storage value"),
        ({"os": "75"}, "no template available"),
        ({"os": None}, "no template available"),
        ({"datacenter": "4"}, "invalid datacenter"),
    ],
)
def test_build_checks_the_documented_limits(api, shape, sandbox_customer, overrides, description):
    before = sandbox_customer.servers.count()

    data = build(api, **overrides)

    assert (data["status"], data["error"], data["error_description"]) == (
        "error",
        105,
        description,
    )
    assert sandbox_customer.servers.count() == before


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"cpu": "9"}, "Not Enough CPU"),
        ({"ram": "8196"}, "Not Enough RAM"),
        ({"storage": "310"}, "Not Enough Storage"),
    ],
)
def test_build_checks_the_free_cloudpro_resources(api, shape, overrides, description):
    # Free: 8 CPU, 8192 MB, 300 GB.
    data = build(api, **overrides)

    assert (data["status"], data["error"], data["error_description"]) == (
        "error",
        107,
        description,
    )


def test_build_may_use_exactly_what_is_free(api):
    assert build(api, cpu="8", ram="8192", storage="300")["status"] == "ok"
    assert build(api, cpu="1")["error_description"] == "Not Enough CPU"


def test_build_limits_at_the_edges_are_accepted(api, sandbox_customer):
    sandbox_customer.cloudpro_cpu = 64
    sandbox_customer.cloudpro_ram = 65536
    sandbox_customer.cloudpro_storage = 2000
    sandbox_customer.save()

    assert build(api, cpu="16", ram="32768", storage="1000")["status"] == "ok"
    assert build(api, cpu="1", ram="512", storage="10")["status"] == "ok"


# --- cloudpro/delete ------------------------------------------------------------------------------


def test_delete_a_cloudpro_server(api, shape, sandbox_customer):
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    worker = server_by_label(sandbox_customer, "cp-worker")

    data = body(api("cloudpro/delete.php", sid=worker.sid))

    assert (data["status"], data["action"], data["result"]) == ("ok", "delete", "successful")
    task = SandboxTask.objects.get(idf=data["taskid"])
    assert (task.action, task.status, task.server) == ("delete", "pending", worker)
    again = body(api("cloudpro/delete.php", sid=worker.sid))
    assert (again["error"], again["error_description"]) == (105, "task already running")


def test_delete_refuses_servers_that_are_not_cloudpro(api, shape, web):
    data = body(api("cloudpro/delete.php", sid=web.sid))

    assert (data["status"], data["error"], data["error_description"]) == (
        "error",
        107,
        "Invalid Server Permission",
    )
    assert not SandboxTask.objects.filter(server=web, action="delete").exists()


def test_delete_unknown_server_is_109(api):
    assert body(api("cloudpro/delete.php", sid="42"))["error"] == 109
