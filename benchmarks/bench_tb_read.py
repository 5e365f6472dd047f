#!/usr/bin/env python
"""Reading TensorBoard logdirs (issue 20): nbtrack against TensorBoard's ``EventAccumulator`` and tbparse.

    python benchmarks/bench_tb_read.py                   # about 2 min; updates RESULTS.md
    python benchmarks/bench_tb_read.py --no-results --repeats 1

Cases, each read in a fresh process (imports timed apart from the read), repetitions interleaved,
median reported:

1. **400,000 scalar points**: a logdir written by tensorboardX's ``add_scalar``, 100,000 steps x 4
   tags (one event per call, as torch's and tensorboardX's writers write them: 400,001 records, about
   17 MB). Every tool reads every point into pandas: nbtrack ``nbtrack.open(d)`` then ``to_arrow()``
   of the run to pandas; ``EventAccumulator(d, size_guidance={scalars: 0}).Reload()`` then
   ``Scalars(tag)`` of each tag into one DataFrame; tbparse ``SummaryReader(d).scalars``.
2. **The fixture set** (``../shared/fixtures/tfevents``: 21 files written by other projects'
   training code): every run's scalars, histograms and images; EventAccumulator with no size limits
   per run folder; tbparse's scalars, histograms and images of the whole logdir (``extra_columns`` off).
3. **After ``nbtrack import-tb``**: the same 400,000 points read from the imported nbtrack runs.
4. **Following a growing file**: the time of ``poll()`` after 1,000 and after 10,000 new records were
   appended to the 400,000-point file (the cost follows the new records, not the file).

Checks (exit code 1 if one fails): nbtrack reads cases 1 and 2 at least 5x faster than both
EventAccumulator and tbparse; a poll after 10,000 new records costs at most 20x one after 1,000.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import add_results_options, code_state, machine_info, save_results, versions  # noqa: E402

TOOLS = ("nbtrack", "event_accumulator", "tbparse")
FIXTURES = HERE.parent.parent / "shared" / "fixtures" / "tfevents"
STEPS, TAGS = 100_000, ("loss", "accuracy", "lr", "grad_norm")
SPEEDUP_BOUND = 5.0


def write_logdir(folder: Path, steps: int = STEPS) -> float:
    """tensorboardX's add_scalar, ``steps`` x 4 tags; seconds it took."""
    from tensorboardX import SummaryWriter

    started = time.perf_counter()
    with SummaryWriter(str(folder / "run"), max_queue=1000, flush_secs=60) as writer:
        for step in range(steps):
            for i, tag in enumerate(TAGS):
                writer.add_scalar(tag, 1.0 / (step + i + 1), step)
    return time.perf_counter() - started


# -- what each tool does (in a fresh process) --------------------------------------------------------
def read_nbtrack(target: str, kinds: str) -> int:
    import nbtrack

    points = 0
    for run in nbtrack.open(target).readers():
        points += run.to_arrow().to_pandas().shape[0]
        if kinds == "all":
            for tag, kind in run.media_tags().items():
                frame = run.histograms(tag) if kind == "histogram" else run.media(tag, decode=kind == "image")
                points += len(frame)
    return points


def read_event_accumulator(target: str, kinds: str) -> int:
    import pandas as pd
    from tensorboard.backend.event_processing import event_accumulator as ea

    points = 0
    folders = sorted({p.parent for p in Path(target).rglob("*tfevents*") if p.is_file()})
    for folder in folders:
        # TensorBoard takes any path whose name holds "tfevents" for a file (the fixture folder tfevents-js):
        # such a folder's single event file is given as the file itself
        files = [p for p in folder.iterdir() if "tfevents" in p.name and p.is_file()]
        path = files[0] if "tfevents" in folder.name and len(files) == 1 else folder
        acc = ea.EventAccumulator(str(path), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0,
                                                              ea.TENSORS: 0, ea.AUDIO: 0})
        acc.Reload()
        tags = acc.Tags()
        frames = [pd.DataFrame([(e.wall_time, e.step, e.value) for e in acc.Scalars(t)],
                               columns=["wall_time", "step", "value"]).assign(tag=t) for t in tags["scalars"]]
        frames += [pd.DataFrame([(e.wall_time, e.step) for e in acc.Tensors(t)], columns=["wall_time", "step"])
                   for t in tags["tensors"]]
        points += sum(len(f) for f in frames)
        if kinds == "all":
            points += sum(len(acc.Histograms(t)) for t in tags["histograms"])
            points += sum(len(acc.Images(t)) for t in tags["images"])
    return points


