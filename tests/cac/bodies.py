"""Response bodies: the provider's documented examples (copied verbatim from official-v1-docs.txt)
and the shapes the live service sent (REALITY.md)."""

# --- official-v1-docs.txt, verbatim -------------------------------------------------------------

DOCS_LISTSERVERS = r"""{
"status": "ok",
"time": 1425064819,
"id": "90000",
"data": [
{
"id": "2402939",
"CustID": "90001",
"packageid": "21579",
"servername": "localhost",
"lable": "api-test",
"label": "api-test",
"vmname": "c90001-iOD-848113",
"ip": "1.2.3.4",
"netmask": "255.255.255.0",
"gateway": "1.2.3.1",
"hostname": "c9000-iOD-123.cloudatcost.com",
"rootpass": "password",
"vncport": "45148",
"vncpass": "vnc_pass",
"servertype": "Custom",
"template": "Microsoft Windows 7 (64-bit)",
"cpu": "4",
"cpuusage": "261",
"ram": "4096",
"ramusage": "3556.202",
"storage": "69",
"hdusage": "0.000434688",
"sdate": "01\/26\/2014",
"status": "Powered On",
"panel_note": "",
"mode": "Normal",
"uid": "619712052",
"sid": "240294",
"rdns":"c90001-iOD-848113.cloudatcost.com",
"rdnsdefault":"ptr-not-configured.cloudatcost"
}
]
}"""

DOCS_LISTTEMPLATES = r"""{
"status": "ok",
"time": 1425326406,
"data": [
{
"id": "26",
"detail": "CentOS-7-64bit"
},
{
"id": "27",
"detail": "Ubuntu-14.04.1-LTS-64bit"
},
{
"id": "15",
"detail": "CentOS 6.5 64bit (LAMP)"
},
{
"id": "28",
"detail": "Minecraft-CentOS-7-64bit"
}
]
}"""

DOCS_LISTTASKS = r"""{
"status": "ok",
"time": 1425504688,
"api": "v1",
"cid": "734103810",
"action": "listtasks",
"data": [
{
"cid": "734103810",
"idf": "8548136390745",
"serverid": "0",
"action": "reset",
"status": "completed",
"starttime": "1425504093",
"finishtime": "1425504094",
"servername":"c1115850-28047",
"ip":"1.1.1.1",
"label":"mysql server",
"rdns":"c1115850-28047.cloudatcost.com",
"rdnsdefault":"ptr-not-configured.cloudatcost"
},
{
"cid": "734103810",
"idf": "2268428551033",
"serverid": "254513205",
"action": "reset",
"status": "pending",
"starttime": "1425504295",
"finishtime": "1425504312",
"servername":"c1115860-28047",
"ip":"1.1.1.1",
"label":"centos server",
"rdns":"c1115860-28047.cloudatcost.com",
"rdnsdefault":"ptr-not-configured.cloudatcost"
}
]
}"""

DOCS_POWEROP = r"""{
"status": "ok",
"time": 1425504815,
"api": "v1",
"serverid": "254513205",
"action": "reset",
"taskid": 700420024805,
"result": "successful"
}"""

DOCS_POWEROP_ERROR = r"""{
"status": "error",
"time": 1425505065,
"error": 105,
"error_description": "task already running"
}"""

DOCS_RUNMODE = r"""{
"status": "ok",
"time": 1425504815,
"api": "v1",
"serverid": "254513205",
"result": "successful"
}"""

DOCS_INVALID_SERVER = r"""{
"status": "error",
"time": 1425505065,
"error": 109,
"error_description": "invalid server ID"
}"""

DOCS_INVALID_DOMAIN = r"""{
"status": "error",
"time": 1425505065,
"error": 109,
"error_description": "invalid domain name"
}"""

DOCS_CONSOLE = r"""{
"status": "ok",
"time": 1425572027,
"api": "v1",
"serverid": "1234567890",
"console": "http:\/\/panel.cloudatcost.com:12345\/console.html?servername=123456&hostname=1.1.1.1&sshkey=123456&sha1hash=aBcDeFgG"
}"""  # noqa: E501 (verbatim)

DOCS_BUILD = r"""{
"status":"ok",
"time":1429119324,
"api":"v1",
"action":"build",
"taskid":726492791437,
"result":"successful"
}"""

