"""The on-disk record format: schemas, per-batch checksums and batch metadata.

Pure functions shared by the writer (``sink.py``) and the reader (``tail.py``).
See ``FORMAT.md`` at the repository root for the documented layout.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT_VERSION = "2.4"
FORMAT_MAJOR = 2  # readers read every major version up to this one (1.x files as before)

KEY_CRC = "nbtrack.crc32"
KEY_SEQ = "nbtrack.seq"
KEY_TAGS = "nbtrack.tags"
KEY_KIND = "nbtrack.kind"
KEY_FORMAT = "nbtrack.format"
KEY_RANGES = "nbtrack.ranges"  # format 2.0: scalar batches sorted by tag, one row range per tag
KEY_HEAD_CRC = "nbtrack.crc32.head"  # format 2.0: CRC32 of the layout and metadata (no buffer bytes)
RANGE_COLUMNS = ("step", "wall_time", "value")  # the columns a range checksums, one CRC32 each

MAX_TAG_NAME = 1000  # characters (FORMAT.md)
MAX_JSON_DEPTH = 64  # nesting of JSON objects and lists read from records and media files
MEDIA_CRC = "crc32"  # media record meta key: {file path: CRC32 of its bytes} (format 1.1)

# Record families: one Arrow IPC stream file per family per writer segment.
KIND_SCALARS = "scalars"
KIND_HISTOGRAMS = "histograms"
KIND_MEDIA = "media"
KNOWN_KINDS = (KIND_SCALARS, KIND_HISTOGRAMS, KIND_MEDIA)


def scalar_schema() -> pa.Schema:
    """The schema of a scalars stream: one row per logged number (long form)."""
    import pyarrow as pa

    fields = [
        pa.field("tag_id", pa.int32(), nullable=False),
        pa.field("step", pa.int64(), nullable=False),
        pa.field("wall_time", pa.float64(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ]
    meta = {KEY_FORMAT: FORMAT_VERSION, KEY_KIND: KIND_SCALARS}
    return pa.schema(fields, metadata=meta)


def _head_fields() -> list[pa.Field]:
    import pyarrow as pa

    return [pa.field("tag_id", pa.int32(), nullable=False), pa.field("step", pa.int64(), nullable=False),
            pa.field("wall_time", pa.float64(), nullable=False)]


def histogram_schema() -> pa.Schema:
    """One row per logged histogram: its bin edges and counts, and what fell outside them."""
    import pyarrow as pa

    f64 = pa.float64()
    fields = [*_head_fields(), pa.field("edges", pa.list_(f64), nullable=False),
              pa.field("counts", pa.list_(f64), nullable=False),
              pa.field("nan", pa.int64(), nullable=False), pa.field("posinf", pa.int64(), nullable=False),
              pa.field("neginf", pa.int64(), nullable=False),
              pa.field("underflow", pa.int64(), nullable=False), pa.field("overflow", pa.int64(), nullable=False),
              pa.field("count", f64, nullable=False),
              pa.field("min", f64), pa.field("max", f64), pa.field("sum", f64), pa.field("sum_squares", f64)]
    return pa.schema(fields, metadata={KEY_FORMAT: FORMAT_VERSION, KEY_KIND: KIND_HISTOGRAMS})


def media_schema() -> pa.Schema:
    """One row per logged media value: its kind, its main file, JSON metadata, in-band text."""
    import pyarrow as pa

    fields = [*_head_fields(), pa.field("kind", pa.string(), nullable=False), pa.field("path", pa.string()),
              pa.field("meta", pa.string(), nullable=False), pa.field("text", pa.string())]
    return pa.schema(fields, metadata={KEY_FORMAT: FORMAT_VERSION, KEY_KIND: KIND_MEDIA})


def schema_for(kind: str) -> pa.Schema:
    """The schema of the stream family ``kind``; ``FormatError`` for unknown kinds."""
    if kind == KIND_SCALARS:
        return scalar_schema()
    if kind == KIND_HISTOGRAMS:
        return histogram_schema()
    if kind == KIND_MEDIA:
        return media_schema()
    from nbtrack.errors import FormatError

    raise FormatError(f"unknown record kind {kind!r}; this nbtrack knows {KNOWN_KINDS}")


_SCHEMA_MESSAGES: dict[str, bytes] = {}


def schema_message(kind: str) -> bytes:
    """The exact bytes of the schema message that starts every stream of ``kind``."""
    if kind not in _SCHEMA_MESSAGES:
        _SCHEMA_MESSAGES[kind] = schema_for(kind).serialize().to_pybytes()
    return _SCHEMA_MESSAGES[kind]


def _layout_checksum(batch: pa.RecordBatch, meta: dict[str, str]) -> tuple[int, list[Any]]:
    """CRC32 of steps 1-3 of FORMAT.md's checksum (layout and metadata), and the buffers of step 4."""
    crc = zlib.crc32(struct.pack("<qi", batch.num_rows, batch.num_columns))
    buffers = []
    for column in batch.columns:
        bufs = column.buffers()
        sizes = [-1 if b is None else b.size for b in bufs]
        head = (len(column), column.offset, column.null_count, len(sizes), *sizes)
        crc = zlib.crc32(struct.pack(f"<{len(head)}q", *head), crc)
        buffers.extend(b for b in bufs if b is not None and b.size)
    for key in sorted(meta):
        crc = zlib.crc32(f"{key}\0{meta[key]}\0".encode(), crc)
    return crc, buffers


