"""``nbtrack.open(logdir)``: every run under a folder, as a table and as readers."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.errors import FormatError, RunNotFoundError

from .folder import DATA_DIR, RUN_FILE, WRITERS_DIR
from .reader import RunReader
from .sources import source_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from .exporter import ExportResult

MAX_DEPTH = 16  # levels of sub-folders searched for runs (TensorBoard's Keras runs sit at logs/fit/<time>/train)
MAX_FOLDERS = 20_000  # folders looked at per search: a logdir pointed at a home folder stays bounded
MAX_COLUMNS = 5_000  # runs(): config.* and summary.* columns beyond this stay in the readers
INCOMPLETE_AFTER = 5.0  # seconds a folder may look like a run without run.json (it is being created)


def find_run_folders(root: Path, depth: int = MAX_DEPTH, notes: list[str] | None = None,
                     max_folders: int = MAX_FOLDERS) -> list[Path]:
    """Folders under ``root`` (``root`` included) that hold a run of a registered kind (``sources.py``),
    sorted by path.

    Run folders are searched further, as TensorBoard does (its ``add_scalars`` and hparams sub-folders
    are runs of their own), except for a run's own data folders (an nbtrack run's ``data/``,
    ``writers/`` and ``media/``). Hidden folders are skipped. At most ``max_folders`` folders
    are looked at, ``depth`` levels down; a search cut short, and a folder that looks like an nbtrack
    run (it has ``data/`` or ``writers/``) but has no ``run.json``, are described in ``notes``.
    """
    found: list[Path] = []
    pending: list[tuple[Path, int]] = [(root, 0)]
    looked = 0
    while pending:
        folder, level = pending.pop()
        looked += 1
        if looked > max_folders:
            _note(notes, f"{root}: stopped searching for runs after {max_folders:,} folders; "
                         "point nbtrack at a folder closer to the runs")
            break
        source = source_of(folder)
        own: frozenset[str] = frozenset()
        if source is not None:
            found.append(folder)
            if not source.nested:
                continue
            own = source.own
        elif notes is not None:
            _note_incomplete_run(folder, notes)
        if level < depth:
            pending.extend((sub, level + 1) for sub in _sub_folders(folder, own))
    return sorted(found)


def _sub_folders(folder: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """The folder's sub-folders (not hidden, not links, not named in ``skip``), in no particular order."""
    try:
        with os.scandir(folder) as entries:
            return [folder / e.name for e in entries
                    if e.name not in skip and not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _note(notes: list[str] | None, note: str) -> None:
    if notes is not None and note not in notes:
        notes.append(note)


def _note_incomplete_run(folder: Path, notes: list[str]) -> None:
    """Add a note when ``folder`` has ``data/`` or ``writers/`` but no ``run.json`` (and is not new)."""
    try:
        parts = [sub for sub in (DATA_DIR, WRITERS_DIR) if (folder / sub).is_dir()]
        if not parts or (folder / RUN_FILE).exists() or (folder / RUN_FILE).is_symlink():
            return
        if time.time() - folder.stat().st_mtime < INCOMPLETE_AFTER:
            return  # a run being created: its run.json follows its sub-folders
    except OSError:
        return
    _note(notes, f"{folder}: folder looks like a run (has {' and '.join(p + '/' for p in parts)}) "
                 f"but has no {RUN_FILE}; not listed")


class Logdir:
    """The runs under one folder. Readers are kept, so repeated calls read only new data.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for lr in (0.1, 0.01):
    ...     with nbtrack.init(dir=d, config={"lr": lr}) as run:
    ...         run.log({"loss": lr * 10})
    >>> sorted(nbtrack.open(d).runs()["config.lr"])
    [0.01, 0.1]
    """

    def __init__(self, path: str | os.PathLike[str], stale_after: float | None = None) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise FileNotFoundError(f"nbtrack.open(): logdir {str(self.path)!r} does not exist or is not a folder")
        self.stale_after = stale_after
        self._readers: dict[Path, RunReader] = {}
        self._errors: dict[str, FormatError] = {}  # folder name -> why it could not be read
        self._unreadable: dict[Path, FormatError] = {}  # run folder -> why it could not be read
        self._new: set[Path] = set()  # readers opened since the last refresh (their manifests are fresh)
        self.problems: list[str] = []

    def readers(self) -> list[RunReader]:
        """A reader per run folder, discovering runs that appeared since the last call."""
        notes: list[str] = []
        for folder in find_run_folders(self.path, notes=notes):
            if folder not in self._readers:
                source = source_of(folder)
                if source is None:  # gone since it was found
                    continue
                try:
                    self._readers[folder] = source.open(folder, self.stale_after, self.path)
                    self._new.add(folder)
                except FormatError as exc:
                    self._errors[folder.name] = exc
                    self._unreadable[folder] = exc
                    if str(exc) not in self.problems:
                        self.problems.append(str(exc))
        self.problems.extend(n for n in notes if n not in self.problems)
        return list(self._readers.values())

    def _refreshed(self) -> list[RunReader]:
        """Every reader with its manifests re-read; a run that became unreadable (a writer of an
        unknown major format version) is dropped and reported, as a fresh ``Logdir`` would."""
        readers = []
        for reader in self.readers():
            if reader.path in self._new:
                self._new.discard(reader.path)
                readers.append(reader)
                continue
            try:
                reader.refresh_manifests()
            except FormatError as exc:
                self._drop(reader, exc)
                continue
            readers.append(reader)
        return readers

    def _drop(self, reader: RunReader, exc: FormatError) -> None:
        self._readers.pop(reader.path, None)
        self._errors[reader.path.name] = exc
        self._unreadable[reader.path] = exc
        if str(exc) not in self.problems:
            self.problems.append(str(exc))

    @property
    def unreadable(self) -> dict[Path, str]:
        """Run folders found but not readable (a damaged ``run.json``, a newer format), and why."""
        return {folder: str(exc) for folder, exc in self._unreadable.items() if folder not in self._readers}

    def __iter__(self) -> Iterator[RunReader]:
        return iter(self.readers())

    def __len__(self) -> int:
        return len(self.readers())

    def run(self, id_or_name: str) -> RunReader:
        """The run with this id, or else the only run with this name."""
        readers = self.readers()
        for reader in readers:
            if reader.id == id_or_name:
                return reader
        named = [r for r in readers if r.name == id_or_name]
        if len(named) == 1:
            return named[0]
        if id_or_name in self._errors:
            raise self._errors[id_or_name]
        if named:
            raise RunNotFoundError(f"several runs are named {id_or_name!r}: ids "
                                   f"{[r.id for r in named]}; pass an id")
        raise RunNotFoundError(f"no run with id or name {id_or_name!r} in {self.path} "
                               f"({len(readers)} runs)")

    def runs(self, runs: Any = None) -> pd.DataFrame:
        """One row per run: id, name, project, group, status, times, tags, notes, path, config.*, summary.*.

        ``runs``: the runs to list (ids, names or readers, a list or one; as :meth:`select`), or
        None for every run.

        ``status`` is ``running``, ``finished``, ``failed`` (finished with a non-zero exit code) or
        ``crashed`` (its process died without finishing).

        A crashed run's last values come from its stored data (its manifest lags by up to a
        heartbeat); ``summary_stale`` lists its summaries that need the whole series (``min``,
        ``mean``, ...) and keep the manifest's possibly stale value. Beyond ``MAX_COLUMNS``
        distinct config/summary keys, the most shared are columns (a ``RuntimeWarning`` says so).
        """
        import pandas as pd

        rows = []
        for reader in self._refreshed() if runs is None else self.select(runs):
            try:
                rows.append(_row(reader))
            except FormatError as exc:  # a writer of an unknown major version appeared meanwhile
                self._drop(reader, exc)
        frame = _frame(rows)
        for col in ("created", "updated"):
            frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
        return frame.sort_values("created", kind="stable").reset_index(drop=True)

    def show(self, runs: Any = None, settings: dict[str, Any] | None = None) -> Any:
        """A dashboard overlaying these runs' charts (one colour per run, a legend), for the cell output.

        ``runs`` is a list of run ids or names, a single one, or None for every run (oldest
        first). The output is static (it needs neither this kernel nor widget state, and
        survives saving and sharing) and shows the runs as stored now; long series reach the
        browser reduced to their first, last, minimum and maximum per bucket (spikes kept).

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> for lr in (0.1, 0.01):
        ...     with nbtrack.init(dir=d, name=f"lr={lr}") as run:
        ...         run.log({"loss": lr})
        >>> nbtrack.open(d).show()
        <nbtrack.StaticDashboard '2 runs': 2 series>
        """
        from nbtrack.screens import show  # registered by the face: this room never imports dashboard/

        return show(self, runs=runs, settings=settings)

    def to_html(self, path: str | os.PathLike[str] | None = None, **options: Any) -> Any:
        """These runs as one self-contained HTML report (see ``nbtrack.report``): the text, or the path written.

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with nbtrack.init(dir=d, name="r") as run:
        ...     run.log({"loss": 0.5})
        >>> nbtrack.open(d).to_html(f"{d}/report.html").name
        'report.html'
        """
        from nbtrack.screens import report  # registered by the face: this room never imports report/

        return report(self, path, **options)

    def to_arrow(self, runs: Any = None) -> pa.Table:
        """Every scalar of these runs (ids or names, or None for all) in one long Arrow table.

        Columns ``run_id``, ``tag`` (both dictionary-encoded), ``step``, ``wall_time``,
        ``value``: one row per stored point, each run read once, the points of a run with
        several writer files (a resumed run, several processes) merged by step. Runs in
        the order of :meth:`select`; zero-copy into polars (``polars.from_arrow``) and DuckDB.

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> for rid in ("r1", "r2"):
        ...     with nbtrack.init(dir=d, id=rid) as run:
        ...         for i in range(2): run.log({"loss": i / 2})
        >>> table = nbtrack.open(d).to_arrow()
        >>> table.column_names
        ['run_id', 'tag', 'step', 'wall_time', 'value']
        >>> table.column("run_id").to_pylist(), table.column("value").to_pylist()
        (['r1', 'r1', 'r2', 'r2'], [0.0, 0.5, 0.0, 0.5])
        """
        import numpy as np
        import pyarrow as pa

        schema = pa.schema([("run_id", pa.dictionary(pa.int32(), pa.string())),
                            ("tag", pa.dictionary(pa.int32(), pa.string())), ("step", pa.int64()),
                            ("wall_time", pa.float64()), ("value", pa.float64())])
        tables = []
        for reader in self.select(runs):
            if not hasattr(reader, "to_arrow"):  # a run of another source without scalars in long form
                continue
            table = reader.to_arrow()
            ids = pa.DictionaryArray.from_arrays(pa.array(np.zeros(table.num_rows, np.int32)),
                                                 pa.array([reader.id], pa.string()))
            tables.append(table.add_column(0, "run_id", ids).cast(schema))
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def to_pandas(self, runs: Any = None) -> pd.DataFrame:
        """:meth:`to_arrow` as a DataFrame (``run_id`` and ``tag`` categorical).

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with nbtrack.init(dir=d, id="r1") as run:
        ...     run.log({"loss": 1.0, "acc": 0.5})
        >>> frame = nbtrack.open(d).to_pandas()
        >>> frame[["run_id", "tag", "step", "value"]].values.tolist()
        [['r1', 'loss', 0, 1.0], ['r1', 'acc', 0, 0.5]]
        """
        return self.to_arrow(runs).to_pandas()

    def artifacts(self) -> pd.DataFrame:
        """Every artifact version in the logdir's store (``.artifacts``): one row each, newest last per name.

        Columns ``name``, ``type``, ``version``, ``aliases`` (those naming it now), ``digest``, ``files``,
        ``size`` (bytes), ``created``, ``run_id`` (the run that logged it). Hostile or unreadable version
        files are left out and listed in :attr:`problems`.

        >>> import nbtrack, tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "w.bin").write_bytes(b"w")
        >>> with nbtrack.init(dir=d / "runs") as run:
        ...     _ = run.log_artifact(d / "w.bin", name="model", type="model")
        >>> nbtrack.open(d / "runs").artifacts()[["name", "version", "aliases", "size"]].values.tolist()
        [['model', 'v0', ['latest'], 1]]
        """
        import pandas as pd

        from .artifacts import ArtifactStore, aliases_of

        store = ArtifactStore(self.path)
        rows = []
        for name in store.names():
            problems: list[str] = []
            versions = store.versions(name, problems)
            self.problems.extend(p for p in problems if p not in self.problems)
            holders = {a: versions[-1].version if a == "latest" else
                       next(v.version for v in reversed(versions) if a in v.aliases) for a in aliases_of(versions)}
            for v in versions:
                rows.append({"name": v.name, "type": v.type, "version": f"v{v.version}",
                             "aliases": [a for a, held in holders.items() if held == v.version], "digest": v.digest,
                             "files": len(v.files), "size": sum(f["size"] or 0 for f in v.files),
                             "created": v.created, "run_id": v.run_id})
        columns = ["name", "type", "version", "aliases", "digest", "files", "size", "created", "run_id"]
        return pd.DataFrame(rows, columns=columns)

    def to_parquet(self, out_dir: str | os.PathLike[str], runs: str | None = None, tags: str | None = None,
                   progress: bool | None = None, overwrite: bool = False) -> ExportResult:
        """Export every scalar and the runs table as Parquet files under ``out_dir``:
        ``scalars/run_id=<id>/part-0.parquet`` (a hive-partitioned dataset) and ``runs.parquet``.

        ``runs`` and ``tags`` are regular expressions searched in run names, ids and paths, and
        in tag names (see :func:`nbtrack.store.export.export_logdir`, which describes the layout).

        >>> import nbtrack, tempfile, duckdb
        >>> d, out = tempfile.mkdtemp(), tempfile.mkdtemp()
        >>> for rid in ("r1", "r2"):
        ...     with nbtrack.init(dir=d, id=rid) as run:
        ...         for i in range(4): run.log({"loss": i, "acc": 1})
        >>> nbtrack.open(d).to_parquet(out, tags="^loss$", progress=False).points
        8
        >>> duckdb.sql(f"SELECT run_id, sum(value) FROM read_parquet('{out}/scalars/**/*.parquet', "
        ...            "hive_partitioning = true) GROUP BY run_id ORDER BY run_id").fetchall()
        [('r1', 6.0), ('r2', 6.0)]
        """
        from .exporter import write_export  # not at the top: the exporter gets a Logdir, never imports this

        return write_export(self, out_dir, format="parquet", runs=runs, tags=tags, progress=progress,
                            overwrite=overwrite)

    def to_csv(self, out_dir: str | os.PathLike[str], runs: str | None = None, tags: str | None = None,
               progress: bool | None = None, overwrite: bool = False) -> ExportResult:
        """Export every scalar and the runs table as ``scalars.csv`` and ``runs.csv`` under ``out_dir``
        (as :meth:`to_parquet`; lists and dicts of the runs table as JSON text).

        >>> import nbtrack, tempfile, pandas as pd
        >>> d, out = tempfile.mkdtemp(), tempfile.mkdtemp()
        >>> with nbtrack.init(dir=d, id="r1", config={"lr": 0.1}) as run:
        ...     for i in range(3): run.log({"loss": i})
        >>> nbtrack.open(d).to_csv(out, progress=False).files
        [...runs.csv'), ...scalars.csv')]
        >>> pd.read_csv(f"{out}/scalars.csv").values.tolist()[0][:3], pd.read_csv(f"{out}/runs.csv")["config.lr"][0]
        (['r1', 'loss', 0], np.float64(0.1))
        """
        from .exporter import write_export

        return write_export(self, out_dir, format="csv", runs=runs, tags=tags, progress=progress,
                            overwrite=overwrite)

    def select(self, runs: Any = None) -> list[RunReader]:
        """Readers of the named runs (ids or names, a list or one), or of every run, oldest first."""
        if runs is None:
            readers = self._refreshed()
            return sorted(readers, key=lambda r: (r.created or 0.0, r.id))
        if isinstance(runs, (str, RunReader)):
            runs = [runs]
        try:
            chosen = list(runs)
        except TypeError:
            raise TypeError(f"runs=... takes run ids or names (a list, one, or None), "
                            f"got {type(runs).__name__}") from None
        return [r if isinstance(r, RunReader) else self.run(str(r)) for r in chosen]

    def __repr__(self) -> str:
        return f"<nbtrack.Logdir {str(self.path)!r}>"


BASE_COLUMNS = ["id", "name", "project", "group", "status", "created", "updated", "tags", "notes", "path",
                "summary_stale"]


def _row(reader: RunReader) -> dict[str, Any]:
    status = reader.status
    row: dict[str, Any] = {
        "id": reader.id, "name": reader.name, "project": reader.project, "group": reader.group,
        "status": status, "created": reader.created, "updated": reader.updated,
        "tags": reader.tags, "notes": reader.notes, "path": str(reader.path),
        "summary_stale": reader.summary_stale if status == "crashed" else [],
    }
    row.update(flatten("config", reader.config))
    row.update(flatten("summary", reader.summary))
    return row


def _frame(rows: list[dict[str, Any]], max_columns: int | None = None) -> pd.DataFrame:
    """The runs table from one dict per run, built a column (or a block of numbers) at once.

    Columns are in order of first appearance; a cell a run lacks is NaN. Beyond
    ``max_columns`` config/summary columns only the keys most runs share are kept (a
    ``RuntimeWarning`` says how many are left out; every value stays in
    ``Logdir.run(id).config`` / ``.summary``), so the table stays proportional to its runs.
    """
    import numpy as np
    import pandas as pd

    if not rows:
        return pd.DataFrame(columns=BASE_COLUMNS)
    max_columns = MAX_COLUMNS if max_columns is None else max_columns
    column_of: dict[str, int] = {name: j for j, name in enumerate(BASE_COLUMNS)}
    at_col: list[int] = []
    at_row: list[int] = []
    values: list[Any] = []
    for i, row in enumerate(rows):
        ids = [column_of.setdefault(key, len(column_of)) for key in row]
        at_col.extend(ids)
        at_row.extend([i] * len(ids))
        values.extend(row.values())
    names = list(column_of)
    counts = np.bincount(np.array(at_col, dtype=np.int64), minlength=len(names))
    keep = np.flatnonzero(counts[: len(BASE_COLUMNS)]).tolist()
    extra = len(names) - len(BASE_COLUMNS)
    wide = np.arange(len(BASE_COLUMNS), len(names))
    if extra > max_columns:
        warnings.warn(f"nbtrack: runs(): {len(rows)} runs have {extra:,} distinct config/summary keys; "
                      f"the {max_columns:,} most shared are columns, the rest are in each run's .config / "
                      f".summary (Logdir.run(id))", RuntimeWarning, stacklevel=3)
        wide = np.sort(wide[np.argsort(-counts[wide], kind="stable")[:max_columns]])
    keep += wide.tolist()
    return _assemble(len(rows), [names[j] for j in keep], np.array(keep),
                     np.array(at_col, dtype=np.int64), np.array(at_row, dtype=np.int64), values)


def _assemble(nrows: int, names: list[str], keep: np.ndarray, at_col: np.ndarray, at_row: np.ndarray,
              values: list[Any]) -> pd.DataFrame:
    """Numeric columns scattered into one float block; the others one column each; then in ``names`` order."""
    import numpy as np
    import pandas as pd

    position = np.full(int(at_col.max()) + 1, -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))
    cell_pos = position[at_col]
    order = np.argsort(cell_pos, kind="stable")
    order = order[cell_pos[order] >= 0]
    bounds = np.searchsorted(cell_pos[order], np.arange(len(keep) + 1))
    numeric: list[int] = []
    numeric_cells: list[np.ndarray] = []
    others: dict[str, Any] = {}
    for j, name in enumerate(names):
        cells = order[bounds[j]:bounds[j + 1]]
        column = [values[c] for c in cells]
        kinds = set(map(type, column))
        if kinds - {type(None)} <= {float, int} and kinds & {float, int} \
                and not (kinds == {int} and len(cells) == nrows) \
                and all(abs(v) <= 2**53 for v in column if type(v) is int):
            numeric.append(j)
            numeric_cells.append(cells)
        else:
            others[name] = _column(nrows, at_row[cells].tolist(), column, kinds)
    block = np.full((nrows, len(numeric)), np.nan)
    if numeric:
        cells = np.concatenate(numeric_cells)
        block[at_row[cells], np.repeat(np.arange(len(numeric)), [len(c) for c in numeric_cells])] = \
            [values[c] for c in cells]
    frame = pd.concat([pd.DataFrame(block, columns=pd.Index([names[j] for j in numeric], dtype=object),
                                    copy=False),
                       pd.DataFrame(others, index=range(nrows))], axis=1)
    return frame[names] if list(frame.columns) != names else frame


