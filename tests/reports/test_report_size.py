"""A report stays small: 20 runs x 10 tags x 100,000 steps, an image and a histogram tag per run, under 10 MB
(issue 21; the time is measured in benchmarks/bench_report.py, never asserted here)."""

from __future__ import annotations

import numpy as np

import nbtrack

RUNS, TAGS, STEPS = 20, 10, 100_000
LIMIT = 10_000_000


def write_big_logdir(root, runs: int = RUNS, tags: int = TAGS, steps: int = STEPS) -> None:
    """Runs shaped like a long sweep: noisy decaying curves, a picture and a histogram every 10,000 steps."""
    rng = np.random.default_rng(0)
    names = [f"metric/{t}" for t in range(tags)]
    for r in range(runs):
        with nbtrack.init(dir=root, name=f"run-{r}", project="big", config={"lr": 10.0 ** -(1 + r % 4), "seed": r}) \
                as run:
            curves = np.exp(-np.arange(steps) / (steps / 5))[None, :] * np.arange(1, tags + 1)[:, None]
            curves = (curves + 0.05 * rng.standard_normal((tags, steps))).T.tolist()
            for step, row in enumerate(curves):
                run.log(dict(zip(names, row)), step=step)
                if step % 10_000 == 0:
                    run.log({"picture": nbtrack.Image(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)),
                             "weights": nbtrack.Histogram(rng.standard_normal(1000))}, step=step)


def test_a_report_of_20_runs_of_10_tags_of_100000_steps_is_under_10_mb(tmp_path):
    write_big_logdir(tmp_path / "runs")
    path = nbtrack.report(tmp_path / "runs", tmp_path / "big.html", progress=False)
    size = path.stat().st_size
    assert size < LIMIT, f"{size / 1e6:.1f} MB"
    page = path.read_text()
    assert "200 of 200 series are reduced (up to 100,000 points each)" in page
    assert page.count('"kind":"image"') == 0  # media travel inside the gzip'd payload, not as markup
