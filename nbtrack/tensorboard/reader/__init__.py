"""TensorBoard logdirs read as nbtrack runs: every folder holding event files is a run.

``TENSORBOARD_RUNS`` is the kind of run the package's face registers
(``nbtrack.store.sources``), so ``nbtrack.open()``, ``.show()`` and ``%track`` find
TensorBoard runs beside nbtrack runs, in the same logdir or in one of their own.
Event decoding (protobuf) is imported only when a TensorBoard run is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.store.reader import RUN_OWN_FOLDERS
from nbtrack.store.sources import RunSource

from .folders import EVENTS_MARK, event_files, is_event_folder


def is_mixed_folder(folder: Path) -> bool:
    """Whether ``folder`` is an nbtrack run folder that also holds TensorBoard event files."""
    return (folder / "run.json").is_file() and bool(event_files(folder))


def open_mixed_folder(folder: Path, stale_after: float | None = None, root: Path | None = None) -> Any:
    """A :class:`~nbtrack.tensorboard.reader.mixed.MixedRun` of ``folder``."""
    from .mixed import MixedRun

    return MixedRun(folder, stale_after, root=root)


def open_event_folder(folder: Path, stale_after: float | None = None, root: Path | None = None) -> Any:
    """A :class:`~nbtrack.tensorboard.reader.run.TensorBoardRun` of ``folder`` (named relative to ``root``)."""
    from .run import TensorBoardRun  # decoding is imported only once a TensorBoard run is met

    return TensorBoardRun(folder, stale_after, root=root)


TENSORBOARD_RUNS = RunSource("tensorboard", is_event_folder, open_event_folder, nested=True)
# registered before nbtrack's own kind: an nbtrack run folder with event files beside its data
MIXED_RUNS = RunSource("nbtrack+tensorboard", is_mixed_folder, open_mixed_folder, nested=True, own=RUN_OWN_FOLDERS)

__all__ = ["EVENTS_MARK", "MIXED_RUNS", "TENSORBOARD_RUNS", "event_files", "is_event_folder", "is_mixed_folder",
           "open_event_folder", "open_mixed_folder"]