def batch_checksum(batch: pa.RecordBatch, meta: dict[str, str]) -> int:
    """CRC32 over a batch's row count, each column's layout, its buffers and metadata.

    Covering the lengths, offsets, null counts and buffer sizes (not only the buffer
    bytes) is what makes a flipped bit in the IPC message header detectable too.
    ``meta`` is the batch's custom metadata without the checksum itself.
    """
    crc, buffers = _layout_checksum(batch, meta)
    for buf in buffers:
        crc = zlib.crc32(buf, crc)
    return crc


def head_checksum(batch: pa.RecordBatch, meta: dict[str, str]) -> int:
    """format 2.0: the CRC32 of a batch's layout and metadata only (``meta`` without both checksums)."""
    return _layout_checksum(batch, meta)[0]


def tag_order(tag_ids: np.ndarray, period: int | None = None) -> tuple[np.ndarray | None, list[tuple[int, int, int]]]:
    """Row order grouping ``tag_ids`` by tag (log order kept within a tag), and each tag's row range.

    Returns ``(order, [(tag id, start, stop), ...])``; ``order`` is None when the rows are
    already grouped. ``period``: every ``period`` rows repeat one pattern of distinct tags.

    >>> order, ranges = tag_order(np.array([3, 1, 3, 1], np.int32))
    >>> order.tolist(), ranges
    ([1, 3, 0, 2], [(1, 0, 2), (3, 2, 4)])
    """
    n = len(tag_ids)
    if n == 0:
        return None, []
    if period and n % period == 0 and period > 1:
        first = tag_ids[:period]
        by_tag = np.argsort(first, kind="stable")
        order = (np.arange(n).reshape(-1, period).T[by_tag]).ravel()
        size = n // period
        return order, [(int(first[j]), i * size, (i + 1) * size) for i, j in enumerate(by_tag)]
    order = np.argsort(tag_ids, kind="stable")
    grouped = tag_ids[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    stops = np.r_[starts[1:], n]
    ranges = [(int(grouped[a]), int(a), int(b)) for a, b in zip(starts, stops)]
    same = len(ranges) == 1 or bool(np.all(order == np.arange(n)))
    return (None if same else order), ranges


def range_checksums(batch: pa.RecordBatch, ranges: list[tuple[int, int, int]]) -> list[list[int]]:
    """``[[tag id, start, stop, crc of step, crc of wall_time, crc of value], ...]`` (FORMAT.md 2.0)."""
    columns = [batch.column(name).to_numpy() for name in RANGE_COLUMNS]
    return [[tag, start, stop, *(zlib.crc32(c[start:stop]) for c in columns)] for tag, start, stop in ranges]


def batch_metadata(batch: pa.RecordBatch, seq: int, new_tags: dict[int, str],
                   ranges: list[tuple[int, int, int]] | None = None) -> dict[str, str]:
    """The custom metadata written with one batch: sequence, new tag names, checksum.

    ``ranges`` (scalar batches grouped by tag, format 2.0) adds each tag's row range with a
    CRC32 per column, and the header checksum that covers them.
    """
    meta = {KEY_SEQ: str(seq)}
    if new_tags:
        meta[KEY_TAGS] = json.dumps({str(k): v for k, v in new_tags.items()}, ensure_ascii=False)
    if ranges is not None:
        meta[KEY_RANGES] = json.dumps(range_checksums(batch, ranges), separators=(",", ":"))
        meta[KEY_HEAD_CRC] = str(head_checksum(batch, meta))
    meta[KEY_CRC] = str(batch_checksum(batch, meta))
    return meta


def verify_batch(batch: pa.RecordBatch, meta: dict[str, str]) -> str | None:
    """Return ``None`` when ``batch`` matches its checksum, else why it does not."""
    if KEY_CRC not in meta:
        return "batch has no checksum"
    rest = {k: v for k, v in meta.items() if k != KEY_CRC}
    try:
        expected = int(meta[KEY_CRC])
    except ValueError:
        return "checksum field is not a number"
    if batch_checksum(batch, rest) != expected:
        return "checksum mismatch"
    return None


def verify_head(batch: pa.RecordBatch, meta: dict[str, str]) -> str | None:
    """format 2.0: ``None`` when the batch's layout and metadata match ``nbtrack.crc32.head``."""
    raw = meta.get(KEY_HEAD_CRC, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return "header checksum missing or not a number"
    rest = {k: v for k, v in meta.items() if k not in (KEY_CRC, KEY_HEAD_CRC)}
    if head_checksum(batch, rest) != int(raw):
        return "header checksum mismatch"
    return None


def decode_ranges(meta: dict[str, str], num_rows: int, max_id: int) -> np.ndarray:
    """A 2.0 batch's tag ranges as an ``(n, 6)`` int64 array of ``(tag id, start, stop, crc step,
    crc wall_time, crc value)`` rows.

    ``ValueError`` unless they are in row order, cover rows 0 to ``num_rows`` without gaps or
    overlaps, are not empty, name each tag id once, with ids below ``max_id``, and CRCs of 32 bits.
    Checked as whole arrays: a batch of 100,000 one-point tags decodes in milliseconds.

    >>> decode_ranges({"nbtrack.ranges": "[[1,0,2,7,8,9],[0,2,3,1,2,3]]"}, 3, 10).tolist()
    [[1, 0, 2, 7, 8, 9], [0, 2, 3, 1, 2, 3]]
    >>> decode_ranges({"nbtrack.ranges": "[[0,0,2,7,8,9]]"}, 3, 10)
    Traceback (most recent call last):
    ValueError: nbtrack.ranges do not cover the batch's 3 rows
    """
    raw = meta.get(KEY_RANGES, "")
    table = _compact_ranges(raw)
    if table is None:  # not the compact form nbtrack writes: the general JSON path
        if "true" in raw or "false" in raw:  # JSON booleans would pass as the integers 1 and 0
            raise ValueError("nbtrack.ranges holds an entry that is not six integers")
        parsed: Any = loads_json(raw, max_depth=2)
        if not isinstance(parsed, list):
            raise ValueError("nbtrack.ranges is not a list of at most one range per row")
        try:
            table = np.array(parsed) if parsed else np.zeros((0, 6), np.int64)
        except (ValueError, OverflowError):  # ragged lists
            raise ValueError("nbtrack.ranges holds an entry that is not six integers") from None
    if len(table) > num_rows:
        raise ValueError("nbtrack.ranges is not a list of at most one range per row")
    if table.ndim != 2 or table.shape[1] != 6 or table.dtype.kind not in "iu" or \
            (len(table) and (table.min() < 0 or table.max() >= 2**62)):
        raise ValueError("nbtrack.ranges holds an entry that is not six integers")
    table = table.astype(np.int64)
    tags, starts, stops, crcs = table[:, 0], table[:, 1], table[:, 2], table[:, 3:]
    if len(tags) and (tags.max() >= max_id or len(np.unique(tags)) < len(tags)):
        raise ValueError("nbtrack.ranges has an invalid or repeated tag id")
    expected = np.r_[0, stops[:-1]]
    bad = np.flatnonzero((starts != expected) | (stops <= starts) | (stops > num_rows))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"nbtrack.ranges has an invalid range {starts[i]}..{stops[i]} (expected one from "
                         f"{expected[i]})")
    if len(crcs) and crcs.max() >= 2**32:
        raise ValueError("nbtrack.ranges has a checksum out of range")
    if (int(stops[-1]) if len(stops) else 0) != num_rows:
        raise ValueError(f"nbtrack.ranges do not cover the batch's {num_rows} rows")
    return table


def _compact_ranges(raw: str) -> np.ndarray | None:
    """Ranges written without spaces (as nbtrack writes them) parsed as one array, without building a
    Python list per range (100,000 ranges: 30 ms instead of 300); None for any other spelling.

    The text must be exactly ``[[d,d,d,d,d,d],...]`` with ASCII digits: its skeleton (the text
    with the digits taken out) is compared with the one such a list has, and every number must
    be 1 to 18 digits.
    """
    if not raw.isascii():
        return None
    text = raw.encode("ascii")
    skeleton = text.translate(None, b"0123456789")
    count = skeleton.count(b"[") - 1
    if count < 0 or skeleton != b"[" + b",".join([b"[,,,,,]"] * count) + b"]":
        return None
    if b",," in text or b"[," in text or b",]" in text:  # an empty number
        return None
    if not count:
        return np.zeros((0, 6), np.int64)
    # every field is now 1+ ASCII digits between commas; numbers beyond int64 saturate, and the
    # caller refuses values that large
    numbers = np.fromstring(text.replace(b"[", b"").replace(b"]", b"").decode("ascii"), dtype=np.int64, sep=",")
    return numbers.reshape(-1, 6) if len(numbers) == 6 * count else None


def decode_tags(meta: dict[str, str], max_id: int | None = None) -> dict[int, str]:
    """The tag names a batch introduces, as ``{local id: name}``.

    Raises ``ValueError`` when the field is not a JSON object of ``"<id>": "<name>"`` with
    ids from 0 (below ``max_id`` when given) and names of 1 to 1000 characters without NUL.

    >>> decode_tags({"nbtrack.tags": '{"0": "loss", "1": "acc"}'})
    {0: 'loss', 1: 'acc'}
    >>> decode_tags({"nbtrack.tags": '["loss"]'})
    Traceback (most recent call last):
    ValueError: nbtrack.tags is not a JSON object
    """
    raw = meta.get(KEY_TAGS)
    if not raw:
        return {}
    parsed: Any = loads_json(raw)
    if not isinstance(parsed, dict):
        raise ValueError("nbtrack.tags is not a JSON object")
    keys, names = list(parsed), list(parsed.values())
    if not (all(map(str.isdigit, keys)) and all(map(str.isascii, keys))):
        key = next(k for k in keys if not (k.isascii() and k.isdigit()))
        raise ValueError(f"nbtrack.tags has an invalid tag id {key[:20]!r}")
    ids = list(map(int, keys))
    if max_id is not None and ids and max(ids) >= max_id:
        raise ValueError(f"nbtrack.tags has an invalid tag id {max(ids)}")
    good = all(type(n) is str and 0 < len(n) <= MAX_TAG_NAME for n in names) and "\0" not in "".join(names)
    if not good:
        key = next(k for k, n in zip(keys, names)
                   if not (type(n) is str and 0 < len(n) <= MAX_TAG_NAME and "\0" not in n))
        raise ValueError(f"nbtrack.tags has an invalid name for tag id {key}")
    return dict(zip(ids, names))


def decode_seq(meta: dict[str, str]) -> int:
    """A batch's sequence number; ``ValueError`` when it is missing or not a small non-negative integer."""
    raw = meta.get(KEY_SEQ, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValueError(f"invalid batch sequence number {raw[:20]!r}")
    return int(raw)


def loads_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ``ValueError`` for nesting deeper than ``max_depth`` (never ``RecursionError``).

    >>> loads_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> loads_json("[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ValueError: JSON nested deeper than 64 levels
    """
    opening = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    if opening > max_depth and _depth(text) > max_depth:  # fewer openings cannot nest deeper
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def _depth(text: str | bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings (linear scans, no recursion)."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if b"[" not in text and b"{" not in text:
        return 0
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", text))
    data = np.frombuffer(brackets, np.uint8)
    step = np.where((data == ord("[")) | (data == ord("{")), 1, -1)
    return int(np.cumsum(step).max(initial=0))


# -- reading custom_metadata out of an IPC Message flatbuffer ------------------------
# pyarrow's read_record_batch() drops a message's custom_metadata, so the reader
# takes it from the Message table itself (Arrow Message.fbs, field 4).

_MESSAGE_CUSTOM_METADATA_SLOT = 4


def _table_field(buf: bytes, table: int, slot: int) -> int | None:
    """Absolute position of field ``slot`` of the flatbuffer table at ``table``."""
    (soffset,) = struct.unpack_from("<i", buf, table)
    vtable = table - soffset
    vt_size, _ = struct.unpack_from("<HH", buf, vtable)
    entry = 4 + 2 * slot
    if entry + 2 > vt_size:
        return None
    (off,) = struct.unpack_from("<H", buf, vtable + entry)
    return table + off if off else None


def _string_at(buf: bytes, pos: int) -> str:
    (rel,) = struct.unpack_from("<I", buf, pos)
    start = pos + rel
    (length,) = struct.unpack_from("<I", buf, start)
    raw = buf[start + 4 : start + 4 + length]
    if len(raw) != length:
        raise ValueError("string runs past the end of the message metadata")
    return raw.decode("utf-8")


def message_custom_metadata(metadata: bytes) -> dict[str, str]:
    """Parse ``custom_metadata`` from the flatbuffer bytes of an Arrow IPC Message.

    Raises ``ValueError`` (or ``struct.error``) on malformed input; callers treat
    that as a damaged record.
    """
    (root,) = struct.unpack_from("<I", metadata, 0)
    field = _table_field(metadata, root, _MESSAGE_CUSTOM_METADATA_SLOT)
    if field is None:
        return {}
    (rel,) = struct.unpack_from("<I", metadata, field)
    vec = field + rel
    (count,) = struct.unpack_from("<I", metadata, vec)
    if count > 4096:
        raise ValueError("implausible custom_metadata length")
    out: dict[str, str] = {}
    for i in range(count):
        slot = vec + 4 + 4 * i
        (rel_kv,) = struct.unpack_from("<I", metadata, slot)
        kv = slot + rel_kv
        key_pos = _table_field(metadata, kv, 0)
        val_pos = _table_field(metadata, kv, 1)
        if key_pos is None:
            raise ValueError("custom_metadata entry without a key")
        out[_string_at(metadata, key_pos)] = "" if val_pos is None else _string_at(metadata, val_pos)
    return out
