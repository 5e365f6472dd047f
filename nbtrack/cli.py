"""The ``nbtrack`` command: ``ls``, ``demo`` and ``import-tb`` (``report`` comes later)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _ls(args: argparse.Namespace) -> int:
    import nbtrack

    try:
        logdir = nbtrack.open(args.logdir)
    except FileNotFoundError as exc:
        print(f"nbtrack ls: {exc}", file=sys.stderr)
        return 2
    table = logdir.runs()
    for problem in logdir.problems:
        print(f"nbtrack ls: skipped: {problem}", file=sys.stderr)
    if table.empty:
        print(f"no runs in {args.logdir}")
        return 0
    columns = ["id", "name", "project", "status", "created"]
    columns += [c for c in table.columns if c.startswith("summary.")][: args.max_metrics]
    print(table[columns].to_string(index=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    import nbtrack

    from .demo import record_demo_runs

    ids = record_demo_runs(args.dir, steps=args.steps)
    print(f"recorded {len(ids)} runs in {args.dir}:")
    table = nbtrack.open(args.dir).runs()
    print(table[["id", "name", "status", "config.lr", "config.width", "summary.train/loss"]]
          .to_string(index=False))
    page = nbtrack.open(args.dir).show().save(Path(args.dir) / "dashboard.html")
    print(f"dashboard of these runs, to open in any browser (offline): {page}")
    return 0


def _import_tb(args: argparse.Namespace) -> int:
    import re
    import time

    from .tensorboard.importer import import_tensorboard

    started = time.perf_counter()
    try:
        names = import_tensorboard(args.tbdir, args.logdir, runs=args.runs, progress=False if args.quiet else None)
    except (FileNotFoundError, ValueError, re.error) as exc:
        print(f"nbtrack import-tb: {exc}", file=sys.stderr)
        return 2
    print(f"imported {len(names)} runs from {args.tbdir} into {args.logdir} in {time.perf_counter() - started:.1f} s"
          + (": " + ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") if names else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nbtrack", description="Watch ML training inside Jupyter.")
    commands = parser.add_subparsers(dest="command", required=True)
    ls = commands.add_parser("ls", help="list the runs in a logdir")
    ls.add_argument("logdir", help="folder holding runs (e.g. nbruns)")
    ls.add_argument("--max-metrics", type=int, default=4, help="summary columns to show (default 4)")
    ls.set_defaults(func=_ls)
    demo = commands.add_parser("demo", help="record a few synthetic runs")
    demo.add_argument("--dir", default="nbruns", help="logdir to write to (default ./nbruns)")
    demo.add_argument("--steps", type=int, default=2000, help="steps per run (default 2000)")
    demo.set_defaults(func=_demo)
    tb = commands.add_parser("import-tb", help="convert a TensorBoard logdir into nbtrack runs",
                             description="Convert every TensorBoard run (a folder of event files) under TBDIR into "
                                         "an nbtrack run at the same path under LOGDIR. TBDIR is only read.")
    tb.add_argument("tbdir", help="TensorBoard logdir (e.g. runs or logs)")
    tb.add_argument("logdir", help="nbtrack logdir to write the runs to (outside TBDIR)")
    tb.add_argument("--runs", help="only runs whose name (path under TBDIR) matches this regular expression")
    tb.add_argument("--quiet", action="store_true", help="no progress bar")
    tb.set_defaults(func=_import_tb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nbtrack`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
