import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"


@pytest.fixture
def clean_env(tmp_path):
    """An environment like a fresh container's: the venv's python and nothing from this test run.

    The test process itself carries SECRET_KEY, DATABASE_URL, DJANGO_SETTINGS_MODULE and the like;
    none of them may leak into what the entrypoint or manage.py sees.
    """
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "catcpanel.settings",
        "CATCPANEL_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
