"""Scalar records read in bulk with numpy: "wall time, step, then a summary of one scalar".

A record qualifies when it starts with field 1 (``0x09`` + 8-byte wall time), then field 2
(``0x10`` + varint step, absent when the step is 0), then the rest (the *suffix*: field 5, the
summary, and anything after it). Records are grouped by suffix length; within a group the suffixes
that are byte-identical except for a 4- or 8-byte window are one *template*. A template is
accepted only after protobuf decodes it (with two sentinel values written into the window) to
exactly one scalar whose value is the window's float32/float64 and whose Event re-serializes to
the same length (no shadowing fields); its tag, plugin and width then hold for every record of the
template, whose values, steps and wall times are gathered with numpy. So the fast path agrees with
protobuf by construction; any record that does not fit is left to protobuf.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import nbtrack.tensorboard.events.proto as proto  # by full name: no cycle through __init__

from .kinds import classify

MAX_SUFFIX = 512  # bytes: longer summaries are not scalars worth templating
MAX_ROUNDS = 4  # value windows tried per suffix length
MAX_PROBES = 2048  # distinct templates checked with protobuf per round (2 small parses each)
_SENTINELS = {4: (1.5, -2.75), 8: (3.25, -0.078125)}
_PACK = {4: struct.Struct("<f"), 8: struct.Struct("<d")}


def fast_scalars(buf: bytes, starts: np.ndarray, lengths: np.ndarray,
                 acc: Any) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Columns (tag index, step, time, value, record) of the records read here, and a mask of them."""
    done = np.zeros(len(starts), dtype=bool)
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    pad = np.frombuffer(buf, dtype=np.uint8)  # reads past a record's end are clipped, then rejected
    recs, q, step = _prefix(pad, starts, lengths)
    if not len(recs):
        return empty, done
    ends = starts[recs] + lengths[recs]
    k = ends - q
    parts = []
    for size in np.unique(k).tolist():
        if size > MAX_SUFFIX:
            continue
        sel = np.flatnonzero(k == size)
        parts.extend(_group(pad, q[sel], recs[sel], step[sel], starts, size, acc))
    if not parts:
        return empty, done
    cols = tuple(np.concatenate(c) for c in zip(*parts))
    done[cols[4]] = True
    return cols, done


