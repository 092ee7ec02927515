"""`python -m benchmarks [--quick] [--json PATH]`: the panel against a slow sandbox (issue 7)."""
