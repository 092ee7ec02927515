"""scripts/screenshot.py: the README's picture comes from the running demo, signed in."""

import struct
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def png_size(path):
    header = path.read_bytes()[:24]
    assert header.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", header[16:24])


def test_the_script_shoots_the_servers_page_of_a_throwaway_demo(tmp_path):
    out = tmp_path / "servers.png"

    run = subprocess.run(
        [sys.executable, "scripts/screenshot.py", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    width, height = png_size(out)
    # As wide as the window: nothing on the page sticks out sideways.
    assert width == 1280
    # The whole page, at least the window's height (eight 48 px rows fit in it).
    assert height >= 800
    assert f"saved {out}" in run.stdout
