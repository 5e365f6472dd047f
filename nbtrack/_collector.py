"""The hot-path buffers of a run and their conversion to columns.

``Run.log()`` appends ``(step, time, dict copy)`` to three plain lists and nothing
else. The writer thread (or a forced flush) calls :meth:`Collector.drain`, which takes
what is buffered and turns it into one long-form :class:`ScalarBatch` in log order.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np


@dataclass
class ScalarBatch:
    """Scalars in long form, in log order: row ``i`` is ``names[tag_index[i]]`` at ``steps[i]``.

    When ``period`` is set, every logged dict had the same ``period`` keys, so the rows
    of tag ``j`` are ``values[j::period]``.
    """

    names: list[str]
    tag_index: np.ndarray
    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    period: int | None = None

    def __len__(self) -> int:
        return len(self.values)

    def columns(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{name: (steps, values)}`` for each tag of the batch."""
        if self.period:
            k = self.period
            return {n: (self.steps[j::k], self.values[j::k]) for j, n in enumerate(self.names)}
        out = {}
        for j, name in enumerate(self.names):
            mask = self.tag_index == j
            out[name] = (self.steps[mask], self.values[mask])
        return out


class Collector:
    """Append-only lists filled by ``log()`` and drained by the writer.

    ``rows`` holds one tuple of values per call (a snapshot: the values are immutable
    numbers). ``marks`` holds ``(index into rows, keys, step)`` wherever a segment
    starts: the ordered key tuple changes, or the step does not follow the previous
    one. Within a segment, row ``i`` has the mark's keys and step ``step + i``, so
    ``log()``'s common path appends only the time and the values, without a lock,
    and the writer reads each segment in one vectorised pass.
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.rows: list[tuple[Any, ...]] = []
        self.marks: list[tuple[int, tuple[str, ...], int]] = []
        self.lock = threading.Lock()

    def pending(self) -> int:
        """How many ``log()`` calls are buffered."""
        return len(self.rows)

    def append_marked(self, step: int, t: float, values: tuple[Any, ...], keys: tuple[str, ...]) -> None:
        """Append one call that starts a new segment."""
        with self.lock:
            self.marks.append((len(self.rows), keys, step))
            self.times.append(t)
            self.rows.append(values)

    def drain(self) -> ScalarBatch | None:
        """Take everything buffered so far (safe against concurrent unmarked appends)."""
        with self.lock:
            n = len(self.rows)  # appended last in log(), so times holds >= n
            if not n:
                return None
            rows = self.rows[:n]
            del self.rows[:n]
            times = self.times[:n]
            del self.times[:n]
            marks = self.marks
            start, keys, step = marks[-1]
            self.marks = [(0, keys, step + n - start)]  # later unmarked appends continue it
        try:
            return columnarise(times, rows, marks)
        except Exception:  # never lose rows to a conversion bug: take the plain loop
            return _columnarise_general(times, rows, marks, [m[0] for m in marks[1:]] + [len(rows)])


def columnarise(times: list[float], rows: list[tuple[Any, ...]],
                marks: list[tuple[int, tuple[str, ...], int]]) -> ScalarBatch:
    """Turn per-call dicts into one long-form batch, a vectorised pass per segment."""
    ids: dict[str, int] = {}
    parts = []
    used = set()
    bounds = [m[0] for m in marks[1:]] + [len(rows)]
    if len(marks) > 1 + len(rows) // 8:
        return _columnarise_general(times, rows, marks, bounds)
    for (start, keys, step), end in zip(marks, bounds):
        if end > start and keys:
            parts.append(_segment(times, rows, start, end, keys, step, ids))
            used.add(keys)
    if not parts:
        return _empty()
    fields = ("tag_index", "steps", "times", "values")
    cat = [np.concatenate([getattr(p, f) for p in parts]) if len(parts) > 1 else getattr(parts[0], f)
           for f in fields]
    return ScalarBatch(list(ids), *cat, period=len(ids) if len(used) == 1 else None)


def _segment(times: list[float], rows: list[tuple[Any, ...]], start: int, end: int,
             keys: tuple[str, ...], step: int, ids: dict[str, int]) -> ScalarBatch:
    n, k = end - start, len(keys)
    local = np.array([ids.setdefault(key, len(ids)) for key in keys], dtype=np.int32)
    segment = rows[start:end]
    try:
        values = np.fromiter(chain.from_iterable(segment), np.float64, n * k)
    except (OverflowError, ValueError, TypeError):
        values = np.array([_as_float(v) for row in segment for v in row], dtype=np.float64)
    return ScalarBatch(
        names=list(ids),
        tag_index=np.tile(local, n),
        steps=np.repeat(np.arange(step, step + n, dtype=np.int64), k),
        times=np.repeat(np.asarray(times[start:end], dtype=np.float64), k),
        values=values,
    )


def _columnarise_general(times: list[float], rows: list[tuple[Any, ...]],
                         marks: list[tuple[int, tuple[str, ...], int]], bounds: list[int]) -> ScalarBatch:
    """Many short segments: a plain loop is cheaper than a numpy pass per segment."""
    ids: dict[str, int] = {}
    tag_index: list[int] = []
    out_steps: list[int] = []
    out_times: list[float] = []
    values: list[float] = []
    for (start, keys, step), end in zip(marks, bounds):
        for i in range(start, end):
            t, s = times[i], step + i - start
            for key, value in zip(keys, rows[i]):
                tag_index.append(ids.setdefault(key, len(ids)))
                out_steps.append(s)
                out_times.append(t)
                values.append(_as_float(value))
    return ScalarBatch(
        names=list(ids),
        tag_index=np.asarray(tag_index, dtype=np.int32),
        steps=np.asarray(out_steps, dtype=np.int64),
        times=np.asarray(out_times, dtype=np.float64),
        values=np.asarray(values, dtype=np.float64),
    )


def _as_float(value: Any) -> float:
    """Convert a value the hot path accepted; out-of-range ints become +/-inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        return math.nan


def _empty() -> ScalarBatch:
    z = np.zeros(0)
    return ScalarBatch([], np.zeros(0, np.int32), np.zeros(0, np.int64), z, z)