def _prefix(pad: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """Records with the wall-time/step prefix: their indices, suffix offsets and steps."""
    recs = np.flatnonzero((lengths >= 12) & (pad[starts] == 0x09))
    s = starts[recs]
    b9 = pad[s + 9]
    step, size = _varints(pad, s + 10)
    has_step = b9 == 0x10
    q = s + 9 + np.where(has_step, 1 + size, 0)
    ok = ((has_step & (size > 0)) | (b9 == 0x2A)) & (q < s + lengths[recs])
    ok &= pad[np.minimum(q, len(pad) - 1)] == 0x2A
    return recs[ok], q[ok], np.where(has_step, step, 0)[ok]


def _varints(pad: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The int64 varints starting at ``at`` and their sizes in bytes (0: longer than 10 bytes)."""
    value = np.zeros(len(at), dtype=np.uint64)
    size = np.zeros(len(at), dtype=np.int64)
    alive = np.ones(len(at), dtype=bool)
    for k in range(10):
        byte = pad[np.minimum(at + k, len(pad) - 1)]
        value |= np.where(alive, (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k), np.uint64(0))
        ended = alive & (byte < 0x80)
        size[ended] = k + 1
        alive &= ~ended
        if not alive.any():
            break
    return value.view(np.int64), size


def _group(pad: np.ndarray, q: np.ndarray, recs: np.ndarray, step: np.ndarray, starts: np.ndarray,
           size: int, acc: Any) -> list[tuple[np.ndarray, ...]]:
    """The templated records among suffixes of one length."""
    rows = sliding_window_view(pad, size)[q]
    pending = np.ones(len(q), dtype=bool)
    out, failed = [], 0
    for _ in range(MAX_ROUNDS):
        if not pending.any() or failed > MAX_ROUNDS:
            break
        first = int(np.flatnonzero(pending)[0])
        found = _probe_first(rows[first].tobytes(), acc)
        if found is None:
            pending[first] = False
            failed += 1
            continue
        offset, width = found
        hit = _match(rows, pending, offset, width, acc)
        if not hit:
            break
        for idx, tag, plugin in hit:
            pending[idx] = False
            if plugin:  # decode() applies it in record order, as the protobuf path would
                acc.fast_plugins.append((recs[idx], tag, plugin))
            raw = rows[idx, offset:offset + width].copy().view(f"<f{width}").ravel()
            with np.errstate(invalid="ignore"):  # signalling NaNs, as protobuf's float() lets them pass
                value = raw.astype(np.float64)
            time = sliding_window_view(pad, 8)[starts[recs[idx]] + 1].copy().view("<f8").ravel()
            out.append((np.full(len(idx), acc.tag_index(tag), np.int32), step[idx], time, value, recs[idx]))
    return out


def _match(rows: np.ndarray, pending: np.ndarray, offset: int, width: int,
           acc: Any) -> list[tuple[np.ndarray, str, str]]:
    """Pending rows grouped by their bytes outside the value window; each group checked once."""
    idx = np.flatnonzero(pending)
    size = rows.shape[1]
    words = (size + 7) // 8
    masked = np.zeros((len(idx), words * 8), dtype=np.uint8)
    masked[:, :size] = rows[idx]
    masked[:, offset:offset + width] = 0
    w64 = masked.view("<u8")
    key = np.zeros(len(idx), dtype=np.uint64)
    for j in range(words):
        key = (key * np.uint64(0x100000001B3)) ^ w64[:, j]
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(uniq) > MAX_PROBES:
        return []
    same = np.all(masked == masked[first[inverse]], axis=1)
    hits = []
    for u, f in enumerate(first.tolist()):
        found = _check(rows[idx[f]].tobytes(), offset, width, acc)
        if found is not None:
            hits.append((idx[(inverse == u) & same], *found))
    return hits


def _probe_first(row: bytes, acc: Any) -> tuple[int, int] | None:
    """Where the value of a one-scalar suffix sits: (offset, width), found by sentinel probing."""
    ev = _event(row)
    if ev is None:
        return None
    v = ev.summary.value[0]
    which = v.WhichOneof("value")
    width = 4 if which == "simple_value" else _raw_width(v)
    if width is None:
        return None
    try:
        kind, value = classify(v, {})
    except ValueError:
        return None
    if kind != "scalar":
        return None
    pattern = _PACK[width].pack(value)
    at = row.find(pattern)
    while at >= 0:
        if _check(row, at, width, acc) is not None:
            return at, width
        at = row.find(pattern, at + 1)
    return None


def _raw_width(v: Any) -> int | None:
    t = v.tensor
    return {proto.DT_FLOAT: 4, proto.DT_DOUBLE: 8}.get(t.dtype) if v.WhichOneof("value") == "tensor" else None


def _check(row: bytes, offset: int, width: int, acc: Any) -> tuple[str, str] | None:
    """Tag and plugin name if ``row`` with any value in ``row[offset:offset+width]`` decodes to
    that one scalar (a template's plugin comes from its own metadata, never from earlier records)."""
    tag, plugin = None, ""
    for sentinel in _SENTINELS[width]:
        probe = row[:offset] + _PACK[width].pack(sentinel) + row[offset + width:]
        ev = _event(probe)
        if ev is None:
            return None
        v = ev.summary.value[0]
        try:
            found = classify(v, {})
        except ValueError:
            return None
        if found != ("scalar", sentinel) or (tag is not None and v.tag != tag):
            return None
        tag = v.tag
        plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else ""
    return tag, plugin


def _event(row: bytes) -> Any:
    """The suffix as an Event holding only a one-value summary, or None."""
    try:
        ev = proto.Event.FromString(row)
    except Exception:
        return None
    if (ev.WhichOneof("what") != "summary" or len(ev.summary.value) != 1 or ev.wall_time or ev.step
            or ev.HasField("source_metadata") or ev.ByteSize() != len(row)):
        return None
    return ev
