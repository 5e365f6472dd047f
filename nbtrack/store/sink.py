"""``StorageSink``: the writer's sink that appends a run's records to its folder.

One Arrow IPC stream per record family (scalars, histograms, media) and writer lifetime,
segment by segment; media files are written atomically before the record that names
them. The folder's layout is in ``folder.py`` and FORMAT.md.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.paths import confined

from . import format as fmt
from .batches import MediaItem, ScalarBatch, meta_json
from .files import write_json_atomic
from .folder import MEDIA_DIR, RunFolder, StoredPosition


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
class _Stream:
    """One open stream file: its Arrow writer and its file-local tag ids."""

    kind: str
    path: Path
    relative: str
    fd: int
    inode: int
    chunks: _ChunkSink
    writer: Any
    tag_ids: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    last_new: dict[int, str] = field(default_factory=dict)  # names the previous batch introduced


class StorageSink:
    """Appends records to the run folder: one stream per record family, one segment at a time.

    A failed write closes that stream's segment; the next write opens a new one, so a
    file with a torn tail is never appended to. ``write``/``write_media`` raise on
    failure; the writer thread keeps the batch and retries. Media files are written
    (atomically) before the record that names them.
    """

    name = "storage"
    critical = True

    def __init__(self, folder: RunFolder, writer_id: str, fsync: bool = False) -> None:
        self.folder = folder
        self.writer_id = writer_id
        self.fsync = fsync
        self._streams: dict[str, _Stream] = {}
        self._next_segment: dict[str, int] = {}
        self._file_counter = 0
        self.files: list[str] = []
        self.tag_names: dict[str, list[str]] = {}  # sidecar copy of each file's tag table
        self.abandoned: dict[str, str] = {}  # segments closed after a failed write: why

    def write(self, batch: ScalarBatch) -> None:
        if not len(batch):
            return
        import pyarrow as pa

        ranges: list[tuple[int, int, int]] = []

        def arrays(local: dict[str, int]) -> list[Any]:
            """Rows grouped by tag (format 2.0; here in the writer thread, never in ``log()``)."""
            lut = np.array([local[name] for name in batch.names], dtype=np.int32)
            ids = lut[batch.tag_index]
            order, found = fmt.tag_order(ids, batch.period)
            ranges[:] = found
            columns = [ids, batch.steps, batch.times, batch.values]
            if order is not None:
                columns = [c[order] for c in columns]
            return [pa.array(c) for c in columns]

        self._append(fmt.KIND_SCALARS, batch.names, arrays, ranges)

    def write_media(self, items: list[MediaItem]) -> None:
        """Write the items' files (once, even when retried), then one media record batch."""
        rows = [self._store_files(item) for item in items]
        self._append(fmt.KIND_MEDIA, [i.tag for i in items], lambda local: _media_arrays(items, rows, local))

    def write_histograms(self, items: list[MediaItem]) -> None:
        self._append(fmt.KIND_HISTOGRAMS, [i.tag for i in items], lambda local: _histogram_arrays(items, local))

    def _store_files(self, item: MediaItem) -> tuple[str | None, dict[str, Any]]:
        """Write a media item's files; return the main file's path and the record's metadata."""
        if item.stored is None:
            item.stored = self._write_files(item)
        return item.stored

    def _write_files(self, item: MediaItem) -> tuple[str | None, dict[str, Any]]:
        meta = dict(item.encoded.meta)
        if item.index is not None:
            meta["index"] = item.index
        if not item.encoded.files:
            return None, meta
        folder = confined(self.folder.path / MEDIA_DIR, item.tag)
        folder.mkdir(parents=True, exist_ok=True)
        self._file_counter += 1
        stem = f"{item.step:09d}-{self.writer_id[-8:]}-{self._file_counter}"
        paths, checksums = {}, {}
        for suffix, data in item.encoded.files.items():
            target = folder / f"{stem}{suffix}"
            _write_file_atomic(target, data, self.fsync)
            paths[suffix] = target.relative_to(self.folder.path).as_posix()
            checksums[paths[suffix]] = zlib.crc32(data)
        main = next(iter(paths.values()))
        if len(paths) > 1:
            meta["files"] = paths
        meta[fmt.MEDIA_CRC] = checksums  # format 1.1: readers verify each file
        return main, meta

    def _append(self, kind: str, names: list[str], arrays: Any,
                ranges: list[tuple[int, int, int]] | None = None) -> None:
        stream = self._streams.get(kind) or self._open(kind)
        try:
            self._check_still_there(stream)
            new_tags = {}
            for name in names:
                if name not in stream.tag_ids:
                    stream.tag_ids[name] = len(stream.tag_ids)
                    new_tags[stream.tag_ids[name]] = name
            record = self._record(kind, arrays(stream.tag_ids))
            names = {**stream.last_new, **new_tags}  # format 1.1: a second copy of the previous batch's names
            meta = fmt.batch_metadata(record, stream.seq, names, ranges)
            stream.writer.write_batch(record, custom_metadata=meta)
            _write_all(stream.fd, stream.chunks.take())
            if self.fsync:
                os.fsync(stream.fd)
        except BaseException as exc:
            self.abandoned[stream.relative] = f"{type(exc).__name__}: {exc}"[:300]
            self._abandon(kind)
            raise
        stream.seq += 1
        stream.last_new = new_tags
        self.tag_names[stream.relative] = list(stream.tag_ids)

    @staticmethod
    def _record(kind: str, arrays: list[Any]) -> Any:
        import pyarrow as pa

        return pa.RecordBatch.from_arrays(arrays, schema=fmt.schema_for(kind))

    def _open(self, kind: str) -> _Stream:
        import pyarrow as pa

        segment = self._next_segment.get(kind, 0)
        self._next_segment[kind] = segment + 1
        path = self.folder.stream_file(self.writer_id, segment, kind)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        chunks = _ChunkSink()
        writer = pa.ipc.new_stream(chunks, fmt.schema_for(kind))
        relative = path.relative_to(self.folder.path).as_posix()
        stream = self._streams[kind] = _Stream(kind, path, relative, fd, os.fstat(fd).st_ino, chunks, writer)
        self.files.append(relative)
        self.tag_names[relative] = []
        return stream

    def _check_still_there(self, stream: _Stream) -> None:
        """Writing into a deleted folder succeeds silently on POSIX: detect it."""
        try:
            inode = os.stat(stream.path).st_ino
        except FileNotFoundError:
            raise FileNotFoundError(f"the run folder or data file was removed: {stream.path}") from None
        if inode != stream.inode:
            raise FileNotFoundError(f"the data file was replaced by another file: {stream.path}")

    def _abandon(self, kind: str) -> None:
        stream = self._streams.pop(kind, None)
        if stream is not None:
            try:
                os.close(stream.fd)
            except OSError:
                pass

    def position(self) -> StoredPosition:
        """The size of each data file this sink has written (call while no write runs)."""
        sizes = {}
        for relative in self.files:
            path = self.folder.path / relative
            try:
                sizes[path.name] = path.stat().st_size
            except OSError:  # removed from under the writer: nothing of it can be read anyway
                continue
        return StoredPosition(self.writer_id, sizes)

    def write_state(self, state: dict[str, Any]) -> None:
        """Replace this writer's manifest (status, heartbeat, config, summary)."""
        state = {**state, "files": list(self.files), "tag_names": dict(self.tag_names)}
        if self.abandoned:
            state["abandoned"] = dict(self.abandoned)
        write_json_atomic(self.folder.writer_file(self.writer_id), state, fsync=self.fsync)

    def close(self) -> None:
        """Write the end-of-stream marker and close every open stream."""
        for kind in list(self._streams):
            stream = self._streams.pop(kind)
            try:
                stream.writer.close()
                _write_all(stream.fd, stream.chunks.take())
                if self.fsync:
                    os.fsync(stream.fd)
            finally:
                os.close(stream.fd)


