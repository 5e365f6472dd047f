"""``nbtrack demo`` (synthetic runs and their report) and ``nbtrack import-tb`` (a TensorBoard
logdir converted into nbtrack runs): the subcommands that write runs."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from ._common import compile_regex, fail, progress_option


def run_demo(args: argparse.Namespace) -> int:
    """Record the demo sweep into ``args.dir``, list it, and write its report (``report.html`` there)."""
    import nbtrack
    from nbtrack.demo import record_demo_runs

    if args.steps < 1:
        fail(f"--steps {args.steps}: give 1 or more steps per run")
    ids = record_demo_runs(args.dir, steps=args.steps)
    print(f"recorded {len(ids)} runs in {args.dir}:")
    table = nbtrack.open(args.dir).runs()
    print(table[["id", "name", "status", "config.lr", "config.width", "summary.train/loss"]]
          .to_string(index=False))
    page = nbtrack.report(args.dir, Path(args.dir) / "report.html", title="nbtrack demo: a learning-rate sweep",
                          progress=False)
    print(f"report of these runs, to open in any browser (offline): {page}")
    return 0


def run_import_tb(args: argparse.Namespace) -> int:
    """Convert the TensorBoard runs under ``args.tbdir`` into nbtrack runs under ``args.logdir``."""
    from nbtrack.tensorboard.importer import import_tensorboard

    compile_regex("--runs", args.runs)
    started = time.perf_counter()
    try:
        names = import_tensorboard(args.tbdir, args.logdir, runs=args.runs, progress=progress_option(args.quiet))
    except (FileNotFoundError, ValueError, re.error) as exc:
        fail(str(exc))
    print(f"imported {len(names)} runs from {args.tbdir} into {args.logdir} in {time.perf_counter() - started:.1f} s"
          + (": " + ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") if names else ""))
    return 0
