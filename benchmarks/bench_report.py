"""HTML reports: size and time of ``nbtrack report`` on a big logdir and on one quickstart-sized run.

Cases (issue 21):

1. **Big logdir**: 20 runs x 10 tags x 100,000 steps, plus an image tag (64 x 64 noise, the worst case for
   compression) and a histogram tag logged every 10,000 steps per run. Bounds: the report is under 10 MB and
   written in under 10 s (median of ``--repeats`` runs of ``nbtrack report`` in a fresh process, imports
   included, as a user runs it).
2. **The same at full resolution** (``--full-resolution``): what the reduction saves; and **the same shape with
   the wall times of a paced loop** (the big logdir's loop runs flat out, so its times compress better than real
   ones), written through ``nbtrack.SummaryWriter(walltime=...)``.
3. **One quickstart-sized run** (3,000 steps, 5 scalars, a histogram every 100 steps, a 48 x 48 picture
   every 300): bound under 2 MB.
4. **Peer: Bokeh's own standalone HTML** (``bokeh.embed.file_html`` with inline resources) of the same
   charts drawn from the same reduced points the report holds, one figure per tag with one line per run:
   how compact the report's data is against the plotting library's own format. (TensorBoard, wandb offline and
   trackio write no offline report file: they show runs through a server.)
5. **Drawn in the browser** (where ``/usr/bin/chromium`` and Playwright are present): time from opening the
   big report's file to every chart drawn, every request other than ``file://`` blocked.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _common import add_results_options, code_state, machine_info, save_results, versions  # noqa: E402

from nbtrack.demo import record_long_sweep  # noqa: E402

MAX_MB, MAX_SECONDS, QUICKSTART_MAX_MB = 10.0, 10.0, 2.0


def write_quickstart_like(root: Path) -> None:
    import numpy as np

    import nbtrack

    rng = np.random.default_rng(0)
    with nbtrack.init(dir=root, name="quickstart", project="quickstart", config={"lr": 0.5, "hidden": 32}) as run:
        for step in range(3000):
            row: dict[str, Any] = {"train/loss": float(np.exp(-step / 800) + 0.05 * rng.random()),
                                   "train/grad_norm": float(rng.random()), "lr": 0.5}
            if step % 50 == 0:
                row["val/loss"], row["val/accuracy"] = float(np.exp(-step / 900)), float(1 - np.exp(-step / 700))
            if step % 100 == 0:
                row["weights/W1"] = nbtrack.Histogram(rng.standard_normal((2, 32)))
            if step % 300 == 0 or step == 2999:
                row["predictions"] = nbtrack.Image((rng.random((48, 48, 3)) * 255).astype(np.uint8))
            run.log(row, step=step)


def write_paced(root: Path, runs: int, tags: int, steps: int) -> None:
    """The big logdir's shape with the wall times of a paced loop (a step every ~0.1 s with jitter), written
    through ``nbtrack.SummaryWriter(walltime=...)``: times that compress as real ones do."""
    import numpy as np

    import nbtrack

    rng = np.random.default_rng(1)
    for r in range(runs):
        writer = nbtrack.SummaryWriter(str(root / f"run-{r}"))
        times = 1.7e9 + np.cumsum(rng.uniform(0.08, 0.12, steps))
        curves = np.exp(-np.arange(steps) / (steps / 5))[None, :] * np.arange(1, tags + 1)[:, None]
        values = (curves + 0.05 * rng.standard_normal((tags, steps))).tolist()
        for t in range(tags):
            for step, (value, when) in enumerate(zip(values[t], times.tolist())):
                writer.add_scalar(f"metric/{t}", value, step, walltime=when)
        writer.close()


def time_cli(logdir: Path, out: Path, *extra: str) -> float:
    """Seconds for ``python -m nbtrack report`` in a fresh process (imports included)."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbtrack", "report", str(logdir), "-o", str(out), "--quiet", *extra],
                   check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def bokeh_peer(logdir: Path, out: Path) -> tuple[float, float]:
    """Bokeh's ``file_html`` (inline resources) of the report's reduced points: (seconds, MB)."""
    import numpy as np
    from bokeh.embed import file_html
    from bokeh.layouts import gridplot
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    import nbtrack
    from nbtrack.dashboard.snapshot import REPORT, snapshot_of

    readers = nbtrack.open(logdir).select()
    snapshot = snapshot_of(readers, max_points=REPORT.max_points, budget=REPORT.budget, max_per_tag=0)
    started = time.perf_counter()
    figures: dict[str, Any] = {}
    for s in snapshot["series"]:
        fig = figures.setdefault(s["key"], figure(title=s["key"], width=400, height=250))
        fig.line(np.frombuffer(s["steps"]), np.frombuffer(s["values"]))
    out.write_text(file_html(gridplot(list(figures.values()), ncols=3), INLINE, "bokeh peer"))
    return time.perf_counter() - started, out.stat().st_size / 1e6


