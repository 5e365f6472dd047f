"""The hot-path buffers of a run and their conversion to columns.

``log()`` converts the values of each call to C doubles right away (a snapshot that
later mutation cannot change) and appends them to a typed array; the call's time goes
to a second array. Where the ordered key tuple changes, or the step does not simply
follow the previous call's, a *segment* starts, recorded under ``lock``. Within a
segment every row has the segment's keys and the next step, so the common ``log()``
path takes no lock and creates no Python object that outlives the call. The writer
thread (``drain``) copies the arrays and expands them to long form with numpy alone.
"""

from __future__ import annotations

import threading
from array import array
from typing import Any

import numpy as np

from nbtrack.store.batches import ScalarBatch

MAX_STEP = 2**62  # steps are int64 on disk; above this, steps counted on from a logged one could overflow


class Collector:
    """Typed append-only buffers filled by ``log()`` and drained by the writer."""

    def __init__(self) -> None:
        self.values = array("d")
        self.times = array("d")  # one per call, appended last: a row is complete once its time is in
        self.seg_row = array("q")  # per segment: first row, first step, schema, offset into values
        self.seg_step = array("q")
        self.seg_schema = array("q")
        self.seg_value = array("q")
        self.schemas: list[tuple[str, ...]] = []
        self.schema_ids: dict[tuple[str, ...], int] = {}
        self.media: list[tuple[int, float, str, Any, int | None]] = []  # step, time, tag, value, index
        self.media_bytes = 0  # memory held by queued values until the writer has encoded them
        self.lock = threading.Lock()

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
        return len(self.times)

    def append_segment(self, step: int, t: float, values: array, keys: tuple[str, ...]) -> None:
        """Append one call that starts a new segment (``values`` already converted).

        All or nothing: the one append that can fail (a step beyond int64) comes first, so
        a failing call never misaligns the records buffered around it.
        """
        with self.lock:
            self.seg_step.append(step)
            try:
                schema = self.schema_ids.get(keys)
                if schema is None:
                    schema = self.schema_ids[keys] = len(self.schemas)
                    self.schemas.append(keys)
                self.seg_row.append(len(self.times))
                self.seg_schema.append(schema)
                self.seg_value.append(len(self.values))
                self.values.extend(values)
                self.times.append(t)
            except BaseException:  # not expected (values is array('d'), t a float): undo all the same
                self._truncate(len(self.seg_step) - 1)
                raise

    def _truncate(self, segments: int) -> None:
        """Cut back to the first ``segments`` segments and the rows they started with."""
        del self.seg_step[segments:]
        del self.seg_schema[segments:]
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

    def drain(self) -> ScalarBatch | None:
        """Take every complete row buffered so far (safe against a concurrent ``log()``)."""
        with self.lock:
            n = len(self.times)
            if not n:
                return None
            seg = [np.frombuffer(a[:], dtype=np.int64) for a in
                   (self.seg_row, self.seg_step, self.seg_schema, self.seg_value)]
            widths = np.array([len(k) for k in self.schemas], dtype=np.int64)
            last_row, last_step, last_schema = int(seg[0][-1]), int(seg[1][-1]), int(seg[2][-1])
            m = int(seg[3][-1]) + (n - last_row) * int(widths[last_schema])
            values = np.frombuffer(self.values[:m], dtype=np.float64)
            del self.values[:m]
            times = np.frombuffer(self.times[:n], dtype=np.float64)
            del self.times[:n]
            for buf, value in ((self.seg_row, 0), (self.seg_step, last_step + n - last_row),
                               (self.seg_schema, last_schema), (self.seg_value, 0)):
                del buf[:]
                buf.append(value)  # later unmarked appends continue the last segment
            schemas = list(self.schemas)
        return expand(values, times, seg, widths, schemas)


def expand(values: np.ndarray, times: np.ndarray, seg: list[np.ndarray], widths: np.ndarray,
           schemas: list[tuple[str, ...]]) -> ScalarBatch:
    """Long form of ``n`` rows described by segments: one vectorised pass, any key pattern."""
    seg_row, seg_step, seg_schema, _ = seg
    n = len(times)
    rows_per_seg = np.diff(np.append(seg_row, n))
    if len(set(seg_schema.tolist())) == 1:
        keys = schemas[int(seg_schema[0])]
        k = len(keys)
        row_step = np.repeat(seg_step - seg_row, rows_per_seg) + np.arange(n)
        return ScalarBatch(list(keys), np.tile(np.arange(k, dtype=np.int32), n), np.repeat(row_step, k),
                           np.repeat(times, k), values, period=k)
    present = np.unique(seg_schema)  # only the schemas of this batch
    names, flat, starts = _tag_table([schemas[i] for i in present])
    widths = widths[present]
    row_schema = np.repeat(np.searchsorted(present, seg_schema), rows_per_seg)
    row_step = np.repeat(seg_step - seg_row, rows_per_seg) + np.arange(n)
    row_width = widths[row_schema]
    value_row = np.repeat(np.arange(n), row_width)
    first_value = np.cumsum(row_width) - row_width
    position = np.arange(len(values)) - first_value[value_row]
    tags = flat[starts[row_schema][value_row] + position]
    used = np.flatnonzero(np.bincount(tags, minlength=len(names)))
    lut = np.full(len(names), -1, dtype=np.int32)
    lut[used] = np.arange(len(used), dtype=np.int32)
    return ScalarBatch([names[i] for i in used], lut[tags], row_step[value_row], times[value_row], values)


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
