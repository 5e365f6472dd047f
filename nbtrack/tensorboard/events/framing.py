"""TFRecord framing of a growing event file: find each record's payload, CRC32C checked.

A record is ``uint64 length`` (little-endian), ``uint32`` masked CRC32C of those 8 bytes, the
payload, ``uint32`` masked CRC32C of the payload. :class:`EventFileTail` reads only the bytes
appended since its last call (one ``open`` + ``read``), never writes, and keeps an incomplete
record at the end for the next call unless the writer is gone (``final``): then it is a torn tail.

Damage is reported, never guessed around: a payload whose CRC fails is skipped (``offset, length,
reason``); a header whose length CRC fails cannot be trusted, so the scan moves forward byte by
byte to the next offset where a header and its payload both check, and the skipped bytes are one
damage entry. A length over :data:`MAX_RECORD` is damage too and is never allocated.

Cost (400,001 records, 18.7 MB, this machine under load): 0.16 s median. The lengths are walked
by a Python loop (``struct.unpack_from``) until they repeat with a short period, then by numpy
(:func:`_walk`); header CRCs are checked with numpy, one CRC per distinct length; payload CRCs are
native ``crc32c`` calls driven by ``map`` (no Python bytecode per record), about 0.09 s.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

import crc32c
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAX_RECORD = 256 << 20  # bytes: a longer length is damage, never an allocation
_RESYNC_WINDOW = 1 << 20  # bytes of damage screened per numpy pass
_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")
_LEN = struct.Struct("<Q")
_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes | memoryview) -> int:
    """TFRecord's masked CRC32C of ``data``.

    >>> hex(masked_crc(b""))
    '0xa282ead8'
    """
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(payload: bytes) -> bytes:
    """One TFRecord record around ``payload`` (for tests and writers).

    >>> len(frame(b"abc"))
    19
    """
    head = struct.pack("<Q", len(payload))
    return head + _U32.pack(masked_crc(head)) + payload + _U32.pack(masked_crc(payload))


@dataclass
class RecordChunk:
    """Complete records found by one :meth:`EventFileTail.read_new`.

    ``starts`` index ``buffer``; ``base_offset`` is the file offset of ``buffer[0]``; ``damage``
    entries carry file offsets.
    """

    buffer: bytes
    starts: np.ndarray
    lengths: np.ndarray
    damage: list[tuple[int, int, str]] = field(default_factory=list)
    base_offset: int = 0

    def __len__(self) -> int:
        return len(self.starts)

    def payloads(self) -> list[bytes]:
        """Each record's payload as bytes (convenient, not fast)."""
        return [self.buffer[s:s + n] for s, n in zip(self.starts.tolist(), self.lengths.tolist())]


@dataclass
class ScanResult:
    """What :func:`scan` found: payload ``starts``/``lengths`` (int64 arrays), ``damage``,
    ``skipped`` records and ``end`` (the first byte not consumed)."""

    starts: Any = field(default_factory=list)  # list of arrays while scanning, then one array
    lengths: Any = field(default_factory=list)
    damage: list[tuple[int, int, str]] = field(default_factory=list)
    skipped: int = 0
    end: int = 0  # the first byte not consumed


def _header_ok(buf: bytes, p: int, max_len: int) -> bool:
    n, crc = _HEADER.unpack_from(buf, p)
    return n <= max_len and masked_crc(memoryview(buf)[p:p + 8]) == crc


def _resync(buf: bytes, p: int, final: bool, max_len: int) -> int | None:
    """The next offset after ``p`` where a whole record checks (or a header checks and its payload
    is not all here yet); ``None`` if there is none yet. Offsets are screened with numpy a window
    at a time (plausible length and a matching header CRC), so megabytes of damage cost little."""
    size, mv = len(buf), memoryview(buf)
    u8 = np.frombuffer(buf, dtype=np.uint8)
    for lo in range(p + 1, size - 11, _RESYNC_WINDOW):
        hi = min(lo + _RESYNC_WINDOW, size - 11)
        rows = sliding_window_view(u8, 12)[lo:hi]
        lens = rows[:, :8].copy().view("<u8").ravel()
        cands = np.flatnonzero(lens <= max_len)
        stored = rows[cands, 8:].copy().view("<u4").ravel()
        cands = cands[_expected_crcs(lens[cands]) == stored] + lo
        for q in cands.tolist():
            n = int(lens[q - lo])
            if q + 16 + n > size:
                if not final:
                    return q
                continue
            if masked_crc(mv[q + 12:q + 12 + n]) == _U32.unpack_from(buf, q + 12 + n)[0]:
                return q
    return None