def _column(nrows: int, present: list[int], column: list[Any], kinds: set[type]) -> Any:
    """One non-float column as pandas infers it from row dicts (a missing cell is NaN)."""
    import numpy as np

    if len(present) == nrows and kinds in ({int}, {bool}):
        try:
            return np.array(column, dtype=np.int64 if kinds == {int} else bool)
        except OverflowError:
            pass
    out = np.full(nrows, np.nan, dtype=object)
    for i, value in zip(present, column):
        out[i] = value
    return out


def flatten(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts as one level of dotted keys under ``prefix`` ("" for none): {"opt": {"lr": 1}} -> opt.lr.

    >>> flatten("config", {"opt": {"lr": 1, "betas": [0.9, 0.99]}, "seed": 0})
    {'config.opt.lr': 1, 'config.opt.betas': [0.9, 0.99], 'config.seed': 0}
    """
    out: dict[str, Any] = {}
    stack = [(prefix, iter((data or {}).items()))]
    while stack:  # depth first, in key order, without recursion (a deep dict cannot raise RecursionError)
        name, items = stack[-1]
        for key, value in items:
            full = f"{name}.{key}" if name else str(key)
            if isinstance(value, dict):
                stack.append((full, iter(value.items())))
                break
            out[full] = value
        else:
            stack.pop()
    return out


def open(logdir: str | os.PathLike[str], stale_after: float | None = None) -> Logdir:
    """Open a logdir for reading: ``nbtrack.open("nbruns").runs()``.

    ``stale_after`` is how many seconds without a heartbeat make a running run count
    as crashed (default ``$NBTRACK_STALE_AFTER`` or 30).
    """
    return Logdir(logdir, stale_after)