def read_tbparse(target: str, kinds: str) -> int:
    from tbparse import SummaryReader

    reader = SummaryReader(target)
    points = len(reader.scalars) + len(reader.tensors)
    if kinds == "all":  # tbparse reads images only through TensorFlow (not installed here): left out of its time
        points += len(reader.histograms)
    return points


READERS = {"nbtrack": read_nbtrack, "event_accumulator": read_event_accumulator, "tbparse": read_tbparse}


def worker(tool: str, target: str, kinds: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    if tool == "nbtrack":
        import nbtrack  # noqa: F401
        from nbtrack.tensorboard.events import decode  # noqa: F401  (the decoder's import is an import)
    elif tool == "event_accumulator":
        from tensorboard.backend.event_processing import event_accumulator  # noqa: F401
    else:
        import tbparse  # noqa: F401
    import pandas  # noqa: F401
    t1 = time.perf_counter()
    points = READERS[tool](target, kinds)
    return {"import": t1 - t0, "read": time.perf_counter() - t1, "points": points}


def measure(tool: str, target: Path, kinds: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", tool, str(target), kinds]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        raise RuntimeError(f"{tool} failed on {target}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def follow_costs(folder: Path, repeats: int = 5) -> dict[str, float]:
    """Median seconds of ``poll()`` after 1,000 and after 10,000 records appended to a copy of the big file
    (each time once the writer's thread has written them all: the file's size is steady)."""
    from tensorboardX import SummaryWriter

    from nbtrack.tensorboard.reader.run import TensorBoardRun

    run_folder = folder / "run"
    run = TensorBoardRun(run_folder, stale_after=3600, root=folder)
    run.poll()
    run.forget()
    out: dict[str, float] = {}
    step = STEPS
    with SummaryWriter(str(run_folder), flush_secs=3600, max_queue=100_000) as writer:
        for records in (1_000, 10_000):
            times, points = [], []
            for _ in range(repeats):
                for _ in range(records // len(TAGS)):
                    for i, tag in enumerate(TAGS):
                        writer.add_scalar(tag, 1.0 / (step + i + 1), step)
                    step += 1
                writer.flush()
                _wait_steady(run_folder)
                started = time.perf_counter()
                points.append(len(run.poll()))
                times.append(time.perf_counter() - started)
                run.forget()
            out[f"poll_{records}"] = statistics.median(times)
            out[f"points_{records}"] = statistics.median(points)
    return out


def _wait_steady(folder: Path, quiet: float = 0.3) -> None:
    """Until the folder's event files stop growing for ``quiet`` seconds (tensorboardX writes from a thread)."""
    def size() -> int:
        return sum(p.stat().st_size for p in folder.iterdir())

    last, since = size(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = size()
        if now != last:
            last, since = now, time.monotonic()


def median(samples: list[dict[str, Any]], key: str = "read") -> float:
    return statistics.median(s[key] for s in samples)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "nbtrack-bench-tb-400k"),
                   help="folder keeping the 400,000-point logdir between runs")
    add_results_options(p)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    raw: dict[str, Any] = {"machine": machine_info(), "code": code_state(), "load_before": os.getloadavg(),
                           "versions": versions(["nbtrack", "tensorboard", "tbparse", "tensorboardX", "protobuf"])}
    big = Path(args.cache)
    if not (big / "run").is_dir():
        shutil.rmtree(big, ignore_errors=True)
        raw["write_s"] = write_logdir(big)
    raw["big_bytes"] = sum(f.stat().st_size for f in (big / "run").iterdir())
    imported = Path(str(big) + "-imported")
    if not imported.is_dir():
        from nbtrack.tensorboard.importer import import_tensorboard

        started = time.perf_counter()
        import_tensorboard(big, imported, progress=False)
        raw["import_s"] = time.perf_counter() - started
    cases = {"big": (big, "scalars"), "imported": (imported, "scalars")}
    if FIXTURES.is_dir():
        cases["fixtures"] = (FIXTURES, "all")
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {
        c: {t: [] for t in (TOOLS if c != "imported" else ("nbtrack",))} for c in cases}
    for _ in range(args.repeats):
        for case, (target, kinds) in cases.items():
            for tool in TOOLS if case != "imported" else ("nbtrack",):
                samples[case][tool].append(measure(tool, target, kinds, args.timeout))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "big"
        shutil.copytree(big, copy)
        raw["follow"] = follow_costs(copy)
    raw["samples"] = samples
    raw["load_after"] = os.getloadavg()
    ok, body = report(args, raw, samples)
    print(body)
    save_results(args, "bench_tb_read", "read", body, raw)
    return 0 if ok else 1


def report(args: argparse.Namespace, raw: dict[str, Any], samples: dict[str, dict[str, list[dict[str, Any]]]]
           ) -> tuple[bool, str]:
    v = raw["versions"]
    lines = ["## Reading TensorBoard logdirs (bench_tb_read.py)", "",
             f"Code: {raw['code']}; machine: {raw['machine'].get('cpu', '?')}, load average "
             f"{raw['load_before'][0]:.2f} before, {raw['load_after'][0]:.2f} after; tensorboard {v['tensorboard']}, "
             f"tbparse {v['tbparse']}, protobuf {v['protobuf']}; {args.repeats} repetitions interleaved, each read "
             "in a fresh process; median seconds of the read (imports apart).", "",
             "| case | nbtrack | EventAccumulator | tbparse | EventAccumulator / nbtrack | tbparse / nbtrack |",
             "|---|---:|---:|---:|---:|---:|"]
    labels = {"big": f"400,000 scalar points by tensorboardX ({raw['big_bytes'] / 2**20:.1f} MiB)",
              "fixtures": "the 21 fixture files (scalars, histograms, images; tbparse without images: it needs "
                          "TensorFlow for them)"}
    ok = True
    for case, by_tool in samples.items():
        if case == "imported":
            continue
        ours = median(by_tool["nbtrack"])
        ea, tbp = median(by_tool["event_accumulator"]), median(by_tool["tbparse"])
        ok = ok and ea / ours >= SPEEDUP_BOUND and tbp / ours >= SPEEDUP_BOUND
        lines.append(f"| {labels[case]} | {ours:.3f} | {ea:.3f} | {tbp:.3f} | {ea / ours:.1f}x | {tbp / ours:.1f}x |")
    imported = median(samples["imported"]["nbtrack"])
    took = f" (`nbtrack import-tb` took {raw['import_s']:.1f} s)" if "import_s" in raw else ""
    lines += ["", f"After `nbtrack import-tb`{took}: the same 400,000 points read from the nbtrack runs in "
              f"{imported:.3f} s ({median(samples['big']['nbtrack']) / imported:.1f}x faster than from the event files)."]
    imports = {t: median(samples["big"][t], "import") for t in TOOLS}
    with_imports = {t: median(samples["big"][t]) + imports[t] for t in TOOLS}
    lines += ["", "Imports (s): " + ", ".join(f"{t} {s:.2f}" for t, s in imports.items()) + " (nbtrack's include "
              "pandas and the event decoder). Counting them, the 400,000 points in a fresh process: nbtrack "
              f"{with_imports['nbtrack']:.2f} s, EventAccumulator {with_imports['event_accumulator']:.2f} s "
              f"({with_imports['event_accumulator'] / with_imports['nbtrack']:.1f}x), tbparse "
              f"{with_imports['tbparse']:.2f} s ({with_imports['tbparse'] / with_imports['nbtrack']:.1f}x)."]
    follow = raw["follow"]
    ratio = follow["poll_10000"] / follow["poll_1000"]
    follow_ok = ratio <= 20
    ok = ok and follow_ok
    lines += ["", f"Following the 400,000-point file (medians of 5): `poll()` after 1,000 new records "
              f"{follow['poll_1000'] * 1e3:.1f} ms, after 10,000 {follow['poll_10000'] * 1e3:.1f} ms ({ratio:.1f}x; "
              f"bound 20x: {'met' if follow_ok else 'NOT MET'}); {follow['points_10000']:,.0f} points read per poll "
              "of 10,000.",
              "", f"Check: nbtrack at least {SPEEDUP_BOUND:.0f}x faster than both in every case: "
              f"{'PASS' if ok else 'FAIL'}."]
    return ok, "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
