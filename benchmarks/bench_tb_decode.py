"""Reading a TensorBoard event file of scalars: nbtrack's framing + decode against TensorBoard and tbparse.

    python benchmarks/bench_tb_decode.py                     # 100,000 steps x 4 tags, 5 repeats
    python benchmarks/bench_tb_decode.py --steps 10000 --repeats 3 --file /path/to/events.out.tfevents.x

The file is written once by tensorboardX (``add_scalar`` of 4 tags per step: one ``Event`` per
value, 400,001 records at 100,000 steps) and cached under ``--cache``. Each method runs in a fresh
process (imports not timed), repetitions interleaved; the table gives median and best seconds and
the scalar count each method returned:

- ``framing``: ``EventFileTail(path).read_new(final=True)`` (read, walk, CRC32C of every record);
- ``nbtrack protobuf``: framing + ``decode(..., fast=False)`` (one ``Event.FromString`` per record);
- ``nbtrack``: framing + ``decode`` (the numpy fast path for one-scalar records);
- ``EventAccumulator``: TensorBoard's ``EventAccumulator(path, size_guidance={"scalars": 0})``,
  ``Reload()`` and ``Scalars(tag)`` of every tag;
- ``tbparse``: ``SummaryReader(path).scalars`` (a pandas DataFrame).

Check (exit code 1 if it fails): ``nbtrack`` under ``--bound`` seconds (median).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("framing", "nbtrack protobuf", "nbtrack", "EventAccumulator", "tbparse")
TAGS = ("loss/train", "loss/val", "accuracy", "lr")


def write_file(folder: Path, steps: int) -> Path:
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(folder), flush_secs=3600, max_queue=100_000)
    for step in range(steps):
        w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("loss/val", 1.5 / (step + 1), step)
        w.add_scalar("accuracy", math.sin(step) ** 2, step)
        w.add_scalar("lr", 0.1 * 0.99 ** (step // 1000), step)
    w.close()
    return next(folder.glob("events.out.tfevents.*"))


def cached_file(cache: Path, steps: int) -> Path:
    folder = cache / f"tbx_scalars_{steps}x{len(TAGS)}"
    found = sorted(folder.glob("events.out.tfevents.*"))
    return found[0] if found else write_file(folder, steps)


def run_once(method: str, path: str) -> dict[str, Any]:
    """One timed read in this process (imports done first)."""
    sys.path.insert(0, str(ROOT))
    from nbtrack.tensorboard.events import EventFileTail, decode

    if method == "EventAccumulator":
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    if method == "tbparse":
        from tbparse import SummaryReader
    t0 = time.perf_counter()
    if method in ("framing", "nbtrack protobuf", "nbtrack"):
        chunk = EventFileTail(path).read_new(final=True)
        count = len(chunk)
        if method != "framing":
            count = len(decode(chunk.buffer, chunk.starts, chunk.lengths, fast=method == "nbtrack").scalar_value)
    elif method == "EventAccumulator":
        acc = EventAccumulator(path, size_guidance={"scalars": 0})
        acc.Reload()
        count = sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])
    else:
        count = len(SummaryReader(path).scalars)
    return {"seconds": time.perf_counter() - t0, "count": count}


def measure(method: str, path: Path, timeout: float) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", method, str(path)], capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(samples: dict[str, list[dict[str, Any]]]) -> str:
    lines = ["| method | median s | best s | scalars |", "|---|---:|---:|---:|"]
    for method, runs in samples.items():
        ok = [r["seconds"] for r in runs if "seconds" in r]
        if not ok:
            lines.append(f"| {method} | error: {runs[0].get('error', '?')} | | |")
            continue
        lines.append(f"| {method} | {statistics.median(ok):.3f} | {min(ok):.3f} | {runs[0]['count']:,} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--file", type=Path, help="an existing event file instead of the tensorboardX one")
    p.add_argument("--cache", type=Path, default=Path("/tmp/nbtrack-bench-tb"))
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--bound", type=float, default=0.8)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(run_once(*args.worker)))
        return 0
    path = args.file or cached_file(args.cache, args.steps)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in args.methods}
    for _ in range(args.repeats):
        for method in args.methods:
            samples[method].append(measure(method, path, args.timeout))
    print(table(samples))
    ours = [r["seconds"] for r in samples.get("nbtrack", []) if "seconds" in r]
    if ours and statistics.median(ours) > args.bound:
        print(f"FAIL: nbtrack median {statistics.median(ours):.3f} s over {args.bound} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
