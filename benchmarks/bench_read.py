"""Reading one tag of a long run, and ``history()`` of a run (issue 18 items 3 and 4).

    python benchmarks/bench_read.py                      # 10M points per tag; updates RESULTS.md
    python benchmarks/bench_read.py --points 1000000 --no-results
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_read.py --history-only --no-results

Cases, each in a fresh subprocess (imports timed separately from the read), repetitions interleaved,
median and best reported:

- **one tag of a long run**: a run of ``--points`` steps x 4 tags logged with ``run.log`` and
  ``run.flush()`` every ``--flush-steps`` steps (400,000 points a flush: a 1-second flush of a fast
  loop). ``nbtrack.open(d).run(id).scalars(tag, columns=("step", "value"))`` to numpy (CRC checks
  included), the same with all three columns (``scalars(tag)``), against
  ``pyarrow.feather.read_table(path, columns=["step", "value"], memory_map=False)`` to numpy of the same
  tag's points from an uncompressed Feather file.
- **history()**: a run of ``--history-steps`` steps x 4 tags (logged the same way), ``history()``.

Check (exit code 1 if it fails): ``scalars(tag)`` of step and value within 3x of the Feather read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_results_options, code_state, machine_info, save_results

TAGS = ("a", "b", "c", "d")
BOUND = 3.0


def record(logdir: Path, run_id: str, steps: int, flush_steps: int) -> float:
    """Log ``steps`` x 4 tags, flushing every ``flush_steps``; return the seconds it took."""
    import nbtrack

    t0 = time.perf_counter()
    run = nbtrack.init(dir=logdir, id=run_id, flush_interval=3600)
    log = run.log
    for step in range(steps):
        x = float(step)
        log({"a": x, "b": -x, "c": x * 0.5, "d": x + 1.0})
        if (step + 1) % flush_steps == 0:
            run.flush()
    run.finish(quiet=True)
    return time.perf_counter() - t0


def write_feather(logdir: Path, run_id: str, tag: str, path: Path) -> int:
    import pyarrow as pa
    import pyarrow.feather as feather

    import nbtrack

    frame = nbtrack.open(logdir).run(run_id).scalars(tag, columns=("step", "value"))
    feather.write_feather(pa.table({"step": frame["step"].to_numpy(), "value": frame["value"].to_numpy()}),
                          str(path), compression="uncompressed")
    return len(frame)


# -- the subprocess side -------------------------------------------------------------------------
def worker(mode: str, target: str, run_id: str, tag: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    if mode == "feather":
        import pandas
        import pyarrow.feather as feather
    else:
        import pandas  # noqa: F401  (scalars() and history() return DataFrames)
        import pyarrow  # noqa: F401

        import nbtrack
    t1 = time.perf_counter()
    if mode == "feather":
        table = feather.read_table(target, columns=["step", "value"], memory_map=False)
        arrays = [table.column(c).to_numpy() for c in ("step", "value")]
    elif mode in ("scalars", "scalars3"):
        columns = ("step", "value") if mode == "scalars" else ("step", "time", "value")
        frame = nbtrack.open(target).run(run_id).scalars(tag, columns=columns)
        arrays = [frame[c].to_numpy() for c in columns]
    else:
        frame = nbtrack.open(target).run(run_id).history()
        arrays = [frame[c].to_numpy() for c in frame.columns]
    t2 = time.perf_counter()
    return {"import": t1 - t0, "read": t2 - t1, "rows": len(arrays[0])}


def measure(mode: str, target: Path, run_id: str, tag: str, timeout: float, code: str | None = None
            ) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", mode.removesuffix("_before"), str(target), run_id, tag]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(code))
    if out.returncode:
        raise RuntimeError(f"{mode} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env(code: str | None) -> dict[str, str]:
    """The environment of a subprocess that imports nbtrack from ``code`` (a checkout), if given."""
    return {**os.environ, "PYTHONPATH": code} if code else os.environ.copy()


def record_with(code: str, logdir: Path, run_id: str, steps: int, flush_steps: int, timeout: float) -> None:
    """Record the run with the nbtrack of another checkout (its writer and its format)."""
    cmd = [sys.executable, __file__, "--record", str(logdir), run_id, str(steps), str(flush_steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(code))
    if out.returncode:
        raise RuntimeError(f"recording with {code} failed: {out.stderr[-2000:]}")


def summary(samples: list[dict[str, Any]], key: str) -> tuple[float, float]:
    values = [s[key] for s in samples]
    return statistics.median(values), min(values)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--record", nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--compare", metavar="CHECKOUT",
                   help="also time history() with the nbtrack of this checkout (written by its own writer)")
    p.add_argument("--points", type=int, default=10_000_000, help="steps of the long run (points per tag)")
    p.add_argument("--flush-steps", type=int, default=100_000, help="steps between flushes (x 4 points)")
    p.add_argument("--history-steps", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--history-only", action="store_true", help="only the history() case")
    add_results_options(p)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    if args.record:
        record(Path(args.record[0]), args.record[1], int(args.record[2]), int(args.record[3]))
        return 0
    raw: dict[str, Any] = {"machine": machine_info(), "code": code_state(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        raw["write_history_s"] = record(logdir, "hist", args.history_steps, args.flush_steps)
        modes: dict[str, tuple[Path, str]] = {"history": (logdir, "hist")}
        if args.compare:
            record_with(args.compare, Path(tmp) / "before", "hist", args.history_steps, args.flush_steps,
                        args.timeout)
            modes["history_before"] = (Path(tmp) / "before", "hist")
        if not args.history_only:
            raw["write_long_s"] = record(logdir, "long", args.points, args.flush_steps)
            feather_path = Path(tmp) / "a.feather"
            raw["feather_rows"] = write_feather(logdir, "long", "a", feather_path)
            raw["data_bytes"] = sum(f.stat().st_size for f in (logdir / "long" / "data").iterdir())
            modes.update({"feather": (feather_path, "-"), "scalars": (logdir, "long"),
                          "scalars3": (logdir, "long")})
        samples: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
        for _ in range(args.repeats):  # interleaved: a load spike hits every case alike
            for mode, (target, run_id) in modes.items():
                code = args.compare if mode.endswith("_before") else None
                samples[mode].append(measure(mode, target, run_id, "a", args.timeout, code))
    raw["samples"] = samples
    raw["load_after"] = os.getloadavg()
    ok, body = report(args, raw, samples)
    print(body)
    save_results(args, "bench_read", "read", body, raw)
    return 0 if ok else 1


def report(args: argparse.Namespace, raw: dict[str, Any], samples: dict[str, list[dict[str, Any]]]
           ) -> tuple[bool, str]:
    ms = 1000.0
    lines = ["## Reading: one tag of a long run, history() (bench_read.py)", "",
             f"Code: {raw['code']}; machine: {raw['machine'].get('cpu', '?')}, load average "
             f"{raw['load_before'][0]:.2f} before, {raw['load_after'][0]:.2f} after; {args.repeats} repetitions "
             "interleaved, each in a fresh process; median (best).", "",
             "| case | rows | read ms | imports ms |", "|---|---:|---:|---:|"]
    labels = {"scalars": "`scalars(tag, columns=(\"step\", \"value\"))` to numpy (CRCs checked)",
              "scalars3": "`scalars(tag)` (step, time, value) to numpy (CRCs checked)",
              "feather": "`feather.read_table(columns=[step, value], memory_map=False)` to numpy",
              "history": f"`history()` of {args.history_steps:,} steps x 4 tags",
              "history_before": f"the same, before (nbtrack of `{args.compare}`, run written by it)"}
    for mode, got in samples.items():
        med, best = summary(got, "read")
        imp, _ = summary(got, "import")
        lines.append(f"| {labels[mode]} | {got[0]['rows']:,} | {med * ms:.0f} ({best * ms:.0f}) | {imp * ms:.0f} |")
    ok = True
    if "history_before" in samples:
        before = summary(samples["history_before"], "read")[0]
        lines += ["", f"history(): {summary(samples['history'], 'read')[0] / before:.2f}x the time before."]
    if "feather" in samples:
        ratio = summary(samples["scalars"], "read")[0] / summary(samples["feather"], "read")[0]
        ok = ratio <= BOUND
        lines += ["", f"Long run: {args.points:,} steps x 4 tags, a flush every {args.flush_steps:,} steps "
                  f"({raw['data_bytes'] / 2**20:,.0f} MiB of data, written in {raw['write_long_s']:.0f} s). "
                  f"scalars(tag) of step and value / Feather: {ratio:.2f}x (bound {BOUND:.0f}x: "
                  f"{'met' if ok else 'NOT MET'})."]
    return ok, "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
