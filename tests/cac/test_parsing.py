"""Success paths: the documented and the live shape of every answer become the same typed values."""

import json
from datetime import UTC, datetime

import pytest
import responses

from servers.cac.errors import CacBadResponse
from servers.cac.models import Resources, Server, ServerSecrets, Task, Template

from . import bodies
from .conftest import endpoint_url


def serve(cac, method, endpoint, body, *, content_type="application/json", status=200):
    if not isinstance(body, str):
        body = json.dumps(body)
    cac.add(method, endpoint_url(endpoint), body=body, status=status, content_type=content_type)


class TestListServers:
    def test_documented_example(self, cac, client):
        serve(cac, responses.GET, "listservers", bodies.DOCS_LISTSERVERS)

        [server] = client.list_servers()

        assert isinstance(server, Server)
        assert server.id == "2402939"
        assert server.name == "api-test"
        assert server.label == "api-test"
        assert server.servername == "localhost"
        assert server.vmname == "c90001-iOD-848113"
        assert (server.ip, server.netmask, server.gateway) == (
            "1.2.3.4",
            "255.255.255.0",
            "1.2.3.1",
        )
        assert server.hostname == "c9000-iOD-123.cloudatcost.com"
        assert server.template == "Microsoft Windows 7 (64-bit)"
        assert (server.cpu, server.cpu_usage) == (4, 261.0)
        assert (server.ram, server.ram_usage) == (4096, 3556.202)
        assert (server.storage, server.hd_usage) == (69, 0.000434688)
        assert server.status == "Powered On"
        assert server.is_on and not server.is_installing
        assert server.mode == "Normal"
        assert server.server_type == "Custom"
        assert not server.is_cloudpro
        assert server.panel_note == ""
        assert server.rdns == "c90001-iOD-848113.cloudatcost.com"
        assert server.rdns_default == "ptr-not-configured.cloudatcost"
        assert server.created == "01/26/2014"
        assert server.vnc_port == "45148"
        assert server.cpu_percent == pytest.approx(65.25)
        assert server.ram_percent == pytest.approx(3556.202 / 4096 * 100)
        assert server.disk_percent == pytest.approx(0.000434688 / 69 * 100)

    def test_passwords_are_not_on_the_record(self, cac, client):
        serve(cac, responses.GET, "listservers", bodies.DOCS_LISTSERVERS)

        [server] = client.list_servers()

        assert not hasattr(server, "rootpass") and not hasattr(server, "vncpass")
        everything = repr(server) + repr(vars(server))
        assert "password" not in everything and "vnc_pass" not in everything

    def test_live_shape_served_as_html(self, cac, client):
        serve(cac, responses.GET, "listservers", bodies.LIVE_LISTSERVERS, content_type="text/html")

        unlabelled, lable_only = client.list_servers()

        # label and lable both null: the name falls back to servername.
        assert unlabelled.label == ""
        assert unlabelled.name == "c1115860-28047"
        assert unlabelled.panel_note == ""
        assert unlabelled.is_cloudpro and unlabelled.is_installing and not unlabelled.is_on
        assert unlabelled.mode == "Safe"
        assert unlabelled.hostname == "Not Assigned"
        # Usage above capacity is clamped, not shown as 250 %.
        assert unlabelled.cpu_percent == 100.0
        assert unlabelled.ram_percent == pytest.approx(25.0)
        assert unlabelled.disk_percent == 100.0
        # Only the old spelling filled in.
        assert lable_only.label == "web-1"
        assert lable_only.name == "web-1"

    def test_numbers_may_be_numbers_and_fields_missing(self, cac, client):
        item = {"id": 17, "servername": "bare", "cpu": 2, "cpuusage": 1.5, "ram": 1024.0}
        serve(cac, responses.GET, "listservers", {"status": "ok", "data": [item]})

        [server] = client.list_servers()

        assert server.id == "17"
        assert (server.cpu, server.cpu_usage, server.ram) == (2, 1.5, 1024)
        assert server.storage == 0 and server.disk_percent == 0.0
        assert server.status == "" and server.mode == ""

    def test_data_keyed_by_index_and_empty_data(self, cac, client):
        keyed = {"status": "ok", "data": {"0": bodies.LIVE_SERVER}}
        serve(cac, responses.GET, "listservers", keyed)
        serve(cac, responses.GET, "listservers", {"status": "ok", "data": []})
        serve(cac, responses.GET, "listservers", {"status": "ok", "data": None})

        assert [s.id for s in client.list_servers()] == ["254513205"]
        assert client.list_servers() == []
        assert client.list_servers() == []

    def test_a_server_without_id_is_a_bad_response(self, cac, client):
        serve(cac, responses.GET, "listservers", {"status": "ok", "data": [{"servername": "x"}]})

        with pytest.raises(CacBadResponse, match="unexpected answer when asked to list the serv"):
            client.list_servers()


