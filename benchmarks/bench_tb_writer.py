#!/usr/bin/env python
"""``nbtrack.SummaryWriter.add_scalar`` against torch's and tensorboardX's ``SummaryWriter``.

Each tool runs in its own fresh subprocess, ``--repeats`` times in a rotating order (median
reported). A child does, in one writer each:

1. ``--steps`` steps of ``--tags`` ``add_scalar(tag, 0.5, step)`` calls, each call timed alone
   (``perf_counter_ns`` around it): p50, p99 and max per call;
2. the same loop untimed, in a new writer on a new folder: mean cost per call (the loop's time
   divided by the calls), then ``close()``: the time until everything is on disk.

``run.log`` is nbtrack's own recorder with the same value (``run.log({tag: 0.5}, step=step)``),
the cost ``add_scalar`` should stay near.

    python benchmarks/bench_tb_writer.py            # 100,000 steps x 1 and x 4 tags, updates RESULTS.md
    python benchmarks/bench_tb_writer.py --quick    # 10,000 steps, prints only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _common import add_results_options, code_state, machine_info, save_results, versions

TOOLS = ["nbtrack", "run.log", "torch", "tensorboardX"]
MIN_RATIO = 50.0  # the issue: add_scalar at least 50x cheaper than torch's and tensorboardX's

CHILD = r"""
import array, json, os, sys, tempfile, time
tool, steps, ntags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = tempfile.mkdtemp(prefix="bench_tb_")
if tool == "nbtrack":
    from nbtrack import SummaryWriter
elif tool == "torch":
    from torch.utils.tensorboard import SummaryWriter
elif tool == "tensorboardX":
    from tensorboardX import SummaryWriter
else:
    import nbtrack


class RunLog:  # nbtrack's own recorder, same value, one key per call
    def __init__(self, folder):
        self.run = nbtrack.init(dir=folder, reinit="create_new")
    def add_scalar(self, tag, value, step):
        self.run.log({tag: value}, step=step)
    def close(self):
        self.run.finish()


def writer(name):
    folder = os.path.join(base, name)
    return RunLog(folder) if tool == "run.log" else SummaryWriter(folder)


tags = [f"train/metric{k}" for k in range(ntags)]
clock = time.perf_counter_ns
w = writer("timed")
lat = array.array("q", bytes(8 * steps * ntags))
i = 0
for step in range(steps):
    for tag in tags:
        t = clock()
        w.add_scalar(tag, 0.5, step)
        lat[i] = clock() - t
        i += 1
w.close()
w = writer("untimed")
add = w.add_scalar
t0 = clock()
for step in range(steps):
    for tag in tags:
        add(tag, 0.5, step)
loop = clock() - t0
t1 = clock()
w.close()
close = clock() - t1
lat = sorted(lat)
n = len(lat)
print(json.dumps({"p50": lat[n // 2], "p99": lat[int(n * 0.99)], "max": lat[-1],
                  "mean": loop / n, "close_ms": close / 1e6, "calls": n}))
"""


def measure(tool: str, steps: int, tags: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, tool, str(steps), str(tags)], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_shape(steps: int, tags: int, repeats: int) -> dict[str, dict[str, float]]:
    results: dict[str, list[dict[str, float]]] = {t: [] for t in TOOLS}
    for r in range(repeats):
        order = TOOLS[r % len(TOOLS):] + TOOLS[: r % len(TOOLS)]
        for tool in order:
            results[tool].append(measure(tool, steps, tags))
    return {tool: {k: statistics.median(m[k] for m in got) for k in got[0]} for tool, got in results.items()}


def table(steps: int, tags: int, med: dict[str, dict[str, float]]) -> tuple[str, list[tuple[str, float]]]:
    lines = [f"**{steps:,} steps x {tags} tag{'s' if tags > 1 else ''}** ({steps * tags:,} calls):", "",
             "| tool | mean ns/call (untimed loop) | p50 ns | p99 ns | max ms | close: all on disk, ms | "
             "mean ÷ nbtrack's |", "|---|---|---|---|---|---|---|"]
    ours = med["nbtrack"]["mean"]
    for tool in TOOLS:
        m = med[tool]
        name = {"nbtrack": "nbtrack `SummaryWriter.add_scalar`", "run.log": "nbtrack `run.log` (same value)",
                "torch": "torch `SummaryWriter.add_scalar`",
                "tensorboardX": "tensorboardX `SummaryWriter.add_scalar`"}[tool]
        lines.append(f"| {name} | {m['mean']:.0f} | {m['p50']:.0f} | {m['p99']:.0f} | {m['max'] / 1e6:.2f} | "
                     f"{m['close_ms']:.1f} | {m['mean'] / ours:.2f}× |")
    checks = [(f"torch add_scalar ÷ nbtrack add_scalar, {tags} tag(s)", med["torch"]["mean"] / ours),
              (f"tensorboardX add_scalar ÷ nbtrack add_scalar, {tags} tag(s)", med["tensorboardX"]["mean"] / ours)]
    return "\n".join(lines), checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 steps, one repetition, prints only")
    add_results_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.steps, args.repeats, args.no_results = 10_000, 1, True
    started = time.time()
    machine = machine_info()
    parts, checks, raw = [], [], {}
    for tags in (1, 4):
        med = run_shape(args.steps, tags, args.repeats)
        raw[f"{tags} tags"] = med
        text, got = table(args.steps, tags, med)
        parts.append(text)
        checks += got
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    vers = versions(["nbtrack", "torch", "tensorboardX", "tensorboard", "numpy"])
    body = ["## TensorBoard writer shim: `add_scalar` per call (bench_tb_writer.py)", "",
            f"Run {when} by `python benchmarks/bench_tb_writer.py`, {time.time() - started:.0f} s in all. "
            f"Median of {args.repeats} repetitions, each tool in its own fresh subprocess.", "",
            "**Machine:** " + "; ".join(f"{k}: {v}" for k, v in machine.items()), "",
            "**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items()) + f"; repo: {code_state()}", "",
            *[p + "\n" for p in parts],
            "Columns: *mean* = the untimed loop's time ÷ calls; *p50/p99/max* = each call timed alone "
            "(`perf_counter_ns` around it, about 60 ns of it the timer itself); *close* = `close()` after the "
            "untimed loop: until every point is on disk (nbtrack: flush, end-of-stream markers, manifest). "
            "nbtrack writes nothing on the caller's thread (its writer thread flushes every second).", "",
            "| check | measured | limit | result |", "|---|---|---|---|"]
    ok = True
    for label, ratio in checks:
        passed = ratio >= MIN_RATIO
        ok &= passed
        body.append(f"| {label} | {ratio:.0f}× | ≥ {MIN_RATIO:.0f}× | **{'PASS' if passed else 'FAIL'}** |")
    text = "\n".join(body)
    print(text)
    save_results(args, "bench_tb_writer", "results", text, raw)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
