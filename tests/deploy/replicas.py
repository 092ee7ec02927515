"""Start and stop gunicorn replicas of the panel for a test: real processes, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start(
    env: dict,
    log: Path,
    *args: str,
    port: int | None = None,
    timeout: float = 20.0,
    graceful_timeout: float = 5,
) -> Replica:
    """gunicorn with one worker of 8 threads on 127.0.0.1, healthy before it is returned. A
    restart on the same `port` appends to the same `log`."""
    port = port or free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "catcpanel.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "8",
                "--graceful-timeout",
                str(graceful_timeout),
                *args,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    replica = Replica(port=port, process=process, log=log)
    try:
        _wait_until_healthy(replica, timeout)
    except BaseException:
        stop(replica)
        raise
    return replica


def _wait_until_healthy(replica: Replica, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {replica.process.returncode}:\n{replica.output()}"
            )
        try:
            # The master accepts connections before its worker has imported the app: a slow
            # first answer is a worker still starting, not a failure.
            if requests.get(replica.url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s:\n{replica.output()}")


def stop(replica: Replica) -> None:
    if replica.process.poll() is None:
        replica.process.send_signal(signal.SIGTERM)
        try:
            replica.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait()


def environment(**overrides: str) -> dict:
    """This process's environment without what pytest put there, plus the replica's settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_ALLOW_ASYNC"))
    }
    env.update(overrides)
    return env
