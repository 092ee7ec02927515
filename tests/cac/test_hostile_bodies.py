"""Any body, of any type, size, nesting or encoding, is either parsed or a CacError: never another
exception that would become an error page."""

import json

import pytest

from servers.cac.errors import CacError
from servers.cac.models import ServerList

from .conftest import endpoint_url

DEEP = "[" * 100_000 + "]" * 100_000


def ok(data) -> str:
    return json.dumps({"status": "ok", "data": data})


BODIES = {
    "deep nesting": DEEP,
    "deep nesting in data": '{"status":"ok","data":' + DEEP + "}",
    "deep error description": '{"status":"error","error":1,"error_description":'
    + "[" * 900
    + "]" * 900
    + "}",
    "lone surrogates": '{"status":"ok","data":[{"id":"1","label":"\\ud800x\\udfff",'
    '"ip":"\\ud83d"}]}',
    "NUL and controls": ok([{"id": "2", "label": "a\x00b\x1b[31m", "hostname": "\x7f"}]),
    "huge numbers": '{"status":"ok","data":[{"id":"3","cpu":1e999,"ram":"1e999","cpuusage":-1e999,'
    '"storage":"nan","hdusage":123456789012345678901234567890}]}',
    "numbers as objects": ok([{"id": "4", "cpu": {"a": 1}, "ram": [1], "label": {"x": [1]}}]),
    "id an object": ok([{"id": {"x": 1}, "label": "object id"}]),
    "id a float": ok([{"id": 5.0, "label": "float id"}]),
    "id infinity": '{"status":"ok","data":[{"id":Infinity}]}',
    "id with slash and spaces": ok([{"id": "a/b c", "label": "slash"}]),
    "id too long": ok([{"id": "9" * 500}]),
    "data a string": ok("servers"),
    "data a number": ok(42),
    "data true": ok(True),
    "data a list of lists": ok([[1, 2]]),
    "status a list": '{"status":["ok"],"data":[]}',
    "status an object": '{"status":{"ok":1},"error":{"a":1}}',
    "top level a list": "[1,2,3]",
    "top level a string": '"ok"',
    "top level null": "null",
    "invalid utf-8": b'{"status":"ok","data":[{"id":"6","label":"\xff\xfe"}]}',
    "utf-16": json.dumps({"status": "ok", "data": []}).encode("utf-16"),
    "huge integer literal": '{"status":"ok","data":[{"id":' + "9" * 5000 + "}]}",
    "a megabyte label": ok([{"id": "7", "label": "x" * 1_000_000}]),
    "total as a number": '{"status":"ok","data":{"total":5,"used":"x"}}',
    "console a list": '{"status":"ok","console":["http://x"]}',
    "console with controls": '{"status":"ok","console":"http://x.example/\\r\\nSet-Cookie: a=b"}',
    "console with surrogate": '{"status":"ok","console":"http://x.example/\\ud800"}',
    "task id an object": '{"status":"ok","taskid":{"a":1},"result":["x"],"serverid":"../x"}',
}

CALLS = {
    "servers": lambda client: client.list_servers(),
    "secrets": lambda client: client.server_secrets("1"),
    "templates": lambda client: client.list_templates(),
    "tasks": lambda client: client.list_tasks(),
    "resources": lambda client: client.resources(),
    "power": lambda client: client.power("1", "reset"),
    "console": lambda client: client.console_url("1"),
    "build": lambda client: client.build(cpu=1, ram=1024, storage=10, os="1"),
}
ENDPOINTS = {
    "servers": ("GET", "listservers"),
    "secrets": ("GET", "listservers"),
    "templates": ("GET", "listtemplates"),
    "tasks": ("GET", "listtasks"),
    "resources": ("GET", "cloudpro/resources"),
    "power": ("POST", "powerop"),
    "console": ("POST", "console"),
    "build": ("POST", "cloudpro/build"),
}


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_any_body_is_a_result_or_a_cac_error(cac, client, call, body):
    method, endpoint = ENDPOINTS[call]
    cac.add(method, endpoint_url(endpoint), body=body, status=200, content_type="text/html")

    try:
        result = CALLS[call](client)
    except CacError as error:
        assert error.message and error.__cause__ is None
        return
    # Whatever came through is clean text: it can be rendered, encoded and put in a header.
    for value in _strings(result):
        value.encode("utf-8")
        assert "\x00" not in value and len(value) <= 2000


def _strings(result):
    items = result if isinstance(result, list) else [result]
    for item in items:
        if isinstance(item, str):
            yield item
        for value in getattr(item, "__dict__", {}).values():
            if isinstance(value, str):
                yield value


def test_servers_whose_id_cannot_go_into_an_address_are_left_out_and_counted(cac, client):
    data = [
        {"id": "1", "label": "fine"},
        {"id": "a/b", "label": "slash"},
        {"id": "with space"},
        {"id": "9" * 500},
        {"id": "..", "label": "dots"},
        {"id": 254, "label": "number"},
    ]
    cac.add("GET", endpoint_url("listservers"), body=ok(data), content_type="text/html")

    servers = client.list_servers()

    assert isinstance(servers, ServerList)
    assert [server.id for server in servers] == ["1", "254"]
    assert servers.skipped == 4


def test_task_and_build_ids_that_cannot_go_into_an_address_are_dropped(cac, client):
    tasks = [{"idf": "1", "serverid": "a/b", "servername": "c1"}, {"idf": "2", "serverid": "9"}]
    cac.add("GET", endpoint_url("listtasks"), body=ok(tasks), content_type="text/html")
    cac.add(
        "POST",
        endpoint_url("cloudpro/build"),
        body='{"status":"ok","taskid":"1","serverid":"x y","servername":"c9"}',
    )

    first, second = client.list_tasks()
    result = client.build(cpu=1, ram=1024, storage=10, os="1")

    assert (first.server_id, first.server_name, second.server_id) == ("", "c1", "9")
    assert result.server_id is None and result.server_name == "c9"


def test_lone_surrogates_and_controls_become_replacement_characters(cac, client):
    cac.add("GET", endpoint_url("listservers"), body=BODIES["lone surrogates"])
    [server] = client.list_servers()
    assert server.name == "\ufffdx\ufffd" and server.ip == "\ufffd"
