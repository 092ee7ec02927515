# ruff: noqa: E501, RUF001, S108, S603, RUF005, RUF059  (a table of figures; gunicorn started from our own venv)
"""The benchmark: a throwaway panel under gunicorn, its own sandbox, and a thread-pool load.

Everything runs on 127.0.0.1 in a temporary data folder (or DATABASE_URL / REDIS_URL if set).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = secrets.token_urlsafe(16)
HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Plan:
    cold_rounds: int
    poll_seconds: float
    cache_seconds: int
    poll_clients: int
    throughput_seconds: float
    servers_per_account: int


# Five cold rounds: on a shared 2-core machine one round can be 0.1 s off; the median is steadier.
FULL = Plan(5, 60, 30, 20, 10, 100)
QUICK = Plan(1, 6, 3, 20, 2, 100)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data_dir: Path, port: int, cache_seconds: int) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "CATCPANEL_DATA_DIR": str(data_dir),
            "CATCPANEL_SANDBOX": "true",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "CATCPANEL_FERNET_KEYS": Fernet.generate_key().decode(),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DEBUG": "false",
            "CATCPANEL_CACHE_SECONDS": str(cache_seconds),
            "CATCPANEL_BENCH_CALLS": str(data_dir / "calls.log"),
            "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        }
    )
    return env


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)


def make_user(name: str, accounts: int, servers: int, port: int, latency_ms: int):
    """A user owning `accounts` sandbox accounts of `servers` servers each; returns the customers."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from sandbox import services
    from sandbox.demo import create_demo_customer
    from servers.models import CloudAccount

    user = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD)
    customers = []
    for index in range(accounts):
        customer = create_demo_customer(f"{name}-{index}@example.com", task_seconds=0)
        with transaction.atomic():  # one commit for a hundred servers, not a hundred
            for extra in range(servers - customer.servers.count()):
                services.new_server(
                    customer,
                    label=f"bulk-{extra:03d}",
                    template="Ubuntu 14.04 64bit",
                    cpu=1,
                    ram=1024,
                    storage=10,
                )
        customer.latency_ms = latency_ms
        customer.save()
        account = CloudAccount(
            owner=user,
            name=f"{name} {index:02d}",
            base_url=f"http://127.0.0.1:{port}/sandbox/api/v1/",
        )
        account.set_credentials(login=customer.login, api_key=customer.api_key)
        account.save()
        customers.append(customer)
    return user, customers


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    # Two workers of 16 threads: the panel's calls to its own sandbox need threads of their own.
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "benchmarks.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "16",
        "--timeout",
        "60",
        "--error-logfile",
        str(log),
    ]
    if Path("/dev/shm").is_dir():
        command += ["--worker-tmp-dir", "/dev/shm"]
    help_text = subprocess.run(command[:1] + ["--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:
        command.append("--no-control-socket")
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    import requests

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def http_session():
    """A keep-alive session that retries a GET (twice at most) on a connection gunicorn closed.

    gunicorn drops idle keep-alive connections after 2 s; a client reusing one at that moment
    gets a reset, which says nothing about the panel.
    """
    import requests
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=8, max_retries=Retry(total=2, connect=2, read=2, status=0, redirect=0)
    )
    session.mount("http://", adapter)
    return session


def sign_in(base: str, username: str):
    session = http_session()
    page = session.get(f"{base}/auth/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/auth/login/",
        data={"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/auth/login/"},
        timeout=10,
    )
    if "sessionid" not in session.cookies:
        raise RuntimeError(f"sign-in failed for {username}: HTTP {answer.status_code}")
    return session


def clone(session):
    copy = http_session()
    copy.cookies.update(session.cookies)
    return copy


def page_get(base: str, path: str, cookie: str, headers: dict | None = None) -> str:
    """One GET with the standard library's client, as a browser makes it.

    requests spends about 3 ms of this process's CPU on a call: ten sections asked at once
    started up to 40 ms apart, and that was counted as the panel's time.
    """
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return body.decode()


def load_servers_page(base: str, session, pool: ThreadPoolExecutor) -> float:
    """The home page, then every account section at once, as htmx does on load."""
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    started = time.perf_counter()
    home = page_get(base, "/", cookie)
    sections = re.findall(r'hx-get="(/accounts/[^"/]+/servers/)"', home)
    list(pool.map(lambda path: page_get(base, path, cookie, HTMX), sections))
    return time.perf_counter() - started


def clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def cold_ratio(base, one, ten, plan, pool) -> dict:
    # "Cold" is the provider's lists, not the workers: their first requests (template loading,
    # a thread's first connection) once made the quick run's one account slower than ten.
    for session in (one, ten):
        load_servers_page(base, session, pool)
    timings = {"1": [], "10": []}
    for _ in range(plan.cold_rounds):
        for label, session in (("1", one), ("10", ten)):
            clear_cache()
            timings[label].append(load_servers_page(base, session, pool))
    one_s, ten_s = statistics.median(timings["1"]), statistics.median(timings["10"])
    return {"cold_1_account_s": one_s, "cold_10_accounts_s": ten_s, "cold_ratio": ten_s / one_s}


def add_viewer(name: str, accounts) -> object:
    """A member who may view `accounts`: their rows (no buttons) have never been rendered."""
    from django.contrib.auth import get_user_model

    from servers.models import Membership

    viewer = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD)
    for account in accounts:
        Membership.objects.create(account=account, user=viewer, role="viewer")
    return viewer


