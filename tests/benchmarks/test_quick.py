"""The quick benchmark runs end to end (Chromium, gunicorn as the image runs it, the load test):
its table is printed and every figure is in the JSON. No figure is checked against a target."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BENCHMARK_TABLE

FIGURES = (
    "cold_1_accounts_s",
    "cold_10_accounts_s",
    "cold_ratio_10",
    "expired_10_on_screen_s",
    "expired_10_fresh_s",
    "warm_reload_10_s",
    "warm_reload_10_provider_calls",
    "warm_reload_1_s",
    "warm_ratio_floor_10",
    "replayed_1_s",
    "replayed_10_s",
    "replayed_ratio_10",
    "load_healthz_failures",
    "load_healthz_max_ms",
    "load_pages",
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
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "catcpanel benchmark (quick)" in done.stdout
    figures = json.loads(out.read_text())
    for name in FIGURES:
        assert isinstance(figures[name], (int, float)), name
    # The run's summary shows the table (tests/conftest.py), also from a pytest-xdist worker, whose
    # own output never reaches the terminal: this is the quick run CI makes on every change.
    record_property(BENCHMARK_TABLE, done.stdout[done.stdout.index("catcpanel benchmark") :])