class TestServerSecrets:
    def test_documented_example(self, cac, client):
        serve(cac, responses.GET, "listservers", bodies.DOCS_LISTSERVERS)

        secrets = client.server_secrets("2402939")

        assert isinstance(secrets, ServerSecrets)
        assert secrets.root_password == "password"
        assert secrets.vnc_password == "vnc_pass"
        assert "password" not in repr(secrets) and "vnc_pass" not in str(secrets)

    def test_reads_fresh_each_time(self, cac, client):
        serve(cac, responses.GET, "listservers", bodies.LIVE_LISTSERVERS)
        serve(cac, responses.GET, "listservers", bodies.LIVE_LISTSERVERS)

        assert client.server_secrets(254513205).root_password == "live-root-pw"
        assert client.server_secrets("254513206").vnc_password == "live-vnc-pw"
        assert len(cac.calls) == 2


class TestTemplates:
    def test_documented_shape(self, cac, client):
        serve(cac, responses.GET, "listtemplates", bodies.DOCS_LISTTEMPLATES)

        templates = client.list_templates()

        assert templates[0] == Template(id="26", name="CentOS-7-64bit")
        assert [t.id for t in templates] == ["26", "27", "15", "28"]

    def test_live_shape(self, cac, client):
        serve(
            cac, responses.GET, "listtemplates", bodies.LIVE_LISTTEMPLATES, content_type="text/html"
        )

        assert client.list_templates() == [
            Template(id="75", name="Ubuntu-16.04-64bit"),
            Template(id="74", name="Debian-8"),
        ]

    def test_numeric_id(self):
        assert Template.from_api({"ce_id": 3, "name": "Debian"}) == Template(id="3", name="Debian")


class TestTasks:
    def test_documented_shape(self, cac, client):
        serve(cac, responses.GET, "listtasks", bodies.DOCS_LISTTASKS)

        done, pending = client.list_tasks()

        assert isinstance(done, Task)
        assert done.id == "8548136390745"
        assert done.server_id == "0"
        assert done.server_name == "c1115850-28047"
        assert done.label == "mysql server"
        assert (done.ip, done.action, done.status) == ("1.1.1.1", "reset", "completed")
        assert done.started_at == datetime.fromtimestamp(1425504093, tz=UTC)
        assert done.finished_at == datetime(2015, 3, 4, 21, 21, 34, tzinfo=UTC)
        assert not done.is_pending
        assert pending.is_pending and pending.server_id == "254513205"

    def test_live_shape(self, cac, client):
        serve(cac, responses.GET, "listtasks", bodies.LIVE_LISTTASKS, content_type="text/html")

        [task] = client.list_tasks()

        assert task.id == "4813160789199"
        assert task.server_id == "0"
        assert task.label == "db"
        assert task.is_pending
        assert task.started_at == datetime.fromtimestamp(1450719909, tz=UTC)
        assert task.finished_at is None

    def test_odd_times_become_none(self):
        task = Task.from_api(
            {"idf": 5, "starttime": "soon", "finishtime": None, "status": "Pending"}
        )

        assert (task.id, task.started_at, task.finished_at) == ("5", None, None)
        assert task.is_pending