def _walk(buf: bytes, p: int, max_len: int) -> tuple[np.ndarray, int]:
    """Header offsets of the records from ``p`` on, trusting lengths (checked afterwards), up to the
    first incomplete record or implausible length; and the offset where the walk stopped.

    Runs of records whose lengths repeat with a short period (a writer logging the same tags step
    after step) are walked by numpy: the offsets the period predicts are taken as far as the lengths
    read there match it, which is exactly where the record-by-record walk would have gone.
    """
    u8 = np.frombuffer(buf, dtype=np.uint8)
    parts: list[Any] = []
    while True:
        heads, lens, p, stopped = _walk_some(buf, p, max_len, 64)
        parts.append(heads)
        if stopped:
            break
        jumped, p = _walk_periodic(u8, p, lens)
        parts.extend(jumped)
    return np.concatenate([np.asarray(x, dtype=np.int64) for x in parts]), p


def _walk_some(buf: bytes, p: int, max_len: int, limit: int) -> tuple[list[int], list[int], int, bool]:
    """Up to ``limit`` records walked one by one: offsets, lengths, next offset, stopped early."""
    unpack, size, heads, lens = _LEN.unpack_from, len(buf), [], []
    while len(heads) < limit:
        if p + 12 > size:
            return heads, lens, p, True
        n = unpack(buf, p)[0]
        end = p + 16 + n
        if n > max_len or end > size:
            return heads, lens, p, True
        heads.append(p)
        lens.append(n)
        p = end
    return heads, lens, p, False


