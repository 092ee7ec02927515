"""The quick benchmark runs end to end: its table is printed and every figure is in the JSON."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BENCHMARK_TABLE

FIGURES = (
    "cold_ratio",
    "warm_10x100_server_side_ms",
    "warm_10x100_rows_first_render_ms",
    "queries_home_10x100",
    "queries_per_section_1x10",
    "listservers_per_account_max",
    "throughput_ratio",
    "worker_peak_mb",
)


def test_quick_benchmark_prints_the_table_and_writes_every_figure(tmp_path, record_property):
    out = tmp_path / "latest.json"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "catcpanel benchmark (quick)" in done.stdout
    figures = json.loads(out.read_text())
    for name in FIGURES:
        assert isinstance(figures[name], (int, float)), name
    # The run's summary shows the table (tests/conftest.py), also from a pytest-xdist worker, whose
    # own output never reaches the terminal: this is the quick run CI makes on every change.
    record_property(BENCHMARK_TABLE, done.stdout[done.stdout.index("catcpanel benchmark") :])
