"""Reading runs back: ``RunReader`` for one run folder.

A reader holds what it has read so far and, on every call, reads only what was
appended since (``poll()`` returns exactly that). It never writes to a run folder and
never crashes on a damaged one: damaged regions are listed in ``RunReader.damage``.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nbtrack.errors import FormatError, UnsupportedFormatError
from nbtrack.paths import is_system_tag

from . import format as fmt
from .columns import Columns, RangedChunk, Series, pivot_series, rows_by_tag, span_index, steps_of, tensorboard_keep
from .details import ENVIRONMENT_DIR, FILES_DIR, Details, SavedFile, read_details
from .files import regular_files
from .folder import CODE_DIR, DATA_DIR, MEDIA_DIR, RUN_FILE, STREAM_SUFFIX, WRITERS_DIR, StoredPosition
from .manifest import check_identity, check_manifest, read_json_bounded
from .media import MediaRecords
from .sources import RunSource
from .status import run_status, stale_after_default, writer_status
from .tail import DamageReport, StreamTail, TailBatch

Piece = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, values, times of one tag in one stored batch

MANIFEST_MAX_AGE = 0.5  # seconds a reader trusts the writer manifests it read
HISTORY_MAX_BYTES = 2 * 2**30  # history() refuses a dense table larger than this (see to_arrow())

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass
class ScalarDelta:
    """Records returned by :meth:`RunReader.poll`: new since the previous poll."""

    names: list[str]
    columns: Columns

    def __len__(self) -> int:
        return len(self.columns)

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``{tag: (steps, times, values)}`` of the new records, in order."""
        c = self.columns
        out = {}
        for tag_id in np.unique(c.tag):
            mask = c.tag == tag_id
            out[self.names[tag_id]] = (c.step[mask], c.time[mask], c.value[mask])
        return out

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        c = self.columns
        tags = pd.Categorical.from_codes(c.tag, categories=self.names) if len(c) else []
        return pd.DataFrame({"tag": tags, "step": c.step, "time": c.time, "value": c.value})


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame over numpy columns without copying them (pandas would consolidate)."""
    import pyarrow as pa

    return pa.table(columns).to_pandas(split_blocks=True)


def load_identity(folder: Path, problems: list[str] | None = None) -> dict[str, Any]:
    """Read and check ``run.json``; ``FormatError`` when it is missing, unreadable or a symbolic link.

    Fields of the wrong type (FORMAT.md) are dropped and described in ``problems``.
    """
    path = folder / RUN_FILE
    if path.is_symlink():
        raise FormatError(f"{folder}: {RUN_FILE} is a symbolic link; refused (it could lead out of the run folder)")
    try:
        identity = read_json_bounded(path)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{folder}: not a readable nbtrack run ({exc})") from None
    _check_major(folder, identity.get("format_version", "0"))
    identity, found = check_identity(identity)
    if problems is not None:
        problems.extend(found)
    return identity


def _check_major(where: Path, version: object) -> None:
    """Refuse a newer major format version (from run.json or a writer manifest)."""
    major = str(version).split(".", 1)[0]
    if not major.isdigit() or int(major) > fmt.FORMAT_MAJOR:
        raise UnsupportedFormatError(f"{where} uses nbtrack format {str(version)!r}; this nbtrack reads "
                                     f"format {fmt.FORMAT_MAJOR}.x: upgrade nbtrack to read it")


class RunReader:
    """Read one run folder, incrementally.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r1") as run:
    ...     for i in range(3): run.log({"loss": 1.0 / (i + 1)})
    >>> r = nbtrack.open(d).run("r1")
    >>> r.history()["loss"].tolist()
    [1.0, 0.5, 0.3333333333333333]
    """

    def __init__(self, path: str | Path, stale_after: float | None = None) -> None:
        self.path = Path(path)
        self.stale_after = stale_after_default() if stale_after is None else stale_after
        identity_problems: list[str] = []
        self.identity = load_identity(self.path, identity_problems)
        self._manifest_files: dict[Path, tuple[tuple[int, int, int], dict[str, Any] | None]] = {}
        self._writers: dict[str, dict[str, Any]] = {}
        self._tails: dict[Path, StreamTail] = {}
        self._luts: dict[Path, np.ndarray] = {}
        self._tag_names: list[str] = []
        self._tag_ids: dict[str, int] = {}
        self._chunks: list[Columns | RangedChunk] = []  # RangedChunk: format 2.0, verified as read
        self._chunk_paths: list[Path] = []  # the data file of each chunk
        self._series_cache: dict[tuple[int, bool], tuple[int, Series]] = {}
        self._splits: dict[int, tuple[Columns, dict[int, np.ndarray | slice]]] = {}
        self._chunk_files: set[Path] = set()
        self._cache: tuple[int, Columns] = (0, Columns.empty())
        self._polled = 0
        self._meta_problems: list[DamageReport] = []
        self._data_problems: list[DamageReport] = []  # records left out of the data path (unknown tags)
        self._media = MediaRecords(self.path)
        self._warned = 0
        self._last_values: tuple[int, dict[str, float]] = (-1, {})
        self._listed: tuple[int, list[str]] = (-2, [])  # the data folder's mtime and files (signature())
        for problem in identity_problems:
            self._note_problem(self.path / RUN_FILE, problem)
        self.refresh_manifests()

    # -- manifests -----------------------------------------------------------------
    def refresh_manifests(self) -> None:
        """Re-read the writer manifests (status, heartbeat, config, summary) that changed.

        A manifest that cannot be read, or a field of it of the wrong type (FORMAT.md), is
        reported once in :attr:`damage`; the run is read with what is left. Symbolic links
        in ``writers/`` are refused. ``UnsupportedFormatError`` for a newer major version.
        """
        files, refused = regular_files(self.path / WRITERS_DIR, ".json")
        self._refuse(refused)
        writers = {}
        for path in files:
            manifest = self._read_manifest(path)
            if manifest is not None:
                writers[path.stem] = manifest
        self._manifest_files = {p: v for p, v in self._manifest_files.items() if p in files}
        self._writers = dict(sorted(writers.items(), key=lambda kv: kv[1].get("started") or 0))
        self._manifests_read = time.monotonic()

    def _read_manifest(self, path: Path) -> dict[str, Any] | None:
        """One writer manifest, checked; re-read unless unchanged (size, time, inode) for 2 s."""
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._manifest_files.get(path)
        settled = time.time_ns() - st.st_mtime_ns > 2_000_000_000  # a file time's tick cannot hide a change
        if cached is not None and cached[0] == key and settled:
            return cached[1]
        try:
            raw = read_json_bounded(path)
        except (OSError, ValueError) as exc:
            self._note_problem(path, f"unreadable manifest: {exc}")
            self._manifest_files[path] = (key, None)
            return None
        _check_major(path, raw.get("format_version", "0"))
        manifest, problems = check_manifest(raw)
        for problem in problems:
            self._note_problem(path, f"manifest {problem}; ignored")
        self._manifest_files[path] = (key, manifest)
        return manifest

    def _note_problem(self, path: Path, reason: str) -> None:
        """Report a problem of a manifest or folder once (not again at every refresh)."""
        report = DamageReport(str(path), 0, 0, reason)
        if report not in self._meta_problems:
            self._meta_problems.append(report)

    def _refuse(self, links: list[Path]) -> None:
        for link in links:
            self._note_problem(link, "symbolic link refused (it could lead out of the run folder); not read")

    def _current(self) -> dict[str, dict[str, Any]]:
        """Writer manifests, re-read when older than half a second."""
        if time.monotonic() - self._manifests_read > MANIFEST_MAX_AGE:
            self.refresh_manifests()
        return self._writers

    @property
    def id(self) -> str:
        return str(self.identity.get("id", self.path.name))

    def _latest(self, key: str, default: Any = None) -> Any:
        for manifest in reversed(list(self._current().values())):
            if manifest.get(key) is not None:
                return manifest[key]
        return self.identity.get(key, default)

    @property
    def name(self) -> str:
        return str(self._latest("name", self.id))

    @property
    def project(self) -> str:
        return str(self.identity.get("project", "default"))

    @property
    def group(self) -> str | None:
        return self.identity.get("group")

    @property
    def tags(self) -> list[str]:
        return list(self._latest("tags", []) or [])

    @property
    def notes(self) -> str | None:
        return self._latest("notes")

    @property
    def config(self) -> dict[str, Any]:
        merged = dict(self.identity.get("config") or {})
        for manifest in self._current().values():
            merged.update(manifest.get("config") or {})
        return merged

    @property
    def summary(self) -> dict[str, Any]:
        """Each writer's summary merged in order; for a crashed run, last values from the stored data.

        A crashed writer's manifest lags its data by up to a heartbeat, so the last value
        of each scalar (the value at its highest stored step) is read from the data files;
        summaries that need the whole series (``min``, ``mean``, ...) keep the manifest's
        value and are listed in :attr:`summary_stale`.
        """
        merged = self._manifest_summary()
        if self.status == "crashed":
            merged, _ = self._with_stored_last(merged)
        return merged

    @property
    def summary_stale(self) -> list[str]:
        """Summary keys that may lag the stored data (a crashed run's non-``last`` summaries)."""
        if self.status != "crashed":
            return []
        return self._with_stored_last(self._manifest_summary())[1]

    def _manifest_summary(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for manifest in self._current().values():
            merged.update(manifest.get("summary") or {})
        return merged

    def _with_stored_last(self, summary: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """``summary`` with each plain (last-value) metric replaced by its stored last value."""
        last = self._stored_last_values()
        out, stale = dict(summary), []
        for tag, value in last.items():
            if is_system_tag(tag):  # never in the summary (the writer keeps them out too)
                continue
            kept = summary.get(tag)
            if isinstance(kept, dict):
                if "last" in kept:
                    out[tag] = {**kept, "last": value}
                if any(k != "last" for k in kept):
                    stale.append(tag)
            elif tag in summary or self._summarised_by_last(tag):
                out[tag] = value
        return out, stale

    def _summarised_by_last(self, tag: str) -> bool:
        """Whether the writers' ``define_metric`` definitions leave ``tag`` to its last value."""
        import fnmatch

        for manifest in reversed(list(self._current().values())):
            for definition in reversed(manifest.get("metrics") or []):
                if isinstance(definition, dict) and isinstance(definition.get("name"), str) \
                        and fnmatch.fnmatchcase(tag, definition["name"]):
                    return not definition.get("hidden") and definition.get("summary") in (None, ["last"])
        return True

    def _stored_last_values(self) -> dict[str, float]:
        """The value at the highest stored step of each scalar (the later record on a tie)."""
        if self._tensorboard_writers() is not None:  # the last point TensorBoard shows
            series = {name: self._series(self._tag_ids[name]) for name in self.scalar_tags()}
            return {name: float(s[2][-1]) for name, s in series.items() if len(s[2])}
        cols = self._columns()
        if self._last_values[0] == len(cols):
            return self._last_values[1]
        if not len(cols):
            return {}
        order = np.lexsort((np.arange(len(cols)), cols.step, cols.tag))
        tags = cols.tag[order]
        ends = np.flatnonzero(np.r_[tags[1:] != tags[:-1], True])
        last = {self._tag_names[int(tags[i])]: float(cols.value[order[i]]) for i in ends}
        self._last_values = (len(cols), last)
        return last

    @property
    def metric_definitions(self) -> list[dict[str, Any]]:
        """The run's ``define_metric`` definitions (``name``, ``summary``, ``goal``, ``step_metric``,
        ``hidden``), in the order they were made; a later writer's definition of a name replaces an earlier one.

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with nbtrack.init(dir=d, name="r") as run:
        ...     run.define_metric("epoch/*", step_metric="epoch")
        >>> [(m["name"], m["step_metric"]) for m in nbtrack.open(d).run("r").metric_definitions]
        [('epoch/*', 'epoch')]
        """
        out: dict[str, dict[str, Any]] = {}
        for manifest in self._current().values():
            for definition in manifest.get("metrics") or []:
                if isinstance(definition, dict) and isinstance(definition.get("name"), str):
                    out.pop(definition["name"], None)  # a redefinition moves to the end, as Summary.define does
                    out[definition["name"]] = definition
        return list(out.values())

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``failed`` (finished with a non-zero exit code) or ``crashed``
        (its process died without finishing): running if any writer runs, else the latest writer's."""
        return run_status(list(self._current().values()), self.stale_after, self.identity.get("created"))

    @property
    def exit_code(self) -> int | None:
        """The exit code the latest writer finished with (None while the run runs, or when it crashed)."""
        writers = list(self._current().values())
        code = writers[-1].get("exit_code") if writers else None
        return code if isinstance(code, int) and self.status != "running" else None

    @property
    def layout(self) -> dict[str, Any] | None:
        """The run's chart layout (``SummaryWriter.add_custom_scalars``: the latest ``chart_layout`` record),
        in TensorBoard's custom scalars form (``categories`` of ``multiline`` and ``margin`` charts), or None."""
        self._read_new()
        rows = [r for rows in self._media.media.values() for r in rows if r["kind"] == "chart_layout"]
        if not rows:
            return None
        try:
            doc = fmt.loads_json(max(rows, key=lambda r: (r["time"], r["step"]))["text"] or "")
        except (ValueError, TypeError):
            return None
        return tensorboard_layout(doc) if isinstance(doc, dict) else None

    @property
    def created(self) -> float | None:
        return self.identity.get("created")

    @property
    def updated(self) -> float | None:
        beats = [m["heartbeat"] for m in self._current().values() if m.get("heartbeat") is not None]
        return max(beats) if beats else self.created

    @property
    def manifest(self) -> dict[str, Any]:
        """The run's merged manifest: identity plus the writers' current state."""
        return {**self.identity, "name": self.name, "tags": self.tags, "notes": self.notes,
                "config": self.config, "summary": self.summary, "status": self.status,
                "updated": self.updated, "writers": list(self._current().values())}

    # -- data ----------------------------------------------------------------------
    @property
    def damage(self) -> list[DamageReport]:
        """Regions of the run that could not be read (file, offset, length, reason).

        Checks the bytes of every record read so far (format 2.0 batches are otherwise checked
        tag by tag, when a tag is first read).
        """
        for chunk in self._chunks:
            if isinstance(chunk, RangedChunk):
                chunk.verify_all()
        return self._known_damage()

    def _known_damage(self) -> list[DamageReport]:
        out = list(self._meta_problems) + list(self._media.problems) + list(self._data_problems)
        for tail in self._tails.values():
            out.extend(tail.damage)
        unique = {(d.file, d.offset, d.reason): d for d in reversed(out)}  # the first of each kind stays
        return [d for d in out if unique[(d.file, d.offset, d.reason)] is d]

    @property
    def bytes_read(self) -> int:
        return sum(t.bytes_read for t in self._tails.values())

    def _final(self, path: Path) -> bool:
        writer_id = path.name.rsplit("-", 1)[0]
        manifest = self._current().get(writer_id)
        if manifest is None:
            return time.time() - path.stat().st_mtime > self.stale_after
        return writer_status(manifest, self.stale_after) != "running"

    def _is_last_file_of_finished_writer(self, path: Path) -> bool:
        """A writer that finished (``finished`` or, since 2.1, ``failed``) ends the last file of each record
        family with the end-of-stream marker."""
        manifest = self._current().get(path.name.rsplit("-", 1)[0])
        if not manifest or manifest.get("status") not in ("finished", "failed"):
            return False
        files = [f for f in manifest.get("files") or [] if isinstance(f, str)]
        kind = path.name[: -len(STREAM_SUFFIX)].rsplit(".", 1)[-1]
        same_kind = [f for f in files if f.endswith(f".{kind}{STREAM_SUFFIX}")]
        return bool(same_kind) and same_kind[-1] == f"{DATA_DIR}/{path.name}"

    def _abandoned_because(self, path: Path) -> str | None:
        """Why the file's writer abandoned it after a failed write (format 1.1 manifests), or None."""
        manifest = self._current().get(path.name.rsplit("-", 1)[0]) or {}
        abandoned = manifest.get("abandoned")
        why = abandoned.get(f"{DATA_DIR}/{path.name}") if isinstance(abandoned, dict) else None
        return str(why) if why is not None else None

    def signature(self) -> tuple[Any, ...] | None:
        """What changes when the run's data grows: the data folder's mtime and each data file's size
        (one ``stat`` each; None when the folder is missing). A follower reads only when it changed.
        """
        folder = os.path.join(self.path, DATA_DIR)
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:
            return None
        if mtime != self._listed[0]:  # files were added or removed: list them again
            try:
                self._listed = (mtime, [os.path.join(folder, name) for name in sorted(os.listdir(folder))])
            except OSError:
                self._listed = (mtime, [])
        sizes: list[int] = []
        for path in self._listed[1]:
            try:
                sizes.append(os.stat(path).st_size)
            except OSError:
                sizes.append(-1)
        return (mtime, *sizes)

    def manifests_signature(self) -> int | None:
        """The writers folder's mtime: manifests are replaced by rename, which changes it."""
        try:
            return os.stat(os.path.join(self.path, WRITERS_DIR)).st_mtime_ns
        except OSError:
            return None

    def catch_up(self, until: StoredPosition | None = None) -> None:
        """Read what was appended since the last read, in every data file of the run.

        ``until`` (from ``Run.attach``) stops at that writer's position: its later records
        are left for the sink attached at that moment, so none is seen twice.
        """
        self._read_new(until)

    def _read_new(self, until: StoredPosition | None = None) -> None:
        files, refused = regular_files(self.path / DATA_DIR, STREAM_SUFFIX)
        self._refuse(refused)
        if any(p not in self._tails for p in files):
            self.refresh_manifests()
        for path in files:
            kind = path.name[: -len(STREAM_SUFFIX)].rsplit(".", 1)[-1]
            if kind not in fmt.KNOWN_KINDS:
                continue
            limit = until.limit(path.name) if until is not None else None
            tail = self._tails.setdefault(path, StreamTail(path, kind))
            items = tail.read_new(final=False, limit=limit)
            abandoned = self._abandoned_because(path) if limit is None and tail.stuck else None
            if limit is None and tail.stuck and (abandoned is not None or self._final(path)):
                items += tail.read_new(final=True)
            if abandoned is not None:
                tail.abandoned(abandoned)
            if limit is None and not tail.ended and self._is_last_file_of_finished_writer(path):
                items += tail.read_new(final=True)
                tail.note_missing_end()
            for item in items:
                if kind == fmt.KIND_SCALARS:
                    self._add(path, item)
                else:
                    self._add_media(path, kind, item)
        self._warn_damage()

    def _add(self, path: Path, item: TailBatch) -> None:
        if item.ranges is not None:
            self._add_ranged(path, item)
            return
        b = item.batch
        local = b.column(0).to_numpy()
        lut = self._lut(path, item.names)
        if len(local) and (int(local.max()) >= len(lut) or bool((lut[local] < 0).any())):
            lut = self._lut(path, self._names_with_sidecar(path, item.names))
            lut = np.concatenate([lut, np.full(max(0, int(local.max()) + 1 - len(lut)), -1, np.int32)])
            tags = lut[local]
            known = np.flatnonzero(tags >= 0)
            self._note_unnamed(path, item, local[tags < 0])
            b = b.take(known)
            local = local[known]
        self._chunks.append(Columns(lut[local], b.column(1).to_numpy(), b.column(2).to_numpy(),
                                    b.column(3).to_numpy()))
        self._chunk_paths.append(path)
        self._chunk_files.add(path)

    def _add_ranged(self, path: Path, item: TailBatch) -> None:
        """A format 2.0 batch: rows grouped by tag; each tag's bytes are checked when first read."""
        assert item.ranges is not None
        b, table = item.batch, item.ranges
        lut = self._lut(path, item.names)
        local = table[:, 0]
        if len(local) and (int(local.max()) >= len(lut) or bool((lut[local] < 0).any())):
            lut = self._lut(path, self._names_with_sidecar(path, item.names))
        named = np.zeros(len(local), bool)
        inside = local < len(lut)
        named[inside] = lut[local[inside]] >= 0
        if not named.all():
            lost = table[~named]
            self._note_unnamed(path, item, np.repeat(lost[:, 0], lost[:, 2] - lost[:, 1]))
        kept = table[named]
        ranges = np.column_stack([lut[kept[:, 0]].astype(np.int64), kept]) if len(kept) \
            else np.zeros((0, 7), np.int64)

        def report(reason: str) -> None:
            self._data_problems.append(DamageReport(str(path), item.offset, item.end - item.offset, reason))

        columns = [b.column(i).to_numpy() for i in range(4)]
        self._chunks.append(RangedChunk(*columns, table=ranges, report=report))
        self._chunk_paths.append(path)
        self._chunk_files.add(path)

    def _add_media(self, path: Path, kind: str, item: TailBatch) -> None:
        """Histogram and media records; rows of tags whose name was lost are left out and reported."""
        ids = item.batch.column(0).to_numpy()
        if len(ids) and not all(int(i) in item.names for i in np.unique(ids)):
            names = self._names_with_sidecar(path, item.names)
            known = np.array([int(i) in names for i in ids], dtype=bool)
            self._note_unnamed(path, item, ids[~known])
            item = TailBatch(item.batch.take(np.flatnonzero(known)), names, item.seq, item.new_names, item.offset)
        if item.batch.num_rows:
            self._media.add(kind, item, path.name)

    def _note_unnamed(self, path: Path, item: TailBatch, ids: np.ndarray) -> None:
        if len(ids):
            lost = ", ".join(str(int(i)) for i in np.unique(ids)[:10])
            self._data_problems.append(DamageReport(
                str(path), item.offset, 0, f"{len(ids)} records of tag ids {lost} whose names were lost with a "
                                           "damaged record; left out"))

    def _lut(self, path: Path, names: dict[int, str]) -> np.ndarray:
        """File-local tag id -> run tag id; ``-1`` where the name is not known (never an invented name)."""
        lut = self._luts.get(path, np.zeros(0, np.int32))
        need = max(names, default=-1) + 1
        if need > len(lut):
            lut = np.concatenate([lut, np.full(need - len(lut), -1, np.int32)])
        tag_ids, tag_names = self._tag_ids, self._tag_names
        found: list[int] = []
        mapped: list[int] = []
        for local in np.flatnonzero(lut < 0).tolist():
            name = names.get(local)
            if name is not None:
                tag = tag_ids.get(name)
                if tag is None:
                    tag = tag_ids[name] = len(tag_names)
                    tag_names.append(name)
                found.append(local)
                mapped.append(tag)
        lut[found] = mapped
        self._luts[path] = lut
        return lut

    def _names_with_sidecar(self, path: Path, names: dict[int, str]) -> dict[int, str]:
        """In-band names completed by the writer manifest's copy (``tag_names``); in-band names win."""
        return {**self._sidecar_names(path), **names}

    def _sidecar_names(self, path: Path) -> dict[int, str]:
        self.refresh_manifests()
        writer = self._writers.get(path.name.rsplit("-", 1)[0], {})
        table = writer.get("tag_names")
        names = table.get(f"{DATA_DIR}/{path.name}") if isinstance(table, dict) else None
        if not isinstance(names, list):
            return {}
        return {i: n for i, n in enumerate(names) if isinstance(n, str) and 0 < len(n) <= fmt.MAX_TAG_NAME}

    def _warn_damage(self) -> None:
        bad = [d for d in self._known_damage() if "torn tail" not in d.reason and "(recovered)" not in d.reason]
        if len(bad) > self._warned:
            warnings.warn(f"nbtrack: run {self.id}: skipped damaged data: " + "; ".join(map(str, bad[self._warned:])),
                          RuntimeWarning, stacklevel=3)
            self._warned = len(bad)

    def _columns(self) -> Columns:
        """Everything read so far, ordered by step (cached)."""
        self._read_new()
        done, cols = self._cache
        if done < len(self._chunks):
            cols = Columns.concat([cols, *map(_full, self._chunks[done:])])
            if len(self._chunk_files) > 1:
                cols = cols.sorted_by_step()
            self._cache = (len(self._chunks), cols)
        return cols

    def poll(self) -> ScalarDelta:
        """Records appended since the previous ``poll()`` (all of them on the first call).

        Reads only the new bytes of each data file, so its cost follows the new data.
        """
        self._read_new()
        new = self._chunks[self._polled:]
        self._polled = len(self._chunks)
        delta = ScalarDelta(list(self._tag_names), Columns.concat(list(map(_full, new))))
        self._warn_damage()
        return delta

    def forget(self) -> None:
        """Drop the points read so far, keeping the reading position: memory then follows only
        what is read next, for followers that keep their own reduced copy (the ``%track``
        watcher). Later ``poll()``, ``scalars()`` and ``history()`` see only points read after
        this call; tag names, media records and manifests are kept.

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> run = nbtrack.init(dir=d, name="r")
        >>> run.log({"x": 1.0}); run.flush()
        >>> reader = nbtrack.open(d).run("r")
        >>> len(reader.poll()); reader.forget()
        1
        >>> run.log({"x": 2.0}); run.finish()
        >>> reader.poll().series()["x"][2].tolist()
        [2.0]
        """
        self._chunks = []
        self._chunk_paths = []
        self._cache = (0, Columns.empty())
        self._series_cache = {}
        self._splits = {}
        self._polled = 0
        self._last_values = (-1, {})

    def tag_pieces(self) -> tuple[list[str], dict[int, list[Piece]]]:
        """The scalar points read so far, per tag id and stored batch, as views where possible.

        Reads nothing new (call :meth:`catch_up` first): a dashboard takes exactly what a
        bounded read held. ``names[t]`` is the tag of ``pieces[t]``, a list of
        ``(steps, values, times)``, one per stored batch that holds the tag.
        """
        names = list(self._tag_names)
        if self._tensorboard_writers() is not None:  # TensorBoard's steps (FORMAT.md 2.2): one piece per tag
            series = {t: self._series(t) for t in range(len(names))}
            return names, {t: [(steps, values, times)] for t, (steps, times, values) in series.items()}
        pieces: dict[int, list[Piece]] = {t: [] for t in range(len(names))}
        for chunk in list(self._chunks):
            if isinstance(chunk, RangedChunk):
                for t in chunk.tags():
                    got = chunk.piece(t, ("step", "value", "time"))
                    if got is not None:
                        pieces[t].append((got[0], got[1], got[2]))
                continue
            for t, rows in rows_by_tag(chunk.tag, len(names)).items():
                pieces[t].append((chunk.step[rows], chunk.value[rows], chunk.time[rows]))
        for t in [t for t, got in pieces.items() if not got]:  # every row of the tag was damaged
            pieces[t].append((np.zeros(0, np.int64), np.zeros(0), np.zeros(0)))
        return names, pieces

    @property
    def media_records(self) -> MediaRecords:
        """The histogram and media records read so far (reads nothing new; see :meth:`catch_up`)."""
        return self._media

    def scalar_tags(self) -> list[str]:
        """Names of the scalar metrics of the run, in order of first appearance."""
        self._read_new()
        return list(self._tag_names)

    def last_step(self) -> int | None:
        """The highest step of the run's own metrics (system metrics, which never advance the step, left out)."""
        cols = self._columns()
        system = self._system_ids()
        steps = cols.step[~np.isin(cols.tag, system)] if len(system) and len(cols) else cols.step
        return int(steps.max()) if len(steps) else None

    def _system_ids(self) -> np.ndarray:
        """The tag ids of system metrics (``system/...``)."""
        return np.array([i for name, i in self._tag_ids.items() if is_system_tag(name)], np.int64)

    def scalars(self, tag: str, columns: tuple[str, ...] | list[str] = ("step", "time", "value")) -> pd.DataFrame:
        """One metric as a DataFrame with columns ``step``, ``time``, ``value`` (or those of ``columns``).

        Reads and checks only that metric's rows, and only the columns asked for, of
        format 2.0 data files.
        """
        self._read_new()
        if tag not in self._tag_ids:
            raise KeyError(f"run {self.id} has no scalar {tag!r}; it has {self._tag_names}")
        unknown = [c for c in columns if c not in ("step", "time", "value")]
        if unknown:
            raise KeyError(f"scalars(columns=...): no column {unknown}; choose from step, time, value")
        steps, times, values = self._series(self._tag_ids[tag], with_time="time" in columns)
        return _frame({c: {"step": steps, "time": times, "value": values}[c] for c in columns})

    def _series(self, tag: int, with_time: bool = True) -> Series:
        """One tag's (steps, times, values) in step order, read and checked once (cached)."""
        multi = len(self._chunk_files) > 1
        with_time = with_time or multi  # merging files orders by wall time too
        for key in ((tag, True), (tag, with_time)):
            cached = self._series_cache.get(key)
            if cached is not None and cached[0] == len(self._chunks):
                return cached[1]
        fields = ("step", "time", "value") if with_time else ("step", "value")
        parts: list[tuple[np.ndarray, ...]] = []
        owners: list[Path] = []
        for chunk, path in zip(self._chunks, self._chunk_paths):
            if isinstance(chunk, RangedChunk):
                got = chunk.piece(tag, fields)
                if got is not None:
                    parts.append(got)
                    owners.append(path)
                continue
            rows = self._split(chunk).get(tag)
            if rows is not None:
                parts.append(tuple(getattr(chunk, f)[rows] for f in fields))
                owners.append(path)
        rule = self._tensorboard_writers()
        purges: list[tuple[int, int]] = []
        if rule is not None:
            parts, purges = _in_writer_order(parts, owners, rule)
        arrays = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, d)
                  for i, d in enumerate((np.int64, np.float64, np.float64)[: len(fields)] if with_time
                                        else (np.int64, np.float64))]
        steps, values = arrays[0], arrays[-1]
        times = arrays[1] if with_time else np.zeros(0)
        if rule is not None:
            keep = tensorboard_keep(steps, purges)
            if keep is not None:
                steps, values, times = steps[keep], values[keep], times[keep] if with_time else times
        elif multi and len(steps) > 1 and not bool((steps[1:] >= steps[:-1]).all()):
            order = np.lexsort((times, steps))
            steps, times, values = steps[order], times[order], values[order]
        self._warn_damage()
        result = (steps, times, values)
        self._series_cache[(tag, with_time)] = (len(self._chunks), result)
        return result

    def _tensorboard_writers(self) -> dict[str, tuple[int, int | None]] | None:
        """When a writer of the run follows TensorBoard's step rule (FORMAT.md 2.2): every writer's
        rank by start and its ``purge_step``; else None (steps are merged in step order)."""
        writers = self._current()
        if not any(m.get("step_rule") == "tensorboard" for m in writers.values()):
            return None
        return {wid: (rank, m.get("purge_step")) for rank, (wid, m) in enumerate(writers.items())}

    def _split(self, chunk: Columns) -> dict[int, np.ndarray | slice]:
        """A log-order chunk's rows per tag (kept: reading each of many tags splits it once)."""
        key = id(chunk)
        cached = self._splits.get(key)
        if cached is None or cached[0] is not chunk:
            cached = self._splits[key] = (chunk, rows_by_tag(chunk.tag, int(chunk.tag.max(initial=-1)) + 1))
        return cached[1]

    def history(self, keys: list[str] | str | None = None, x: str = "step", system: bool = False) -> pd.DataFrame:
        """All scalars in wide form: one row per step, one column per metric.

        Columns are ``_step``, ``_time`` (latest wall time of the step's records) and
        the metrics; a metric not logged at a step is NaN. ``keys`` selects metrics (only
        their rows are read of format 2.0 files); ``x`` names a metric to put first, keeping
        only the rows where it was logged. System metrics (``system/...``, sampled in time,
        several at one step) are left out unless named in ``keys`` or ``system=True`` (each
        then shows its last sample of a step): ``scalars("system/cpu")`` has every sample.
        ``MemoryError`` when the table would exceed ``HISTORY_MAX_BYTES`` (2 GiB; a run of many
        metrics each logged at few steps): :meth:`to_arrow` holds only the stored points.
        """
        import pandas as pd

        names = self._select(keys)
        if keys is None and not system:
            names = [n for n in names if n == x or not is_system_tag(n)]
        self._check_dense_size(np.array([self._tag_ids[n] for n in names], np.int64))
        series = [self._series(self._tag_ids[n]) for n in names]
        steps = steps_of(series)
        steps, times, wide = pivot_series(series, steps)
        if not len(steps):
            times = np.zeros(0)
        frame = pd.DataFrame(wide, columns=pd.Index(names, dtype=object), copy=False)
        frame.insert(0, "_time", times)
        frame.insert(0, "_step", steps)
        if keys is None and self._media.tags():
            frame = self._with_media_columns(frame)
        if x != "step":
            if x not in frame.columns:
                raise KeyError(f"history(x={x!r}): no such metric; use 'step' or one of {names}")
            frame = frame[frame[x].notna()]
            frame.insert(0, x, frame.pop(x))
            frame = frame.reset_index(drop=True)
        return frame

    def _check_dense_size(self, tags: np.ndarray) -> None:
        """Refuse a wide table larger than ``HISTORY_MAX_BYTES`` (a wide, sparse run), naming the long form.

        Counted before anything is read or checked: the stored points of ``tags`` bound the rows,
        and only when that bound is too large are their distinct steps counted.
        """
        ncols = len(tags)
        counts = np.zeros(len(self._tag_names), np.int64)
        for chunk in self._chunks:
            if isinstance(chunk, RangedChunk):
                counts += np.bincount(chunk.run_tags, weights=chunk.lengths, minlength=len(counts)).astype(
                    np.int64)[: len(counts)]
            elif len(chunk):
                counts += np.bincount(chunk.tag, minlength=len(counts))[: len(counts)]
        points = int(counts[tags].sum())
        if points * (ncols + 2) * 8 <= HISTORY_MAX_BYTES:
            return
        nrows = len(np.unique(np.concatenate([self._stored_steps(chunk, tags) for chunk in self._chunks])))
        size = nrows * (ncols + 2) * 8
        if size > HISTORY_MAX_BYTES:
            raise MemoryError(
                f"history() of run {self.id} would be a dense table of {nrows:,} steps x {ncols:,} metrics "
                f"({size / 2**30:.1f} GiB) for {points:,} stored points; read the long form instead: "
                f"to_arrow() (tag, step, wall_time, value; .to_pandas() for a DataFrame), pick metrics with "
                f"history(keys=[...]), or raise nbtrack.store.reader.HISTORY_MAX_BYTES "
                f"({HISTORY_MAX_BYTES:,} bytes)")

    @staticmethod
    def _stored_steps(chunk: Columns | RangedChunk, tags: np.ndarray) -> np.ndarray:
        """The steps of ``tags``' rows of a chunk, unchecked (they only count rows)."""
        if isinstance(chunk, RangedChunk):
            rows = chunk.table[np.isin(chunk.run_tags, tags)]
            return chunk.step[span_index(rows[:, 2], rows[:, 3])]
        return chunk.step[np.isin(chunk.tag, tags)]

    def _with_media_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add a column per media tag naming what each step holds (a file, or the kind)."""
        import pandas as pd

        marks: dict[str, dict[int, str]] = {}
        for tag, rows in self._media.histograms.items():
            marks.setdefault(tag, {}).update({r["step"]: "histogram" for r in rows})
        for tag, rows in self._media.media.items():
            marks.setdefault(tag, {}).update({r["step"]: r["path"] or r["kind"] for r in rows})
        steps = sorted(set(frame["_step"].tolist()).union(*(m.keys() for m in marks.values())))
        out = frame.set_index("_step").reindex(steps)
        for tag, by_step in marks.items():
            column = tag if tag not in out.columns else f"{tag} [media]"  # never hide a scalar column
            out[column] = pd.Series(by_step, dtype=object).reindex(steps).to_numpy()
        return out.rename_axis("_step").reset_index()

    # -- value types --------------------------------------------------------------------
    def media_tags(self) -> dict[str, str]:
        """``{tag: kind}`` for every histogram and media tag of the run."""
        self._read_new()
        return self._media.tags()

    def _media_rows(self, tag: str, kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """The tag's media rows of the given kinds (a tag may hold several kinds)."""
        self._read_new()
        rows = [r for r in self._tensorboard_rows(self._media.media.get(tag, [])) if not kinds or r["kind"] in kinds]
        if not rows:
            raise KeyError(f"run {self.id} has no {'/'.join(kinds or ('media',))} records under {tag!r}; "
                           f"it has {self._media.tags()}")
        return rows

    def histograms(self, tag: str) -> pd.DataFrame:
        """One histogram tag: step, time, edges, counts, nan, posinf, neginf, count, min, max, sum, ..."""
        import pandas as pd

        self._read_new()
        if tag not in self._media.histograms:
            raise KeyError(f"run {self.id} has no histogram {tag!r}; it has {self._media.tags()}")
        return pd.DataFrame(self._tensorboard_rows(self._media.histograms[tag]))

    def _tensorboard_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A media or histogram tag's rows as TensorBoard shows them (FORMAT.md 2.2), or all of them."""
        rule = self._tensorboard_writers()
        if rule is None or not rows:
            return rows
        owners = [Path(self._media.sources.get(id(r), "")) for r in rows]
        parts = [(np.array([r["step"]], np.int64), i) for i, r in enumerate(rows)]
        ordered, purges = _in_writer_order(parts, owners, rule)
        keep = tensorboard_keep(np.array([p[0][0] for p in ordered], np.int64), purges)
        return [rows[p[1]] for k, p in enumerate(ordered) if keep is None or keep[k]]

    def images(self, tag: str) -> pd.DataFrame:
        """One image tag: step, time, index (in a gallery), caption, path and the decoded pixels."""
        import pandas as pd

        rows = self._media_rows(tag, ("image",))
        return pd.DataFrame([{"step": r["step"], "time": r["time"], "index": r["index"],
                              "caption": r["meta"].get("caption"), "path": r["path"],
                              "image": self._media.decode(r)} for r in rows])

    def texts(self, tag: str) -> pd.DataFrame:
        """One text, markdown or HTML tag: step, time, kind, text, caption."""
        import pandas as pd

        rows = self._media_rows(tag, ("text", "markdown", "html"))
        return pd.DataFrame([{"step": r["step"], "time": r["time"], "kind": r["kind"], "text": r["text"],
                              "caption": r["meta"].get("caption")} for r in rows])

    def tables(self, tag: str) -> pd.DataFrame:
        """One table tag: step, time, path and the table as a DataFrame (image cells decoded)."""
        import pandas as pd

        rows = self._media_rows(tag, ("table",))
        return pd.DataFrame([{"step": r["step"], "time": r["time"], "path": r["path"],
                              "table": self._media.decode(r)} for r in rows])

    def media(self, tag: str, decode: bool = False) -> pd.DataFrame:
        """Any media tag: step, time, kind, index, path, meta, text (and ``value`` when ``decode``)."""
        import pandas as pd

        rows = self._media_rows(tag)
        frame = pd.DataFrame([{k: r[k] for k in ("step", "time", "kind", "index", "path", "meta", "text")}
                              for r in rows])
        if decode:
            frame["value"] = [self._media.decode(r) for r in rows]
        return frame

    def _select(self, keys: list[str] | str | None) -> list[str]:
        self._read_new()
        if keys is None:
            return list(self._tag_names)
        wanted = [keys] if isinstance(keys, str) else list(keys)
        missing = [k for k in wanted if k not in self._tag_ids]
        if missing:
            raise KeyError(f"history(keys=...): run {self.id} has no scalar {missing}; it has {self._tag_names}")
        return wanted

    def to_arrow(self) -> pa.Table:
        """Every complete scalar record as an Arrow table (tag, step, wall_time, value).

        Zero-copy into pandas (``.to_pandas()``), polars (``polars.from_arrow``) and
        DuckDB (query the table by name).
        """
        import pyarrow as pa

        cols = self._columns()
        names = pa.array(self._tag_names, type=pa.string())
        tag = pa.DictionaryArray.from_arrays(pa.array(cols.tag, type=pa.int32()), names)
        return pa.table({"tag": tag, "step": cols.step, "wall_time": cols.time, "value": cols.value})

    # -- details beside the data: saved files, artifacts, alerts, environment (details.py) --------
    def details(self) -> Details:
        """The run's saved files, artifact records, alerts and environment, read again when older than half
        a second; what cannot be read is skipped and listed in :attr:`damage` (a run without them: empty)."""
        cached = getattr(self, "_details_read", None)
        if cached is None or time.monotonic() - cached[0] > MANIFEST_MAX_AGE:
            if getattr(self, "_details_cache", None) is None:
                self._details_cache: dict[Path, Any] = {}
            details = read_details(self.path, self._details_cache)
            for problem in details.damage:
                if problem not in self._meta_problems:
                    self._meta_problems.append(problem)
            cached = self._details_read = (time.monotonic(), details)
        return cached[1]

    def files(self) -> list[SavedFile]:
        """Files saved with ``Run.save`` (``path`` under ``files/``, ``size``, ``modified``), by path."""
        return list(self.details().files)

    def artifacts(self) -> list[dict[str, Any]]:
        """Artifacts this run logged or used: ``action``, ``name``, ``type``, ``version``, ``digest``, ..."""
        return list(self.details().artifacts)

    def alerts(self) -> list[dict[str, Any]]:
        """``Run.alert`` records in order: ``time``, ``step``, ``level``, ``title``, ``text``."""
        return list(self.details().alerts)

    @property
    def environment(self) -> dict[str, Any]:
        """Where the run was recorded (its newest writer): host, os, python, packages, git, argv, ..."""
        return dict(self.details().environment)

    def show(self, settings: dict[str, Any] | None = None) -> Any:
        """This run's dashboard as a static output (see :meth:`nbtrack.Logdir.show`)."""
        from nbtrack.screens import show  # registered by the face: this room never imports dashboard/

        return show(self, settings=settings)

    def to_html(self, path: str | os.PathLike[str] | None = None, **options: Any) -> Any:
        """This run as one self-contained HTML report (see ``nbtrack.report``): the text, or the path written."""
        from nbtrack.screens import report  # registered by the face: this room never imports report/

        return report(self, path, **options)

    def __repr__(self) -> str:
        return f"<nbtrack.RunReader {self.name!r} id={self.id} ({self.status}) at {self.path}>"


def tensorboard_layout(doc: dict[str, Any]) -> dict[str, Any]:
    """A ``chart_layout`` document (FORMAT.md 2.2) in TensorBoard's custom scalars form, which the charts read.

    >>> tensorboard_layout({"categories": [{"title": "c", "charts": [{"title": "t", "kind": "margin",
    ...     "value": "v", "lower": "l", "upper": "u"}]}]})["categories"][0]["charts"]
    [{'title': 't', 'margin': [{'value': 'v', 'lower': 'l', 'upper': 'u'}]}]
    """
    categories = []
    for category in doc.get("categories") or []:
        if not isinstance(category, dict):
            continue
        charts = []
        for chart in category.get("charts") or []:
            if not isinstance(chart, dict):
                continue
            if chart.get("kind") == "margin":
                band = {k: str(chart.get(k, "")) for k in ("value", "lower", "upper")}
                charts.append({"title": str(chart.get("title", "")), "margin": [band]})
            elif chart.get("kind") == "multiline":
                charts.append({"title": str(chart.get("title", "")),
                               "multiline": [str(t) for t in chart.get("tags") or []]})
        categories.append({"title": str(category.get("title", "")), "closed": False, "charts": charts})
    return {"categories": categories}


def writer_of(path: Path) -> str:
    """The writer id of a data file ``<writer id>-<segment>.<family>.arrows``."""
    return path.name.rsplit("-", 1)[0]


def _in_writer_order(parts: list[tuple[np.ndarray, ...]], owners: list[Path],
                     writers: dict[str, tuple[int, int | None]]) -> tuple[list[tuple[np.ndarray, ...]],
                                                                          list[tuple[int, int]]]:
    """One tag's pieces ordered as TensorBoard reads a run (writers by start, then segments, then
    batches), and each ``purge_step`` as ``(position of its writer's first point, step)``."""
    last = len(writers)
    keys = [(writers.get(writer_of(p), (last, None))[0], p.name) for p in owners]
    order = sorted(range(len(parts)), key=keys.__getitem__)  # stable: batches of one file keep their order
    parts = [parts[i] for i in order]
    ranks = [keys[i][0] for i in order]
    purges = []
    for rank, purge in writers.values():
        if purge is not None:
            position = sum(len(p[0]) for p, r in zip(parts, ranks) if r < rank)
            purges.append((position, int(purge)))
    return parts, purges


def _full(chunk: Columns | RangedChunk) -> Columns:
    """A chunk's records in long form (a format 2.0 batch: all its tags, checked, in step order)."""
    return chunk.columns() if isinstance(chunk, RangedChunk) else chunk


RUN_OWN_FOLDERS = frozenset({DATA_DIR, WRITERS_DIR, MEDIA_DIR, CODE_DIR, FILES_DIR, ENVIRONMENT_DIR})


def _is_run_folder(folder: Path) -> bool:
    return (folder / RUN_FILE).is_file()


def _open_run_folder(folder: Path, stale_after: float | None = None, root: Path | None = None) -> RunReader:
    return RunReader(folder, stale_after)


# registered by the package's face. Runs may sit inside a run's folder (a TensorBoard logdir imported as it
# nests); data/, writers/, media/ and code/ are the run's own.
NBTRACK_RUNS = RunSource("nbtrack", _is_run_folder, _open_run_folder, nested=True, own=RUN_OWN_FOLDERS)
