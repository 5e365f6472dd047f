"""A report stays small: 20 runs x 10 tags x 100,000 steps, an image and a histogram tag per run, under 10 MB
(issue 21; the time is measured in benchmarks/bench_report.py, never asserted here)."""

from __future__ import annotations

import nbtrack
from nbtrack.demo import record_long_sweep

RUNS, TAGS, STEPS = 20, 10, 100_000
LIMIT = 10_000_000


def test_a_report_of_20_runs_of_10_tags_of_100000_steps_is_under_10_mb(tmp_path):
    record_long_sweep(tmp_path / "runs", RUNS, TAGS, STEPS)
    path = nbtrack.report(tmp_path / "runs", tmp_path / "big.html", progress=False)
    size = path.stat().st_size
    assert size < LIMIT, f"{size / 1e6:.1f} MB"
    page = path.read_text()
    assert "200 of 200 series are reduced (up to 100,000 points each)" in page
    assert page.count('"kind":"image"') == 0  # media travel inside the gzip'd payload, not as markup
