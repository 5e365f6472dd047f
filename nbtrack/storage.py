"""The run folder on disk and the sink that appends records to it.

Layout (documented in FORMAT.md)::

    <logdir>/<run id>/
        run.json                     identity, written once when the run is created
        writers/<writer id>.json     one per writer lifetime: status, heartbeat, config, summary
        data/<writer id>-<segment>.scalars.arrows   append-only Arrow IPC streams
        media/                       files referenced by records (value-types issue)
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _format as fmt
from ._collector import ScalarBatch
from ._fsutil import write_json_atomic
from ._version import __version__

RUN_FILE = "run.json"
WRITERS_DIR = "writers"
DATA_DIR = "data"
MEDIA_DIR = "media"
STREAM_SUFFIX = ".arrows"


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


def warm_up() -> None:
    """Run the encode path once in memory, so that every lazy import happens now.

    The first Arrow stream write imports modules (``logging`` among them) that register
    ``atexit`` hooks; done first at interpreter exit, by a run finished there, it fails.
    """
    import pyarrow as pa

    chunks = _ChunkSink()
    writer = pa.ipc.new_stream(chunks, fmt.scalar_schema())
    arrays = [pa.array(np.zeros(1, np.int32)), pa.array(np.zeros(1, np.int64)), pa.array(np.zeros(1)),
              pa.array(np.zeros(1))]
    batch = pa.RecordBatch.from_arrays(arrays, schema=fmt.scalar_schema())
    writer.write_batch(batch, custom_metadata=fmt.batch_metadata(batch, 0, {0: "warm-up"}))
    writer.close()


class _ChunkSink:
    """A file-like object that keeps what pyarrow writes, so one message is one write()."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def take(self) -> list[bytes]:
        out = list(self.parts)
        self.parts.clear()
        return out


@dataclass
class _Segment:
    """One open stream file: its Arrow writer and its file-local tag ids."""

    path: Path
    fd: int
    inode: int
    chunks: _ChunkSink
    writer: Any
    tag_ids: dict[str, int] = field(default_factory=dict)
    seq: int = 0


class StorageSink:
    """Appends scalar batches to the run folder, one stream segment at a time.

    A failed write closes the segment; the next write opens a new one, so a file with a
    torn tail is never appended to. ``write`` raises on failure; the writer thread keeps
    the batch and retries.
    """

    name = "storage"
    critical = True

    def __init__(self, folder: RunFolder, writer_id: str, fsync: bool = False) -> None:
        self.folder = folder
        self.writer_id = writer_id
        self.fsync = fsync
        self._segment: _Segment | None = None
        self._next_segment = 0
        self.files: list[str] = []
        self.tag_names: dict[str, list[str]] = {}  # sidecar copy of each file's tag table

    def write(self, batch: ScalarBatch) -> None:
        if not len(batch):
            return
        seg = self._segment or self._open_segment()
        try:
            self._check_still_there(seg)
            _write_all(seg.fd, self._encode(seg, batch))
            if self.fsync:
                os.fsync(seg.fd)
        except BaseException:
            self._abandon()
            raise
        seg.seq += 1
        self.tag_names[self.files[-1]] = list(seg.tag_ids)

    def _encode(self, seg: _Segment, batch: ScalarBatch) -> list[bytes]:
        import pyarrow as pa

        new_tags: dict[int, str] = {}
        lut = np.empty(len(batch.names), dtype=np.int32)
        for j, name in enumerate(batch.names):
            local = seg.tag_ids.get(name)
            if local is None:
                local = seg.tag_ids[name] = len(seg.tag_ids)
                new_tags[local] = name
            lut[j] = local
        arrays = [pa.array(lut[batch.tag_index]), pa.array(batch.steps),
                  pa.array(batch.times), pa.array(batch.values)]
        record = pa.RecordBatch.from_arrays(arrays, schema=fmt.scalar_schema())
        meta = fmt.batch_metadata(record, seg.seq, new_tags)
        seg.writer.write_batch(record, custom_metadata=meta)
        return seg.chunks.take()

    def _open_segment(self) -> _Segment:
        import pyarrow as pa

        path = self.folder.stream_file(self.writer_id, self._next_segment, fmt.KIND_SCALARS)
        self._next_segment += 1
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        chunks = _ChunkSink()
        writer = pa.ipc.new_stream(chunks, fmt.scalar_schema())
        self._segment = _Segment(path, fd, os.fstat(fd).st_ino, chunks, writer)
        relative = path.relative_to(self.folder.path).as_posix()
        self.files.append(relative)
        self.tag_names[relative] = list(self._segment.tag_ids)
        return self._segment

    def _check_still_there(self, seg: _Segment) -> None:
        """Writing into a deleted folder succeeds silently on POSIX: detect it."""
        try:
            inode = os.stat(seg.path).st_ino
        except FileNotFoundError:
            raise FileNotFoundError(f"the run folder or data file was removed: {seg.path}") from None
        if inode != seg.inode:
            raise FileNotFoundError(f"the data file was replaced by another file: {seg.path}")

    def _abandon(self) -> None:
        seg, self._segment = self._segment, None
        if seg is not None:
            try:
                os.close(seg.fd)
            except OSError:
                pass

    def write_state(self, state: dict[str, Any]) -> None:
        """Replace this writer's manifest (status, heartbeat, config, summary)."""
        state = {**state, "files": list(self.files), "tag_names": dict(self.tag_names)}
        write_json_atomic(self.folder.writer_file(self.writer_id), state, fsync=self.fsync)

    def close(self) -> None:
        """Write the end-of-stream marker and close the current segment."""
        seg, self._segment = self._segment, None
        if seg is None:
            return
        try:
            seg.writer.close()
            _write_all(seg.fd, seg.chunks.take())
            if self.fsync:
                os.fsync(seg.fd)
        finally:
            os.close(seg.fd)


def _write_all(fd: int, parts: list[bytes]) -> None:
    """Write ``parts`` in order with one ``writev`` call (more only if it is cut short)."""
    total = sum(len(p) for p in parts)
    written = os.writev(fd, parts) if parts else 0
    if written < total:
        rest = memoryview(b"".join(parts))[written:]
        while rest:
            rest = rest[os.write(fd, rest):]
