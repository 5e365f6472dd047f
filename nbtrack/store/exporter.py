"""The writing half of exports (``nbtrack.store.export``): a logdir's runs as Parquet or CSV files.

The layout is described in ``nbtrack/store/export.py`` and the README ("Exports"). This module
gets an open :class:`~nbtrack.store.logdir.Logdir` and never imports it, because
``Logdir.to_parquet`` / ``Logdir.to_csv`` call :func:`write_export` (``export.py`` holds
``export_logdir``, which also opens a path).

Runs are read and written one at a time: memory follows the largest run, not the logdir.
Everything is written in a hidden sibling folder of ``out_dir`` and moved into place at the end,
so a failed export leaves no half dataset that looks complete.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nbtrack.errors import FormatError

from .progress import progress_bar

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FORMATS = ("parquet", "csv")
SCALARS_DIR = "scalars"  # the Parquet dataset: scalars/run_id=<id>/part-0.parquet
PART_FILE = "part-0.parquet"
OWN_ENTRIES = {"parquet": (SCALARS_DIR, "runs.parquet", "artifacts.parquet"),
               "csv": ("scalars.csv", "runs.csv", "artifacts.csv")}
# artifacts.parquet / .csv: one row per artifact a run logged or used (its records, never the artifact's bytes)
ARTIFACT_COLUMNS = ("action", "name", "type", "version", "digest", "files", "size", "step", "time")
RUN_COLUMNS_LEFT_OUT = ("summary_stale",)  # Logdir.runs() columns that stay out of runs.parquet / runs.csv


class LogdirLike(Protocol):
    """What an export needs of a :class:`~nbtrack.store.logdir.Logdir`."""

    path: Path
    problems: list[str]

    @property
    def unreadable(self) -> dict[Path, str]: ...

    def select(self, runs: Any = None) -> list[Any]: ...

    def runs(self, runs: Any = None) -> pd.DataFrame: ...


@dataclass
class ExportResult:
    """What an export wrote.

    ``runs``: runs exported; ``points``: scalar rows written; ``skipped``: runs left out, one
    ``"run: reason"`` string each; ``damaged``: runs exported without records that could not be
    read (``"run: what"``); ``files``: the files written, under ``out_dir``.
    """

    out_dir: Path
    format: str
    runs: int = 0
    points: int = 0
    skipped: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)


def write_export(logdir: LogdirLike, out_dir: str | os.PathLike[str], *, format: str = "parquet",
                 runs: str | None = None, tags: str | None = None, progress: bool | None = None,
                 overwrite: bool = False, forget: bool = False, stacklevel: int = 3) -> ExportResult:
    """Export the runs of an open logdir (see :func:`nbtrack.store.export.export_logdir`).

    ``forget``: drop each run's points once written (``RunReader.forget``), for a logdir opened
    only for this export. Warnings (runs skipped or damaged, the logdir's problems) are emitted
    at ``stacklevel``.
    """
    fmt = check_format(format)
    run_pattern = compile_pattern("runs", runs)
    tag_pattern = compile_pattern("tags", tags)
    out = Path(out_dir).expanduser()
    check_target(out, overwrite)
    notes: list[str] = []
    try:
        chosen, skipped = choose_runs(logdir, run_pattern)
        result = ExportResult(out, fmt, skipped=skipped)
        notes.extend(f"nbtrack export: skipped {s}" for s in skipped)
        notes.extend(f"nbtrack export: {p}" for p in logdir.problems if p not in logdir.unreadable.values())
        if not chosen:
            raise ValueError(_nothing_to_export(logdir, runs, result.skipped))
        staging = _staging_folder(out)
        try:
            exported = _write_runs(staging, fmt, chosen, tag_pattern, result, notes, progress, forget)
            if not exported:
                raise ValueError(_nothing_to_export(logdir, runs, result.skipped))
            _write_runs_table(staging, fmt, logdir.runs(exported))
            _write_artifacts_table(staging, fmt, exported)
            result.files = _move_into_place(staging, out, fmt)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.runs = len(exported)
        return result
    finally:
        for note in notes:
            warnings.warn(note, RuntimeWarning, stacklevel=stacklevel)


# -- arguments -------------------------------------------------------------------------------
def check_format(format: object) -> str:
    """The format name, checked."""
    if format not in FORMATS:
        raise ValueError(f"export(format=...): {format!r} is not a known format; choose 'parquet' or 'csv'")
    return str(format)


def compile_pattern(argument: str, pattern: object) -> re.Pattern[str] | None:
    """``runs=`` / ``tags=`` as a compiled regular expression (None: everything)."""
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TypeError(f"export({argument}=...): takes a regular expression (a str) or None, "
                        f"got {type(pattern).__name__}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"export({argument}=...): {pattern!r} is not a valid regular expression: {exc}") from None


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse a file, or a non-empty folder unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"export(out_dir=...): {str(out)!r} is a file; choose a folder (new or empty)")
    if not overwrite and out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"export(out_dir=...): {str(out)!r} is not empty; choose a new or empty folder, "
                              "or pass overwrite=True (replaces the export's own files there, leaves others)")


def choose_runs(logdir: LogdirLike, pattern: re.Pattern[str] | None) -> tuple[list[Any], list[str]]:
    """The readers to export (oldest first) and the matching run folders that could not be opened."""
    chosen = [r for r in logdir.select() if pattern is None
              or any(pattern.search(text) for text in (r.name, r.id, relative_path(logdir.path, r.path)))]
    skipped = [f"{relative_path(logdir.path, folder)}: {why}" for folder, why in logdir.unreadable.items()
               if pattern is None or pattern.search(relative_path(logdir.path, folder))]
    return chosen, skipped


def relative_path(root: Path, folder: Path) -> str:
    """A run folder's path under the logdir, with ``/`` (``.`` for the logdir itself)."""
    try:
        return Path(folder).relative_to(root).as_posix()
    except ValueError:
        return str(folder)


def _nothing_to_export(logdir: LogdirLike, runs: str | None, skipped: list[str]) -> str:
    what = f"no run matches runs={runs!r}" if runs is not None else "no runs"
    why = f"; {len(skipped)} could not be read: " + "; ".join(skipped) if skipped else ""
    return f"export: {what} in logdir {str(logdir.path)!r}{why}"


# -- scalars ---------------------------------------------------------------------------------
def scalars_schema() -> pa.Schema:
    """The columns of every scalars file. ``run_id`` is dictionary-encoded as pyarrow reads a hive
    partition, so the file's column and the folder's value merge (pandas) and keep their type (polars)."""
    import pyarrow as pa

    return pa.schema([("run_id", pa.dictionary(pa.int32(), pa.string())), ("tag", pa.string()),
                      ("step", pa.int64()), ("wall_time", pa.float64()), ("value", pa.float64())])


def run_points(reader: Any, tag_pattern: re.Pattern[str] | None) -> pa.Table:
    """One run's scalar points (the tags matching ``tag_pattern``) in the export's columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = reader.to_arrow()
    tag = table.column("tag").combine_chunks()
    if tag_pattern is not None:
        wanted = [i for i, name in enumerate(tag.dictionary.to_pylist()) if tag_pattern.search(name)]
        keep = np.isin(tag.indices.to_numpy(zero_copy_only=False), np.array(wanted, dtype=np.int64))
        table = table.filter(pa.array(keep))
        tag = table.column("tag").combine_chunks()
    ids = pa.DictionaryArray.from_arrays(pa.array(np.zeros(table.num_rows, np.int32)),
                                         pa.array([reader.id], pa.string()))
    columns = [ids, pc.cast(tag, pa.string()), table.column("step"), table.column("wall_time"),
               table.column("value")]
    return pa.Table.from_arrays(columns, schema=scalars_schema())


def partition_folder(run_id: str) -> str:
    """``run_id=<id>`` with the id percent-encoded as pyarrow's hive partitioning writes it
    (``segment_encoding="uri"``), which pyarrow, polars, DuckDB and Spark decode.

    >>> partition_folder("a/b c")
    'run_id=a%2Fb%20c'
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    hive = ds.HivePartitioning(pa.schema([("run_id", pa.string())]), segment_encoding="uri")
    return hive.format(pc.field("run_id") == run_id)[0]


def _write_runs(staging: Path, fmt: str, readers: list[Any], tag_pattern: re.Pattern[str] | None,
                result: ExportResult, notes: list[str], progress: bool | None, forget: bool) -> list[Any]:
    """Write each run's points as it is read; the readers written (the others are noted as skipped)."""
    writer = _ParquetRuns(staging) if fmt == "parquet" else _CsvRuns(staging)
    done: list[Any] = []
    try:
        with progress_bar(len(readers), progress, unit=" runs", desc="export") as bar:
            for reader in readers:
                label = _label(reader)
                try:
                    table = run_points(reader, tag_pattern)
                    writer.write(reader.id, table)
                except (FormatError, OSError, ValueError) as exc:
                    result.skipped.append(f"{label}: {exc}")
                    notes.append(f"nbtrack export: skipped {label}: {exc}")
                else:
                    done.append(reader)
                    result.points += table.num_rows
                    damage = _damage(reader)
                    if damage:
                        result.damaged.append(f"{label}: {damage}")
                        notes.append(f"nbtrack export: {label}: exported without records that could not be "
                                     f"read: {damage}")
                finally:
                    _forget(reader, forget)
                bar.update(1)
    finally:
        writer.close()
    return done


def _forget(reader: Any, forget: bool) -> None:
    """Drop a written run's points, unless its runs-table row still needs them (a run not finished:
    a crashed run's summary holds the last values of its stored data)."""
    if forget and hasattr(reader, "forget") and reader.status in ("finished", "failed"):
        reader.forget()


def _label(reader: Any) -> str:
    return reader.id if reader.name == reader.id else f"{reader.id} ({reader.name})"


def _damage(reader: Any) -> str:
    """The run's unreadable regions, as the reader's own warning states them ("" for none)."""
    bad = [d for d in getattr(reader, "damage", []) if "torn tail" not in d.reason and "(recovered)" not in d.reason]
    return "; ".join(map(str, bad))


class _ParquetRuns:
    """One Parquet file per run under ``scalars/run_id=<id>/``."""

    def __init__(self, staging: Path) -> None:
        self.root = staging / SCALARS_DIR
        self.root.mkdir()

    def write(self, run_id: str, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        if not run_id:
            raise ValueError("the run has an empty id; a partition folder cannot name it")
        folder = self.root / partition_folder(run_id)
        try:
            folder.mkdir()
        except FileExistsError:
            raise ValueError(f"another run with id {run_id!r} was exported already (ids must be unique)") from None
        pq.write_table(table, folder / PART_FILE)

    def close(self) -> None:
        pass


class _CsvRuns:
    """One ``scalars.csv`` for every run, appended run by run."""

    def __init__(self, staging: Path) -> None:
        self.path = staging / "scalars.csv"
        self.ids: set[str] = set()
        self.writer: Any = None

    def write(self, run_id: str, table: pa.Table) -> None:
        import pyarrow as pa
        import pyarrow.csv as csv

        if run_id in self.ids:
            raise ValueError(f"another run with id {run_id!r} was exported already (ids must be unique)")
        self.ids.add(run_id)
        table = table.set_column(0, "run_id", table.column("run_id").cast(pa.string()))
        if self.writer is None:
            self.writer = csv.CSVWriter(str(self.path), table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.csv as csv

        if self.writer is None:  # nothing written: the header alone
            schema = scalars_schema()
            schema = schema.set(0, pa.field("run_id", pa.string()))
            self.writer = csv.CSVWriter(str(self.path), schema)
        self.writer.close()


# -- the runs table --------------------------------------------------------------------------
def runs_table(frame: pd.DataFrame, flat: bool) -> pa.Table:
    """``Logdir.runs()`` as an Arrow table: a column whose values do not share one Arrow type (a
    config key holding numbers in one run and text in another) becomes JSON text, and so do lists
    and dicts when ``flat`` (CSV). Columns with no value at all are text (Spark reads no null type).

    >>> import pandas as pd
    >>> runs_table(pd.DataFrame({"config.x": [1, "a"], "config.l": [[1], None]}), flat=True).to_pylist()
    [{'config.x': '1', 'config.l': '[1]'}, {'config.x': '"a"', 'config.l': None}]
    """
    import pyarrow as pa

    frame = frame.drop(columns=[c for c in RUN_COLUMNS_LEFT_OUT if c in frame.columns])
    arrays = [_runs_column(frame[name], flat) for name in frame.columns]
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _runs_column(column: pd.Series, flat: bool) -> pa.Array:
    import pyarrow as pa

    try:
        array = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return _as_json(column)
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if flat and pa.types.is_nested(array.type):
        return _as_json(column)
    return array


def _as_json(column: pd.Series) -> pa.Array:
    import pyarrow as pa

    return pa.array([None if _missing(v) else json.dumps(v, default=str, ensure_ascii=False) for v in column],
                    pa.string())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _write_runs_table(staging: Path, fmt: str, frame: pd.DataFrame) -> None:
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        # microseconds: Spark does not read nanosecond timestamps
        pq.write_table(runs_table(frame, flat=False), staging / "runs.parquet", coerce_timestamps="us",
                       allow_truncated_timestamps=True)
    else:
        csv.write_csv(runs_table(frame, flat=True), str(staging / "runs.csv"))


def artifacts_table(readers: list[Any]) -> pa.Table:
    """The artifacts each run logged or used (``RunReader.artifacts()``), one row per record, with ``run_id``
    and ``aliases`` as JSON text; runs of other kinds (TensorBoard) have none.

    >>> artifacts_table([]).column_names[:4]
    ['run_id', 'action', 'name', 'type']
    """
    import json

    import pyarrow as pa

    rows: dict[str, list[Any]] = {"run_id": [], **{c: [] for c in ARTIFACT_COLUMNS}, "aliases": []}
    for reader in readers:
        for record in getattr(reader, "artifacts", lambda: [])():
            rows["run_id"].append(reader.id)
            for column in ARTIFACT_COLUMNS:
                rows[column].append(record.get(column))
            rows["aliases"].append(json.dumps(record.get("aliases") or []))
    types = {"files": pa.int64(), "size": pa.int64(), "step": pa.int64(), "time": pa.float64()}
    return pa.table({name: pa.array(values, types.get(name, pa.string())) for name, values in rows.items()})


def _write_artifacts_table(staging: Path, fmt: str, readers: list[Any]) -> None:
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    table = artifacts_table(readers)
    if fmt == "parquet":
        pq.write_table(table, staging / "artifacts.parquet")
    else:
        csv.write_csv(table, str(staging / "artifacts.csv"))


# -- into place ------------------------------------------------------------------------------
def _staging_folder(out: Path) -> Path:
    """A new hidden folder beside ``out`` (same file system: moving out of it is a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.export-{secrets.token_hex(4)}"
    staging.mkdir()
    return staging


def _move_into_place(staging: Path, out: Path, fmt: str) -> list[Path]:
    """Rename the staged entries into ``out`` (a new folder: one rename), replacing the export's own
    entries already there; the files written, as they lie in ``out``."""
    if not out.exists():
        os.replace(staging, out)
    else:
        for name in OWN_ENTRIES[fmt]:
            new, old = staging / name, out / name
            if old.exists() or old.is_symlink():
                os.replace(old, staging / f".old-{name}")  # removed with the staging folder
            os.replace(new, old)
    return sorted(p for name in OWN_ENTRIES[fmt] for p in _files(out / name))


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
