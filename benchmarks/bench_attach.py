"""A live dashboard never blocks the logging thread (issue 16: ``Run.attach``, reading outside the writer's lock).

    python benchmarks/bench_attach.py                                  # the nbtrack on PYTHONPATH / installed
    python benchmarks/bench_attach.py --trees old=/tmp/old91,new=.     # each tree in its own subprocesses, side by side

Per repetition, in a fresh process: a run gets ``--steps`` steps x 4 scalars (default 250,000 x 4 =
1,000,000 points), flushed to disk. Then a logging thread calls ``run.log({4 floats})`` in a loop, either
paced (``time.sleep(0.001)`` after each call) or tight (no pause), and notes the time of every return. After
0.5 s the main thread builds the dashboard, ``dash = run.show()`` (a live ``Dashboard``; no kernel needed;
a one-point run's dashboard was built first in the process, so the widget stack's imports are not measured:
``--cold`` measures them too),
and 0.5 s later the thread stops. Reported, over the gaps between consecutive ``log()`` returns that end while
the dashboard is built (plus 50 ms):

- the longest gap (the logging thread's longest pause; paced gaps include the 1 ms sleep), its p99;
- the longest gap in the 0.5 s before, without a dashboard (what the machine and the GIL give anyway);
- the dashboard's build time, and how many points its first snapshot holds.

The check: the longest gap while the dashboard is built < 50 ms in every repetition. Before issue 16 the
dashboard read the whole run while holding the writer's lock; now ``Run.attach`` only flushes and notes the
stored position under it, and the run is read up to that position outside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LIMIT_MS = 50.0


def one(steps: int, mode: str, warm: bool = True) -> dict:
    import numpy as np

    import nbtrack

    with tempfile.TemporaryDirectory(prefix="nbtrack-attach-") as tmp:
        if warm:  # the widget stack's imports (ipywidgets, anywidget, ...) are paid once per process: not here
            w = nbtrack.init(project="bench-attach-warm", dir=os.path.join(tmp, "warm"))
            w.log({"a": 1.0})
            d = w.show()
            getattr(d, "close", lambda: None)()
            w.finish()
        run = nbtrack.init(project="bench-attach", dir=os.path.join(tmp, "logs"))
        log = run.log
        for i in range(steps):
            x = i * 1e-5
            log({"loss": 1.0 / (1.0 + x), "acc": x, "lr": 1e-3, "grad_norm": 2.0 + (i % 7) * 0.25})
        run.flush()

        stop = threading.Event()
        ends: list[float] = []
        call_max = [0.0]
        pc = time.perf_counter
        paced = mode == "paced"

        def logging_thread() -> None:
            i = steps
            while not stop.is_set():
                x = i * 1e-5
                d = {"loss": 1.0 / (1.0 + x), "acc": x, "lr": 1e-3, "grad_norm": 2.0 + (i % 7) * 0.25}
                t = pc()
                log(d)
                now = pc()
                ends.append(now)
                if now - t > call_max[0]:
                    call_max[0] = now - t
                i += 1
                if paced:
                    time.sleep(0.001)

        th = threading.Thread(target=logging_thread, name="training")
        th.start()
        time.sleep(0.5)
        b0 = pc()
        dash = run.show()
        b1 = pc()
        time.sleep(0.5)
        stop.set()
        th.join()
        kind = type(dash).__name__
        snap = getattr(dash, "snapshot", None)
        points = None
        if isinstance(snap, dict):
            try:
                points = sum(len(s.get("steps", ())) for s in snap.get("scalars", {}).values())
            except Exception:
                points = None
        close = getattr(dash, "close", None)
        if close is not None:
            close()
        run.finish()

    t = np.asarray(ends)
    gaps = np.diff(t)
    gap_end = t[1:]
    during = gaps[(gap_end >= b0) & (gap_end <= b1 + 0.05)]
    before = gaps[(gap_end >= b0 - 0.45) & (gap_end < b0)]
    return {
        "mode": mode, "steps": steps, "dashboard": kind, "build_s": b1 - b0, "snapshot_points": points,
        "max_gap_ms": float(during.max()) * 1e3 if len(during) else None,
        "p99_gap_ms": float(np.percentile(during, 99)) * 1e3 if len(during) else None,
        "calls_during": len(during),
        "max_gap_before_ms": float(before.max()) * 1e3 if len(before) else None,
        "max_call_ms": call_max[0] * 1e3,
        "nbtrack_file": nbtrack.__file__,
    }


def measure(steps: int, repeats: int, modes: list[str], warm: bool = True) -> list[dict]:
    return [one(steps, mode, warm) for _ in range(repeats) for mode in modes]


def in_subprocess(tree: Path, steps: int, mode: str, warm: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="nbtrack-attach-drv-") as tmp:
        out = os.path.join(tmp, "out.json")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--steps", str(steps), "--modes", mode,
                            "--repeats", "1", "--json", out, "--quiet", *([] if warm else ["--cold"])], env=env, cwd=tmp, capture_output=True,
                           text=True, timeout=600)
        if not os.path.exists(out):
            raise RuntimeError(f"{tree}: {p.stdout}\n{p.stderr}")
        with open(out) as f:
            (res,) = json.load(f)["results"]
    if not Path(res["nbtrack_file"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"{tree}: nbtrack came from {res['nbtrack_file']}")
    return res


def table(by_tree: dict[str, list[dict]], modes: list[str]) -> list[str]:
    names = list(by_tree)
    lines = ["| figure | mode | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]

    def cell(rs: list[dict], key: str, fn=max) -> str:
        vals = [r[key] for r in rs if r[key] is not None]
        return f"{fn(vals):.1f}" if vals else "–"

    for mode in modes:
        rs = {n: [r for r in by_tree[n] if r["mode"] == mode] for n in names}
        lines.append(f"| longest gap between log() returns while `run.show()` builds, ms (worst of {len(rs[names[0]])}) "
                     f"| {mode} | " + " | ".join(cell(rs[n], "max_gap_ms") for n in names) + " |")
        lines.append(f"| p99 gap meanwhile, ms (worst) | {mode} | "
                     + " | ".join(cell(rs[n], "p99_gap_ms") for n in names) + " |")
        lines.append(f"| longest single log() call, ms (worst) | {mode} | "
                     + " | ".join(cell(rs[n], "max_call_ms") for n in names) + " |")
        lines.append(f"| longest gap in the 0.45 s before, no dashboard, ms (worst) | {mode} | "
                     + " | ".join(cell(rs[n], "max_gap_before_ms") for n in names) + " |")
        lines.append(f"| `run.show()` build time, ms (median) | {mode} | "
                     + " | ".join(f"{statistics.median(r['build_s'] for r in rs[n]) * 1e3:.0f}" for n in names) + " |")
        lines.append(f"| log() calls returned meanwhile (median) | {mode} | "
                     + " | ".join(f"{statistics.median(r['calls_during'] for r in rs[n]):.0f}" for n in names) + " |")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=250_000, help="steps x 4 scalars stored first (default 250,000)")
    p.add_argument("--repeats", type=int, default=3, help="repetitions per mode (and tree)")
    p.add_argument("--modes", default="paced,tight", help="paced (1 ms sleep after each log()), tight, or both")
    p.add_argument("--trees", help="name=path,name=path: run each tree in its own subprocesses, interleaved; the "
                                   "check applies to the last tree")
    p.add_argument("--json", help="write the raw results here")
    p.add_argument("--cold", action="store_true", help="no warm-up dashboard first: the measured run.show() also "
                                                   "imports the widget stack")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    modes = a.modes.split(",")
    if a.trees:
        trees = {k: Path(v).resolve() for k, v in (t.split("=", 1) for t in a.trees.split(","))}
        by_tree: dict[str, list[dict]] = {n: [] for n in trees}
        for rep in range(a.repeats):
            order = list(trees) if rep % 2 == 0 else list(reversed(trees))
            for mode in modes:
                for n in order:
                    by_tree[n].append(in_subprocess(trees[n], a.steps, mode, not a.cold))
        checked = list(trees)[-1]
    else:
        import nbtrack

        by_tree = {"this": measure(a.steps, a.repeats, modes, not a.cold)}
        checked = "this"
        trees = {"this": Path(nbtrack.__file__).parent.parent}
    lines = table(by_tree, modes)
    worst = max((r["max_gap_ms"] or float("inf")) for r in by_tree[checked])
    passed = worst < LIMIT_MS
    if not a.quiet:
        print(f"{a.steps:,} steps x 4 scalars stored; trees: " + ", ".join(f"{k}={v}" for k, v in trees.items()))
        print("dashboard: " + ", ".join(f"{n}: {by_tree[n][0]['dashboard']}" for n in by_tree) + "\n")
        print("\n".join(lines))
        print(f"\ncheck ({checked}): longest gap while the dashboard is built {worst:.1f} ms < {LIMIT_MS:.0f} ms: "
              f"{'PASS' if passed else 'FAIL'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": [r for rs in by_tree.values() for r in rs], "by_tree": by_tree}, f, indent=1)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