class TestActions:
    def test_documented_power_result(self, cac, client):
        serve(cac, responses.POST, "powerop", bodies.DOCS_POWEROP)

        result = client.power("254513205", "reset")

        assert result.task_id == "700420024805"
        assert result.result == "successful"
        assert result.server_id == "254513205"
        assert result.action == "reset"
        assert result.server_name is None

    def test_live_power_result_without_serverid_or_action(self, cac, client):
        serve(cac, responses.POST, "powerop", bodies.LIVE_POWEROP, content_type="text/html")

        result = client.power("254513205", "poweron")

        assert result.task_id == "4813160789199"
        assert result.result == "successful"
        assert result.server_id is None and result.action is None

    @pytest.mark.parametrize(
        ("endpoint", "call"),
        [
            ("runmode", lambda c: c.set_run_mode("254513205", "safe")),
            ("renameserver", lambda c: c.rename("254513205", "web")),
            ("rdns", lambda c: c.set_reverse_dns("254513205", "web.example.com")),
        ],
    )
    def test_documented_setting_results(self, cac, client, endpoint, call):
        serve(cac, responses.POST, endpoint, bodies.DOCS_RUNMODE)

        result = call(client)

        assert (result.result, result.server_id, result.task_id) == (
            "successful",
            "254513205",
            None,
        )

    def test_documented_build(self, cac, client):
        serve(cac, responses.POST, "cloudpro/build", bodies.DOCS_BUILD)

        result = client.build(cpu=1, ram=1024, storage=30, os="75")

        assert (result.task_id, result.action, result.server_name) == (
            "726492791437",
            "build",
            None,
        )

    def test_live_build_names_the_new_server(self, cac, client):
        serve(cac, responses.POST, "cloudpro/build", bodies.LIVE_BUILD, content_type="text/html")

        result = client.build(cpu=2, ram=2048, storage=20, os="75", datacenter=1)

        assert result.server_name == "c90001-CloudPro-123"
        assert result.task_id == "726492791438"

    def test_documented_delete(self, cac, client):
        serve(cac, responses.POST, "cloudpro/delete", bodies.DOCS_DELETE)

        result = client.delete("254513205")

        assert (result.task_id, result.action, result.result) == (
            "726492791437",
            "delete",
            "successful",
        )


class TestConsole:
    def test_documented_example(self, cac, client):
        serve(cac, responses.POST, "console", bodies.DOCS_CONSOLE)

        url = client.console_url("1234567890")

        assert url == (
            "http://panel.cloudatcost.com:12345/console.html?servername=123456"
            "&hostname=1.1.1.1&sshkey=123456&sha1hash=aBcDeFgG"
        )

    def test_https_served_as_html(self, cac, client):
        body = {"status": "ok", "console": " https://c.example.test/console.html?sha1hash=z "}
        serve(cac, responses.POST, "console", body, content_type="text/html")

        assert client.console_url("1") == "https://c.example.test/console.html?sha1hash=z"


class TestResources:
    def test_documented_total_as_array(self, cac, client):
        serve(cac, responses.GET, "cloudpro/resources", bodies.DOCS_RESOURCES)

        resources = client.resources()

        assert resources == Resources(
            cpu_total=8,
            ram_total=8192,
            storage_total=120,
            cpu_used=3,
            ram_used=3072,
            storage_used=90,
        )
        assert (resources.cpu_free, resources.ram_free, resources.storage_free) == (5, 5120, 30)

    def test_live_total_as_object(self, cac, client):
        serve(
            cac,
            responses.GET,
            "cloudpro/resources",
            bodies.LIVE_RESOURCES,
            content_type="text/html",
        )

        resources = client.resources()

        assert (resources.cpu_total, resources.ram_total, resources.storage_total) == (8, 8192, 120)
        assert resources.storage_free == 30

    def test_overused_never_shows_negative_free(self):
        resources = Resources.from_api({"total": [{"cpu_total": "2"}], "used": {"cpu_used": "3"}})

        assert resources.cpu_free == 0 and resources.ram_free == 0

    def test_data_not_an_object_is_a_bad_response(self, cac, client):
        serve(cac, responses.GET, "cloudpro/resources", {"status": "ok", "data": "none"})

        with pytest.raises(CacBadResponse, match="read the Cloud Pro resources"):
            client.resources()
