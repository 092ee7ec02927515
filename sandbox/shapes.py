"""How the sandbox's answers look on the wire, in either of the two shapes the provider used.

`docs` follows the published reference (official-v1-docs.txt); `live` follows what the service
actually sent (REALITY.md). Every difference between the two lives in this module, so a switch of
shape never touches a rule. Scalars in server and task data are strings, as the provider sent them;
only `time` and `taskid` are numbers. A null label or note is a live quirk: the docs shape sends "".

A refusal made before any customer is known (a login no customer has) is in the sandbox's default
shape, `settings.CATCPANEL_SANDBOX_SHAPE`.
"""

import json
import time

from django.conf import settings
from django.http import HttpResponse

from sandbox.models import SandboxCustomer, SandboxServer, SandboxTask
from sandbox.services import Resources, Usage

DOCS = SandboxCustomer.Shape.DOCS
LIVE = SandboxCustomer.Shape.LIVE

# The provider's own non-JSON answers, word for word.
SQL_ERROR_LISTTASKS = "Unknown column 'iod.apitask.cid' in 'field list'"
SQL_ERROR_DELETE = "Table 'panel.hardware_hd' doesn't exist"
MAINTENANCE_NOTICE = "We are currently performing maintenance"
RATE_LIMIT_NOTICE = "Rate limit hit"


def shape_of(customer: SandboxCustomer | None) -> str:
    if customer is not None:
        return customer.shape
    return getattr(settings, "CATCPANEL_SANDBOX_SHAPE", DOCS)


def auth_error_status(customer: SandboxCustomer | None) -> int:
    """The customer's switch if set, else what its shape answered."""
    if customer is not None:
        return customer.effective_auth_error_status
    return SandboxCustomer.AUTH_ERROR_STATUS[shape_of(None)]


def _nullable(value: str | None, shape: str) -> str | None:
    return "" if value is None and shape != LIVE else value


def _now() -> int:
    return int(time.time())


def _unix(moment) -> str:
    return str(int(moment.timestamp())) if moment else ""


def ok(**fields) -> dict:
    return {"status": "ok", "time": _now(), **fields}


def error(code: int, description: str) -> dict:
    # A number in both shapes: only the docs' (invalid JSON) build example ever showed a string.
    return {"status": "error", "time": _now(), "error": code, "error_description": description}


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def server(customer: SandboxCustomer, srv: SandboxServer, use: Usage, shape: str) -> dict:
    data = {
        "id": srv.sid,
        "CustID": customer.customer_number,
        "packageid": srv.packageid,
        "servername": srv.servername,
        # The reference spells it both ways and old clients read the typo; either may be null.
        "lable": _nullable(srv.label, shape),
        "label": _nullable(srv.label, shape),
        "vmname": srv.vmname,
        "ip": srv.ip,
        "netmask": srv.netmask,
        "gateway": srv.gateway,
        "hostname": srv.hostname,
        "rootpass": srv.rootpass,
        "vncport": srv.vncport,
        "vncpass": srv.vncpass,
        "servertype": srv.servertype,
        "template": srv.template,
        "cpu": str(srv.cpu),
        "cpuusage": _format_number(use.cpu),
        "ram": str(srv.ram),
        "ramusage": _format_number(use.ram),
        "storage": str(srv.storage),
        "hdusage": _format_number(use.hd),
        "sdate": srv.sdate.strftime("%m/%d/%Y"),
        "status": srv.status,
        "panel_note": _nullable(srv.panel_note, shape),
        "mode": srv.mode,
        "uid": srv.uid,
        "sid": srv.sid,
        "rdns": srv.rdns,
        "rdnsdefault": srv.rdnsdefault,
    }
    if shape == LIVE:
        data["portgroup"] = srv.portgroup
    return data


def servers(customer: SandboxCustomer, rows: list[tuple[SandboxServer, Usage]], shape: str) -> dict:
    data = [server(customer, srv, use, shape) for srv, use in rows]
    if shape == LIVE:
        return ok(api="v1", action="listservers", id=customer.customer_number, data=data)
    return ok(id=customer.customer_number, data=data)


def templates(rows, shape: str) -> dict:
    if shape == LIVE:
        return ok(data=[{"ce_id": t.template_id, "name": t.name} for t in rows])
    return ok(data=[{"id": t.template_id, "detail": t.name} for t in rows])


def task(customer: SandboxCustomer, row: SandboxTask, shape: str) -> dict:
    finished = row.finished_at if row.status == SandboxTask.Status.COMPLETED else row.due_at
    return {
        "cid": customer.customer_number,
        "idf": str(row.idf),
        "serverid": row.serverid,
        "action": row.action,
        "status": row.status,
        "starttime": _unix(row.started_at),
        "finishtime": _unix(finished),
        "servername": row.servername,
        "ip": row.ip,
        "label": _nullable(row.label, shape),
        "rdns": row.rdns,
        "rdnsdefault": row.rdnsdefault,
    }


def tasks(customer: SandboxCustomer, rows, shape: str) -> dict:
    return ok(
        api="v1",
        cid=customer.customer_number,
        action="listtasks",
        data=[task(customer, row, shape) for row in rows],
    )


def power_result(row: SandboxTask, shape: str) -> dict:
    if shape == LIVE:
        # As recorded in the wild: no serverid, no action.
        return ok(api="v1", taskid=row.idf, result="successful")
    return ok(
        api="v1", serverid=row.serverid, action=row.action, taskid=row.idf, result="successful"
    )


def server_result(srv: SandboxServer) -> dict:
    """runmode, renameserver and rdns all answer the same way."""
    return ok(api="v1", serverid=srv.sid, result="successful")


def console_result(srv: SandboxServer, url: str) -> dict:
    return ok(api="v1", serverid=srv.sid, console=url)


def build_result(row: SandboxTask, srv: SandboxServer) -> dict:
    # `servername` is undocumented but live, and clients used it to find the new server.
    return ok(
        api="v1", action="build", taskid=row.idf, result="successful", servername=srv.servername
    )


def delete_result(row: SandboxTask) -> dict:
    return ok(api="v1", action="delete", taskid=row.idf, result="successful")


def resources(res: Resources, shape: str) -> dict:
    total = {
        "cpu_total": str(res.cpu_total),
        "ram_total": str(res.ram_total),
        "storage_total": str(res.storage_total),
    }
    used = {
        "cpu_used": str(res.cpu_used),
        "ram_used": str(res.ram_used),
        "storage_used": str(res.storage_used),
    }
    # The reference wraps `total` in a one-element array; the live service sent the object.
    return ok(
        api="v1",
        action="resources",
        data={"total": total if shape == LIVE else [total], "used": used},
    )


def json_response(payload: dict, customer: SandboxCustomer | None, status: int = 200):
    # PHP's json_encode escapes "/" as "\/"; some clients were written against exactly that text.
    body = json.dumps(payload, separators=(",", ":")).replace("/", "\\/")
    as_html = shape_of(customer) == LIVE or (customer is not None and customer.json_as_html)
    content_type = "text/html; charset=UTF-8" if as_html else "application/json"
    return HttpResponse(body, status=status, content_type=content_type)


def text_response(text: str, status: int = 200):
    # The provider's raw PHP output came as text/html, even when it was plain words.
    return HttpResponse(text, status=status, content_type="text/html; charset=UTF-8")
