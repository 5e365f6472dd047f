"""Reading a logdir of many runs, and a run of very many sparse metrics (issue 17 item 9).

    python benchmarks/bench_logdir.py                 # all three cases; updates RESULTS.md
    python benchmarks/bench_logdir.py --no-results --skip-sparse

Cases, each timed with ``time.perf_counter`` (median of ``--repeats``):

- **1,000 small runs**: one run recorded with ``nbtrack.init`` (config of 2 keys, 2 metrics), its folder
  copied 999 times under new ids, every file dated an hour back (past runs). ``nbtrack.open(d).runs()`` on a fresh ``Logdir`` (every reader created),
  then again on the same ``Logdir`` (readers kept).
- **1,000 wide runs**: hand-written ``run.json`` and writer manifest per run, each with 100 config and 100
  summary keys of its own (200,000 distinct keys in all); ``runs()`` keeps the ``MAX_COLUMNS`` most shared
  as columns (and warns).
- **a 100,000-metric sparse run**: each metric logged once at its own step; ``history()`` would be a
  100,000 x 100,000 dense table (74.5 GiB): it raises ``MemoryError`` naming ``to_arrow()``; its time and
  the peak of Python allocations (``tracemalloc``) are reported, and ``to_arrow()``'s time.

Checks (exit code 1 if one fails): both ``runs()`` of 1,000 runs under 1 s on a fresh ``Logdir``;
``history()`` of the sparse run refuses with the long form named, allocating under 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_results_options, code_state, machine_info, save_results

LIMIT_S = 1.0


def small_runs(root: Path, count: int) -> None:
    import nbtrack

    with nbtrack.init(dir=root, name="seed", config={"lr": 0.1, "width": 64}) as run:
        for i in range(100):
            run.log({"loss": 1.0 / (i + 1), "acc": i / 100})
    (seed,) = [p for p in root.iterdir() if p.is_dir()]
    for k in range(1, count):
        copy = root / f"copy{k:05d}"
        shutil.copytree(seed, copy)
        identity = json.loads((copy / "run.json").read_text())
        identity.update(id=copy.name, name=f"run {k}", created=identity["created"] + k)
        (copy / "run.json").write_text(json.dumps(identity))
    _age(root)


def _age(root: Path) -> None:
    """Date every file an hour back, as in a logdir of past runs (readers re-read files changed < 2 s ago)."""
    old = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (old, old))


def wide_runs(root: Path, count: int, keys: int) -> None:
    now = time.time() - 3600
    for i in range(count):
        run = root / f"wide{i:05d}"
        (run / "writers").mkdir(parents=True)
        (run / "data").mkdir()
        (run / "run.json").write_text(json.dumps({
            "format_version": "1.0", "id": run.name, "name": run.name, "project": "p", "created": now + i,
            "config": {f"c{i}_{k}": k for k in range(keys)}}))
        (run / "writers" / "w1.json").write_text(json.dumps({
            "format_version": "1.0", "run_id": run.name, "writer_id": "w1", "status": "finished",
            "started": now + i, "heartbeat": now + i + 1, "summary": {f"s{i}_{k}": float(k) for k in range(keys)}}))
    _age(root)


def time_runs(root: Path, repeats: int) -> dict[str, Any]:
    import nbtrack

    fresh, kept, shape = [], [], None
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            t = time.perf_counter()
            logdir = nbtrack.open(root)
            table = logdir.runs()
            fresh.append(time.perf_counter() - t)
            t = time.perf_counter()
            logdir.runs()
            kept.append(time.perf_counter() - t)
        shape = table.shape
    return {"fresh_s": statistics.median(fresh), "kept_s": statistics.median(kept), "shape": shape}


def sparse_history(root: Path, metrics: int) -> dict[str, Any]:
    import nbtrack

    t = time.perf_counter()
    with nbtrack.init(dir=root, name="sparse") as run:
        for i in range(metrics):
            run.log({f"m{i}": float(i)})
    logged = time.perf_counter() - t
    reader = nbtrack.open(root).run("sparse")
    tracemalloc.start()
    t = time.perf_counter()
    try:
        reader.history()
        message = "returned a table"
    except MemoryError as exc:
        message = str(exc)
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = time.perf_counter()
    rows = reader.to_arrow().num_rows
    return {"log_s": logged, "history_s": seconds, "history_peak_bytes": peak, "message": message,
            "to_arrow_s": time.perf_counter() - t, "to_arrow_rows": rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1000, help="runs per logdir (default 1000)")
    p.add_argument("--keys", type=int, default=100, help="config and summary keys per wide run (default 100)")
    p.add_argument("--metrics", type=int, default=100_000, help="metrics of the sparse run (default 100,000)")
    p.add_argument("--repeats", type=int, default=3, help="repetitions, median reported (default 3)")
    p.add_argument("--skip-sparse", action="store_true", help="skip the sparse run (its logging takes a few s)")
    add_results_options(p)
    args = p.parse_args()
    raw: dict[str, Any] = {"machine": machine_info(), "code": code_state()}
    with tempfile.TemporaryDirectory() as tmp:
        small, wide, sparse = (Path(tmp) / n for n in ("small", "wide", "sparse"))
        for d in (small, wide, sparse):
            d.mkdir()
        small_runs(small, args.runs)
        wide_runs(wide, args.runs, args.keys)
        raw["small"] = time_runs(small, args.repeats)
        raw["wide"] = time_runs(wide, args.repeats)
        if not args.skip_sparse:
            raw["sparse"] = sparse_history(sparse, args.metrics)
    checks = [(f"runs() of {args.runs:,} small runs, fresh Logdir < {LIMIT_S} s", raw["small"]["fresh_s"] < LIMIT_S),
              (f"runs() of {args.runs:,} wide runs, fresh Logdir < {LIMIT_S} s", raw["wide"]["fresh_s"] < LIMIT_S)]
    lines = [f"Machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores; load "
             f"{raw['machine']['load average at start (1/5/15 min)']}; code {raw['code']}", "",
             "| case | table | runs(), fresh Logdir | runs(), kept Logdir |", "|---|---|---|---|"]
    for case, label in (("small", "small runs"), ("wide", f"wide runs ({2 * args.keys} own keys each)")):
        r = raw[case]
        lines.append(f"| {args.runs:,} {label} | {r['shape'][0]:,} x {r['shape'][1]:,} | "
                     f"{r['fresh_s'] * 1000:.0f} ms | {r['kept_s'] * 1000:.0f} ms |")
    if "sparse" in raw:
        s = raw["sparse"]
        refused = "to_arrow()" in s["message"]
        checks.append(("history() of the sparse run refuses, naming to_arrow(), under 1 GiB allocated",
                       refused and s["history_peak_bytes"] < 2**30))
        lines += ["", f"Sparse run of {args.metrics:,} metrics (one point each): logged in {s['log_s']:.1f} s; "
                      f"history() answered in {s['history_s']:.2f} s with peak {s['history_peak_bytes'] / 2**20:.0f} "
                      f"MiB allocated: \"{s['message'][:160]}...\"; to_arrow(): {s['to_arrow_rows']:,} rows in "
                      f"{s['to_arrow_s'] * 1000:.1f} ms."]
    lines += ["", *(f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in checks)]
    body = "\n".join(lines)
    print(body)
    save_results(args, "bench_logdir", "default", body, raw)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
