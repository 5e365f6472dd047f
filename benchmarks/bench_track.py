"""``%track``'s watcher on a big logdir (issue 19): first screen, memory, and the cost of a poll.

    python benchmarks/bench_track.py                 # 200 runs x 10 tags x 10,000 steps; updates RESULTS.md
    python benchmarks/bench_track.py --runs 20 --no-results

One run of ``--tags`` metrics x ``--steps`` steps is recorded with ``nbtrack.init`` and its folder
copied under new ids (``--runs`` in all, each a past, finished run). Then, in a fresh process:

- **first screen**: ``LogdirWatcher.first()`` (discover every run, read it, build the reduced
  snapshot the widget starts from) and the process's peak memory (``ru_maxrss``) after it;
- **idle poll**: ``poll()`` with nothing new, median and longest of 30 (each re-reads the runs'
  manifests when their modification time changed: here none did);
- **poll after an append**: a live run in the same logdir logs 1,000 (then 10,000) steps of its
  10 tags and flushes; the next ``poll()`` is timed. Its cost should follow those steps, not the
  logdir: the same is measured on a logdir of ``--runs // 10`` runs for comparison.

Checks (exit code 1 if one fails): first screen within 2 s, peak memory under 500 MB, an idle
poll under 5 ms (median), and the 1,000-step poll on the big logdir within 3x the same poll on
the small one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_results_options, code_state, machine_info, save_results

FIRST_LIMIT_S, MEMORY_LIMIT_MB, IDLE_LIMIT_MS, SCALE_LIMIT = 2.0, 500, 5.0, 3.0


def make_logdir(root: Path, runs: int, tags: int, steps: int) -> None:
    import nbtrack

    keys = [f"group{t % 3}/metric{t}" for t in range(tags)]
    with nbtrack.init(dir=root, name="seed", config={"lr": 0.1, "seed": 0}) as run:
        for i in range(steps):
            run.log({k: 1.0 / (i + 1) + t for t, k in enumerate(keys)})
    (seed,) = [p for p in root.iterdir() if p.is_dir()]
    for k in range(1, runs):
        copy = root / f"copy{k:05d}"
        shutil.copytree(seed, copy)
        identity = json.loads((copy / "run.json").read_text())
        identity.update(id=copy.name, name=f"run {k}", created=identity["created"] + k)
        (copy / "run.json").write_text(json.dumps(identity))
        for manifest in (copy / "writers").glob("*.json"):  # the writer's manifest names the run too
            writer = json.loads(manifest.read_text())
            writer.update(run_id=copy.name, name=f"run {k}")
            manifest.write_text(json.dumps(writer))


CHILD = r"""
import json, resource, statistics, sys, time
from pathlib import Path
import nbtrack
from nbtrack.dashboard.watcher import LogdirWatcher
root, tags = Path(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
watcher = LogdirWatcher([(None, root)])
snap = watcher.first()
first = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
watcher.poll()
idle = []
for _ in range(30):
    t = time.perf_counter(); update = watcher.poll(); idle.append(time.perf_counter() - t)
    assert not update.series
live = nbtrack.init(dir=root, name="live")
keys = [f"group{t % 3}/metric{t}" for t in range(tags)]
watcher.poll()  # the live run joins
appended = {}
step = 0
for n in (1_000, 10_000):
    for _ in range(n):
        live.log({k: float(step) for k in keys}); step += 1
    live.flush()
    t = time.perf_counter(); update = watcher.poll(); appended[n] = time.perf_counter() - t
    assert update.points == n * tags, update.points
live.finish()
print(json.dumps({"first_s": first, "peak_mb": peak_mb, "runs": len(snap["runs"]), "series": len(snap["series"]),
                  "idle_ms": statistics.median(idle) * 1e3, "idle_max_ms": max(idle) * 1e3,
                  "append_1000_ms": appended[1000] * 1e3, "append_10000_ms": appended[10000] * 1e3}))
"""


def measure(root: Path, tags: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(tags)], capture_output=True, text=True,
                         env=env, timeout=600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--tags", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    add_results_options(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("NBTRACK_STALE_AFTER", "30")
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        started = time.perf_counter()
        make_logdir(big, args.runs, args.tags, args.steps)
        make_logdir(small, max(1, args.runs // 10), args.tags, args.steps)
        made = time.perf_counter() - started
        results: dict[str, list[dict[str, Any]]] = {"big": [], "small": []}
        for _ in range(args.repeats):
            for name, root in (("big", big), ("small", small)):
                for extra in [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("copy", "seed"))]:
                    if json.loads((extra / "run.json").read_text()).get("name") == "live":
                        shutil.rmtree(extra)
                results[name].append(measure(root, args.tags))
    med = {name: {k: statistics.median(r[k] for r in rows) for k in rows[0]} for name, rows in results.items()}
    b, s = med["big"], med["small"]
    scale = b["append_1000_ms"] / s["append_1000_ms"]
    checks = [
        ("first screen (discover, read, snapshot) <= 2 s", b["first_s"] <= FIRST_LIMIT_S),
        ("peak memory of the watching process < 500 MB", b["peak_mb"] < MEMORY_LIMIT_MB),
        ("idle poll < 5 ms (median)", b["idle_ms"] < IDLE_LIMIT_MS),
        (f"poll after 1,000 steps: big logdir within {SCALE_LIMIT:g}x the small one", scale <= SCALE_LIMIT),
    ]
    machine = machine_info()
    lines = [
        "## %track's watcher on a big logdir (bench_track.py)", "",
        f"Code: {code_state()}; machine: {machine.get('cpu', '?')}, load average "
        f"{machine.get('load average at start (1/5/15 min)', '?')} at start; median of {args.repeats}, each in a "
        "fresh process.", "",
        f"Logdir: {args.runs} runs x {args.tags} tags x {args.steps:,} steps ({args.runs * args.tags * args.steps:,} "
        f"points; made in {made:.0f} s by copying one recorded run); small: {max(1, args.runs // 10)} runs.", "",
        "| figure | big logdir | small logdir |", "|---|---:|---:|",
        f"| first screen: `LogdirWatcher.first()`, s | {b['first_s']:.2f} | {s['first_s']:.2f} |",
        f"| peak memory after it (ru_maxrss), MB | {b['peak_mb']:.0f} | {s['peak_mb']:.0f} |",
        f"| idle poll, ms (median / longest of 30) | {b['idle_ms']:.2f} / {b['idle_max_ms']:.2f} | "
        f"{s['idle_ms']:.2f} / {s['idle_max_ms']:.2f} |",
        f"| poll after a live run appended 1,000 steps x {args.tags} tags, ms | {b['append_1000_ms']:.1f} | "
        f"{s['append_1000_ms']:.1f} |",
        f"| poll after 10,000 steps x {args.tags} tags, ms | {b['append_10000_ms']:.1f} | "
        f"{s['append_10000_ms']:.1f} |",
        "", "Checks: " + "; ".join(f"{name}: {'met' if ok else 'NOT MET'}" for name, ok in checks), "",
    ]
    text = "\n".join(lines)
    print(text)
    save_results(args, "bench_track", "watcher", text, {"big": results["big"], "small": results["small"]})
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
