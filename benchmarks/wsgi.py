"""The panel's WSGI app, counting sandbox API calls per customer for the benchmark.

Each call appends "endpoint customer-hash" to CATCPANEL_BENCH_CALLS (O_APPEND writes of one short
line are atomic across the workers). The login is hashed: no credential reaches the file.
"""

import hashlib
import os
from urllib.parse import parse_qs

from catcpanel.wsgi import application as panel

CALLS_FILE = os.environ.get("CATCPANEL_BENCH_CALLS", "")
PREFIX = "/sandbox/api/v1/"


def customer_hash(login: str) -> str:
    return hashlib.sha256(login.encode()).hexdigest()[:12]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if CALLS_FILE and path.startswith(PREFIX):
        login = parse_qs(environ.get("QUERY_STRING", "")).get("login", [""])[0]
        endpoint = path[len(PREFIX) :].removesuffix(".php")
        line = f"{endpoint} {customer_hash(login)}\n".encode()
        fd = os.open(CALLS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return panel(environ, start_response)