# Invalid JSON as published: note the trailing comma.
DOCS_BUILD_ERROR = r"""{
"status":"error",
"time":1429119324,
"error":"107",
"error_description":"Not Enough RAM",
}"""

DOCS_DELETE = r"""{
"status":"ok",
"time":1429119324,
"api":"v1",
"action":"delete",
"taskid":726492791437,
"result":"successful"
}"""

DOCS_DELETE_ERROR = r"""{
"status":"error",
"time":1429119324,
"error":"107",
"error_description":"Invalid Server Permission"
}"""

DOCS_RESOURCES = r"""{
"status": "ok",
"time": 1429120346,
"api": "v1",
"action": "resources",
"data": {
"total": [
{
"cpu_total": "8",
"ram_total": "8192",
"storage_total": "120"
}
],
"used": {
"cpu_used": "3",
"ram_used": "3072",
"storage_used": "90"
}
}
}"""

DOCS_IP_ERROR = r"""{
"status": "error",
"time": 1425064819,
"error": 104,
"error_description":"invalid ip address connection"
}"""

# --- the live service (REALITY.md) --------------------------------------------------------------

LIVE_SERVER = {
    "id": "254513205",
    "CustID": "90001",
    "packageid": "21579",
    "servername": "c1115860-28047",
    "label": None,
    "lable": None,
    "vmname": "c1115860-28047",
    "ip": "10.0.0.7",
    "netmask": "255.255.255.0",
    "gateway": "10.0.0.1",
    "hostname": "Not Assigned",
    "rootpass": "live-root-pw",
    "vncport": "5907",
    "vncpass": "live-vnc-pw",
    "servertype": "cloudpro",
    "template": "Ubuntu-14.04.1-LTS-64bit",
    "cpu": "2",
    "cpuusage": "500",
    "ram": "2048",
    "ramusage": "512",
    "storage": "20",
    "hdusage": "25",
    "sdate": "03/14/2016",
    "status": "Installing",
    "panel_note": None,
    "mode": "Safe",
    "uid": "1",
    "sid": "2",
    "rdns": "c1115860-28047.cloudatcost.com",
    "rdnsdefault": "ptr-not-configured.cloudatcost",
    "portgroup": "vlan-12",
}

LIVE_SERVER_ONLY_LABLE = {**LIVE_SERVER, "id": "254513206", "label": None, "lable": "web-1"}

LIVE_LISTSERVERS = {
    "status": "ok",
    "time": 1458000000,
    "api": "v1",
    "action": "listservers",
    "id": "90000",
    "data": [LIVE_SERVER, LIVE_SERVER_ONLY_LABLE],
}

LIVE_LISTTEMPLATES = {
    "status": "ok",
    "time": 1458000000,
    "data": [{"ce_id": "75", "name": "Ubuntu-16.04-64bit"}, {"ce_id": "74", "name": "Debian-8"}],
}

LIVE_LISTTASKS = {
    "status": "ok",
    "time": 1458000000,
    "data": [
        {
            "cid": "1",
            "idf": "4813160789199",
            "serverid": "0",
            "action": "poweron",
            "status": "pending",
            "starttime": "1450719909",
            "finishtime": "0",
            "servername": "c1-1",
            "ip": "10.0.0.9",
            "lable": "db",
        }
    ],
}

LIVE_POWEROP = (
    '{"status":"ok","time":1450719909,"api":"v1","taskid":4813160789199,"result":"successful"}'
)

LIVE_BUILD = {
    "status": "ok",
    "time": 1458000000,
    "api": "v1",
    "action": "build",
    "taskid": 726492791438,
    "result": "successful",
    "servername": "c90001-CloudPro-123",
}

LIVE_RESOURCES = {
    "status": "ok",
    "time": 1458000000,
    "data": {
        "total": {"cpu_total": "8", "ram_total": "8192", "storage_total": "120"},
        "used": {"cpu_used": "3", "ram_used": "3072", "storage_used": "90"},
    },
}

LIVE_IP_ERROR_412 = {
    "status": "error",
    "time": 1458000000,
    "error": 104,
    "error_description": "invalid ip address connection",
}

SQL_ERROR_LISTTASKS = "Unknown column 'iod.apitask.cid' in 'field list'"
SQL_ERROR_DELETE = "Table 'panel.hardware_hd' doesn't exist"
MAINTENANCE = "We are currently performing maintenance"
