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

from nbtrack.store.columns import Columns
from nbtrack.store.reader import RunReader
from nbtrack.store.status import stale_after_default
from nbtrack.store.tail import DamageReport

from .folder import EventFolder
from .media import TensorBoardMedia


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
        self._tb_media = TensorBoardMedia(self.path)
        self._media = self._tb_media
        self.events = EventFolder(self, self.path, self._tb_media)
        relative = self.path.relative_to(self.root).as_posix() if self.path != self.root else self.path.name
        self._name = relative or self.path.name
        digest = hashlib.sha1(str(self.path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
        self.identity = {"id": f"tb-{digest[:12]}", "name": self._name, "project": "tensorboard",
                         "group": (Path(relative).parent.as_posix() if "/" in relative else None),
                         "created": self.events.first_time()}
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
        self._chunk_paths = []
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

    @property
    def name(self) -> str:
        return self._name

    @property
    def config(self) -> dict[str, Any]:
        """The hparams of the run's session (TensorBoard's hparams plugin), else empty."""
        return dict(self.events.hparams)

    @property
    def summary(self) -> dict[str, Any]:
        """Each scalar's value at its highest step (TensorBoard runs record no summary of their own);
        kept apart from the points, so a follower that ``forget()``s them still has it."""
        return dict(self.events.summary)

    @property
    def summary_stale(self) -> list[str]:
        return []

    @property
    def status(self) -> str:
        """``running`` while an event file changed within the stale interval, else ``finished``
        (``failed`` when the hparams session ended in failure)."""
        if self.updated is not None and time.time() - self.updated < self.stale_after:
            return "running"
        return "failed" if self.events.session_status == "failed" else "finished"

    @property
    def exit_code(self) -> int | None:
        return None

    @property
    def updated(self) -> float | None:
        return self.events.updated() or self.created

    @property
    def group(self) -> str | None:
        return self.events.group_name or self.identity.get("group")

    @property
    def layout(self) -> dict[str, Any] | None:
        """The custom_scalars layout of the run's files (charts of several tags, margin bands), if any."""
        return self.events.layout

    @property
    def graphs(self) -> list[dict[str, Any]]:
        """The graph records of the run's files (kept as read; shown as ``model/*`` values)."""
        return self.events.graphs

    @property
    def manifest(self) -> dict[str, Any]:
        return {**self.identity, "name": self.name, "tags": [], "notes": None, "config": self.config,
                "summary": self.summary, "status": self.status, "updated": self.updated, "writers": [],
                "source": "tensorboard", "file_version": self.events.file_version}

    # -- data ----------------------------------------------------------------------------
    def _known_damage(self) -> list[DamageReport]:
        return list(self.events.problems) + list(self._media.problems)

    @property
    def bytes_read(self) -> int:
        return self.events.bytes_read

    def signature(self) -> tuple[Any, ...] | None:
        """The folder's mtime and each event file's size: what changes when the run has news."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            return None
        return (mtime, *self.events.sizes())

    def manifests_signature(self) -> None:
        return None  # no manifests: status follows the files' times

    def _read_new(self, until: Any = None) -> None:
        self.events.read_new(self.stale_after)
        self._warn_damage()

    def __repr__(self) -> str:
        return f"<nbtrack TensorBoardRun {self.name!r} ({self.status}) at {self.path}>"