def browser_draw(page_path: Path, charts: int) -> float | None:
    """Seconds from opening the report to every chart drawn (None without Chromium or Playwright)."""
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        asked: list[str] = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "blob:", "data:"))
                   else (asked.append(r.request.url), r.abort()))
        started = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_function(f"() => document.querySelectorAll('.nbtrack-chart[data-drawn]').length >= {charts} "
                               "|| document.querySelectorAll('.nbtrack-chart').length >= " + str(charts),
                               timeout=120_000)
        page.wait_for_function("() => document.querySelector('[data-nbtrack-rendered]')?.dataset.nbtrackRendered "
                               "=== 'done'", timeout=120_000)
        seconds = time.perf_counter() - started
        browser.close()
        if asked:
            raise AssertionError(f"the report asked for {asked}")
        return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tags", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 steps, one repetition, prints only")
    add_results_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeats, args.no_results = 10_000, 1, True
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        record_long_sweep(work / "big", args.runs, args.tags, args.steps)
        write_paced(work / "paced", args.runs, args.tags, args.steps)
        write_quickstart_like(work / "quick")
        big = [time_cli(work / "big", work / "big.html") for _ in range(args.repeats)]
        full = time_cli(work / "big", work / "full.html", "--full-resolution")
        paced = time_cli(work / "paced", work / "paced.html")
        quick = [time_cli(work / "quick", work / "quick.html") for _ in range(args.repeats)]
        peer_s, peer_mb = bokeh_peer(work / "big", work / "peer.html")
        drawn = browser_draw(work / "big.html", args.tags)
        sizes = {name: (work / f"{name}.html").stat().st_size / 1e6 for name in ("big", "full", "quick", "paced")}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    raw = {"big_s": big, "full_s": full, "paced_s": paced, "quick_s": quick, "sizes_mb": sizes, "peer": [peer_s, peer_mb],
           "browser_s": drawn}
    shape = f"{args.runs} runs x {args.tags} tags x {args.steps:,} steps"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    rows = [
        f"| big logdir ({shape}, + an image and a histogram tag per run) | {statistics.median(big):.2f} s | "
        f"{sizes['big']:.2f} MB |",
        f"| the same, `--full-resolution` | {full:.2f} s | {sizes['full']:.1f} MB |",
        f"| {shape} with paced wall times (a step every 0.08-0.12 s; SummaryWriter), no media | {paced:.2f} s | "
        f"{sizes['paced']:.2f} MB |",
        f"| one quickstart-sized run | {statistics.median(quick):.2f} s | {sizes['quick']:.2f} MB |",
        f"| peer: Bokeh `file_html` (inline) of the same reduced lines, no media, no controls | {peer_s:.2f} s "
        f"(in process) | {peer_mb:.2f} MB ({peer_mb / sizes['big']:.1f}x the report) |",
    ]
    checks = [("big report size", sizes["big"], MAX_MB, "MB"), ("paced report size", sizes["paced"], MAX_MB, "MB"), ("big report written", statistics.median(big),
                                                                 MAX_SECONDS, "s"),
              ("quickstart report size", sizes["quick"], QUICKSTART_MAX_MB, "MB")]
    body = ["## HTML reports (bench_report.py)", "",
            f"Run {when} by `python benchmarks/bench_report.py`, {time.time() - started:.0f} s in all. Times are "
            f"the median of {args.repeats} runs of `nbtrack report` in a fresh process (imports included).", "",
            "**Machine:** " + "; ".join(f"{k}: {v}" for k, v in machine_info().items()), "",
            "**Versions:** " + ", ".join(f"{k} {v}" for k, v in versions(["nbtrack", "bokeh", "numpy"]).items())
            + f"; repo: {code_state()}", "",
            "| case | time | size |", "|---|---|---|", *rows, "",
            f"Opened in headless Chromium from `file://` with every other request blocked (none was made), the big "
            f"report drew all {args.tags} charts in "
            + (f"{drawn:.1f} s." if drawn is not None else "(not measured: no Chromium or Playwright here)."), "",
            "| check | measured | limit | result |", "|---|---|---|---|"]
    ok = True
    for label, value, limit, unit in checks:
        passed = value < limit
        ok &= passed
        body.append(f"| {label} | {value:.2f} {unit} | < {limit:g} {unit} | **{'PASS' if passed else 'FAIL'}** |")
    text = "\n".join(body)
    print(text)
    save_results(args, "bench_report", "results", text, raw)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
