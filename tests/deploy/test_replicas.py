"""Two gunicorn replicas on one PostgreSQL and one Redis share what must be shared.

Sessions, the cached provider lists, the per-server action locks and the sign-in throttle live in
the database or the shared cache, never in a process: a request may land on either replica. Each
test starts two real gunicorn processes on their own ports against the test database, with the
panel's CloudAccount pointing at replica A's sandbox; provider calls are counted by the sandbox's
own per-customer request counter (SandboxRateWindow), which counts every call once its rate limit
is switched on.
"""

import json
import os
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum

from sandbox.models import SandboxRateWindow, SandboxTask
from servers.models import ActionLog, CloudAccount
from servers.services import lock_key
from tests.deploy import replicas
from tests.sandbox_fixtures import USER_PASSWORD

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        or not os.environ.get("REDIS_URL"),
        reason="replicas need a shared PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]

LOGIN_ATTEMPTS = 3
LATENCY_MS = 3000


def provider_calls(customer) -> int:
    windows = SandboxRateWindow.objects.filter(customer=customer)
    return windows.aggregate(total=Sum("count"))["total"] or 0


@pytest.fixture
def panel(transactional_db, settings, user, sandbox_customer, tmp_path):
    """(replica A, replica B, the account): both replicas on the test's database and Redis."""
    # A limit no test reaches: with it on, the sandbox counts every request in the database.
    sandbox_customer.rate_limit = 1_000_000
    sandbox_customer.save()

    database = connection.settings_dict["NAME"]
    env = replicas.environment(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{database}").geturl(),
        REDIS_URL=os.environ["REDIS_URL"],
        SECRET_KEY=settings.SECRET_KEY,
        CATCPANEL_FERNET_KEYS=",".join(settings.CATCPANEL_FERNET_KEYS),
        CATCPANEL_SANDBOX="true",
        CATCPANEL_LOGIN_ATTEMPTS=str(LOGIN_ATTEMPTS),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
    )
    started = []
    try:
        for name in ("a", "b"):
            started.append(replicas.start(env, tmp_path / f"gunicorn-{name}.log"))
        a, b = started
        account = CloudAccount(owner=user, name="Demo", base_url=a.url + "/sandbox/api/v1/")
        account.set_credentials(login=sandbox_customer.login, api_key=sandbox_customer.api_key)
        account.save()
        yield a, b, account
    finally:
        for replica in started:
            replicas.stop(replica)


def sign_in(
    session: requests.Session, replica, password=USER_PASSWORD, *, home=True
) -> requests.Response:
    """`home=False` stops at the redirect: the home page fetches every account's lists."""
    page = session.get(replica.url + "/auth/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        replica.url + "/auth/login/",
        data={"csrfmiddlewaretoken": token, "login": "alice", "password": password},
        headers={"Referer": replica.url + "/auth/login/"},
        timeout=10,
        allow_redirects=home,
    )


def is_signed_in(session: requests.Session, replica) -> bool:
    response = session.get(replica.url + "/accounts/", timeout=10, allow_redirects=False)
    return response.status_code == 200


def htmx(session: requests.Session) -> dict:
    return {"HX-Request": "true", "X-CSRFToken": session.cookies["csrftoken"]}


def toast(response: requests.Response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


def test_a_user_signed_in_on_one_replica_is_signed_in_on_the_other(panel):
    a, b, _ = panel
    session = requests.Session()
    assert not is_signed_in(session, b)

    signed = sign_in(session, a)
    assert signed.status_code == 200 and "/auth/login/" not in signed.url

    assert is_signed_in(session, b)
    # The control: the same request without the session cookie is sent to sign in.
    assert not is_signed_in(requests.Session(), b)


def test_a_list_cached_through_one_replica_is_served_by_the_other(panel, sandbox_customer):
    a, b, account = panel
    session = requests.Session()
    # Signed in without loading the home page, which would cache the lists through A already.
    signed = sign_in(session, a, home=False)
    assert signed.status_code == 302
    servers = f"/accounts/{account.pk}/servers/"
    names = sorted(server.label or server.servername for server in sandbox_customer.servers.all())

    before = provider_calls(sandbox_customer)
    first = session.get(a.url + servers, headers=htmx(session), timeout=10)
    after_a = provider_calls(sandbox_customer)
    second = session.get(b.url + servers, headers=htmx(session), timeout=10)
    after_b = provider_calls(sandbox_customer)

    assert first.status_code == second.status_code == 200
    assert after_a > before, "replica A asked the provider"
    assert after_b == after_a, "replica B answered from the shared cache, without the provider"
    for name in names:
        assert name in first.text and name in second.text


def test_an_action_in_flight_on_one_replica_is_refused_on_the_other(panel, sandbox_customer):
    a, b, account = panel
    session = requests.Session()
    sign_in(session, a)
    server = sandbox_customer.servers.filter(status="Powered On").first()
    # Both replicas find the server in the shared cache, so only the action itself is slow.
    session.get(a.url + f"/accounts/{account.pk}/servers/", headers=htmx(session), timeout=10)
    sandbox_customer.latency_ms = LATENCY_MS
    sandbox_customer.save()

    power = f"/accounts/{account.pk}/servers/{server.sid}/power/"
    answers = {}

    def power_off_on_a():
        answers["a"] = session.post(
            a.url + power, data={"action": "poweroff"}, headers=htmx(session), timeout=30
        )

    in_flight = threading.Thread(target=power_off_on_a)
    started = time.monotonic()
    in_flight.start()
    lock = lock_key(account, server.sid, "power")
    while cache.get(lock) is None:
        assert time.monotonic() - started < LATENCY_MS / 1000, "A never took the lock"
        time.sleep(0.02)

    refused = session.post(
        b.url + power, data={"action": "poweroff"}, headers=htmx(session), timeout=30
    )
    refused_after = time.monotonic() - started
    in_flight.join(timeout=30)

    assert refused.status_code == 204
    assert toast(refused) == {
        "kind": "error",
        "text": f"A power action for {server.label or server.servername} is already in progress.",
    }
    assert refused_after < LATENCY_MS / 1000, "B answered at once, without waiting for A"
    assert answers["a"].status_code == 204
    assert toast(answers["a"])["kind"] == "success"
    assert SandboxTask.objects.filter(server=server, action="poweroff").count() == 1
    assert ActionLog.objects.filter(server_id=server.sid, action="poweroff").count() == 1
    assert cache.get(lock) is None


def test_failed_sign_ins_on_both_replicas_lock_the_username_on_both(panel):
    a, b, _ = panel
    for attempt in range(LOGIN_ATTEMPTS):
        replica = (a, b)[attempt % 2]
        failed = sign_in(requests.Session(), replica, password="wrong password")
        assert "/auth/login/" in failed.url

    for replica in (a, b):
        session = requests.Session()
        refused = sign_in(session, replica)
        assert "Too many failed login attempts" in refused.text
        assert not is_signed_in(session, replica)
