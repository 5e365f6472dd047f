"""Incremental, verifying reader of one Arrow IPC stream file.

``StreamTail.read_new()`` reads only the bytes appended since the previous call. Each
record batch is checked against its CRC; a damaged record is reported (file, offset,
reason) and skipped by searching for the next valid message, so the records after it
are still returned. An incomplete message at the end of a file that is still being
written is left for the next call; at the end of a finished, failed or crashed writer's file
it is reported as a torn tail.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import format as fmt

if TYPE_CHECKING:
    import numpy as np

_CONTINUATION = b"\xff\xff\xff\xff"


@dataclass(frozen=True)
class DamageReport:
    """A region of a data file that could not be read."""

    file: str
    offset: int
    length: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.length} bytes at offset {self.offset}: {self.reason}"


@dataclass
class TailBatch:
    """One verified record batch and the file-local tag names known when it was read."""

    batch: Any
    names: dict[int, str]
    seq: int
    new_names: dict[int, str] = field(default_factory=dict)  # the names this batch carries
    offset: int = -1  # where its message starts in the file
    # format 2.0: rows grouped by tag, (tag id, start, stop, crc step, crc wall_time, crc value) each;
    # only the header is verified here, each range's bytes when they are read (``RangedChunk``)
    ranges: np.ndarray | None = None  # (n, 6) int64, from ``format.decode_ranges``
    end: int = -1  # where its message ends


@dataclass
class StreamTail:
    """Reading position and state of one stream file."""

    path: Path
    kind: str = fmt.KIND_SCALARS
    offset: int = 0
    schema: Any = None
    names: dict[int, str] = field(default_factory=dict)
    ended: bool = False
    stuck: bool = False  # bytes remain past ``offset`` that did not form a complete record
    bytes_read: int = 0
    damage: list[DamageReport] = field(default_factory=list)
    _last_start: int | None = None  # where the last good message began
    _last_seq: int = -1  # sequence number of the last batch returned
    _damage_at_last_seq: int = 0  # len(damage) when it was returned

    def read_new(self, final: bool = False, limit: int | None = None) -> list[TailBatch]:
        """Return the batches completed since the last call.

        ``final`` says the file's writer is done (finished, failed or crashed), so an
        incomplete record at the end is a torn tail rather than a write in progress.
        ``limit`` reads no further than that many bytes of the file (a record boundary).
        """
        import pyarrow as pa

        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return []
        if not stat.S_ISREG(info.st_mode):  # a device, pipe or folder put in its place
            if not self.ended:
                self._note(0, 0, "not a regular file (replaced by a device, pipe or folder); not read")
                self.ended = True
            return []
        size = info.st_size
        if limit is not None:
            size = min(size, limit)
        if self.ended or size <= self.offset:
            return []
        start = self.offset
        source = pa.memory_map(str(self.path))
        try:
            return self._read_from(source, size, final)
        finally:
            self.stuck = not self.ended and self.offset < size
            self.bytes_read += max(0, self.offset - start)

    def _read_from(self, source: Any, size: int, final: bool) -> list[TailBatch]:
        if self.schema is None and not self._read_schema(source, size, final):
            return []
        out: list[TailBatch] = []
        source.seek(self.offset)
        while self.offset < size:
            result = self._next_message(source, size)
            if result is None:  # an end-of-stream marker
                if self._end_of_stream(source, size):
                    continue
                break
            if isinstance(result, str):
                if not self._skip_damage(source, size, result, final):
                    break
                continue
            result.offset = self.offset
            self._last_start = self.offset
            self.offset = source.tell()
            if self._accept(result):
                out.append(result)
        return out

    def _accept(self, item: TailBatch) -> bool:
        """Check a verified batch against the file's state: sequence, tag ids, tag names.

        A checksum anyone can compute proves no intent, so a batch out of sequence (a replay),
        with tag ids out of range, or renaming a known tag is reported and skipped.
        """
        length = self.offset - item.offset
        if item.seq <= self._last_seq:
            self._note(item.offset, length, f"batch {item.seq} out of sequence (after batch {self._last_seq}); skipped")
            return False
        item.end = self.offset
        problem = None if item.ranges is not None else _check_tag_ids(item.batch, self.offset // 4)
        clash = [k for k, v in item.new_names.items() if self.names.get(k, v) != v]
        if problem or clash:
            self._note(item.offset, length, problem or f"batch renames tag id {clash[0]}; skipped")
            return False
        if item.seq > self._last_seq + 1 and len(self.damage) == self._damage_at_last_seq:
            self._note(item.offset, 0, f"batches {self._last_seq + 1} to {item.seq - 1} are missing")
        self._last_seq, self._damage_at_last_seq = item.seq, len(self.damage)
        self.names.update(item.new_names)
        item.names = dict(self.names)
        return True

    def _read_schema(self, source: Any, size: int, final: bool) -> bool:
        """Check the schema message; a damaged one is reported and the documented schema used.

        Versions are not judged here (a flipped byte must not make a run unreadable):
        readers check them in ``run.json`` and the writer manifests.
        """
        canonical = fmt.schema_message(self.kind)
        source.seek(0)
        head = source.read(min(size, len(canonical)))
        self.schema = fmt.schema_for(self.kind)
        if head == canonical:
            self.offset, self._last_start = len(canonical), 0
            return True
        if not final and len(head) < len(canonical) and canonical.startswith(head):
            self.schema = None
            return False  # the writer is writing its first message right now
        end = self._parse_compatible_schema(source)
        if end is not None:  # same fields, other metadata (a later minor version)
            self.offset, self._last_start = end, 0
            return True
        self._note(0, min(size, len(canonical)), "damaged schema message; the documented schema is used")
        self.offset, self._last_start = 0, None
        return self._skip_damage(source, size, "damaged schema message", final, report=False)

    def _parse_compatible_schema(self, source: Any) -> int | None:
        import pyarrow as pa

        source.seek(0)
        try:
            schema = pa.ipc.read_schema(pa.ipc.read_message(source))
        except Exception:  # any malformed flatbuffer
            return None
        version = (schema.metadata or {}).get(fmt.KEY_FORMAT.encode(), b"").decode(errors="replace")
        same = schema.remove_metadata().equals(self.schema.remove_metadata())
        major = version.split(".", 1)[0]
        return source.tell() if same and major.isdigit() and 1 <= int(major) <= fmt.FORMAT_MAJOR else None

    def _next_message(self, source: Any, size: int) -> TailBatch | str | None:
        """The next verified batch, ``None`` at end-of-stream, or why it failed."""
        import pyarrow as pa

        start = source.tell()
        try:
            message = pa.ipc.read_message(source)
        except EOFError:
            return None if source.tell() > start else "incomplete record"
        except (pa.ArrowInvalid, OSError, ValueError) as exc:
            return f"unreadable record ({exc})"
        if source.tell() > size:
            return "incomplete record"
        return self._decode(message, source.tell())

    def _decode(self, message: Any, end: int) -> TailBatch | str:
        import pyarrow as pa

        if message.type != "record batch":
            return f"unexpected {message.type} message"
        try:
            meta = fmt.message_custom_metadata(bytes(message.metadata))
            batch = pa.ipc.read_record_batch(message, self.schema)
            batch.validate(full=False)
        except Exception as exc:  # malformed flatbuffers raise many kinds of errors
            return f"malformed record ({type(exc).__name__}: {exc})"
        ranged = self.kind == fmt.KIND_SCALARS and fmt.KEY_RANGES in meta
        problem = fmt.verify_head(batch, meta) if ranged else fmt.verify_batch(batch, meta)
        if problem:
            return problem
        try:
            new_names = fmt.decode_tags(meta, max_id=end // 4)
            seq = fmt.decode_seq(meta)
            ranges = fmt.decode_ranges(meta, batch.num_rows, max_id=end // 4) if ranged else None
        except ValueError as exc:
            return f"malformed record metadata ({exc})"
        return TailBatch(batch, {}, seq, new_names, ranges=ranges)

    def _skip_damage(self, source: Any, size: int, reason: str, final: bool,
                     report: bool = True) -> bool:
        """Find the next valid record after a bad one; return False to stop reading.

        A bad position that does not start with a continuation marker means the
        previous record's length field was damaged and it was read too long (its
        checksum still held): the next record then began before this position, so
        the search restarts just after the previous record's start.
        """
        bad = self.offset
        source.seek(bad)
        aligned = source.read(4) == _CONTINUATION
        search = bad + 1 if aligned or self._last_start is None else self._last_start + 1
        found = self._resync(source, size, search)
        if found is None:
            if final:
                why = "torn tail (incomplete last record)" if "incomplete" in reason else reason
                if report:
                    self._note(bad, size - bad, why)
                self.offset = size
            return False
        if report:
            start = bad if found > bad or self._last_start is None else self._last_start
            why = reason if found > bad else "damaged length field (the record before was read too long)"
            self._note(start, max(found - start, 0), why)
        self.offset = found
        source.seek(found)
        return True

    def _resync(self, source: Any, size: int, start: int) -> int | None:
        """Offset of the next message at or after ``start`` that decodes and verifies."""
        source.seek(start)
        region = source.read(size - start)
        pos = 0
        while True:
            hit = region.find(_CONTINUATION, pos)
            if hit < 0:
                return None
            candidate = start + hit
            source.seek(candidate)
            result = self._next_message(source, size)
            if isinstance(result, TailBatch):
                return candidate
            pos = hit + 1

    def _end_of_stream(self, source: Any, size: int) -> bool:
        """Handle an end-of-stream marker; return True when reading should go on.

        Non-zero bytes after the marker mean it was not one: a misaligned read can
        land on zeros. Then records are searched for after the last good one.
        """
        end = source.tell()
        source.seek(end)
        rest = source.read(size - end) if size > end else b""
        if rest.strip(b"\0"):
            found = self._resync(source, size, (self._last_start or 0) + 1)
            if found is not None:
                start = self.offset if found > self.offset else (self._last_start or 0)
                self._note(start, abs(found - start), "damaged bytes read as an end-of-stream marker")
                self.offset = found
                source.seek(found)
                return True
            self._note(end, size - end, "unexpected bytes after the end-of-stream marker")
        self.ended = True
        self.offset = end
        return False

    def abandoned(self, why: str) -> None:
        """The writer abandoned this file after a write error: replace its torn-tail report by one note."""
        torn = [d for d in self.damage if d.length and d.offset + d.length >= self.offset]  # up to the end
        self.damage = [d for d in self.damage if d not in torn]
        if torn and not any("(recovered)" in d.reason for d in self.damage):
            start = min(d.offset for d in torn)
            self._note(start, sum(d.length for d in torn), f"abandoned after a write error (recovered): {why}")

    def _note(self, offset: int, length: int, reason: str) -> None:
        self.damage.append(DamageReport(str(self.path), offset, length, reason))

    def note_missing_end(self) -> None:
        """Report, once, that a finished writer's last file lacks its end-of-stream marker."""
        if not self.ended and not any("end-of-stream marker is missing" in d.reason for d in self.damage):
            self._note(self.offset, 0, "the end-of-stream marker is missing: records after this may be lost")


def _check_tag_ids(batch: Any, limit: int) -> str | None:
    """Why the batch's ``tag_id`` column is out of range, or None.

    Tag ids are assigned from 0 per file and each takes a row of at least 4 bytes, so
    no valid id reaches ``limit`` (the file's size so far / 4): this bounds what a
    reader allocates per file by the file's size.
    """
    if not batch.num_rows:
        return None
    ids = batch.column(0).to_numpy()
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= limit:
        return f"tag id {low if low < 0 else high} out of range; batch skipped"
    return None
