"""``TensorBoardRun``: a folder of TensorBoard event files, read with ``RunReader``'s API.

A TensorBoard run is a folder holding event files (``*tfevents*``), named by its path
relative to the logdir; its files are merged in name order (their names start with the
time they were created). The reader follows them as they grow: each call reads only the
new bytes of files that grew (``EventFileTail``). Since event files carry no writer state,
a run counts as running while one of its files changed within the stale interval, and an
incomplete record at the end of a file is waited for until then, and only after that
reported as a torn tail.

Scalars become the same columns an nbtrack run's reader holds, so ``scalars()``,
``history()``, ``to_arrow()``, dashboards and ``%track`` work unchanged; histograms,
images, audio, text and PR curves become media rows whose bytes stay in the event files
(``media.py``); hparams give the run's config; custom scalar layouts and graphs are kept.

>>> import tempfile
>>> from tensorboardX import SummaryWriter
>>> d = tempfile.mkdtemp()
>>> with SummaryWriter(f"{d}/train") as w:
...     for step in range(3): w.add_scalar("loss", 1.0 / (step + 1), step)
>>> run = TensorBoardRun(f"{d}/train", root=d)
>>> run.name, run.scalars("loss")["value"].round(2).tolist()
('train', [1.0, 0.5, 0.33])
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.store.columns import Columns
from nbtrack.store.reader import RunReader
from nbtrack.store.status import stale_after_default
from nbtrack.store.tail import DamageReport
from nbtrack.tensorboard.events.decode import decode
from nbtrack.tensorboard.events.framing import EventFileTail

from .folders import EVENTS_MARK, event_files
from .graphs import MODEL_KIND, model_value
from .media import TensorBoardMedia
from .preemption import preempt


class TensorBoardRun(RunReader):
    """One TensorBoard run folder, read incrementally, with ``RunReader``'s reading API.

    ``root`` is the logdir the run was found in: the run's name is its path relative to it
    (``train``, ``fit/20240101-120000/validation``), as TensorBoard names runs.
    """

    def __init__(self, path: str | Path, stale_after: float | None = None, root: str | Path | None = None) -> None:
        # RunReader.__init__ reads run.json and writer manifests, which TensorBoard folders do not have
        self.path = Path(path)
        self.stale_after = stale_after_default() if stale_after is None else stale_after
        self.root = Path(root) if root is not None else self.path.parent
        self._init_state()
        self._event_tails: dict[Path, EventFileTail] = {}
        self._tb_media = TensorBoardMedia(self.path)
        self._media = self._tb_media
        self._last_steps: dict[int, int] = {}
        self._hparams: dict[str, Any] = {}
        self._summary: dict[str, float] = {}  # each scalar's value at its highest step
        self._session_status: str | None = None
        self._tb_problems: list[DamageReport] = []
        self.layout: dict[str, Any] | None = None  # the custom_scalars layout, when the run has one
        self.graphs: list[dict[str, Any]] = []  # graphs found in the files (model structure), newest last
        self.file_version: str | None = None
        relative = self.path.relative_to(self.root).as_posix() if self.path != self.root else self.path.name
        self._name = relative or self.path.name
        digest = hashlib.sha1(str(self.path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
        self.identity = {"id": f"tb-{digest[:12]}", "name": self._name, "project": "tensorboard",
                         "group": (Path(relative).parent.as_posix() if "/" in relative else None),
                         "created": self._first_file_time()}
        self._read_new()

    def _init_state(self) -> None:
        """The fields ``RunReader`` keeps for scalars and damage (no manifests, no Arrow tails)."""
        self._manifest_files = {}
        self._writers = {}
        self._manifests_read = time.monotonic()
        self._tails = {}
        self._luts = {}
        self._tag_names: list[str] = []
        self._tag_ids: dict[str, int] = {}
        self._chunks = []
        self._series_cache = {}
        self._splits = {}
        self._chunk_files = set()
        self._cache = (0, Columns.empty())
        self._polled = 0
        self._meta_problems = []
        self._data_problems = []
        self._warned = 0
        self._last_values = (-1, {})

    # -- identity and state ------------------------------------------------------------
    def refresh_manifests(self) -> None:
        """A TensorBoard run has no manifests: its config (hparams) and summary (last values) are in its
        event files, so this reads what they gained (and keeps it for the next ``poll()``)."""
        self._manifests_read = time.monotonic()
        self._read_new()

    def _current(self) -> dict[str, dict[str, Any]]:
        return {}

    def _first_file_time(self) -> float | None:
        """When the run started: the time in its first event file's name, else that file's mtime."""
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

    @property
    def name(self) -> str:
        return self._name

    @property
    def config(self) -> dict[str, Any]:
        """The hparams of the run's session (TensorBoard's hparams plugin), else empty."""
        return dict(self._hparams)

    @property
    def summary(self) -> dict[str, Any]:
        """Each scalar's value at its highest step (TensorBoard runs record no summary of their own);
        kept apart from the points, so a follower that ``forget()``s them still has it."""
        return dict(self._summary)

    @property
    def summary_stale(self) -> list[str]:
        return []

    @property
    def status(self) -> str:
        """``running`` while an event file changed within the stale interval, else ``finished``
        (``failed`` when the hparams session ended in failure)."""
        if self.updated is not None and time.time() - self.updated < self.stale_after:
            return "running"
        return "failed" if self._session_status == "failed" else "finished"

    @property
    def exit_code(self) -> int | None:
        return None

    @property
    def updated(self) -> float | None:
        times = []
        for path in self._event_tails:
            try:
                times.append(path.stat().st_mtime)
            except OSError:
                continue
        return max(times) if times else self.created

    @property
    def manifest(self) -> dict[str, Any]:
        return {**self.identity, "name": self.name, "tags": [], "notes": None, "config": self.config,
                "summary": self.summary, "status": self.status, "updated": self.updated, "writers": [],
                "source": "tensorboard", "file_version": self.file_version}

    # -- data ----------------------------------------------------------------------------
    def _known_damage(self) -> list[DamageReport]:
        out = list(self._tb_problems) + list(self._media.problems)
        return out

    @property
    def bytes_read(self) -> int:
        return sum(t.offset for t in self._event_tails.values())

    def signature(self) -> tuple[Any, ...] | None:
        """The folder's mtime and each event file's size: what changes when the run has news."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            return None
        sizes = []
        for path in self._event_tails:
            try:
                sizes.append(os.stat(path).st_size)
            except OSError:
                sizes.append(-1)
        return (mtime, *sizes)

    def manifests_signature(self) -> None:
        return None  # no manifests: status follows the files' times

    def _read_new(self, until: Any = None) -> None:
        now = time.time()
        for path in event_files(self.path):
            tail = self._event_tails.get(path)
            if tail is None:
                tail = self._event_tails[path] = EventFileTail(path)
            try:
                final = now - path.stat().st_mtime > self.stale_after
            except OSError:
                continue
            chunk = tail.read_new(final=final)
            self._tb_problems.extend(DamageReport(str(path), offset, length, reason)
                                     for offset, length, reason in chunk.damage)
            if len(chunk.starts):
                self._add_records(path, chunk)
        self._warn_damage()

    def _add_records(self, path: Path, chunk: Any) -> None:
        events = decode(chunk.buffer, chunk.starts, chunk.lengths)
        if events.file_version is not None:
            self.file_version = events.file_version
        for problem in events.problems:
            self._tb_problems.append(DamageReport(str(path), 0, 0, problem))
        restarts = [(record, step) for record, step, status in events.session_logs if status == 1]
        self._add_scalars(events, restarts)
        pending = sorted(restarts)
        for value in events.values:
            while pending and pending[0][0] < value.record:  # a restart drops later media too
                self._tb_media.restart(pending.pop(0)[1])
            self._add_value(path, chunk, value)
        for _, step in pending:
            self._tb_media.restart(step)

    def _add_scalars(self, events: Any, restarts: list[tuple[int, int]]) -> None:
        lut = np.array([self._tag_id(name) for name in events.scalar_tags], np.int32)
        tags = lut[events.scalar_tag] if len(lut) else np.zeros(0, np.int32)
        steps = np.asarray(events.scalar_step, np.int64)
        kept, thresholds = preempt(tags, steps, np.asarray(events.scalar_record, np.int64), restarts,
                                   self._last_steps)
        if thresholds:
            self._cut(thresholds)
        if not bool(kept.all()):
            tags, steps = tags[kept], steps[kept]
        times = np.asarray(events.scalar_time, np.float64)[kept]
        values = np.asarray(events.scalar_value, np.float64)[kept]
        if not len(tags):
            return
        self._chunks.append(Columns(tags, steps, times, values))
        order = np.argsort(tags, kind="stable")
        ends = np.flatnonzero(np.r_[tags[order][1:] != tags[order][:-1], True])
        names = self._tag_names
        for i in ends.tolist():  # a tag's last kept point is its highest step: kept steps only rise
            row = int(order[i])
            self._last_steps[int(tags[row])] = int(steps[row])
            self._summary[names[int(tags[row])]] = float(values[row])

    def _tag_id(self, name: str) -> int:
        tag = self._tag_ids.get(name)
        if tag is None:
            tag = self._tag_ids[name] = len(self._tag_names)
            self._tag_names.append(name)
        return tag

    def _cut(self, thresholds: dict[int, int]) -> None:
        """Drop the points read before whose tag was preempted at or below their step."""
        cut_tags = np.array(list(thresholds), np.int32)
        limits = np.full(len(self._tag_names), np.iinfo(np.int64).max, np.int64)
        limits[cut_tags] = list(thresholds.values())
        for i, chunk in enumerate(self._chunks):
            drop = chunk.step >= limits[chunk.tag]
            if bool(drop.any()):
                self._chunks[i] = chunk.take(np.flatnonzero(~drop))
        for tag, step in thresholds.items():
            self._last_steps[tag] = step - 1
        self._cache, self._series_cache, self._splits = (0, Columns.empty()), {}, {}
        self._last_values = (-1, {})

    def _add_value(self, path: Path, chunk: Any, value: Any) -> None:
        if value.kind == "hparams":
            self._add_hparams(value.data)
        elif value.kind == "custom_scalars":
            self.layout = value.data.get("layout")
        elif value.kind == "graph":
            self._add_graph(value)
        else:
            self._tb_media.add(path, chunk, value)

    def _add_graph(self, value: Any) -> None:
        """Keep a graph record, and show its structure (a Keras layer tree, an op graph's scopes) as a value."""
        self.graphs.append({"tag": value.tag, "step": value.step, **value.data})
        try:
            payload = model_value(value.data)
        except (ValueError, TypeError) as exc:
            self._tb_problems.append(DamageReport(str(self.path), 0, 0, f"graph at step {value.step} unreadable: {exc}"))
            return
        if payload is not None:
            tag = {"keras": "model/keras"}.get(value.data.get("format"), "model/graph")
            self._tb_media.add_derived(tag, value.step, value.wall_time, MODEL_KIND, payload)

    def _add_hparams(self, data: dict[str, Any]) -> None:
        start = data.get("session_start")
        if isinstance(start, dict):
            self._hparams.update(start.get("hparams") or {})
            if start.get("group_name") and self.identity.get("group") is None:
                self.identity["group"] = start["group_name"]
        end = data.get("session_end")
        if isinstance(end, dict) and end.get("status"):
            self._session_status = "failed" if "FAIL" in str(end["status"]).upper() else None

    def __repr__(self) -> str:
        return f"<nbtrack TensorBoardRun {self.name!r} ({self.status}) at {self.path}>"
