"""``nbtrack ls LOGDIR``: the runs of a logdir as a table (or JSON), with chosen summary columns."""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from nbtrack.errors import FormatError

from ._common import (
    USAGE,
    cell,
    compile_regex,
    existing_logdir,
    fail,
    iso_utc,
    jsonable,
    span,
    table,
    use_colour,
    warn,
    warnings_to_stderr,
)
from ._common import age as age_text

SORT_KEYS = ("created", "name", "status")
STATUS_COLOURS = {"running": "32", "crashed": "31", "failed": "31"}  # green; red


@dataclass
class Listed:
    """One run as ``ls`` shows it, read once from its reader."""

    id: str
    name: str
    project: str | None
    group: str | None
    status: str
    created: float | None
    updated: float | None
    tags: list[str]
    notes: str | None
    path: str
    config: dict[str, Any]
    summary: dict[str, Any]

    @property
    def duration(self) -> float | None:
        """Seconds from creation to the last heartbeat (the run's running time so far)."""
        if self.created is None or self.updated is None:
            return None
        return max(0.0, float(self.updated) - float(self.created))

    def flat_summary(self) -> dict[str, Any]:
        """The summary as one level of dotted keys (as ``Logdir.runs()`` has them, without ``summary.``)."""
        from nbtrack.store.logdir import flatten

        return flatten("", self.summary)

    def as_json(self) -> dict[str, Any]:
        """The JSON object ``ls --json`` prints for this run."""
        duration = self.duration
        return jsonable({
            "id": self.id, "name": self.name, "project": self.project, "group": self.group,
            "status": self.status, "created": iso_utc(self.created), "updated": iso_utc(self.updated),
            "duration_s": None if duration is None else round(duration, 3), "tags": self.tags,
            "notes": self.notes, "path": self.path, "config": self.config, "summary": self.summary,
        })


def run_ls(args: argparse.Namespace) -> int:
    """List the runs of ``args.logdir``: a table on stdout, skipped damaged runs as warnings on stderr."""
    folder = existing_logdir(args.logdir)
    pattern = compile_regex("--runs", args.runs)
    if args.max_metrics < 0:
        fail(f"--max-metrics {args.max_metrics}: give 0 or more summary columns")
    runs = _read_runs(folder)
    if pattern is not None:
        runs = [r for r in runs if pattern.search(r.name) or pattern.search(r.id)]
    if args.json:
        print(json.dumps([r.as_json() for r in _sorted(runs, args)], indent=2, allow_nan=False))
        return 0
    if not runs:
        matching = f" matching --runs {args.runs!r}" if pattern is not None else ""
        print(f"no runs{matching} in {args.logdir}")
        return 0
    keys = _summary_keys(runs, args.summary, args.max_metrics)
    print(_table(_sorted(runs, args), keys, use_colour()))
    return 0


def _read_runs(folder: Any) -> list[Listed]:
    """Every readable run under ``folder``, oldest first; runs that cannot be read are warnings on stderr."""
    import nbtrack

    runs = []
    with warnings_to_stderr("ls"):
        logdir = nbtrack.open(folder)
        for reader in logdir.select():
            try:
                runs.append(Listed(
                    id=reader.id, name=reader.name, project=reader.project, group=reader.group,
                    status=reader.status, created=reader.created, updated=reader.updated, tags=list(reader.tags),
                    notes=reader.notes, path=str(reader.path), config=dict(reader.config),
                    summary=dict(reader.summary)))
            except FormatError as exc:
                logdir.problems.append(str(exc))
    for problem in dict.fromkeys(logdir.problems):
        warn("ls", f"skipped: {problem}")
    return runs


def _summary_keys(runs: list[Listed], chosen: list[str] | None, max_metrics: int) -> list[str]:
    """The summary columns: the ``--summary`` keys (checked), else the first ``max_metrics`` seen."""
    known = list(dict.fromkeys(k for r in runs for k in r.flat_summary()))
    if not chosen:
        return known[:max_metrics]
    keys = [k.removeprefix("summary.") if k not in known else k for k in chosen]
    for given, key in zip(chosen, keys):
        if key not in known:
            fail(f"--summary {given!r}: no run has this summary key; "
                 f"keys: {', '.join(known[:12]) + (' ...' if len(known) > 12 else '') or '(none)'}", USAGE)
    return keys


def _sorted(runs: list[Listed], args: argparse.Namespace) -> list[Listed]:
    """``runs`` ordered by ``--sort`` (created, name, status or a summary key; missing values last)."""
    key = args.sort
    if key in SORT_KEYS:
        def by(r: Listed) -> tuple[Any, ...]:
            value = getattr(r, key)
            return (value is None, value if value is not None else 0, r.created or 0.0, r.id)
        ordered = sorted(runs, key=by)
    else:
        summary_key = key.removeprefix("summary.") if key.startswith("summary.") else key
        values = [r.flat_summary().get(summary_key) for r in runs]
        if runs and all(v is None for v in values):
            fail(f"--sort {key!r}: not a column; use {', '.join(SORT_KEYS)} or a summary key "
                 f"(e.g. {', '.join(_summary_keys(runs, None, 3)) or 'none here'})")
        ordered = [r for _, r in sorted(zip(values, runs), key=lambda pair: _value_order(pair[0]))]
    return ordered[::-1] if args.reverse else ordered


def _value_order(value: Any) -> tuple[int, Any]:
    """Numbers first (ascending), then text, then missing and NaN."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (2, 0.0) if isinstance(value, float) and math.isnan(value) else (0, float(value))
    return (2, "") if value is None else (1, str(value))


def _table(runs: list[Listed], keys: list[str], colour: bool) -> str:
    """The ``ls`` table: id, name, status, age, duration and the summary columns."""
    now = time.time()
    headers = ["id", "name", "status", "age", "duration", *keys]
    right = [False, False, False, True, True] + [True] * len(keys)
    rows, styles = [], []
    for run in runs:
        summary = run.flat_summary()
        created = None if run.created is None else now - float(run.created)
        rows.append([run.id, cell(run.name), run.status, age_text(created), span(run.duration),
                     *(cell(summary.get(k)) for k in keys)])
        styles.append(["", "", STATUS_COLOURS.get(run.status, "")] + [""] * (len(headers) - 3))
    return table(headers, rows, right, styles if colour else None)
