"""The run folder: its layout on disk, creating it, and the identity record ``run.json``.

Layout (documented in FORMAT.md)::

    <logdir>/<run id>/
        run.json                     identity, written once when the run is created
        writers/<writer id>.json     one per writer lifetime: status, heartbeat, config, summary
        data/<writer id>-<segment>.<kind>.arrows   append-only Arrow IPC streams
        media/                       files referenced by records
        code/                        source files copied by Run.log_code
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack._version import __version__

from . import format as fmt
from .files import write_json_atomic

RUN_FILE = "run.json"
WRITERS_DIR = "writers"
DATA_DIR = "data"
MEDIA_DIR = "media"
CODE_DIR = "code"  # Run.log_code's copies of the source files
STREAM_SUFFIX = ".arrows"


@dataclass(frozen=True)
class StoredPosition:
    """Where one writer's stored records ended at some moment: the size of each of its data files.

    ``Run.attach`` returns one, taken while no flush can run: a reader that reads up to it
    (``RunReader.catch_up(until=...)``) and a sink attached at that moment together see
    every record exactly once.
    """

    writer_id: str
    sizes: dict[str, int]  # file name in ``data/`` -> bytes written

    def limit(self, file_name: str) -> int | None:
        """Bytes of ``file_name`` to read: its size, 0 for this writer's later files, None for others'."""
        if not file_name.startswith(f"{self.writer_id}-"):
            return None
        return self.sizes.get(file_name, 0)


@dataclass
class RunFolder:
    """Paths inside one run folder."""

    path: Path

    @property
    def run_file(self) -> Path:
        return self.path / RUN_FILE

    @property
    def data_dir(self) -> Path:
        return self.path / DATA_DIR

    @property
    def writers_dir(self) -> Path:
        return self.path / WRITERS_DIR

    def writer_file(self, writer_id: str) -> Path:
        return self.writers_dir / f"{writer_id}.json"

    def stream_file(self, writer_id: str, segment: int, kind: str) -> Path:
        return self.data_dir / f"{writer_id}-{segment:04d}.{kind}{STREAM_SUFFIX}"

    def create(self, identity: dict[str, Any]) -> None:
        """Create the folder (fails if it exists) and write ``run.json``."""
        self.path.mkdir(parents=False, exist_ok=False)
        self.prepare()
        write_json_atomic(self.run_file, identity)

    def create_in(self, identity: dict[str, Any]) -> None:
        """Make the folder a run: write ``run.json`` into it, which may exist already (fails if
        ``run.json`` does). Other files in it (TensorBoard event files) are left alone.

        Exclusive and atomic: ``run.json`` is written under a temporary name and hard-linked
        to its name, so of processes racing to create it one wins and no reader sees half a file.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{RUN_FILE}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        write_json_atomic(tmp, identity)
        try:
            os.link(tmp, self.run_file)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this filesystem: exclusive rename is not available either
            if self.run_file.exists():
                raise FileExistsError(str(self.run_file)) from None
            os.replace(tmp, self.run_file)
        finally:
            tmp.unlink(missing_ok=True)
        self.prepare()

    def prepare(self) -> None:
        """Make sure the sub-folders exist (also when resuming)."""
        for sub in (self.writers_dir, self.data_dir):
            sub.mkdir(exist_ok=True)


def identity_record(run_id: str, name: str, project: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The content of ``run.json`` for a new run."""
    return {
        "format_version": fmt.FORMAT_VERSION, "id": run_id, "name": name, "project": project,
        "created": time.time(), "host": socket.gethostname(), "pid": os.getpid(),
        "nbtrack_version": __version__, **extra,
    }


