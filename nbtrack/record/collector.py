"""The hot-path buffers of a run and their conversion to columns.

``log()`` converts the values of each call to C doubles right away (a snapshot that
later mutation cannot change) and appends them to a typed array; the call's time goes
to a second array. Each call is one *row*. Rows are described by *segments*, recorded
under ``lock``: a segment has a *pattern* (the ordered key tuples of the calls of one
step, in call order: ``(("loss", "acc"),)`` for ``log(d)``, ``(("a",), ("b",))`` for
``add_scalar("a", ...)`` then ``add_scalar("b", ...)``), a first step, a *stride* (how
far the step moves from one pass through the pattern to the next: 1, or 10 for "every
10th step") and a *phase* (where in the pattern its first row is). A call that is the
next row of the open segment (the next keys of the pattern, at the step the segment
expects) takes no lock and creates no Python object that outlives the call. The writer
thread (``drain``) copies the arrays and expands them to long form with numpy alone.

Each thread that logs has its own *lane* (buffers and segments): calls from several
threads never share an array, so no call's values are split or mixed with another's.
"""

from __future__ import annotations

import threading
import time
from array import array
from typing import Any

import numpy as np

from nbtrack.store.batches import ScalarBatch

MAX_STEP = 2**62  # steps are int64 on disk; above this, steps counted on from a logged one could overflow
MAX_PATTERN = 64  # calls at one step that a pattern learns; more start plain segments


