"""A panel and a provider as real processes, for tests that kill, stop or restart one of them.

The provider is the project's sandbox in a gunicorn of its own, on its own SQLite database: the
panel's faults (a killed worker, a stopped Redis, a restarted PostgreSQL) never touch it, as they
would not touch Cloud at Cost. The panel is gunicorn on a fixed port (so that it can be started
again at the same address) with its own data folder and database: SQLite by default, or a fresh
database on the PostgreSQL of DATABASE_URL (CI's second pass), or one the test started itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet

from tests.deploy import replicas

ROOT = replicas.ROOT
PASSWORD = "correct horse battery staple"

MIGRATE = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""

SETUP_PROVIDER = """
import json, django
django.setup()
from sandbox.demo import create_demo_customer
customer = create_demo_customer(login=%(login)r, task_seconds=0)
servers = [
    {"sid": s.sid, "label": s.label or s.servername, "status": s.status}
    for s in customer.servers.order_by("sid")
]
print(json.dumps({"key": customer.api_key, "servers": servers}))
"""

SETUP_PANEL = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from servers.models import CloudAccount
user = get_user_model().objects.create_user("alice", "alice@example.com", %(password)r)
account = CloudAccount(owner=user, name="Demo", base_url=%(base_url)r)
account.set_credentials(login=%(login)r, api_key=%(key)r)
account.save()
print(json.dumps({"account": str(account.pk)}))
"""


