#!/usr/bin/env python3
"""The image's HEALTHCHECK: GET /healthz on 127.0.0.1:$PORT; exit 0 on 200, else 1.

Standard library only, and no Django: it runs every 30 seconds. The Host header is SITE_URL's host,
which the default ALLOWED_HOSTS always accepts, and X-Forwarded-Proto is SITE_URL's scheme, so an
https-only configuration does not answer with a redirect (gunicorn trusts that header from
127.0.0.1). A redirect is a failure and is never followed: a health check must not go out to the
public address.

The same image runs the background worker (`entrypoint.sh worker`), which serves no page: when the
container's first process is the worker, the check is the worker's own (`sample_usage --check`: a
round ran within 3 minutes), so a worker started with a plain `docker run` is not "unhealthy".
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

TIMEOUT_SECONDS = 5
MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"


def runs_the_worker(cmdline: Path = Path("/proc/1/cmdline")) -> bool:
    """Whether the container's first process is the worker (the entrypoint execs run_huey)."""
    try:
        return b"run_huey" in cmdline.read_bytes().split(b"\0")[:3]
    except OSError:
        return False


def check_the_worker() -> int:
    try:
        result = subprocess.run(  # noqa: S603 (a fixed command line)
            [sys.executable, str(MANAGE_PY), "sample_usage", "--check"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS * 4,
        )
    except subprocess.TimeoutExpired:
        print("unhealthy: the worker's check did not finish")
        return 1
    healthy = result.returncode == 0
    print(("healthy: " if healthy else "unhealthy: ") + (result.stdout + result.stderr).strip())
    return 0 if healthy else 1


class _RefuseRedirects(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main() -> int:
    if runs_the_worker():
        return check_the_worker()
    site = urlsplit(os.environ.get("SITE_URL", "http://127.0.0.1:8000"))
    host = site.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = os.environ.get("PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz"
    request = Request(url, headers={"Host": host, "X-Forwarded-Proto": site.scheme or "http"})
    # No proxies: an HTTP_PROXY in the container's environment must not carry a local probe.
    opener = build_opener(ProxyHandler({}), _RefuseRedirects())
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except HTTPError as exc:
        status = exc.code
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"unhealthy: {url} (Host: {host}) did not answer: {reason}")
        return 1
    if status != 200:
        print(f"unhealthy: {url} (Host: {host}) answered HTTP {status}")
        return 1
    print(f"healthy: {url} (Host: {host}) answered HTTP 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
