"""Histograms in a tight loop: nbtrack's binning against computing ``numpy.histogram`` inline.

    python benchmarks/bench_histograms.py                 # 1,000 x 100,000 float32 values, 5 repetitions
    python benchmarks/bench_histograms.py --count 200     # quicker

Each repetition runs in a fresh subprocess, the two kinds alternating. *numpy*: the loop calls
``numpy.histogram(values, 64)`` on each array. *nbtrack*: the loop calls
``run.log({"w": nbtrack.Histogram(values)})`` (64 bins, binned in the writer thread) and
``run.finish()``, so its time is the time until every histogram is on disk. The arrays are
made before the loop (a tight loop) or, with ``--made-in-loop``, inside it in both kinds.
Reported: wall time, process CPU time (all threads), the longest single call, and the
ratios; the checks (issue 18): time to disk and CPU each at most 1.5x numpy's, the longest
``log()`` call under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, tempfile, time
import numpy as np
kind, count, size, made_in_loop, bins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
bins = int(bins) if bins.isdigit() else bins
rng = np.random.default_rng(0)
arrays = [] if made_in_loop else [rng.standard_normal(size).astype(np.float32) for _ in range(count)]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if kind == "nbtrack":
    import nbtrack
    run = nbtrack.init(dir=tempfile.mkdtemp())
    run.log({"w": nbtrack.Histogram(np.ones(10, np.float32), bins=bins)})  # warm-up: imports, first write
    run.flush()
longest = 0.0
c0, t0 = cpu(), time.perf_counter()
for i in range(count):
    values = rng.standard_normal(size).astype(np.float32) if made_in_loop else arrays[i]
    s = time.perf_counter()
    if kind == "numpy":
        np.histogram(values, 64 if bins == 64 else 64)
    else:
        run.log({"w": nbtrack.Histogram(values, bins=bins)})
    longest = max(longest, time.perf_counter() - s)
if kind == "nbtrack":
    run.finish()
wall, used = time.perf_counter() - t0, cpu() - c0
if kind == "nbtrack":
    h = nbtrack.open(run.dir.parent).run(run.id).histograms("w")
    assert len(h) == count + 1, len(h)
print(json.dumps({"wall": wall, "cpu": used, "longest": longest}))
"""


def measure(kind: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(args.count), str(args.size),
                          "1" if args.made_in_loop else "0", str(args.bins)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bins", default="64", help="64 (equal width) or tensorflow")
    parser.add_argument("--made-in-loop", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"numpy": [], "nbtrack": []}
    started = time.time()
    for i in range(args.repeats):
        for kind in (("numpy", "nbtrack") if i % 2 == 0 else ("nbtrack", "numpy")):
            results[kind].append(measure(kind, args))
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu", "longest")} for k, v in results.items()}
    where = "made in the loop" if args.made_in_loop else "made before the loop"
    print(f"{args.count} histograms of {args.size:,} float32 values ({where}), bins={args.bins}, "
          f"median of {args.repeats}, {time.time() - started:.0f} s in all\n")
    print("| figure | numpy.histogram inline | nbtrack log(Histogram) + finish | ratio |")
    print("|---|---|---|---|")
    for field, label in (("wall", "wall time, s (nbtrack: until on disk)"), ("cpu", "process CPU, s")):
        print(f"| {label} | {med['numpy'][field]:.3f} | {med['nbtrack'][field]:.3f} | "
              f"{med['nbtrack'][field] / med['numpy'][field]:.2f}x |")
    longest = max(r["longest"] for r in results["nbtrack"])
    print(f"| longest single call, ms (worst of all) | {max(r['longest'] for r in results['numpy']) * 1e3:.1f} | "
          f"{longest * 1e3:.1f} | |")
    ok = (med["nbtrack"]["wall"] <= 1.5 * med["numpy"]["wall"] and med["nbtrack"]["cpu"] <= 1.5 * med["numpy"]["cpu"]
          and longest < 0.050)
    print(f"\ncheck: on-disk time and CPU <= 1.5x numpy's, longest log() < 50 ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