def _base_env(data_dir: Path, **overrides: str) -> dict:
    env = replicas.environment(
        DJANGO_SETTINGS_MODULE="catcpanel.settings",
        CATCPANEL_DATA_DIR=str(data_dir),
        SECRET_KEY="faults-test-secret-key",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        # No collectstatic in a test: plain storage serves the source folders.
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        CATCPANEL_API_HOSTS="127.0.0.1",
        CATCPANEL_CAC_RETRY_BACKOFF="0",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CATCPANEL_TESTS_PROCESS"):
        env.pop(name, None)
    env.update(overrides)
    return env


def python(env: dict, code: str, *, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def start_gunicorn(
    env: dict, log: Path, port: int, *args: str, timeout: float = 30
) -> replicas.Replica:
    return replicas.start(env, log, *args, port=port, timeout=timeout)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def migrated_sqlite(tmp: Path) -> Path:
    path = tmp / "migrated.sqlite3"
    python(_base_env(tmp / "migrate", DATABASE_URL=f"sqlite:///{path}"), MIGRATE)
    return path


class Template:
    """A migrated panel database, copied for each test (migrating takes seconds)."""

    def __init__(self, tmp: Path, server_url: str | None, sqlite: Path | None = None):
        """On PostgreSQL when `server_url` is given; else the migrated SQLite file `sqlite`
        (or one migrated here)."""
        self.server_url = server_url
        if server_url:
            import psycopg

            self.name = f"faults_template_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            url = urlsplit(server_url)._replace(path=f"/{self.name}").geturl()
            python(_base_env(tmp / "template", DATABASE_URL=url), MIGRATE)
        elif sqlite is not None:
            self.path = sqlite
        else:
            self.path = tmp / "template.sqlite3"
            python(_base_env(tmp / "template", DATABASE_URL=f"sqlite:///{self.path}"), MIGRATE)

    def drop(self) -> None:
        if self.server_url:
            import psycopg

            with psycopg.connect(self.server_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def postgres_of_the_environment() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class Provider:
    """The sandbox in a gunicorn of its own, on its own SQLite database."""

    def __init__(self, tmp: Path, migrated: Path):
        """`migrated`: a migrated SQLite database, copied (migrating takes seconds)."""
        self.database = tmp / "provider.sqlite3"
        shutil.copyfile(migrated, self.database)
        self.env = _base_env(
            tmp / "provider", CATCPANEL_SANDBOX="true", DATABASE_URL=f"sqlite:///{self.database}"
        )
        self.replica = start_gunicorn(self.env, tmp / "provider.log", replicas.free_port())

    def set(self, login: str, **switches) -> None:
        assignments = ", ".join(f"{name} = ?" for name in switches)
        conn = sqlite3.connect(self.database, timeout=20)
        try:
            with conn:
                changed = conn.execute(
                    f"UPDATE sandbox_sandboxcustomer SET {assignments} WHERE login = ?",
                    [*switches.values(), login],
                ).rowcount
        finally:
            conn.close()
        assert changed == 1, login

    def customer(self, login: str) -> dict:
        return json.loads(python(self.env, SETUP_PROVIDER % {"login": login}))

    def stop(self) -> None:
        replicas.stop(self.replica)


class PanelDatabase:
    """The panel's database: a URL for its processes and plain SQL for the test."""

    def __init__(self, tmp: Path, template: Template):
        self.server_url = template.server_url
        if self.server_url:
            import psycopg

            self.name = f"faults_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(self.server_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{template.name}"')
            self.url = urlsplit(self.server_url)._replace(path=f"/{self.name}").geturl()
        else:
            self.path = tmp / "panel.sqlite3"
            shutil.copyfile(template.path, self.path)
            self.url = f"sqlite:///{self.path}"

    def rows(self, sql: str) -> list[tuple]:
        if self.server_url:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return list(conn.execute(sql).fetchall())
        conn = sqlite3.connect(self.path, timeout=20)
        try:
            return list(conn.execute(sql).fetchall())
        finally:
            conn.close()

    def drop(self) -> None:
        if self.server_url:
            import psycopg

            with psycopg.connect(self.server_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Stack:
    tmp: Path
    provider: Provider
    login: str
    panel_env: dict
    database: PanelDatabase
    account: str
    servers: list[dict]
    panel_port: int
    panel: replicas.Replica | None = None
    started: list = field(default_factory=list)

    def start_panel(self, *args: str) -> replicas.Replica:
        self.panel = start_gunicorn(self.panel_env, self.tmp / "panel.log", self.panel_port, *args)
        self.started.append(self.panel)
        return self.panel

    def provider_switches(self, **switches) -> None:
        """Set the sandbox customer's fault switches (latency_ms=...) in the provider's own
        database, as the sandbox_config command does, without starting Django for it."""
        self.provider.set(self.login, **switches)

    def actions(self) -> list[tuple]:
        return self.database.rows(
            "SELECT action, outcome, message, finished_at FROM servers_actionlog ORDER BY id"
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.panel_port}{path}"

    def sign_in(self) -> requests.Session:
        session = requests.Session()
        page = session.get(self.url("/auth/login/"), timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = session.post(
            self.url("/auth/login/"),
            data={"csrfmiddlewaretoken": token, "login": "alice", "password": PASSWORD},
            headers={"Referer": self.url("/auth/login/")},
            timeout=10,
        )
        assert "/auth/login/" not in answer.url, answer.text[-2000:]
        return session

    def stop(self) -> None:
        for replica in self.started:
            replicas.stop(replica)
        self.database.drop()


def htmx(session: requests.Session) -> dict:
    return {"HX-Request": "true", "X-CSRFToken": session.cookies["csrftoken"]}


def toast(response: requests.Response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


def build(tmp: Path, provider: Provider, template: Template, **panel_env: str) -> Stack:
    """A sandbox customer of its own on the shared provider, and a panel database with the
    account; the panel is started by the test (`stack.start_panel(...)`)."""
    login = f"{uuid.uuid4().hex[:10]}@sandbox.example"
    seeded = provider.customer(login)
    database = PanelDatabase(tmp, template)
    env = _base_env(
        tmp / "panel",
        DATABASE_URL=database.url,
        CATCPANEL_FERNET_KEYS=Fernet.generate_key().decode(),
        CATCPANEL_SANDBOX="false",
    )
    if os.environ.get("REDIS_URL"):
        # CI's second pass: the locks and lists in Redis, as in a replicated deployment.
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(panel_env)
    try:
        made = json.loads(
            python(
                env,
                SETUP_PANEL
                % {
                    "password": PASSWORD,
                    "base_url": provider.replica.url + "/sandbox/api/v1/",
                    "login": login,
                    "key": seeded["key"],
                },
            )
        )
    except BaseException:
        database.drop()
        raise
    return Stack(
        tmp=tmp,
        provider=provider,
        login=login,
        panel_env=env,
        database=database,
        account=made["account"],
        servers=seeded["servers"],
        panel_port=replicas.free_port(),
    )


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    os.kill(pid, sig)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Redis:
    """A throwaway redis-server on a free port, which a test may stop and start again."""

    def __init__(self, tmp: Path):
        self.dir = tmp
        self.port = replicas.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def can_run_postgres() -> bool:
    return (PG_BIN / "initdb").exists() and os.geteuid() == 0 and shutil.which("su") is not None


class Postgres:
    """A throwaway PostgreSQL cluster on a free port (as .ci/run starts one), to restart."""

    def __init__(self):
        # Not under pytest's folder, which only root may enter: the server runs as postgres.
        self.dir = Path(tempfile.mkdtemp(prefix="catcpanel-faults-pg-"))
        (self.dir / "data").mkdir(parents=True)
        (self.dir / "sock").mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(self.dir / "data", "postgres", "postgres")
        shutil.chown(self.dir / "sock", "postgres", "postgres")
        self.port = replicas.free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(f"{PG_BIN}/initdb -D {self.dir}/data -U postgres -A trust -E UTF8")
        self.start()

    def _as_postgres(self, command: str) -> None:
        result = subprocess.run(
            ["su", "postgres", "-c", command], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.dir}/sock -c listen_addresses=127.0.0.1"
        self._as_postgres(
            f"{PG_BIN}/pg_ctl -D {self.dir}/data -l {self.dir}/sock/log -m fast -w "
            f"{action} -o '{options}'"
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        with suppress(AssertionError):
            self._as_postgres(f"{PG_BIN}/pg_ctl -D {self.dir}/data -m immediate -w stop")
        shutil.rmtree(self.dir, ignore_errors=True)
