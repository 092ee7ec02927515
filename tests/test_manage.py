"""manage.py as the README shows it, in a fresh interpreter with nothing in its environment.

A clone that configures nothing runs its commands as `make run` does; a configuration mistake is a
one-line message, never a traceback; the dev server prints each log line once, with keys redacted.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTE = "running as `make run` does"


def bare_environment(data_dir, **extra) -> dict:
    """What a fresh shell in a clone has: no DEBUG, no SECRET_KEY, no settings module."""
    return {"PATH": os.environ["PATH"], "CATCPANEL_DATA_DIR": str(data_dir), **extra}


def manage(data_dir, *args, **extra):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=bare_environment(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_from_the_readme_work_in_a_clone_with_nothing_set(tmp_path):
    migrated = manage(tmp_path, "migrate", "--no-input")
    first = manage(tmp_path, "seed_demo", "--json")
    second = manage(tmp_path, "seed_demo", "--json")
    key = manage(tmp_path, "generate_fernet_key")

    for result in (migrated, first, second, key):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert NOTE in result.stderr
    # The note goes to stderr: stdout stays one JSON object for scripts.
    demo, again = json.loads(first.stdout), json.loads(second.stdout)
    # Seeding again never changes the password the first run printed.
    assert again["password"] == demo["password"]
    assert len(key.stdout.strip()) == 44


def test_secret_key_missing_with_debug_off_is_one_line_not_a_traceback(tmp_path):
    result = manage(tmp_path, "migrate", "--no-input", DEBUG="false")

    assert result.returncode == 1
    assert result.stderr.strip() == "catcpanel: SECRET_KEY must be set when DEBUG is off."
    assert not (tmp_path / "catcpanel.sqlite3").exists()


def test_a_generated_secret_key_on_the_data_volume_counts_as_configured(tmp_path):
    (tmp_path / "secret_key").write_text("generated-by-the-docker-entrypoint\n")

    result = manage(
        tmp_path, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert NOTE not in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def dev_server(tmp_path):
    """`make run`'s steps, on a port of its own: yields (base URL, demo data, log file)."""
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    assert manage(tmp_path, "migrate", "--no-input", DEBUG="true").returncode == 0
    demo = json.loads(manage(tmp_path, "seed_demo", "--json", SITE_URL=site, DEBUG="true").stdout)
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=bare_environment(tmp_path, SITE_URL=site, DEBUG="true"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield site, demo, log
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_dev_server_prints_each_line_once_and_no_key(dev_server):
    site, demo, log = dev_server
    query = f"key={demo['sandbox_key']}&login=demo%40sandbox.example"

    assert fetch(f"{site}/no-such-page/") == 404
    assert fetch(f"{site}/sandbox/api/v1/listservers.php?{query}") == 200
    assert fetch(f"{site}/sandbox/api/v1/listservers.php?key=wrong&login=nobody") == 403
    time.sleep(0.5)

    text = log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    # Django's own console handler printed "Not Found: /no-such-page/" a second time.
    assert sum("Not Found: /no-such-page/" in line for line in lines) == 1, text
    assert sum("Forbidden: /sandbox/api/v1/listservers.php" in line for line in lines) == 1, text
    assert sum('"GET /no-such-page/ HTTP/1.1" 404' in line for line in lines) == 1, text
    assert sum("listservers.php?key=[redacted]" in line for line in lines) == 2, text
    assert demo["sandbox_key"] not in text


def sign_in(site: str, username: str, password: str):
    import re

    import requests

    session = requests.Session()
    session.trust_env = False  # the dev server on this machine, whatever http_proxy says
    form = session.get(f"{site}/auth/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    session.post(
        f"{site}/auth/login/",
        data={"csrfmiddlewaretoken": token, "login": username, "password": password},
        headers={"Referer": f"{site}/auth/login/"},
        timeout=10,
    )
    return session


def test_make_run_shows_the_demos_servers_on_the_first_page(tmp_path):
    """`make run` as the README says, and the demo's servers page opened as soon as it answers.

    The worker's first round asked the demo's sandbox before the dev server listened: the refused
    call's back-off showed "No answer from 127.0.0.1" on the page for 10 s. The worker now starts
    once the server answers; while its round runs, the page says "Loading…" and asks again."""
    import signal

    port = free_port()
    site = f"http://127.0.0.1:{port}"
    log = tmp_path / "make.log"
    with log.open("w") as output:
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=bare_environment(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if fetch(f"{site}/healthz") == 200:
                    break
            except OSError:
                pass
            assert make.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        session = sign_in(site, "demo", (tmp_path / "demo_password").read_text().strip())
        page = session.get(f"{site}/", timeout=30).text
        seen = [page]
        account = page.split('hx-get="/accounts/')[1].split("/")[0]
        # As htmx does while the section says "Loading…": ask again half a second later.
        while 'data-testid="server-row"' not in seen[-1] and len(seen) < 20:
            time.sleep(0.5)
            section = session.get(
                f"{site}/accounts/{account}/servers/?poll=1", headers={"HX-Request": "true"}
            )
            seen.append(section.text)
        assert not [text for text in seen if 'data-testid="account-error"' in text], log.read_text()
        assert seen[-1].count('data-testid="server-row"') == 8
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