class Lane:
    """One thread's append-only buffers and the segments that describe their rows."""

    __slots__ = (
        "busy",
        "countdown",
        "draining",
        "expect",
        "expect_step",
        "length",
        "lock",
        "pattern",
        "pos",
        "schema_ids",
        "schemas",
        "seg_phase",
        "seg_row",
        "seg_schema",
        "seg_step",
        "seg_stride",
        "seg_value",
        "stride",
        "times",
        "values",
    )

    def __init__(self, lock: threading.Lock, schemas: list[tuple[tuple[str, ...], ...]],
                 schema_ids: dict[tuple[tuple[str, ...], ...], int]) -> None:
        self.values = array("d")
        self.times = array("d")  # one per call, appended last: a row is complete once its time is in
        self.seg_row = array("q")  # per segment: first row, step of its first pass, pattern, offset
        self.seg_step = array("q")  # into values, phase (pattern position of its first row), stride
        self.seg_schema = array("q")
        self.seg_value = array("q")
        self.seg_phase = array("q")
        self.seg_stride = array("q")
        self.schemas = schemas  # shared by the lanes of a run
        self.schema_ids = schema_ids
        self.lock = lock
        # the logging side's view of the open segment (read and written by the lane's thread only)
        self.pattern: tuple[tuple[str, ...], ...] = ()
        self.length = 0  # len(pattern)
        self.pos = 0  # pattern position of the next row
        self.stride = 1
        self.expect: tuple[str, ...] | None = None  # keys of the next row if it continues the segment
        self.expect_step = -1  # and its step (the step of the last row, plus the stride if pos is 0)
        self.countdown = 4096  # calls until the next look at the buffer size
        self.busy = False  # the lane's thread is appending a segment
        self.draining = False  # the writer is draining the lane

    def pending(self) -> int:
        return len(self.times)

    def advance(self, target: int) -> None:
        """The logging side: a row at ``target`` continued the open segment."""
        pos = self.pos + 1
        if pos == self.length:
            pos = 0
            self.expect_step = target + self.stride
        else:
            self.expect_step = target
        self.pos = pos
        self.expect = self.pattern[pos]

    def place(self, keys: tuple[str, ...], target: int, t: float, row: array) -> None:
        """Append a row that may not continue the open segment: learn a pattern or a stride, or start anew."""
        if keys == self.expect and target == self.expect_step:
            self.values.extend(row)
            self.times.append(t)
            self.advance(target)
            return
        pos = self.pos
        group = self.pattern[:pos] if pos else self.pattern  # the calls of the last step
        last = self.expect_step if pos else self.expect_step - self.stride  # that step (-1: none yet)
        if target == last and len(group) < MAX_PATTERN:
            pattern, phase, stride = (*group, keys), len(group), self.stride  # one more call at this step
        elif group and keys == group[0] and target > last:
            pattern, phase, stride = group, 0, target - last  # the last step's calls again: a stride
        else:
            pattern, phase, stride = (keys,), 0, 1
        self.append_segment(target, t, row, keys, pattern, phase, stride)
        length = len(pattern)
        pos = phase + 1
        if pos == length:
            pos = 0
            self.expect_step = target + stride
        else:
            self.expect_step = target
        self.pattern, self.length, self.stride, self.pos, self.expect = pattern, length, stride, pos, pattern[pos]

    def append_segment(self, step: int, t: float, values: array, keys: tuple[str, ...],
                       pattern: tuple[tuple[str, ...], ...] | None = None, phase: int = 0,
                       stride: int = 1) -> None:
        """Append one call that starts a new segment (``values`` already converted).

        Called by the lane's own thread. It takes the lock only while the writer drains this
        lane: ``busy`` and ``draining`` are the two flags of a handshake (each side sets its
        own, then reads the other's; under the GIL one of them sees the other), so a drain
        never sees half a segment and an append never waits for an idle writer.

        All or nothing: the one append that can fail (a step beyond int64) comes first, so
        a failing call never misaligns the records buffered around it.
        """
        pattern = pattern or (keys,)
        try:
            self.busy = True
            if not self.draining:
                self._append(step, t, values, pattern, phase, stride)
                return
        finally:
            self.busy = False
        with self.lock:  # the writer is draining this lane: wait for it
            self._append(step, t, values, pattern, phase, stride)

    def _append(self, step: int, t: float, values: array, pattern: tuple[tuple[str, ...], ...], phase: int,
                stride: int) -> None:
        self.seg_step.append(step)
        try:
            schema = self.schema_ids.get(pattern)
            if schema is None:
                schema = self._register(pattern)
            self.seg_row.append(len(self.times))
            self.seg_schema.append(schema)
            self.seg_phase.append(phase)
            self.seg_stride.append(stride)
            self.seg_value.append(len(self.values))
            self.values.extend(values)
            self.times.append(t)
        except BaseException:  # not expected (values is array('d'), t a float): undo all the same
            self._truncate(len(self.seg_step) - 1)
            raise

    def _register(self, pattern: tuple[tuple[str, ...], ...]) -> int:
        schema = len(self.schemas)
        self.schemas.append(pattern)  # before its id is known: a drain copying the list has every pattern in use
        self.schema_ids[pattern] = schema
        return schema

    def _truncate(self, segments: int) -> None:
        """Cut back to the first ``segments`` segments and the rows they started with."""
        for buf in (self.seg_step, self.seg_schema, self.seg_phase, self.seg_stride):
            del buf[segments:]
        if len(self.seg_value) > segments:
            del self.values[self.seg_value[segments]:]
            del self.seg_value[segments:]
        if len(self.seg_row) > segments:
            del self.times[self.seg_row[segments]:]
            del self.seg_row[segments:]

    def drop_partial_row(self, count: int) -> None:
        """Remove the last ``count`` values, appended by a call that then failed."""
        if count > 0:
            with self.lock:
                del self.values[len(self.values) - count:]

    def take(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
        """Take every complete row buffered so far (lock held; safe against a concurrent ``log()``)."""
        self.draining = True
        try:
            while self.busy:  # a segment half appended: let its thread finish it (microseconds)
                time.sleep(0)
            return self._take()
        finally:
            self.draining = False

    def _take(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
        n = len(self.times)
        if not n:
            return None
        seg = [np.frombuffer(a[:], dtype=np.int64) for a in
               (self.seg_row, self.seg_step, self.seg_schema, self.seg_phase, self.seg_stride)]
        table = pattern_table(self.schemas)
        m = int(values_before(seg, n, table))
        values = np.frombuffer(self.values[:m], dtype=np.float64)
        del self.values[:m]
        times = np.frombuffer(self.times[:n], dtype=np.float64)
        del self.times[:n]
        row, step, schema, phase, stride = (int(a[-1]) for a in seg)
        q = phase + n - row
        period = len(self.schemas[schema])
        for buf, value in ((self.seg_row, 0), (self.seg_step, step + q // period * stride),
                           (self.seg_schema, schema), (self.seg_value, 0), (self.seg_phase, q % period),
                           (self.seg_stride, stride)):
            del buf[:]
            buf.append(value)  # later unmarked appends continue the last segment
        return values, times, seg


class Collector(Lane):
    """Typed append-only buffers filled by ``log()`` and drained by the writer.

    The collector is the first lane (the thread that logs first); ``new_lane()`` adds
    one for each further thread.
    """

    __slots__ = ("lanes", "media", "media_bytes")

    def __init__(self) -> None:
        super().__init__(threading.Lock(), [], {})
        self.lanes: list[Lane] = [self]
        self.media: list[tuple[int, float, str, Any, int | None]] = []  # step, time, tag, value, index
        self.media_bytes = 0  # memory held by queued values until the writer has encoded them

    def new_lane(self) -> Lane:
        """Buffers for one more logging thread."""
        lane = Lane(self.lock, self.schemas, self.schema_ids)
        with self.lock:
            self.lanes = [*self.lanes, lane]
        return lane

    def append_media(self, step: int, t: float, tag: str, value: Any, index: int | None) -> None:
        """Queue a value type (an Image, a Histogram, ...) for encoding in the writer."""
        with self.lock:
            self.media.append((step, t, tag, value, index))
            self.media_bytes += value.nbytes

    def drain_media(self) -> list[tuple[int, float, str, Any, int | None]]:
        with self.lock:
            items, self.media = self.media, []
        return items

    def release_media(self, nbytes: int) -> None:
        with self.lock:
            self.media_bytes -= nbytes

    def pending(self) -> int:
        """How many ``log()`` calls are buffered."""
        return sum(len(lane.times) for lane in self.lanes)

    def drain(self) -> ScalarBatch | None:
        """Take every complete row buffered so far in every lane (safe against concurrent ``log()`` calls)."""
        with self.lock:
            taken = [got for got in (lane.take() for lane in self.lanes) if got is not None]
            schemas = list(self.schemas)
        if not taken:
            return None
        batches = [expand(values, times, seg, schemas) for values, times, seg in taken]
        return batches[0] if len(batches) == 1 else merge(batches)


def pattern_table(schemas: list[tuple[tuple[str, ...], ...]]) -> dict[str, np.ndarray]:
    """Per pattern: its length, total width, and where its row types start; per row type: width, width before it."""
    lengths = np.array([len(p) for p in schemas], dtype=np.int64)
    widths = np.array([len(keys) for p in schemas for keys in p], dtype=np.int64)
    base = np.cumsum(lengths) - lengths
    before = np.cumsum(widths) - widths  # across the flattened table; made per pattern below
    before -= np.repeat(before[base], lengths)
    total = np.add.reduceat(widths, base) if len(widths) else widths
    return {"length": lengths, "total": total, "base": base, "width": widths, "before": before}


def _offset(q: np.ndarray, schema: np.ndarray, table: dict[str, np.ndarray]) -> np.ndarray:
    """Values in a segment's pattern from its pass 0, position 0 up to (not including) row ``q``."""
    length = table["length"][schema]
    return q // length * table["total"][schema] + table["before"][table["base"][schema] + q % length]


def values_before(seg: list[np.ndarray], n: int, table: dict[str, np.ndarray]) -> int:
    """How many values the first ``n`` rows hold."""
    seg_row, _, schema, phase, _ = seg
    rows = np.diff(np.append(seg_row, n))
    return int((_offset(phase + rows, schema, table) - _offset(phase, schema, table)).sum())


def expand(values: np.ndarray, times: np.ndarray, seg: list[np.ndarray],
           schemas: list[tuple[tuple[str, ...], ...]]) -> ScalarBatch:
    """Long form of ``n`` rows described by segments: one vectorised pass, any key pattern."""
    seg_row, seg_step, seg_schema, seg_phase, seg_stride = seg
    n = len(times)
    rows_per_seg = np.diff(np.append(seg_row, n))
    if len(set(seg_schema.tolist())) == 1 and len(schemas[int(seg_schema[0])]) == 1:
        keys = schemas[int(seg_schema[0])][0]
        k = len(keys)
        row_step = np.repeat(seg_step - seg_row * seg_stride, rows_per_seg) + np.arange(n) * np.repeat(
            seg_stride, rows_per_seg)
        return ScalarBatch(list(keys), np.tile(np.arange(k, dtype=np.int32), n), np.repeat(row_step, k),
                           np.repeat(times, k), values, period=k)
    seg_of_row = np.repeat(np.arange(len(seg_row)), rows_per_seg)
    q = seg_phase[seg_of_row] + np.arange(n) - seg_row[seg_of_row]
    present = np.unique(seg_schema)  # only the patterns of this batch
    patterns = [schemas[i] for i in present]
    lengths = np.array([len(p) for p in patterns], dtype=np.int64)
    local = np.searchsorted(present, seg_schema)[seg_of_row]
    length = lengths[local]
    passes = q // length
    row_step = seg_step[seg_of_row] + passes * seg_stride[seg_of_row]
    row_type = (np.cumsum(lengths) - lengths)[local] + q - passes * length
    names, flat, starts = _tag_table([keys for p in patterns for keys in p])
    widths = np.array([len(keys) for p in patterns for keys in p], dtype=np.int64)
    row_width = widths[row_type]
    value_row = np.repeat(np.arange(n), row_width)
    first_value = np.cumsum(row_width) - row_width
    position = np.arange(len(values)) - first_value[value_row]
    tags = flat[starts[row_type][value_row] + position]
    used = np.flatnonzero(np.bincount(tags, minlength=len(names)))
    lut = np.full(len(names), -1, dtype=np.int32)
    lut[used] = np.arange(len(used), dtype=np.int32)
    tag_index = lut[tags]
    return ScalarBatch([names[i] for i in used], tag_index, row_step[value_row], times[value_row], values,
                       period=_period(tag_index, len(used)))


def _period(tag_index: np.ndarray, count: int) -> int | None:
    """``count`` if the tags simply repeat ``0 .. count-1`` (one pattern of distinct keys, whole passes)."""
    if not count or len(tag_index) % count:
        return None
    cycle = np.arange(count, dtype=tag_index.dtype)
    return count if np.array_equal(tag_index.reshape(-1, count), np.broadcast_to(cycle, (len(tag_index) // count,
                                                                                         count))) else None


def merge(batches: list[ScalarBatch]) -> ScalarBatch:
    """One batch of several lanes' batches, in time order (stable: a call's values stay together)."""
    ids: dict[str, int] = {}
    tags = []
    for batch in batches:
        lut = np.array([ids.setdefault(name, len(ids)) for name in batch.names], dtype=np.int32)
        tags.append(lut[batch.tag_index])
    times = np.concatenate([b.times for b in batches])
    order = np.argsort(times, kind="stable")
    return ScalarBatch(list(ids), np.concatenate(tags)[order], np.concatenate([b.steps for b in batches])[order],
                       times[order], np.concatenate([b.values for b in batches])[order])


def _tag_table(schemas: list[tuple[str, ...]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """All tag names, and each schema's keys as ids into them (flattened, with starts)."""
    ids: dict[str, int] = {}
    flat: list[int] = []
    starts = []
    for keys in schemas:
        starts.append(len(flat))
        flat.extend(ids.setdefault(key, len(ids)) for key in keys)
    return list(ids), np.array(flat, dtype=np.int64), np.array(starts, dtype=np.int64)


def convertible_prefix(values: Any) -> int:
    """How many leading values ``array('d').extend`` accepted before one failed."""
    probe = array("d")
    count = 0
    for value in values:
        try:
            probe.append(value)
        except Exception:
            return count
        count += 1
    return count