def _media_arrays(items: list[MediaItem], rows: list[tuple[str | None, dict[str, Any]]],
                  local: dict[str, int]) -> list[Any]:
    import pyarrow as pa

    return [pa.array([local[i.tag] for i in items], pa.int32()), pa.array([i.step for i in items], pa.int64()),
            pa.array([i.time for i in items], pa.float64()), pa.array([i.encoded.kind for i in items], pa.string()),
            pa.array([path for path, _ in rows], pa.string()),
            pa.array([meta_json(meta) for _, meta in rows], pa.string()),
            pa.array([i.encoded.text for i in items], pa.string())]


def _histogram_arrays(items: list[MediaItem], local: dict[str, int]) -> list[Any]:
    import pyarrow as pa

    metas = [i.encoded.meta for i in items]
    f64 = pa.float64()
    return [pa.array([local[i.tag] for i in items], pa.int32()), pa.array([i.step for i in items], pa.int64()),
            pa.array([i.time for i in items], f64),
            pa.array([np.asarray(i.encoded.arrays["edges"], np.float64) for i in items], pa.list_(f64)),
            pa.array([np.asarray(i.encoded.arrays["counts"], np.float64) for i in items], pa.list_(f64)),
            *(pa.array([int(m.get(k) or 0) for m in metas], pa.int64())
              for k in ("nan", "posinf", "neginf", "underflow", "overflow")),
            pa.array([float(m.get("count") or 0) for m in metas], f64),
            *(pa.array([m.get(k) for m in metas], f64) for k in ("min", "max", "sum", "sum_squares"))]


def _write_file_atomic(target: Path, data: bytes, fsync: bool) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, target)


def _write_all(fd: int, parts: list[bytes]) -> None:
    """Write ``parts`` in order with one ``writev`` call (more only if it is cut short)."""
    total = sum(len(p) for p in parts)
    written = os.writev(fd, parts) if parts else 0
    if written < total:
        rest = memoryview(b"".join(parts))[written:]
        while rest:
            rest = rest[os.write(fd, rest):]
