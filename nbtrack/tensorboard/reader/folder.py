"""``EventFolder``: the event files of one folder, read incrementally into a reader's columns and media rows.

A ``TensorBoardRun`` is made of one; so is the TensorBoard part of an nbtrack run whose folder
also holds event files (the same training code run before ``SummaryWriter``'s import was swapped:
TensorBoard merges every file of a folder into one run, and so does nbtrack).

The host is a ``RunReader``: scalars go into its ``_chunks`` under its tag ids, values into its
media records (a ``TensorBoardMedia``). TensorBoard's rule for steps that go back is applied as
records arrive (``preemption.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nbtrack.store.columns import Columns
from nbtrack.store.tail import DamageReport
from nbtrack.tensorboard.events.decode import DecodedEvents, decode
from nbtrack.tensorboard.events.framing import EventFileTail, RecordChunk

from .folders import EVENTS_MARK, event_files
from .graphs import MODEL_KIND, model_value
from .preemption import preempt

if TYPE_CHECKING:
    from nbtrack.store.reader import RunReader

    from .media import TensorBoardMedia


class EventFolder:
    """The event files directly in ``path``, in name order, followed as they grow."""

    def __init__(self, host: RunReader, path: Path, media: TensorBoardMedia) -> None:
        self.host, self.path, self.media = host, path, media
        self.tails: dict[Path, EventFileTail] = {}
        self.plugins: dict[Path, dict[str, str]] = {}  # per file: tag -> plugin, said once by TF2 writers
        self.problems: list[DamageReport] = []
        self.hparams: dict[str, Any] = {}
        self.group_name: str | None = None
        self.session_status: str | None = None
        self.summary: dict[str, float] = {}  # each scalar's value at its highest step
        self.layout: dict[str, Any] | None = None  # the custom_scalars layout, when the files hold one
        self.graphs: list[dict[str, Any]] = []  # graph records (model structure), newest last
        self.file_version: str | None = None
        self._last_steps: dict[int, int] = {}  # host tag id -> highest step kept

    # -- what the files say about themselves ----------------------------------------------
    def first_time(self) -> float | None:
        """When the files start: the time in the first event file's name, else that file's mtime."""
        files = event_files(self.path)
        if not files:
            return None
        parts = files[0].name.split(".")
        for i, part in enumerate(parts[:-1]):
            if part == EVENTS_MARK and parts[i + 1].isdigit():
                return float(parts[i + 1])
        try:
            return files[0].stat().st_mtime
        except OSError:
            return None

    def updated(self) -> float | None:
        """The latest modification time of the files read (None before any)."""
        times = []
        for path in self.tails:
            try:
                times.append(path.stat().st_mtime)
            except OSError:
                continue
        return max(times) if times else None

    def sizes(self) -> list[int]:
        out = []
        for path in self.tails:
            try:
                out.append(path.stat().st_size)
            except OSError:
                out.append(-1)
        return out

    @property
    def bytes_read(self) -> int:
        return sum(t.offset for t in self.tails.values())

    # -- reading -------------------------------------------------------------------------
    def read_new(self, stale_after: float) -> None:
        """Read what every event file gained; a file unchanged for ``stale_after`` s is final (a torn end is damage)."""
        now = time.time()
        for path in event_files(self.path):
            tail = self.tails.get(path)
            if tail is None:
                tail = self.tails[path] = EventFileTail(path)
            try:
                final = now - path.stat().st_mtime > stale_after
            except OSError:
                continue
            chunk = tail.read_new(final=final)
            self.problems.extend(DamageReport(str(path), offset, length, reason)
                                 for offset, length, reason in chunk.damage)
            if len(chunk.starts):
                self._add_records(path, chunk)

    def _add_records(self, path: Path, chunk: RecordChunk) -> None:
        events = decode(chunk.buffer, chunk.starts, chunk.lengths, tag_plugins=self.plugins.setdefault(path, {}))
        if events.file_version is not None:
            self.file_version = events.file_version
        self.problems.extend(DamageReport(str(path), 0, 0, problem) for problem in events.problems)
        restarts = [(record, step) for record, step, status in events.session_logs if status == 1]
        self._add_scalars(path, events, restarts)
        pending = sorted(restarts)
        for value in events.values:
            while pending and pending[0][0] < value.record:  # a restart drops later values too
                self.media.restart(pending.pop(0)[1])
            self._add_value(path, chunk, value)
        for _, step in pending:
            self.media.restart(step)

    def _add_scalars(self, path: Path, events: DecodedEvents, restarts: list[tuple[int, int]]) -> None:
        lut = np.array([self._tag_id(name) for name in events.scalar_tags], np.int32)
        tags = lut[events.scalar_tag] if len(lut) else np.zeros(0, np.int32)
        steps = np.asarray(events.scalar_step, np.int64)
        kept, thresholds = preempt(tags, steps, np.asarray(events.scalar_record, np.int64), restarts,
                                   self._last_steps)
        if thresholds:
            self._cut(thresholds)
        times = np.asarray(events.scalar_time, np.float64)[kept]
        values = np.asarray(events.scalar_value, np.float64)[kept]
        tags, steps = tags[kept], steps[kept]
        if not len(tags):
            return
        self.host._chunks.append(Columns(tags, steps, times, values))
        self.host._chunk_paths.append(path)
        self.host._chunk_files.add(self.path)
        order = np.argsort(tags, kind="stable")
        ends = np.flatnonzero(np.r_[tags[order][1:] != tags[order][:-1], True])
        names = self.host._tag_names
        for i in ends.tolist():  # a tag's last kept point is its highest step: kept steps only rise
            row = int(order[i])
            self._last_steps[int(tags[row])] = int(steps[row])
            self.summary[names[int(tags[row])]] = float(values[row])

    def _tag_id(self, name: str) -> int:
        """The host's id of a tag (new tags get the next id, as the host's own reading does)."""
        tag = self.host._tag_ids.get(name)
        if tag is None:
            tag = self.host._tag_ids[name] = len(self.host._tag_names)
            self.host._tag_names.append(name)
        return tag

    def _cut(self, thresholds: dict[int, int]) -> None:
        """Drop the points read before whose tag was preempted at or below their step."""
        host = self.host
        limits = np.full(len(host._tag_names), np.iinfo(np.int64).max, np.int64)
        limits[np.array(list(thresholds), np.int32)] = list(thresholds.values())
        for i, chunk in enumerate(host._chunks):
            if isinstance(chunk, Columns):
                drop = chunk.step >= limits[chunk.tag]
                if bool(drop.any()):
                    host._chunks[i] = chunk.take(np.flatnonzero(~drop))
        for tag, step in thresholds.items():
            self._last_steps[tag] = step - 1
        host._cache, host._series_cache, host._splits = (0, Columns.empty()), {}, {}
        host._last_values = (-1, {})

    def _add_value(self, path: Path, chunk: RecordChunk, value: Any) -> None:
        if value.kind == "hparams":
            self._add_hparams(value.data)
        elif value.kind == "custom_scalars":
            self.layout = value.data.get("layout")
        elif value.kind == "graph":
            self._add_graph(value)
        else:
            self.media.add_value(path, chunk, value, self.plugins[path])

    def _add_graph(self, value: Any) -> None:
        """Keep a graph record, and show its structure (a Keras layer tree, an op graph's scopes) as a value."""
        self.graphs.append({"tag": value.tag, "step": value.step, **value.data})
        try:
            payload = model_value(value.data)
        except (ValueError, TypeError) as exc:
            self.problems.append(DamageReport(str(self.path), 0, 0, f"graph at step {value.step} unreadable: {exc}"))
            return
        if payload is not None:
            tag = {"keras": "model/keras"}.get(value.data.get("format"), "model/graph")
            self.media.add_derived(tag, value.step, value.wall_time, MODEL_KIND, payload)

    def _add_hparams(self, data: dict[str, Any]) -> None:
        start = data.get("session_start")
        if isinstance(start, dict):
            self.hparams.update(start.get("hparams") or {})
            if start.get("group_name"):
                self.group_name = str(start["group_name"])
        end = data.get("session_end")
        if isinstance(end, dict) and end.get("status"):
            self.session_status = "failed" if "FAIL" in str(end["status"]).upper() else None
