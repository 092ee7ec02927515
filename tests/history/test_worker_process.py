"""The worker as a process of its own: `entrypoint.sh worker` starts a Huey consumer that
samples, and two workers running a round at once ask the provider once and store one round."""

import signal
import subprocess
import time

import pytest

from tests.history import workers
from tests.history.conftest import sandbox_servers

ENTRYPOINT = workers.ROOT / "docker" / "entrypoint.sh"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return workers.migrated_template(tmp_path_factory.mktemp("worker-template"))


@pytest.fixture
def worker_env(tmp_path, template, settings, sandbox_api_url, sandbox_customer):
    data = tmp_path / "data"
    env = workers.prepare(data, template, settings, sandbox_api_url, sandbox_customer)
    return data, env


def test_entrypoint_worker_runs_a_huey_consumer_that_samples(worker_env, sandbox_customer):
    data, env = worker_env
    log = data / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ENTRYPOINT), "worker"],
            cwd=workers.ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded CI machine starts Django slowly
        samples = 0
        while time.monotonic() < deadline and process.poll() is None:
            samples = workers.query(data, "SELECT COUNT(*) FROM history_sample")[0][0]
            if samples:
                break
            time.sleep(0.3)
        assert samples == len(sandbox_servers(sandbox_customer)), log.read_text()[-3000:]
        # The consumer keeps its queue in the data folder (SqliteHuey), not in a web worker.
        assert (data / "huey.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode is not None


def test_two_worker_processes_at_once_make_one_provider_call(
    worker_env, sandbox_customer, sandbox_calls
):
    data, env = worker_env
    command = [*workers.MANAGE, "sample_usage", "--once"]
    workers.clear_of_round_boundary()
    processes = [
        subprocess.Popen(
            command,
            cwd=workers.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert len(sandbox_calls.of("listservers")) == 1, outputs
    assert workers.query(data, "SELECT COUNT(*) FROM history_sampleround")[0][0] == 1
    samples = workers.query(data, "SELECT COUNT(*) FROM history_sample")[0][0]
    assert samples == len(sandbox_servers(sandbox_customer))
    assert sorted("1 account(s) sampled" in output for output in outputs) == [False, True]


SUBSCRIBE = """
import os
from history.models import NotificationPreference, TrackedServer
from servers.models import CloudAccount
account = CloudAccount.objects.get()
# What an earlier round saw: the server running.
TrackedServer.objects.create(
    account=account, server_id=os.environ["T_SID"], name="web", status="Powered On"
)
preference = NotificationPreference(
    user=account.owner, account=account, kinds=["server_status"], webhook_url=os.environ["T_HOOK"]
)
preference.new_webhook_secret()
preference.save()
"""


def test_two_worker_processes_send_an_event_once(worker_env, sandbox_customer):
    from sandbox.models import SandboxServer
    from tests.history.receivers import WebhookReceiver

    data, env = worker_env
    server = next(s for s in sandbox_servers(sandbox_customer) if s.status == "Powered On")
    with WebhookReceiver() as hook:
        done = workers.manage(env, "shell", "-c", SUBSCRIBE, T_SID=server.sid, T_HOOK=hook.url)
        assert done.returncode == 0, done.stderr[-2000:]
        server.status = SandboxServer.Status.OFF
        server.save()
        env = {**env, "CATCPANEL_WEBHOOK_ALLOW_PRIVATE": "true"}
        workers.clear_of_round_boundary()
        processes = [
            subprocess.Popen(
                [*workers.MANAGE, "sample_usage", "--once"],
                cwd=workers.ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=180)[0] for process in processes]
        assert [process.returncode for process in processes] == [0, 0], outputs
        assert len(hook.requests) == 1, outputs
    assert hook.json()["server"]["id"] == server.sid
    assert workers.query(data, "SELECT kind FROM history_event") == [("server_status",)]
    assert workers.query(data, "SELECT state FROM history_delivery") == [("sent",)]
