import subprocess
import sys
from io import StringIO

from cryptography.fernet import Fernet
from django.core.management import call_command

from tests.deploy.conftest import ROOT


def generate() -> str:
    out = StringIO()
    call_command("generate_fernet_key", stdout=out)
    return out.getvalue().strip()


def test_prints_a_working_fernet_key_each_time_a_new_one():
    key = generate()

    token = Fernet(key.encode()).encrypt(b"api key")
    assert Fernet(key.encode()).decrypt(token) == b"api key"
    assert generate() != key


def test_works_when_no_key_is_configured_which_is_when_it_is_needed(clean_env):
    """With no key the system check catcpanel.E001 fails; this command must not be blocked by it."""
    environ = {**clean_env, "SECRET_KEY": "x" * 50, "CATCPANEL_GENERATE_KEY": "false"}

    result = subprocess.run(
        [sys.executable, "manage.py", "generate_fernet_key"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    Fernet(result.stdout.strip().encode())
