"""``nbtrack.open(logdir)``: every run under a folder, as a table and as readers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.errors import FormatError, RunNotFoundError

from .reader import RunReader
from .sources import source_of

if TYPE_CHECKING:
    import pandas as pd

MAX_DEPTH = 3  # run folders may sit in project sub-folders


def find_run_folders(root: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """Folders under ``root`` that hold a run of a registered kind (``sources.py``), sorted by path
    (``root`` itself if it is a run)."""
    if source_of(root) is not None:
        return [root]
    found: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return found
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if source_of(path) is not None:
            found.append(path)
        elif depth > 1:
            found.extend(find_run_folders(path, depth - 1))
    return sorted(found)


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
        self.problems: list[str] = []

    def readers(self) -> list[RunReader]:
        """A reader per run folder, discovering runs that appeared since the last call."""
        for folder in find_run_folders(self.path):
            if folder not in self._readers:
                source = source_of(folder)
                if source is None:  # gone since it was found
                    continue
                try:
                    self._readers[folder] = source.open(folder, self.stale_after)
                except FormatError as exc:
                    self._errors[folder.name] = exc
                    if str(exc) not in self.problems:
                        self.problems.append(str(exc))
        return list(self._readers.values())

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

    def runs(self) -> pd.DataFrame:
        """One row per run: id, name, project, group, status, times, config.*, summary.*."""
        import pandas as pd

        rows = []
        for reader in self.readers():
            reader.refresh_manifests()
            rows.append(_row(reader))
        columns = ["id", "name", "project", "group", "status", "created", "updated", "tags", "notes"]
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
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
        from nbtrack.dashboard import show  # the one upward hook: store/ never imports dashboard/ otherwise

        return show(self, runs=runs, settings=settings)

    def select(self, runs: Any = None) -> list[RunReader]:
        """Readers of the named runs (ids or names, a list or one), or of every run, oldest first."""
        if runs is None:
            readers = self.readers()
            for reader in readers:
                reader.refresh_manifests()
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


def _row(reader: RunReader) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": reader.id, "name": reader.name, "project": reader.project, "group": reader.group,
        "status": reader.status, "created": reader.created, "updated": reader.updated,
        "tags": reader.tags, "notes": reader.notes, "path": str(reader.path),
    }
    row.update(flatten("config", reader.config))
    row.update(flatten("summary", reader.summary))
    return row


def flatten(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts as one level of dotted keys under ``prefix`` ("" for none): {"opt": {"lr": 1}} -> opt.lr."""
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(name, value))
        else:
            out[name] = value
    return out


def open(logdir: str | os.PathLike[str], stale_after: float | None = None) -> Logdir:
    """Open a logdir for reading: ``nbtrack.open("nbruns").runs()``.

    ``stale_after`` is how many seconds without a heartbeat make a running run count
    as crashed (default ``$NBTRACK_STALE_AFTER`` or 30).
    """
    return Logdir(logdir, stale_after)
