"""``nbtrack report`` (one HTML file of a logdir's runs) and ``nbtrack export`` (their scalars as
Parquet or CSV files).

Both call the library (``nbtrack.reports.report``, ``nbtrack.store.export.export_logdir``), imported
when the command runs. Exit codes: 2 for a missing logdir or a bad argument (a bad regular
expression), 1 when the logdir holds no runs to report or export (the message says so), when
writing failed, or (``export``) when the output exists and ``--overwrite`` was not given.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

from ._common import (
    FAILURE,
    USAGE,
    compile_regex,
    existing_logdir,
    fail,
    progress_option,
    warn,
    warnings_to_stderr,
)

_NO_RUNS = re.compile(r"\bno (matching )?runs?\b|\bnothing to\b|\bholds no\b|\bempty\b", re.IGNORECASE)


def run_report(args: argparse.Namespace) -> int:
    """Write the HTML report; print ``wrote FILE (N runs, X.Y MB) in T s``."""
    existing_logdir(args.logdir)
    runs = compile_regex("--runs", args.runs)
    compile_regex("--tags", args.tags)
    from nbtrack.reports import report

    started = time.perf_counter()
    with warnings_to_stderr("report"):
        try:
            result = report(args.logdir, path=args.output, runs=args.runs, tags=args.tags, title=args.title,
                            full_resolution=args.full_resolution, progress=progress_option(args.quiet))
        except Exception as exc:
            _fail_on(exc, "-o/--output")
    seconds = time.perf_counter() - started
    written = Path(getattr(result, "path", None) or args.output)
    count = _count(result)
    if count is None:
        count = _count_runs(args.logdir, runs)
    print(f"wrote {written} ({count} run{'s' * (count != 1)}, {_megabytes(written)}) in {seconds:.1f} s")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the runs' scalars as Parquet or CSV files; print what was written, skipped runs on stderr."""
    existing_logdir(args.logdir)
    compile_regex("--runs", args.runs)
    compile_regex("--tags", args.tags)
    from nbtrack.store.export import export_logdir

    started = time.perf_counter()
    with warnings_to_stderr("export"):
        try:
            result = export_logdir(args.logdir, args.output, format=args.format, runs=args.runs, tags=args.tags,
                                   progress=progress_option(args.quiet), overwrite=args.overwrite)
        except FileExistsError as exc:
            fail(f"{exc} (pass --overwrite to replace it)", FAILURE)
        except Exception as exc:
            _fail_on(exc, "-o/--output")
    for skipped in getattr(result, "skipped", None) or []:
        warn("export", f"skipped: {skipped}")
    count = _count(result) or 0
    if count == 0:
        matching = " matching --runs/--tags" if args.runs or args.tags else ""
        fail(f"no runs{matching} to export in {args.logdir!r}", FAILURE)
    points = getattr(result, "points", None)
    files = getattr(result, "files", None) or []
    print(f"exported {count} run{'s' * (count != 1)}"
          + (f" ({points:,} points)" if isinstance(points, int) else "")
          + f" to {getattr(result, 'out_dir', args.output)} as {args.format}: {len(files)} file"
          + f"{'s' * (len(files) != 1)} in {time.perf_counter() - started:.1f} s")
    return 0


def _fail_on(exc: Exception, output_option: str) -> None:
    """Map the library's errors to exit codes (others propagate: an unexpected error)."""
    if isinstance(exc, FileNotFoundError):
        fail(str(exc), USAGE)
    if isinstance(exc, ValueError):
        fail(str(exc), FAILURE if _NO_RUNS.search(str(exc)) else USAGE)
    if isinstance(exc, OSError):
        fail(f"writing failed ({output_option}): {exc}", FAILURE)
    raise exc


def _count(result: Any) -> int | None:
    """How many runs a result names: its ``runs`` (a number or a list), or None when it does not say."""
    runs = getattr(result, "runs", None)
    if isinstance(runs, int) and not isinstance(runs, bool):
        return runs
    if isinstance(runs, (list, tuple, set, dict)):
        return len(runs)
    return None


def _count_runs(logdir: str, pattern: re.Pattern[str] | None) -> int:
    """The runs of ``logdir`` a report of it holds (matched by name, id or path, as the report matches them)."""
    from nbtrack.reports.sources import gather

    return len(gather(logdir, pattern).readers)


def _megabytes(path: Path) -> str:
    """The file's size as ``X.Y MB`` ("? MB" when it cannot be read)."""
    try:
        return f"{path.stat().st_size / 1e6:.1f} MB"
    except OSError:
        return "? MB"
