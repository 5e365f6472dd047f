"""``LogdirWatcher``: follows every run under one or more logdirs, for ``%track``.

The watcher discovers runs (project sub-folders too), reads each run incrementally
(``RunReader.poll()``: only the new bytes of files that grew) and turns what is new
into updates for the live widget: new runs and status changes for the run table,
new points per series, new values (images, histograms, ...). It keeps no copy of
the points it has passed on (``RunReader.forget()``), so kernel memory follows what
is new, not the logdir. Discovery looks again only where a folder's modification
time changed, so a poll with nothing new costs one ``stat`` per data file and folder.

The first read (``first()``) builds the starting snapshot, run by run, reducing each
series to ``series_points`` (M4, the rule of every snapshot); later polls send every
new point. Nothing here touches widgets: ``track.py`` sends the updates.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.errors import FormatError
from nbtrack.store.columns import rows_by_tag
from nbtrack.store.logdir import MAX_DEPTH, find_run_folders
from nbtrack.store.reader import RunReader
from nbtrack.store.sources import source_of

from .m4 import BUCKETS, reduced_series
from .protocol import MediaEntry
from .snapshot import MAX_PER_TAG, MIN_POINTS, media_entries, pick_steps, run_info

SNAPSHOT_POINTS = 2_000_000  # all series of the first screen together (about 48 MB of float64 columns)


@dataclass
class WatchUpdate:
    """What changed since the previous poll."""

    runs: list[dict[str, Any]] = field(default_factory=list)  # new runs and runs whose info changed
    series: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    media: list[MediaEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # new problems (unreadable folders, damage)

    def __bool__(self) -> bool:
        return bool(self.runs or self.series or self.media or self.notes)

    @property
    def points(self) -> int:
        return sum(len(s[2]) for s in self.series)


@dataclass
class _Followed:
    reader: RunReader
    label: str  # the name shown: the run's name, prefixed by its logdir's name when several are watched
    info: dict[str, Any] = field(default_factory=dict)  # what the browser was last sent
    media_seen: dict[tuple[bool, str], int] = field(default_factory=dict)
    info_checked: float = 0.0
    data_seen: tuple[Any, ...] | None = None  # the reader's data signature when last read
    writers_seen: Any = None  # the reader's manifest signature when the manifests were last read


class LogdirWatcher:
    """Every run under ``logdirs`` (``[(name or None, path), ...]``), followed incrementally.

    ``runs`` and ``tags`` are compiled regular expressions (searched in a run's name, id or
    path relative to its logdir, and in a tag name); runs or tags they do not match are
    never read into the view.

    >>> import nbtrack, tempfile
    >>> from pathlib import Path
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="a") as run:
    ...     run.log({"loss": 1.0})
    >>> watcher = LogdirWatcher([(None, Path(d))])
    >>> snap = watcher.first()
    >>> [r["name"] for r in snap["runs"]], snap["series"][0]["key"]
    (['a'], 'loss')
    >>> with nbtrack.init(dir=d, name="b") as run:
    ...     run.log({"loss": 2.0})
    >>> update = watcher.poll()
    >>> [r["name"] for r in update.runs], [(s[0] == run.id, s[1]) for s in update.series]
    (['b'], [(True, 'loss')])
    """

    def __init__(self, logdirs: list[tuple[str | None, Path]], runs: re.Pattern[str] | None = None,
                 tags: re.Pattern[str] | None = None, stale_after: float | None = None,
                 series_points: int | None = None, info_every: float = 1.0) -> None:
        self.logdirs = logdirs
        self.runs_filter = runs
        self.tags_filter = tags
        self.stale_after = stale_after
        self.series_points = series_points
        self.info_every = info_every  # seconds between re-reading a run's manifests (status, summary)
        self._followed: dict[Path, _Followed] = {}
        self._ignored: set[Path] = set()  # folders the run filter leaves out
        self._folder_times: dict[Path, int] = {}
        self._watched: dict[Path, set[Path]] = {}  # logdir -> folders under it that new runs may appear in
        self._notes: set[str] = set()
        self._pending_notes: list[str] = []
        self.polls = 0
        self.poll_seconds = 0.0  # thread CPU time of all polls: the watcher's cost

    # -- discovery --------------------------------------------------------------------
    def _changed_folders(self) -> set[Path]:
        """The logdirs, and the folders in them where runs may appear (``_watch``), whose mtime changed."""
        changed: set[Path] = set()
        for _, root in self.logdirs:
            for folder in [root, *self._watched.get(root, ())]:
                try:
                    mtime = os.stat(folder).st_mtime_ns
                except OSError:
                    mtime = -1
                if self._folder_times.get(folder) != mtime:
                    self._folder_times[folder] = mtime
                    changed.add(folder)
        return changed

    def _watch(self, root: Path, folder: Path, nested: bool) -> None:
        """Watch the folders between ``root`` and a run found in ``folder`` (a project's folder), and the run's
        own folder when runs of its kind may hold runs (TensorBoard's ``add_scalars`` sub-folders)."""
        watched = self._watched.setdefault(root, set())
        if nested:
            watched.add(folder)
        parent = folder.parent
        while parent != root and root in parent.parents and parent not in watched:
            watched.add(parent)
            parent = parent.parent

    def _discover(self, changed: set[Path] | None = None) -> list[_Followed]:
        """Runs not followed yet, looked for under the ``changed`` folders only (every logdir when None):
        a new run's folder changes the mtime of the folder it was made in, so an idle logdir of many runs
        is not walked again."""
        new: list[_Followed] = []
        for name, root in self.logdirs:
            notes: list[str] = []
            for start in self._starts(root, changed):
                below = len(start.relative_to(root).parts)
                for folder in find_run_folders(start, MAX_DEPTH - below, notes):
                    if folder in self._followed or folder in self._ignored:
                        continue
                    followed = self._open(name, root, folder)
                    if followed is not None:
                        self._followed[folder] = followed
                        new.append(followed)
            self._note(*notes)
        return new

    @staticmethod
    def _starts(root: Path, changed: set[Path] | None) -> list[Path]:
        """Where to look under ``root``: itself, or the changed folders in it that no other changed one holds."""
        if changed is None or root in changed:
            return [root]
        inside = sorted(f for f in changed if root in f.parents)
        return [f for f in inside if not any(other in f.parents for other in inside)]

    def _open(self, name: str | None, root: Path, folder: Path) -> _Followed | None:
        source = source_of(folder)
        if source is None:
            return None
        self._watch(root, folder, source.nested)
        try:
            reader = source.open(folder, self.stale_after, root)
        except FormatError as exc:
            self._note(str(exc))
            self._ignored.add(folder)
            return None
        relative = folder.relative_to(root).as_posix() if folder != root else folder.name
        if self.runs_filter is not None and not any(
                self.runs_filter.search(text) for text in (reader.name, reader.id, relative)):
            self._ignored.add(folder)
            return None
        label = reader.name if name is None else f"{name}/{reader.name}"
        return _Followed(reader, label)

    def _note(self, *notes: str) -> None:
        for note in notes:
            if note not in self._notes:
                self._notes.add(note)
                self._pending_notes.append(note)

    # -- reading ----------------------------------------------------------------------
    def first(self) -> dict[str, Any]:
        """The starting snapshot (``snapshot.py``'s layout) of every run found now; marks it all sent."""
        self._pending_notes = []
        self._changed_folders()
        followed = self._discover()
        followed.sort(key=lambda f: f.reader.created or 0.0, reverse=True)  # newest first
        runs, series, media = [], [], []
        for f in followed:
            f.reader.catch_up()
            names, pieces = f.reader.tag_pieces()
            wanted = [t for t, key in enumerate(names) if self._wanted(key)]
            cap = self._cap(len(followed), len(wanted))
            buckets = max(1, min(BUCKETS, cap // 5))
            for t in wanted:
                (steps, values, times), total = reduced_series(pieces[t], cap, buckets)
                series.append({"run": f.reader.id, "key": names[t], "steps": steps.tobytes(),
                               "values": values.tobytes(), "times": times.tobytes(), "n": total})
            media.extend(self._new_media(f, MAX_PER_TAG))
            f.reader.forget()  # what the snapshot holds is sent: later polls return only new records
            f.writers_seen = f.reader.manifests_signature()
            f.info = self._info(f)
            f.info_checked = time.monotonic()
            runs.append(f.info)
        return {"seq": 0, "runs": runs, "series": series, "media": media}

    def _cap(self, runs: int, tags: int) -> int:
        if self.series_points is not None:
            return self.series_points
        return max(MIN_POINTS * 8, min(200_000, SNAPSHOT_POINTS // max(1, runs * max(1, tags))))

    def _wanted(self, key: str) -> bool:
        return self.tags_filter is None or bool(self.tags_filter.search(key))

    def poll(self) -> WatchUpdate:
        """Everything new since the previous poll (or ``first()``): new runs, points, values, statuses."""
        started = time.thread_time()
        self._pending_notes = []
        update = WatchUpdate()
        changed = self._changed_folders()
        new = self._discover(changed) if changed else []
        now = time.monotonic()
        for f in list(self._followed.values()):
            fresh = f in new
            writers = f.reader.manifests_signature()
            manifests_changed = writers != f.writers_seen
            signature = f.reader.signature()
            if fresh or manifests_changed or signature is None or signature != f.data_seen:
                # a finished writer's last file is read to its end once its manifest says so
                f.data_seen = signature
                self._poll_points(f, update)
                update.media.extend(self._new_media(f, None if not fresh else MAX_PER_TAG))
            running = f.info.get("status") == "running"  # may turn crashed with no file changing
            if fresh or manifests_changed or (running and now - f.info_checked >= self.info_every):
                f.info_checked, f.writers_seen = now, writers
                info = self._info(f)
                if fresh or info != f.info:
                    f.info = info
                    update.runs.append(info)
        update.notes = list(self._pending_notes)
        self.polls += 1
        self.poll_seconds += time.thread_time() - started
        return update

    def _poll_points(self, f: _Followed, update: WatchUpdate) -> None:
        delta = f.reader.poll()
        f.reader.forget()
        cols = delta.columns
        if not len(cols):
            return
        for tag_id, rows in rows_by_tag(cols.tag, len(delta.names)).items():
            key = delta.names[tag_id]
            if self._wanted(key):
                update.series.append((f.reader.id, key, cols.step[rows], cols.value[rows], cols.time[rows]))

    def _new_media(self, f: _Followed, max_per_tag: int | None) -> list[MediaEntry]:
        """Values stored since the last look (of a run seen for the first time: the
        ``max_per_tag`` steps ``pick_steps`` keeps)."""
        records = f.reader.media_records
        out: list[MediaEntry] = []
        for histogram, table in ((True, records.histograms), (False, records.media)):
            for tag, rows in list(table.items()):
                seen = f.media_seen.get((histogram, tag), 0)
                if len(rows) > seen and self._wanted(tag):
                    fresh = rows[seen:]
                    if max_per_tag is not None:
                        kept = set(pick_steps((r["step"] for r in fresh), max_per_tag))
                        fresh = [r for r in fresh if r["step"] in kept]
                    out.extend(media_entries(f.reader, tag, fresh, histogram=histogram))
                f.media_seen[(histogram, tag)] = len(rows)
        return out

    def _info(self, f: _Followed) -> dict[str, Any]:
        try:
            f.reader.refresh_manifests()
        except FormatError as exc:
            self._note(str(exc))
        info = run_info(f.reader)
        info["name"] = f.label
        return info

    @property
    def followed(self) -> list[_Followed]:
        """Each followed run: its reader and the run-table entry last sent (``info``)."""
        return list(self._followed.values())

    @property
    def readers(self) -> list[RunReader]:
        return [f.reader for f in self._followed.values()]

    def __len__(self) -> int:
        return len(self._followed)
