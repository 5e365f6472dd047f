"""The cost of issue 22's wandb surface: ``Run.log_code`` (copying source files at the start of a run) and a
``define_metric`` step metric as a chart's x axis (mapped in the browser).

    python benchmarks/bench_wandb_surface.py

- ``log_code(".")`` over this repository (what a script calls at its start), and over a synthetic tree of
  3,000 ``.py`` files plus a virtual environment of 5,000 files (the walk skips the environment and stops at
  1,000 files with a warning): medians of 5, each into a fresh run.
- In node (``js/src``), a 1,000,000-point series whose step metric is logged every 1,000 steps: the mapping
  (``mapToStepMetric``) and the chart's line data (``lineData``, 800 px) against the same series on steps;
  medians of 7.

Checks: ``log_code`` over this repository < 1 s; the bounded synthetic walk < 2 s; mapping 1,000,000 points
< 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import ROOT, add_results_options, code_state, machine_info, save_results, versions

NODE_SCRIPT = """
import { mapToStepMetric } from "%(src)s/xaxis.js";
import { lineData } from "%(src)s/lines.js";
const n = 1_000_000, every = 1000;
const steps = new Float64Array(n), values = new Float64Array(n), times = new Float64Array(n);
for (let i = 0; i < n; i++) { steps[i] = i; values[i] = Math.sin(i / 5000) + (i %% 7) / 10; times[i] = 1.7e9 + i / 1000; }
const m = n / every;
const epoch = { steps: new Float64Array(m), values: new Float64Array(m), times: new Float64Array(m) };
for (let i = 0; i < m; i++) { epoch.steps[i] = i * every; epoch.values[i] = i; epoch.times[i] = 1.7e9 + i; }
const series = { steps, values, times };
const settings = { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false };
const median = (f) => { const t = []; for (let r = 0; r < 7; r++) { const s = performance.now(); f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b); return t[3]; };
const out = {
  map_ms: median(() => mapToStepMetric(series, epoch)),
  line_metric_ms: median(() => lineData(mapToStepMetric(series, epoch), settings, 800, null, "r")),
  line_step_ms: median(() => lineData(series, settings, 800, null, "r")),
};
console.log(JSON.stringify(out));
"""


def time_log_code(root: Path, reps: int = 5) -> dict:
    import nbtrack

    times, logged = [], None
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as d, nbtrack.init(dir=d) as run, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            logged = run.log_code(root)
            times.append(time.perf_counter() - started)
    assert logged is not None
    return {"seconds": statistics.median(times), "files": len(logged.files), "bytes": logged.bytes,
            "complete": logged.complete}


def synthetic_tree(root: Path) -> Path:
    for i in range(3000):
        folder = root / f"pkg{i // 100:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"m{i:04d}.py").write_text("x = 1\n" * 20)
    venv = root / "env"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    for i in range(5000):
        (venv / "lib" / f"dep{i}.py").write_text("y = 2\n")
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_results_options(p)
    args = p.parse_args()
    started = time.time()
    repo = time_log_code(ROOT)
    with tempfile.TemporaryDirectory() as d:
        synthetic = time_log_code(synthetic_tree(Path(d)))
    src = (ROOT / "js" / "src").as_posix()
    done = subprocess.run(["node", "--input-type=module", "-e", NODE_SCRIPT % {"src": src}], capture_output=True,
                          text=True, check=True, timeout=300)
    js = json.loads(done.stdout.strip().splitlines()[-1])
    checks = [
        ("`log_code` over this repository", f"{repo['seconds'] * 1000:.1f} ms", "< 1 s", repo["seconds"] < 1),
        ("bounded synthetic walk", f"{synthetic['seconds'] * 1000:.1f} ms", "< 2 s", synthetic["seconds"] < 2),
        ("mapping 1,000,000 points", f"{js['map_ms']:.1f} ms", "< 100 ms", js["map_ms"] < 100),
    ]
    info = machine_info()
    body = "\n".join([
        "## wandb surface: log_code and step-metric axes (bench_wandb_surface.py)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} by `python benchmarks/bench_wandb_surface.py`, "
        f"{time.time() - started:.0f} s in all.",
        "",
        "**Machine:** " + "; ".join(f"{k}: {v}" for k, v in info.items()),
        "",
        "**Versions:** " + ", ".join(f"{k} {v}" for k, v in versions(["nbtrack"]).items())
        + f", node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}; repo: "
        + code_state(("nbtrack", "js/src")),
        "",
        "| case | time (median) | files | bytes |",
        "|---|---|---|---|",
        f"| `run.log_code(\".\")` over this repository | {repo['seconds'] * 1000:.1f} ms | {repo['files']:,} | "
        f"{repo['bytes']:,} |",
        f"| 3,000 `.py` files + a 5,000-file venv (stops at 1,000 files) | {synthetic['seconds'] * 1000:.1f} ms | "
        f"{synthetic['files']:,} | {synthetic['bytes']:,} |",
        "",
        "In node, 1,000,000 points, the step metric logged every 1,000 steps (medians of 7):",
        "",
        "| case | time |",
        "|---|---|",
        f"| `mapToStepMetric` (x = the metric's latest value at or before each step) | {js['map_ms']:.1f} ms |",
        f"| line data against the step metric (mapping + smoothing + M4 to 800 px) | {js['line_metric_ms']:.1f} ms |",
        f"| line data against steps (as before) | {js['line_step_ms']:.1f} ms |",
        "",
        "| check | measured | limit | result |",
        "|---|---|---|---|",
        *[f"| {name} | {measured} | {limit} | **{'PASS' if ok else 'FAIL'}** |" for name, measured, limit, ok in checks],
    ])
    print(body)
    save_results(args, "bench_wandb_surface", "results", body, {"repo": repo, "synthetic": synthetic, "js": js})
    if not all(ok for *_, ok in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
