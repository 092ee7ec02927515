"""Typed results of the Cloud at Cost API, parsed leniently.

The live service drifted from its documentation (shared/cac-api/REALITY.md): every scalar may be a
string, fields may be null or spelled twice (`label`/`lable`), lists may come as objects. Each
`from_api` accepts every shape seen and ignores unknown fields; it raises `UnexpectedShape` only
when the answer cannot mean what it should (which the client turns into `CacBadResponse`).
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.views.decorators.debug import sensitive_variables


class UnexpectedShape(ValueError):
    pass


# Longest text kept from one field: a name or address is far shorter; a megabyte "label" is not
# worth carrying into caches, pages and headers.
MAX_TEXT = 1000
# C0 controls (but tab and newline), DEL, and lone surrogates (JSON's "\ud800" decodes to one,
# and a page or header holding it cannot be encoded as UTF-8).
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
# What may go into the panel's URLs as a server id: `{% url %}` cannot reverse "a/b" or "", and
# the provider only ever sent digits.
_URL_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def text(value: Any) -> str:
    """A scalar as clean text; anything else (objects, lists) is not text: ''."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    value = value if isinstance(value, str) else str(value)
    return _UNSAFE_CHARS.sub("\ufffd", value[:MAX_TEXT]).strip()


def number(value: Any) -> float:
    if isinstance(value, dict | list | bool):
        return 0.0
    try:
        result = float(str(value).strip()[:100])
    except (TypeError, ValueError, OverflowError):
        return 0.0
    # "1e999" is inf and "nan" is nan: int() of either raises.
    return result if math.isfinite(result) else 0.0


def integer(value: Any) -> int:
    return int(number(value))


