"""Two source trees of nbtrack side by side, in one run (issue 16 item on the layout move).

    python benchmarks/bench_compare.py --old /tmp/old91 --new .            # scalars: log(), until on disk, reads
    python benchmarks/bench_compare.py --old /tmp/old91 --new . --live     # + bench_live.py --quick per tree

Every measurement runs in a fresh subprocess whose ``PYTHONPATH`` is the tree being measured (the
subprocess checks that ``nbtrack`` really came from there), and the repetitions alternate between the two
trees (old, new, new, old, old, new, ...) so that drift of the machine hits both alike. The benchmark code is
this file, the same for both trees; only the package under test differs.

Measured per tree, median over the repetitions:

- ``log()`` per scalar: the loop of ``bench_scalars.py`` (100,000 steps x 4 floats, a dict built per step),
  loop time / (steps x 4), no timing inside the loop; ``finish()``; *until on disk* = loop + finish;
- ``log()`` per call: a second loop with ``perf_counter_ns()`` around each single call: p50, p99, max;
- read-back, each in a fresh process, imports excluded: ``history()`` of that run (a pandas DataFrame),
  ``scalars("loss")`` of it, and ``scalars("x")["value"].to_numpy()`` of a one-scalar run of ``--big-steps``
  steps (written once per tree);
- with ``--live``: ``bench_live.py --quick --no-results --json`` once per tree and ``--live-repeats``
  (JupyterLab + headless Chromium; the kernel inherits ``PYTHONPATH``), alternating trees: the feed's CPU
  share, the page's redraw median, Chromium's CPU and the loop's wall time with / without the dashboard.

The table gives old, new and new / old (> 1 = new is slower or bigger) for each figure, for the medians and
for the best (smallest) value of each tree: on a machine other work is loading, the best is the steadier. Prints Markdown;
``--json FILE`` keeps every raw number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEYS = ("loss", "acc", "lr", "grad_norm")


# --------------------------------------------------------------------------
# the worker: ``python bench_compare.py _worker MODE ARGS... OUT.json``
# --------------------------------------------------------------------------


def _w_plain(n: int, logdir: str) -> dict:
    import nbtrack

    lr_slope = 1e-3 / n
    run = nbtrack.init(project="bench", dir=logdir, config={"steps": n})
    log = run.log
    t0 = time.perf_counter()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        log(d)
    t1 = time.perf_counter()
    run.finish()
    t2 = time.perf_counter()
    return {"ns_per_scalar": (t1 - t0) / (n * 4) * 1e9, "loop_s": t1 - t0, "finish_s": t2 - t1,
            "on_disk_s": t2 - t0, "run_id": str(run.id)}


def _w_percall(n: int, logdir: str) -> dict:
    from array import array

    import numpy as np

    import nbtrack

    lr_slope = 1e-3 / n
    run = nbtrack.init(project="bench", dir=logdir, config={"steps": n})
    log = run.log
    pc = time.perf_counter_ns
    ns = array("q", bytes(8 * n))
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        t = pc()
        log(d)
        ns[i] = pc() - t
    run.finish()
    a = np.frombuffer(ns, dtype=np.int64) / 1e3  # µs
    return {"p50_us": float(np.percentile(a, 50)), "p99_us": float(np.percentile(a, 99)),
            "max_us": float(a.max()), "mean_us": float(a.mean())}


def _w_big_write(n: int, logdir: str) -> dict:
    import nbtrack

    run = nbtrack.init(project="bench-big", dir=logdir)
    log = run.log
    for i in range(n):
        log({"x": i * 0.5})
    run.finish()
    return {"run_id": str(run.id)}


def _w_read(logdir: str, run_id: str, what: str, n: int) -> dict:
    import pandas  # noqa: F401  (not part of the timing)

    import nbtrack

    t0 = time.perf_counter()
    if what == "history":
        df = nbtrack.open(logdir).run(run_id).history()
        rows = len(df)
        ok = rows == n and all(k in df.columns for k in KEYS)
    elif what == "scalars":
        df = nbtrack.open(logdir).run(run_id).scalars("loss")
        rows = len(df)
        ok = rows == n
    else:  # big
        arr = nbtrack.open(logdir).run(run_id).scalars("x")["value"].to_numpy()
        rows = len(arr)
        ok = rows == n and abs(float(arr.sum()) - 0.5 * (n - 1) * n / 2) < 1e-6 * n * n
    dt = time.perf_counter() - t0
    if not ok:
        raise AssertionError(f"{what}: read {rows} rows, expected {n} (or wrong sums)")
    return {"read_s": dt}


def worker(argv: list[str]) -> None:
    out = argv[-1]
    try:
        mode = argv[0]
        if mode == "plain":
            res = _w_plain(int(argv[1]), argv[2])
        elif mode == "percall":
            res = _w_percall(int(argv[1]), argv[2])
        elif mode == "big-write":
            res = _w_big_write(int(argv[1]), argv[2])
        elif mode == "read":
            res = _w_read(argv[1], argv[2], argv[3], int(argv[4]))
        else:
            raise SystemExit(f"unknown worker mode {mode}")
        import nbtrack

        res["nbtrack_file"] = nbtrack.__file__
    except BaseException as e:
        res = {"error": f"{type(e).__name__}: {e}"}
    with open(out, "w") as f:
        json.dump(res, f)


# --------------------------------------------------------------------------
# the driver
# --------------------------------------------------------------------------


def run_in(tree: Path, args: list[str], timeout: float = 600) -> dict:
    with tempfile.TemporaryDirectory(prefix="nbtrack-cmp-") as tmp:
        out = os.path.join(tmp, "out.json")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_worker", *args, out], env=env,
                           cwd=tmp, capture_output=True, text=True, timeout=timeout)
        if not os.path.exists(out):
            raise RuntimeError(f"worker {args} in {tree} failed:\n{p.stdout}\n{p.stderr}")
        with open(out) as f:
            res = json.load(f)
    if "error" in res:
        raise RuntimeError(f"worker {args} in {tree}: {res['error']}\n{p.stderr}")
    if not Path(res["nbtrack_file"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"worker in {tree} imported nbtrack from {res['nbtrack_file']}")
    return res


def run_live(tree: Path, quick_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="nbtrack-cmp-live-") as tmp:
        out = os.path.join(tmp, "live.json")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        t = time.perf_counter()
        p = subprocess.run([sys.executable, str(HERE / "bench_live.py"), *quick_args, "--no-results",
                            "--json", out], env=env, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - t
        if not os.path.exists(out):
            raise RuntimeError(f"bench_live.py in {tree} failed (exit {p.returncode}):\n{p.stdout[-3000:]}\n"
                               f"{p.stderr[-3000:]}")
        with open(out) as f:
            data = json.load(f)
    return {"data": data, "exit": p.returncode, "wall_s": wall, "stdout": p.stdout}


def live_figures(data: dict) -> dict:
    """The headline figures of one ``bench_live.py --json`` dump."""
    s = data.get("summary", data)
    get = s.get
    return {
        "feed CPU ÷ loop (worst loop), %": (get("kernel_share_max") or 0) * 100,
        "feed CPU per message, µs": get("feed_us_per_message"),
        "page redraw, median ms": get("redraw_median_ms"),
        "Chromium CPU with dashboard, cores": (get("with") or {}).get("chromium"),
        "loop wall with ÷ without dashboard": get("ratio_median"),
        "loop wall with dashboard, s": (get("with") or {}).get("wall_s"),
    }


def machine() -> dict:
    def version(mod: str) -> str:
        try:
            return __import__(mod).__version__
        except Exception:
            return "not importable"

    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "numpy": version("numpy"),
            "pyarrow": version("pyarrow"), "pandas": version("pandas"), "os": platform.platform(),
            "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"}


def git_desc(tree: Path) -> str:
    p = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "(not a git checkout)"


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "s":
        return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.3f} s"
    if unit == "us":
        return f"{v:.2f} µs" if v < 100 else f"{v:,.0f} µs"
    if unit == "ns":
        return f"{v:.0f} ns"
    return f"{v:.3g}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", required=True, type=Path, help="the old source tree (its nbtrack/ is imported)")
    p.add_argument("--new", default=ROOT, type=Path, help="the new source tree (default: this checkout)")
    p.add_argument("--steps", type=int, default=100_000, help="steps x 4 scalars per write (default 100,000)")
    p.add_argument("--repeats", type=int, default=6, help="repetitions per tree, alternating (default 6)")
    p.add_argument("--big-steps", type=int, default=2_000_000, help="one-scalar run for the big read (0: skip)")
    p.add_argument("--live", action="store_true", help="also run bench_live.py per tree (JupyterLab + Chromium)")
    p.add_argument("--live-repeats", type=int, default=1, help="bench_live.py runs per tree (default 1)")
    p.add_argument("--live-args", default="--quick", help="arguments for bench_live.py (default --quick)")
    p.add_argument("--json", help="dump every raw number to this file")
    a = p.parse_args()
    trees = {"old": a.old.resolve(), "new": a.new.resolve()}
    for name, tree in trees.items():
        if not (tree / "nbtrack" / "__init__.py").exists():
            p.error(f"--{name} {tree}: no nbtrack/ package there")
    started = time.time()
    raw: dict[str, dict[str, list]] = {t: {} for t in trees}

    def add(tree: str, key: str, value: float) -> None:
        raw[tree].setdefault(key, []).append(value)

    scratch = Path(tempfile.mkdtemp(prefix="nbtrack-cmp-data-"))
    big: dict[str, str] = {}
    if a.big_steps:
        for t in trees:
            d = str(scratch / f"big-{t}")
            big[t] = run_in(trees[t], ["big-write", str(a.big_steps), d])["run_id"]
    for rep in range(a.repeats):
        order = ["old", "new"] if rep % 2 == 0 else ["new", "old"]
        for t in order:
            d = str(scratch / f"{t}-{rep}")
            w = run_in(trees[t], ["plain", str(a.steps), d])
            for k in ("ns_per_scalar", "finish_s", "on_disk_s"):
                add(t, k, w[k])
            c = run_in(trees[t], ["percall", str(a.steps), str(scratch / f"{t}-{rep}-pc")])
            for k in ("p50_us", "p99_us", "max_us", "mean_us"):
                add(t, k, c[k])
            for what in ("history", "scalars"):
                add(t, f"read_{what}_s", run_in(trees[t], ["read", d, w["run_id"], what, str(a.steps)])["read_s"])
            if a.big_steps:
                r = run_in(trees[t], ["read", str(scratch / f"big-{t}"), big[t], "big", str(a.big_steps)])
                add(t, "read_big_s", r["read_s"])
        print(f"repetition {rep + 1}/{a.repeats} done ({time.time() - started:.0f} s)", file=sys.stderr)

    live: dict[str, list] = {t: [] for t in trees}
    if a.live:
        for rep in range(a.live_repeats):
            for t in (["old", "new"] if rep % 2 == 0 else ["new", "old"]):
                r = run_live(trees[t], a.live_args.split())
                live[t].append({"exit": r["exit"], "wall_s": r["wall_s"], **live_figures(r["data"])})
                print(f"live {t} run {rep + 1}: exit {r['exit']}, {r['wall_s']:.0f} s", file=sys.stderr)

    rows = [
        ("log() per scalar, loop / (steps x 4)", "ns_per_scalar", "ns"),
        ("log() per call, p50", "p50_us", "us"),
        ("log() per call, p99", "p99_us", "us"),
        ("log() per call, max", "max_us", "us"),
        ("log() per call, mean", "mean_us", "us"),
        ("finish()", "finish_s", "s"),
        ("until on disk (loop + finish)", "on_disk_s", "s"),
        (f"history() of {a.steps:,} steps x 4 -> DataFrame", "read_history_s", "s"),
        (f'scalars("loss") of {a.steps:,} steps', "read_scalars_s", "s"),
        (f'scalars("x") -> numpy, {a.big_steps:,} steps', "read_big_s", "s"),
    ]
    out = [f"| figure | old: median of {a.repeats} | new: median | new ÷ old (medians) | old: best | new: best "
           "| new ÷ old (best) |", "|---|---|---|---|---|---|---|"]
    ratios = {}
    for label, key, unit in rows:
        if key not in raw["old"]:
            continue
        o, n = statistics.median(raw["old"][key]), statistics.median(raw["new"][key])
        bo, bn = min(raw["old"][key]), min(raw["new"][key])
        ratios[key] = n / o if o else None
        ratios[key + ":best"] = bn / bo if bo else None
        out.append(f"| {label} | {fmt(o, unit)} | {fmt(n, unit)} | {ratios[key]:.2f}× | {fmt(bo, unit)} "
                   f"| {fmt(bn, unit)} | {ratios[key + ':best']:.2f}× |")
    if a.live:
        out += ["", f"| live path (`bench_live.py {a.live_args}`, median of {a.live_repeats} run(s) per tree) "
                    "| old | new | new ÷ old |", "|---|---|---|---|"]
        for label in live_figures({}):
            vals = {t: [r[label] for r in live[t] if r[label] is not None] for t in trees}
            if not vals["old"] or not vals["new"]:
                continue
            o, n = statistics.median(vals["old"]), statistics.median(vals["new"])
            out.append(f"| {label} | {o:.3g} | {n:.3g} | {n / o:.2f}× |")
        out.append("| bench_live.py exit code (0 = all its checks pass) | "
                   f"{', '.join(str(r['exit']) for r in live['old'])} | "
                   f"{', '.join(str(r['exit']) for r in live['new'])} | |")
    m = machine()
    print(f"old: {trees['old']} ({git_desc(trees['old'])}); new: {trees['new']} ({git_desc(trees['new'])})")
    print("machine: " + "; ".join(f"{k} {v}" for k, v in m.items()))
    print(f"total {time.time() - started:.0f} s\n")
    print("\n".join(out))
    print("\nper repetition:")
    for key in raw["old"]:
        print(f"- {key}: old {[round(v, 6) for v in raw['old'][key]]}; new {[round(v, 6) for v in raw['new'][key]]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"trees": {k: str(v) for k, v in trees.items()}, "machine": m, "raw": raw, "live": live,
                       "ratios": ratios}, f, indent=1)
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker(sys.argv[2:])
    else:
        sys.exit(main())
