"""A failing browser test leaves a screenshot of the page behind (the issue asks for it)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FAILING_TEST = """
def test_fails_on_purpose(page):
    page.set_content("<h1>what the browser showed</h1>")
    assert False, "on purpose"
"""


def test_a_failing_browser_test_saves_a_screenshot(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.e2e.conftest import *  # noqa: F403\n")
    (tmp_path / "test_failing.py").write_text(FAILING_TEST)
    shots = tmp_path / "shots"

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHONPATH": str(REPO),
            "CATCPANEL_E2E_SCREENSHOTS": str(shots),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    [png] = shots.glob("*test_fails_on_purpose*.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 1000
