"""docker/entrypoint.sh, run on this host exactly as the image runs it (only without Docker)."""

import signal
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.deploy.conftest import ENTRYPOINT, HEALTHCHECK, ROOT

PRINT_SECRET_KEY_FILE = "import os; print(os.environ.get('SECRET_KEY_FILE', '<unset>'))"


def run_entrypoint(environ, *arguments):
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *arguments],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_arguments_it_makes_a_secret_key_once_and_execs_them(clean_env, tmp_path):
    data = tmp_path / "data"

    first = run_entrypoint(clean_env, "python", "-c", PRINT_SECRET_KEY_FILE)
    second = run_entrypoint(clean_env, "python", "-c", PRINT_SECRET_KEY_FILE)

    assert first.returncode == 0, first.stderr
    key_file = data / "secret_key"
    assert first.stdout.splitlines()[-1] == str(key_file)
    assert second.stdout.splitlines()[-1] == str(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key) >= 50 and not key.endswith("\n")
    # Made once: the second start keeps it (sessions survive a restart), and says nothing.
    assert "generated a SECRET_KEY" in first.stdout
    assert "generated a SECRET_KEY" not in second.stdout
    # Arguments skip the start-up work: nothing was migrated.
    assert not (data / "catcpanel.sqlite3").exists()


def test_the_generated_key_is_what_django_uses(clean_env):
    result = run_entrypoint(
        clean_env,
        "python",
        "-c",
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SECRET_KEY == open(settings.DATA_DIR / 'secret_key').read())",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True"


@pytest.mark.parametrize("given", ["SECRET_KEY", "SECRET_KEY_FILE"])
def test_a_given_secret_key_is_used_and_none_is_generated(clean_env, tmp_path, given):
    key_file = tmp_path / "operator_secret"
    key_file.write_text("k" * 50)
    value = "k" * 50 if given == "SECRET_KEY" else str(key_file)

    result = run_entrypoint({**clean_env, given: value}, "python", "-c", PRINT_SECRET_KEY_FILE)

    assert result.returncode == 0, result.stderr
    expected = "<unset>" if given == "SECRET_KEY" else str(key_file)
    assert result.stdout.splitlines()[-1] == expected
    assert not (tmp_path / "data" / "secret_key").exists()


def test_a_secret_file_that_does_not_exist_is_named_before_django_starts(clean_env, tmp_path):
    missing = tmp_path / "no-such-secret"
    environ = {**clean_env, "CATCPANEL_FERNET_KEYS_FILE": str(missing)}

    result = run_entrypoint(environ, "python", "-c", "print('should not run')")

    assert result.returncode == 1
    assert f"CATCPANEL_FERNET_KEYS_FILE names {missing}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "should not run" not in result.stdout


def test_other_programs_file_variables_are_not_taken_for_the_panels_secrets(clean_env, tmp_path):
    """A shell with Terraform's TF_CLI_CONFIG_FILE (or any other program's *_FILE) set, naming a
    file that is not there, is none of the panel's business: it starts."""
    environ = {
        **clean_env,
        "TF_CLI_CONFIG_FILE": str(tmp_path / "no-terraformrc"),
        "SOME_TOOL_CONFIG_FILE": str(tmp_path / "nothing"),
    }

    result = run_entrypoint(environ, "python", "-c", "print('started')")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "started"


@pytest.mark.parametrize("name", ["SECRET_KEY_FILE", "DATABASE_URL_FILE", "REDIS_URL_FILE"])
def test_each_of_the_panels_own_file_variables_is_still_checked(clean_env, tmp_path, name):
    missing = tmp_path / "no-such-secret"
    result = run_entrypoint({**clean_env, name: str(missing)}, "python", "-c", "print('ran')")
    assert result.returncode == 1
    assert f"{name} names {missing}" in result.stderr