def _walk_periodic(u8: np.ndarray, p: int, lens: list[int]) -> tuple[list[np.ndarray], int]:
    """The records from ``p`` on that continue the period of ``lens`` (maybe none), taken in
    batches that grow while the period holds."""
    window = lens[-32:]
    period = next((k for k in range(1, 9) if len(window) >= 2 * k and window[k:] == window[:-k]), 0)
    if not period:
        return [], p
    cycle = np.array(lens[-period:], dtype=np.int64)
    stride = int(cycle.sum()) + 16 * period
    within = np.concatenate([[0], np.cumsum(cycle[:-1] + 16)])
    found_all, batch = [], 16
    while True:
        cycles = min((len(u8) - p) // stride, batch)
        if cycles < 1:
            return found_all, p
        pos = (p + stride * np.arange(cycles, dtype=np.int64)[:, None] + within[None, :]).ravel()
        found = sliding_window_view(u8, 8)[pos].copy().view("<u8").ravel()
        miss = np.flatnonzero(found != np.tile(cycle, cycles).astype(np.uint64))
        if len(miss):
            found_all.append(pos[:miss[0]])
            return found_all, int(pos[miss[0]])
        found_all.append(pos)
        p += stride * cycles
        batch = min(batch * 4, (1 << 18) // period)


def _masked(crcs: np.ndarray) -> np.ndarray:
    crcs = crcs.astype(np.uint64)
    return ((((crcs >> 15) | (crcs << 17)) + _MASK_DELTA) & 0xFFFFFFFF).astype(np.uint32)


def _first_bad_header(u8: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray]:
    """Index of the first header in ``heads`` whose length CRC fails (``len(heads)`` if none), and
    the lengths."""
    rows = sliding_window_view(u8, 12)[heads]
    lens = rows[:, :8].copy().view("<u8").ravel()
    stored = rows[:, 8:].copy().view("<u4").ravel()
    bad = np.flatnonzero(_expected_crcs(lens) != stored)
    return (int(bad[0]) if len(bad) else len(heads)), lens.astype(np.int64)


def _expected_crcs(lens: np.ndarray) -> np.ndarray:
    """The masked CRC of each length's 8 bytes, computed once per distinct length."""
    if len(lens) and int(lens.max()) < (1 << 20):  # a table indexed by length: no sort
        distinct = np.flatnonzero(np.bincount(lens.astype(np.int64)))
        table = np.zeros(int(lens.max()) + 1, dtype=np.uint32)
        table[distinct] = [masked_crc(struct.pack("<Q", n)) for n in distinct.tolist()]
        return table[lens.astype(np.int64)]
    uniq, inverse = np.unique(lens, return_inverse=True)
    return np.array([masked_crc(struct.pack("<Q", int(n))) for n in uniq], dtype=np.uint32)[inverse]


def _check_payloads(buf: bytes, u8: np.ndarray, heads: np.ndarray, lens: np.ndarray,
                    out: ScanResult, base: int) -> None:
    """Append the records whose payload CRC checks; report the others."""
    mv, crc = memoryview(buf), crc32c.crc32c
    starts = heads + 12
    ends = starts + lens
    # map() keeps the per-record loop in C: slice objects, memoryview slices, CRC calls
    slices = map(slice, starts.tolist(), ends.tolist())
    computed = np.fromiter(map(crc, map(mv.__getitem__, slices)), dtype=np.uint64, count=len(heads))
    stored = sliding_window_view(u8, 4)[ends].copy().view("<u4").ravel()
    good = _masked(computed) == stored
    for k in np.flatnonzero(~good).tolist():
        out.damage.append((base + int(heads[k]), 16 + int(lens[k]), "data CRC mismatch"))
    out.skipped += int(len(good) - good.sum())
    out.starts.append(starts[good])
    out.lengths.append(lens[good])


def scan(buf: bytes, final: bool = False, base: int = 0, max_len: int = MAX_RECORD) -> ScanResult:
    """Walk the records of ``buf`` (file offset ``base``); see the module docstring.

    >>> s = scan(frame(b"a") + frame(b"bc") + frame(b"def")[:5])
    >>> s.starts.tolist(), s.lengths.tolist(), s.end, s.damage
    ([12, 29], [1, 2], 35, [])
    """
    out, size = ScanResult(), len(buf)
    u8 = np.frombuffer(buf, dtype=np.uint8)
    p = 0
    while p + 12 <= size:
        h, stop = _walk(buf, p, max_len)
        bad, lens = _first_bad_header(u8, h) if len(h) else (0, h)
        _check_payloads(buf, u8, h[:bad], lens[:bad], out, base)
        if bad < len(h):
            stop = int(h[bad])
        elif _header_ok(buf, stop, max_len) if stop + 12 <= size else True:
            p = stop
            break  # an incomplete record (or nothing) at the end
        p = _skip_damage(buf, stop, final, max_len, out, base)
    if final and p < size:
        out.damage.append((base + p, size - p, "torn tail (incomplete record)"))
        p = size
    out.end = p
    out.starts = np.concatenate(out.starts) if out.starts else np.zeros(0, np.int64)
    out.lengths = np.concatenate(out.lengths) if out.lengths else np.zeros(0, np.int64)
    return out


def _skip_damage(buf: bytes, p: int, final: bool, max_len: int, out: ScanResult, base: int) -> int:
    """Report the untrustworthy header at ``p`` and the bytes up to the next good record."""
    size = len(buf)
    q = _resync(buf, p, final, max_len)
    stop = q if q is not None else (size if final else max(p + 1, size - 11))
    n = _LEN.unpack_from(buf, p)[0]
    crc_ok = masked_crc(memoryview(buf)[p:p + 8]) == _U32.unpack_from(buf, p + 8)[0]
    why = f"record length {n} over bound" if crc_ok else "length CRC mismatch"
    out.damage.append((base + p, stop - p, why))
    out.skipped += 1
    return stop


class EventFileTail:
    """Incremental reader of one event file.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "events.out.tfevents.1")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(frame(b"one") + frame(b"two")[:7])
    >>> tail = EventFileTail(path)
    >>> chunk = tail.read_new(final=False)
    >>> chunk.payloads(), tail.offset
    ([b'one'], 19)
    >>> with open(path, "ab") as f:
    ...     _ = f.write(frame(b"two")[7:])
    >>> tail.read_new(final=False).payloads(), tail.skipped_records
    ([b'two'], 0)
    """

    def __init__(self, path: str | os.PathLike[str], max_record: int = MAX_RECORD) -> None:
        self.path = os.fspath(path)
        self.offset = 0
        self.max_record = max_record
        self.skipped_records = 0
        self.damage: list[tuple[int, int, str]] = []  # every damage entry seen so far

    def read_new(self, final: bool = False) -> RecordChunk:
        """The complete records appended since the last call (see the module docstring)."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            buf = f.read()
        found = scan(buf, final, self.offset, self.max_record)
        chunk = RecordChunk(buf, found.starts, found.lengths, found.damage, self.offset)
        self.offset += found.end
        self.skipped_records += found.skipped
        self.damage.extend(found.damage)
        return chunk
