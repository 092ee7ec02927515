"""Run the benchmark: see docs/performance.md for what each figure means."""

import argparse
import sys

from benchmarks.run import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds, as CI runs it")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="where to write")
    parser.add_argument("--latency-ms", type=int, default=300, help="sandbox latency per call")
    sys.exit(main(parser.parse_args()))