def test_a_data_folder_that_cannot_be_made_stops_it_with_a_clear_message(clean_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    environ = {**clean_env, "CATCPANEL_DATA_DIR": str(blocker / "data")}

    result = run_entrypoint(environ, "python", "-c", "print('should not run')")

    assert result.returncode == 1
    assert "cannot write to the data folder" in result.stderr
    assert "should not run" not in result.stdout


def serving_environment(clean_env, port, **settings):
    return {
        **clean_env,
        "CATCPANEL_GENERATE_KEY": "true",
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "SITE_URL": f"http://127.0.0.1:{port}",
        **settings,
    }


def serve(environ, log, while_serving=lambda panel: None):
    """Start the entrypoint with no arguments, wait for a healthy panel, then SIGTERM it."""
    with open(log, "w") as output:
        panel = subprocess.Popen(
            [str(ENTRYPOINT)], env=environ, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert panel.poll() is None, log.read_text()
            probe = subprocess.run(
                [sys.executable, str(HEALTHCHECK)],
                env=environ,
                capture_output=True,
                text=True,
                timeout=30,
            )
            if probe.returncode == 0:
                break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        while_serving(panel)

        panel.send_signal(signal.SIGTERM)
        # gunicorn is the entrypoint's process (exec): the signal reaches it, not a shell.
        assert panel.wait(timeout=10) == 0, log.read_text()
    finally:
        if panel.poll() is None:
            panel.kill()
            panel.wait()
    output = log.read_text()
    assert "Handling signal: term" in output
    return output


def query(database_file, sql):
    with sqlite3.connect(database_file) as database:
        return database.execute(sql).fetchall()


def test_without_arguments_it_migrates_makes_the_admin_serves_and_stops_on_sigterm(
    clean_env, tmp_path, free_port
):
    """The `docker run -v catcpanel:/data IMAGE` path: SQLite and generated keys in the volume."""
    data = tmp_path / "data"
    environ = serving_environment(
        clean_env,
        free_port,
        CATCPANEL_ADMIN_USER="root-admin",
        CATCPANEL_ADMIN_PASSWORD="correct-Horse-battery-staple-71",
        # Asked for the demo without the sandbox: refused with a warning, not a crash.
        CATCPANEL_DEMO="true",
    )

    server_environment = []

    def read_the_servers_environment(panel):
        server_environment.append((Path("/proc") / str(panel.pid) / "environ").read_bytes())

    output = serve(environ, tmp_path / "panel.log", while_serving=read_the_servers_environment)

    assert output.count("Booting worker") == 1  # GUNICORN_WORKERS
    # The running server does not carry the admin's password around in its environment.
    assert b"CATCPANEL_ADMIN_USER=root-admin" in server_environment[0]
    assert b"correct-Horse-battery-staple-71" not in server_environment[0]
    assert "needs CATCPANEL_SANDBOX=true" in output
    assert "correct-Horse-battery-staple-71" not in output
    for name in ("secret_key", "fernet.key", "catcpanel.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    admins = query(
        data / "catcpanel.sqlite3", "SELECT username FROM auth_user WHERE is_superuser AND is_staff"
    )
    assert admins == [("root-admin",)]


def test_the_demo_switch_seeds_the_demo_and_serves_the_sandbox(clean_env, tmp_path, free_port):
    """`docker run -e CATCPANEL_SANDBOX=true -e CATCPANEL_DEMO=true IMAGE`."""
    data = tmp_path / "data"
    environ = serving_environment(
        clean_env, free_port, CATCPANEL_SANDBOX="true", CATCPANEL_DEMO="True"
    )
    sandbox_status = []

    def ask_the_sandbox(panel):
        url = f"http://127.0.0.1:{free_port}/sandbox/api/v1/listservers.php"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                sandbox_status.append(response.status)
        except urllib.error.HTTPError as error:
            sandbox_status.append(error.code)

    output = serve(environ, tmp_path / "panel.log", while_serving=ask_the_sandbox)

    assert "catcpanel demo is ready" in output
    assert sandbox_status and sandbox_status[0] != 404  # mounted: it answers, if only "no key"
    assert query(data / "catcpanel.sqlite3", "SELECT base_url FROM servers_cloudaccount") == [
        (f"http://127.0.0.1:{free_port}/sandbox/api/v1/",)
    ]


def test_entrypoint_is_executable_and_posix_sh():
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True, cwd=ROOT)
