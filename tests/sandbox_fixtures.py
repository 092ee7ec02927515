"""Fixtures that put a sandbox customer and a CloudAccount pointing at it in a test.

Registered for the whole suite by tests/conftest.py (`pytest_plugins`). The cast:

- `sandbox_customer`: the demo customer (sandbox/demo.py): eight servers in varied states, the
  reference's fifteen templates, Cloud Pro 16 CPU / 16384 MB / 500 GB, tasks finishing at once
  (task_seconds = 0). Change its switches in a test with `sandbox_customer.<field> = ...; .save()`.
- `sandbox_api_url`: the sandbox's API base URL on pytest-django's live server (real HTTP).
- `user`: the Django user "alice", password `USER_PASSWORD`.
- `cac_account`: a CloudAccount "Demo" owned by `user`, pointing at `sandbox_api_url` with the
  customer's login and key. Using it starts the live server (and with it a transactional database).
- `offline_account`: a CloudAccount "Team" owned by `user` at an address nothing answers, for tests
  that never reach the provider (no live server).
- `sandbox_calls`: the paths of the sandbox API requests made during the test
  (`sandbox_calls.of("listservers")`).

`sandbox_account(owner, sandbox_api_url, "Bob", latency_ms=300)` adds another account, on a demo
customer of its own (login `bob@sandbox.example`), with the customer's switches given.
"""

import threading

import pytest
from django.core.signals import request_started

from sandbox.demo import create_demo_customer

SANDBOX_LOGIN = "alice@sandbox.example"
USER_PASSWORD = "correct horse battery staple"


@pytest.fixture
def sandbox_customer(db):
    return create_demo_customer(login=SANDBOX_LOGIN, task_seconds=0)


_due_tasks_lock = threading.Lock()


@pytest.fixture
def sandbox_api_url(live_server, monkeypatch):
    # With SQLite in memory, the live server's threads share one connection (Django's docs warn
    # of it), and the panel asks for an account's lists in parallel: two requests finishing the
    # same due task would each open a transaction on it ("cannot start a transaction within a
    # transaction"). One at a time here; a file database or PostgreSQL has no such limit.
    from sandbox import services

    complete_due_tasks = services.complete_due_tasks

    def one_at_a_time(*args, **kwargs):
        with _due_tasks_lock:
            return complete_due_tasks(*args, **kwargs)

    monkeypatch.setattr(services, "complete_due_tasks", one_at_a_time)
    return live_server.url + "/sandbox/api/v1/"


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password=USER_PASSWORD
    )


@pytest.fixture
def cac_account(user, sandbox_customer, sandbox_api_url):
    from servers.models import CloudAccount

    account = CloudAccount(owner=user, name="Demo", base_url=sandbox_api_url)
    account.set_credentials(login=sandbox_customer.login, api_key=sandbox_customer.api_key)
    account.save()
    return account


def sandbox_account(owner, base_url: str, name: str, **switches):
    """A CloudAccount `name` of `owner` on a demo customer of its own (tasks finish at once
    unless `task_seconds` says otherwise), with the customer's `switches` set."""
    from servers.models import CloudAccount

    customer = create_demo_customer(login=f"{name.lower()}@sandbox.example", task_seconds=0)
    if switches:
        for field, value in switches.items():
            setattr(customer, field, value)
        customer.save()
    account = CloudAccount(owner=owner, name=name, base_url=base_url)
    account.set_credentials(login=customer.login, api_key=customer.api_key)
    account.save()
    return account


@pytest.fixture
def offline_account(user):
    from servers.models import CloudAccount

    account = CloudAccount(owner=user, name="Team", base_url="https://cac.example/api/v1/")
    account.set_credentials(login="team@example.com", api_key="k" * 30)
    account.save()
    return account


class SandboxCalls:
    """The paths of the sandbox API requests made since the fixture started."""

    def __init__(self):
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, sender, environ=None, **kwargs):
        path = (environ or {}).get("PATH_INFO", "")
        if path.startswith("/sandbox/api/"):
            with self._lock:
                self.paths.append(path.removeprefix("/sandbox/api/v1/"))

    def clear(self):
        with self._lock:
            self.paths.clear()

    def of(self, endpoint: str) -> list[str]:
        return [path for path in self.paths if path == f"{endpoint}.php"]


@pytest.fixture
def sandbox_calls():
    calls = SandboxCalls()
    # request_started fires in the live server's thread too: receivers are process-wide.
    request_started.connect(calls, weak=False)
    yield calls
    request_started.disconnect(calls)