def identifier(value: Any) -> str | None:
    """An id sent as a string, an int, or (by a sloppy JSON encoder) an integral float."""
    if value is None or value == "" or isinstance(value, dict | list | bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            value = int(value)
    return text(value) or None


def url_safe_id(value: str) -> bool:
    return bool(_URL_SAFE_ID.fullmatch(value))


def _linkable(value: str | None) -> str | None:
    return value if value is not None and url_safe_id(value) else None


def epoch(value: Any) -> datetime | None:
    seconds = number(value)
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def percent(used: float, total: float) -> float:
    if total <= 0:
        return 0.0
    return min(max(used / total * 100, 0.0), 100.0)


@sensitive_variables()
def records(data: Any, what: str) -> list[dict]:
    """A list of objects: `[...]`, an object keyed by index (PHP's json_encode), or null."""
    if data is None or data == "":
        return []
    if isinstance(data, dict):
        data = list(data.values())
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UnexpectedShape(f"{what} is not a list of objects")
    return data


def label_of(item: dict) -> str:
    # Both spellings are sent; either may be null.
    return text(item.get("label")) or text(item.get("lable"))


@dataclass(frozen=True)
class Server:
    id: str
    name: str
    label: str
    servername: str
    vmname: str
    ip: str
    netmask: str
    gateway: str
    hostname: str
    template: str
    cpu: int
    cpu_usage: float
    ram: int
    ram_usage: float
    storage: int
    hd_usage: float
    status: str
    mode: str
    server_type: str
    panel_note: str
    rdns: str
    rdns_default: str
    created: str
    vnc_port: str

    @classmethod
    @sensitive_variables()
    def from_api(cls, item: dict) -> "Server":
        # rootpass and vncpass are deliberately not read: see ServerSecrets.
        server_id = identifier(item.get("id"))
        if server_id is None:
            raise UnexpectedShape("a server has no id")
        label = label_of(item)
        servername = text(item.get("servername"))
        return cls(
            id=server_id,
            name=label or servername or server_id,
            label=label,
            servername=servername,
            vmname=text(item.get("vmname")),
            ip=text(item.get("ip")),
            netmask=text(item.get("netmask")),
            gateway=text(item.get("gateway")),
            hostname=text(item.get("hostname")),
            template=text(item.get("template")),
            cpu=integer(item.get("cpu")),
            cpu_usage=number(item.get("cpuusage")),
            ram=integer(item.get("ram")),
            ram_usage=number(item.get("ramusage")),
            storage=integer(item.get("storage")),
            hd_usage=number(item.get("hdusage")),
            status=text(item.get("status")),
            mode=text(item.get("mode")).capitalize(),
            server_type=text(item.get("servertype")),
            panel_note=text(item.get("panel_note")),
            rdns=text(item.get("rdns")),
            rdns_default=text(item.get("rdnsdefault")),
            created=text(item.get("sdate")),
            vnc_port=text(item.get("vncport")),
        )

    @property
    def is_cloudpro(self) -> bool:
        return self.server_type.lower() == "cloudpro"

    @property
    def is_on(self) -> bool:
        return self.status.lower() == "powered on"

    @property
    def is_installing(self) -> bool:
        return self.status.lower() == "installing"

    @property
    def search_text(self) -> str:
        """What the list's filter box looks in: names, addresses, template, status, mode."""
        fields = (self.name, self.servername, self.ip, self.hostname, self.template, self.status)
        return " ".join(value for value in (*fields, self.rdns, self.mode) if value)

    @property
    def cpu_percent(self) -> float:
        # cpuusage is relative to the core count: 261 on 4 cores is 65.25 %.
        return min(max(self.cpu_usage / self.cpu, 0.0), 100.0) if self.cpu > 0 else 0.0

    @property
    def ram_percent(self) -> float:
        return percent(self.ram_usage, self.ram)

    @property
    def disk_percent(self) -> float:
        return percent(self.hd_usage, self.storage)


class ServerList(list):
    """The servers the panel can show, and how many it left out (`skipped`): a server whose id
    cannot go into the panel's addresses ("a/b", " ", 500 characters) gets no page of its own."""

    skipped: int = 0

    @classmethod
    def of(cls, servers: list[Server]) -> "ServerList":
        kept = cls(server for server in servers if url_safe_id(server.id))
        kept.skipped = len(servers) - len(kept)
        return kept


@dataclass(frozen=True)
class ServerSecrets:
    root_password: str = field(repr=False)
    vnc_password: str = field(repr=False)

    @classmethod
    @sensitive_variables()
    def from_api(cls, item: dict) -> "ServerSecrets":
        return cls(root_password=text(item.get("rootpass")), vnc_password=text(item.get("vncpass")))

    def __repr__(self) -> str:
        return "ServerSecrets(<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True)
class Template:
    id: str
    name: str

    @classmethod
    def from_api(cls, item: dict) -> "Template":
        # Documented {id, detail}; live from 2016 {ce_id, name}.
        template_id = identifier(item.get("id"))
        if template_id is None:
            template_id = identifier(item.get("ce_id"))
        if template_id is None:
            raise UnexpectedShape("a template has no id")
        name = text(item.get("detail")) or text(item.get("name")) or f"Template {template_id}"
        return cls(id=template_id, name=name)


@dataclass(frozen=True)
class Task:
    id: str
    server_id: str
    server_name: str
    label: str
    ip: str
    action: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_api(cls, item: dict) -> "Task":
        task_id = identifier(item.get("idf")) or identifier(item.get("id"))
        if task_id is None:
            raise UnexpectedShape("a task has no id")
        return cls(
            id=task_id,
            # "0" is sent for tasks that belong to no (or a deleted) server; kept as sent. An id
            # that cannot go into an address is dropped: the task is shown without a link.
            server_id=_linkable(identifier(item.get("serverid"))) or "",
            server_name=text(item.get("servername")),
            label=label_of(item),
            ip=text(item.get("ip")),
            action=text(item.get("action")),
            status=text(item.get("status")).lower(),
            started_at=epoch(item.get("starttime")),
            finished_at=epoch(item.get("finishtime")),
        )

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


def _single(value: Any, what: str) -> dict:
    # `total` is documented as a one-element array and was live an object.
    if isinstance(value, list):
        value = value[0] if value else {}
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnexpectedShape(f"{what} is not an object")
    return value


@dataclass(frozen=True)
class Resources:
    cpu_total: int
    ram_total: int
    storage_total: int
    cpu_used: int
    ram_used: int
    storage_used: int

    @classmethod
    def from_api(cls, data: Any) -> "Resources":
        if not isinstance(data, dict):
            raise UnexpectedShape("the resources are not an object")
        total = _single(data.get("total"), "total")
        used = _single(data.get("used"), "used")
        return cls(
            cpu_total=integer(total.get("cpu_total")),
            ram_total=integer(total.get("ram_total")),
            storage_total=integer(total.get("storage_total")),
            cpu_used=integer(used.get("cpu_used")),
            ram_used=integer(used.get("ram_used")),
            storage_used=integer(used.get("storage_used")),
        )

    @property
    def cpu_free(self) -> int:
        return max(self.cpu_total - self.cpu_used, 0)

    @property
    def ram_free(self) -> int:
        return max(self.ram_total - self.ram_used, 0)

    @property
    def storage_free(self) -> int:
        return max(self.storage_total - self.storage_used, 0)


@dataclass(frozen=True)
class ActionResult:
    task_id: str | None
    result: str
    server_id: str | None = None
    action: str | None = None
    server_name: str | None = None

    @classmethod
    def from_api(cls, payload: dict) -> "ActionResult":
        # Power results in the wild had no serverid or action; build results add servername.
        return cls(
            task_id=identifier(payload.get("taskid")),
            result=text(payload.get("result")),
            server_id=_linkable(identifier(payload.get("serverid"))),
            action=text(payload.get("action")) or None,
            server_name=text(payload.get("servername")) or None,
        )
