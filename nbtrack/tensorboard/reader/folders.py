"""Which folders are TensorBoard runs: those directly holding an event file. Cheap: no decoding imported."""

from __future__ import annotations

import os
import stat
from pathlib import Path

EVENTS_MARK = "tfevents"  # TensorBoard's rule: a file whose name holds this is an event file


def event_files(folder: Path) -> list[Path]:
    """The event files directly in ``folder``, in name order (regular files only; links are followed).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "events.out.tfevents.1700000000.host").write_bytes(b"")
    >>> [p.name for p in event_files(d)]
    ['events.out.tfevents.1700000000.host']
    """
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if EVENTS_MARK in entry.name and not entry.name.startswith("."):
                    try:
                        if stat.S_ISREG(os.stat(entry.path).st_mode):
                            found.append(Path(entry.path))
                    except OSError:
                        continue
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name)


def is_event_folder(folder: Path) -> bool:
    """Whether ``folder`` directly holds a TensorBoard event file."""
    return bool(event_files(folder))