def warm_server_side(user_small, user_big) -> dict:
    """In-process, warm cache: the home page and every section, timed and their queries counted.

    The provider lists are cached, and so are the rendered rows once someone has seen that copy
    of a list the same way; a viewer's first visit shows what rendering the rows costs.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from servers.selectors import accounts_for

    def visit(client, urls):
        queries = {}
        started = time.perf_counter()
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, headers=HTMX if url != "/" else {})
            assert response.status_code == 200, (url, response.status_code)
            queries[url] = len(captured)
        return time.perf_counter() - started, queries

    def signed_in(user):
        client = Client()
        client.force_login(user)
        client.get("/healthz")  # a new client loads the middleware: not the page's time
        return client, ["/"] + [f"/accounts/{a.pk}/servers/" for a in accounts_for(user)]

    def measure(user):
        client, urls = signed_in(user)
        visit(client, urls)  # warm
        best = None
        for _ in range(3):
            took, queries = visit(client, urls)
            best = took if best is None else min(best, took)
        section_queries = sorted(set(list(queries.values())[1:]))
        return best, queries["/"], section_queries

    small_time, small_home, small_sections = measure(user_small)
    big_time, big_home, big_sections = measure(user_big)
    first_time, _ = visit(*signed_in(add_viewer("bigviewer", accounts_for(user_big))))
    return {
        "warm_10x100_server_side_ms": big_time * 1000,
        "warm_10x100_rows_first_render_ms": first_time * 1000,
        "warm_1x10_server_side_ms": small_time * 1000,
        "queries_home_10x100": big_home,
        "queries_home_1x10": small_home,
        "queries_per_section_10x100": big_sections[-1],
        "queries_per_section_1x10": small_sections[-1],
    }


def count_calls(calls_file: Path) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    if calls_file.exists():
        for line in calls_file.read_text().splitlines():
            endpoint, customer = line.split()
            counts[endpoint, customer] = counts.get((endpoint, customer), 0) + 1
    return counts


def polling(base, session, customers, plan, calls_file) -> dict:
    """Clients reload the servers page and poll the tasks partial; calls counted per account."""
    from benchmarks.wsgi import customer_hash
    from servers.selectors import accounts_for

    clear_cache()
    before = count_calls(calls_file)
    account_ids = re.findall(r'hx-get="/accounts/([^"/]+)/servers/"', session.get(f"{base}/").text)
    stop = time.monotonic() + plan.poll_seconds
    del accounts_for

    def client(number: int) -> int:
        own = clone(session)
        requests_made = 0
        with ThreadPoolExecutor(max_workers=4) as sections:
            while time.monotonic() < stop:
                load_servers_page(base, own, sections)
                account = account_ids[number % len(account_ids)]
                own.get(f"{base}/accounts/{account}/tasks/?poll=1", headers=HTMX, timeout=60)
                requests_made += len(account_ids) + 2
                time.sleep(0.5)
        return requests_made

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=plan.poll_clients) as pool:
        made = sum(pool.map(client, range(plan.poll_clients)))
    # Requests still running at the end make the window longer than asked on a busy machine, and
    # a longer window holds more cache periods: the table says how long it really was.
    elapsed = time.monotonic() - started
    after = count_calls(calls_file)
    per_account = []
    for customer in customers:
        key = ("listservers", customer_hash(customer.login))
        per_account.append(after.get(key, 0) - before.get(key, 0))
    tasks = [
        after.get(("listtasks", customer_hash(c.login)), 0)
        - before.get(("listtasks", customer_hash(c.login)), 0)
        for c in customers
    ]
    return {
        "poll_seconds": plan.poll_seconds,
        "poll_elapsed_s": elapsed,
        "poll_cache_seconds": plan.cache_seconds,
        "poll_clients": plan.poll_clients,
        "poll_panel_requests": made,
        "listservers_per_account_max": max(per_account),
        "listtasks_per_account_max": max(tasks),
        "listservers_target": int(plan.poll_seconds // plan.cache_seconds) + 1,
    }


def requests_per_second(base, session, path_list, seconds, threads=16) -> float:
    stop = time.monotonic() + seconds

    def worker(_):
        own = clone(session) if session else http_session()
        done = 0
        while time.monotonic() < stop:
            for path, headers in path_list:
                own.get(base + path, headers=headers, timeout=30).raise_for_status()
                done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        total = sum(pool.map(worker, range(threads)))
    return total / (time.monotonic() - started)


def throughput(base, session, plan) -> dict:
    home = session.get(f"{base}/").text
    section = re.findall(r'hx-get="(/accounts/[^"/]+/servers/)"', home)[0]
    page = [("/", {}), (section, HTMX)]
    session.get(base + section, headers=HTMX)  # warm
    page_rps = requests_per_second(base, session, page, plan.throughput_seconds)
    health_rps = requests_per_second(base, None, [("/healthz", {})], plan.throughput_seconds)
    return {
        "servers_page_requests_per_s": page_rps,
        "healthz_requests_per_s": health_rps,
        "throughput_ratio": page_rps / health_rps,
    }


def worker_peak_memory_mb(master: int) -> float:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def table(figures: dict, quick: bool) -> str:
    rows = [
        (
            "1. cold servers page, 10 accounts ÷ 1 (300 ms latency)",
            f"{figures['cold_ratio']:.2f}",
            "≤ 1.3",
        ),
        (
            "   cold, 1 account / 10 accounts (s)",
            f"{figures['cold_1_account_s']:.2f} / {figures['cold_10_accounts_s']:.2f}",
            "",
        ),
        (
            "2. warm servers page, 10 accounts × 100 servers (ms)",
            f"{figures['warm_10x100_server_side_ms']:.0f}",
            "≤ 150",
        ),
        (
            "   the same, rows not rendered yet (a viewer's first visit, ms)",
            f"{figures['warm_10x100_rows_first_render_ms']:.0f}",
            "",
        ),
        ("   warm, 1 account × 10 servers (ms)", f"{figures['warm_1x10_server_side_ms']:.0f}", ""),
        (
            "   DB queries home / section, 10×100",
            f"{figures['queries_home_10x100']} / {figures['queries_per_section_10x100']}",
            "= 1×10",
        ),
        (
            "   DB queries home / section, 1×10",
            f"{figures['queries_home_1x10']} / {figures['queries_per_section_1x10']}",
            "",
        ),
        (
            f"3. listservers per account, {figures['poll_clients']} clients, {figures['poll_seconds']:.0f} s (ran {figures['poll_elapsed_s']:.1f} s), {figures['poll_cache_seconds']} s cache",
            str(figures["listservers_per_account_max"]),
            f"≤ {figures['listservers_target']}",
        ),
        ("   listtasks per account", str(figures["listtasks_per_account_max"]), ""),
        ("4. throughput, servers page ÷ /healthz", f"{figures['throughput_ratio']:.2f}", "≥ 0.3"),
        (
            "   requests/s, page / healthz",
            f"{figures['servers_page_requests_per_s']:.0f} / {figures['healthz_requests_per_s']:.0f}",
            "",
        ),
        ("5. peak memory of a gunicorn worker (MB)", f"{figures['worker_peak_mb']:.0f}", ""),
    ]
    width = max(len(row[0]) for row in rows)
    lines = [f"catcpanel benchmark ({'quick' if quick else 'full'})", ""]
    lines.append(f"{'figure'.ljust(width)}  {'measured':>12}  target")
    for name, value, target in rows:
        lines.append(f"{name.ljust(width)}  {value:>12}  {target}")
    return "\n".join(lines)


def main(args) -> int:
    plan = QUICK if args.quick else FULL
    data_dir = Path(tempfile.mkdtemp(prefix="catcpanel-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(data_dir, port, plan.cache_seconds)
    # This process reads the same database and cache, with a long cache time for the in-process
    # warm measurements.
    setup_django({**env, "CATCPANEL_CACHE_SECONDS": "3600"})
    # The sandbox gets its own gunicorn: panel threads waiting on a slow list must not starve the
    # sandbox that is to answer it.
    sandbox_port = free_port()
    user_one, _ = make_user("one", 1, 10, sandbox_port, args.latency_ms)
    user_ten, _ = make_user("ten", 10, 8, sandbox_port, args.latency_ms)
    user_big, big_customers = make_user("big", 10, plan.servers_per_account, sandbox_port, 0)
    sandbox = start_gunicorn(env, sandbox_port, data_dir / "sandbox.log")
    gunicorn = start_gunicorn(env, port, data_dir / "gunicorn.log")
    figures: dict = {"quick": bool(args.quick), "latency_ms": args.latency_ms}
    try:
        one, ten, big = (sign_in(base, name) for name in ("one", "ten", "big"))
        with ThreadPoolExecutor(max_workers=16) as pool:
            figures.update(cold_ratio(base, one, ten, plan, pool))
            load_servers_page(base, big, pool)  # warm the big user's lists over HTTP
        figures.update(warm_server_side(user_one, user_big))
        figures.update(polling(base, big, big_customers, plan, data_dir / "calls.log"))
        figures.update(throughput(base, one, plan))
        figures["worker_peak_mb"] = worker_peak_memory_mb(gunicorn.pid)
    finally:
        for process in (gunicorn, sandbox):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not os.environ.get("CATCPANEL_BENCH_KEEP"):
            shutil.rmtree(data_dir, ignore_errors=True)
    print(table(figures, args.quick))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten to {out}")
    return 0
