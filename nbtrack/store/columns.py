"""Scalar records of a run held as numpy columns: split by tag, and their wide (pivoted) form."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Columns:
    """Long-form scalar records: ``tag[i]`` (global tag id) at ``step[i]``."""

    tag: np.ndarray
    step: np.ndarray
    time: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> Columns:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.value)

    def take(self, index: np.ndarray) -> Columns:
        return Columns(self.tag[index], self.step[index], self.time[index], self.value[index])

    @classmethod
    def concat(cls, parts: list[Columns]) -> Columns:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("tag", "step", "time", "value")))

    def sorted_by_step(self) -> Columns:
        """Order by (step, wall time), keeping log order for ties; no copy when sorted."""
        if len(self.step) < 2 or bool(np.all(self.step[1:] >= self.step[:-1])):
            return self
        return self.take(np.lexsort((self.time, self.step)))


def rows_by_tag(tag: np.ndarray, tag_count: int, period: int | None = None) -> dict[int, np.ndarray | slice]:
    """The rows of each tag id in long-form records: the one place records are split by tag.

    Strided slices (views, no copy) when the records repeat one pattern of tags (the
    usual case: every step logs the same metrics; ``period`` says so when it is known),
    else index arrays in record order. Tags without rows are left out.

    >>> rows_by_tag(np.array([0, 1, 0, 1]), 2)
    {0: slice(0, None, 2), 1: slice(1, None, 2)}
    >>> {t: r.tolist() for t, r in rows_by_tag(np.array([1, 1, 0]), 3).items()}
    {0: [2], 1: [0, 1]}
    """
    n = len(tag)
    if n == 0:
        return {}
    if period:
        return {int(tag[j]): slice(j, None, period) for j in range(min(period, n))}
    window = tag[: min(n, 257)]
    repeats = np.flatnonzero(window[1:] == window[0])
    k = int(repeats[0]) + 1 if len(repeats) else len(window)
    if n % k == 0 and len(np.unique(tag[:k])) == k and bool((tag.reshape(-1, k) == tag[:k]).all()):
        return {int(tag[j]): slice(j, None, k) for j in range(k)}
    if tag_count <= 64:
        rows = {t: np.flatnonzero(tag == t) for t in range(tag_count)}
    else:
        order = np.argsort(tag, kind="stable")
        bounds = np.searchsorted(tag[order], np.arange(tag_count + 1))
        rows = {t: order[bounds[t]:bounds[t + 1]] for t in range(tag_count)}
    return {t: r for t, r in rows.items() if len(r)}


def pivot(cols: Columns, ncols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wide form of step-sorted records: (unique steps, last time per step, values[row, tag]).

    A tag logged twice at one step keeps its last value (commit=False semantics).
    """
    steps = cols.step
    if not len(steps):
        return np.zeros(0, np.int64), np.zeros(0), np.full((0, ncols), np.nan)
    uniform = _pivot_uniform(cols, ncols)
    if uniform is not None:
        return uniform
    new_row = np.empty(len(steps), dtype=bool)
    new_row[0] = True
    np.not_equal(steps[1:], steps[:-1], out=new_row[1:])
    row = np.cumsum(new_row) - 1
    nrows = int(row[-1]) + 1
    out = np.full((nrows, ncols), np.nan)
    keep = _last_of_duplicates(row, cols.tag, ncols)
    if keep is None:
        out[row, cols.tag] = cols.value
    else:
        out[row[keep], cols.tag[keep]] = cols.value[keep]
    starts = np.flatnonzero(new_row)
    ends = np.r_[starts[1:], len(steps)] - 1
    return steps[starts], cols.time[ends], out


def _last_of_duplicates(row: np.ndarray, tag: np.ndarray, ncols: int) -> np.ndarray | None:
    """Indices keeping the last record of each (row, tag) pair, or None if all are unique."""
    key = row.astype(np.int64) * max(ncols, 1) + tag
    if np.bincount(key).max() <= 1:
        return None
    _, last_from_end = np.unique(key[::-1], return_index=True)
    return np.sort(len(key) - 1 - last_from_end)


def _pivot_uniform(cols: Columns, ncols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The common case, every step logging all tags once in one order: a reshape, no scatter."""
    if ncols == 0 or len(cols.step) % ncols:
        return None
    tags = cols.tag.reshape(-1, ncols)
    first = tags[0]
    if not np.array_equal(np.sort(first), np.arange(ncols)) or not (tags == first).all():
        return None
    steps = cols.step.reshape(-1, ncols)
    row_steps = steps[:, 0]
    if not (steps == row_steps[:, None]).all() or not (row_steps[1:] > row_steps[:-1]).all():
        return None
    wide = cols.value.reshape(-1, ncols)[:, np.argsort(first)]
    return row_steps, cols.time.reshape(-1, ncols)[:, -1], wide


Series = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, times, values of one tag, in step order
_FIELDS = ("step", "time", "value")


UNCHECKED, GOOD, BAD = 0, 1, 2


@dataclass
class RangedChunk:
    """A format 2.0 scalar batch: rows grouped by tag, each tag's bytes verified when first read.

    ``table`` holds one row per tag range: ``(run tag id, file-local tag id, start, stop, crc of
    step, crc of wall_time, crc of value)``. A range whose bytes or ``tag_id`` rows do not match
    is reported once through ``report`` and left out; so reading one tag touches only that tag's
    rows of the batch, and reading all of them checks the ranges as whole arrays.
    """

    local: np.ndarray
    step: np.ndarray
    time: np.ndarray
    value: np.ndarray
    table: np.ndarray
    report: Callable[[str], None]
    _checked: np.ndarray | None = None  # per range: tag_id rows, step, time, value (UNCHECKED/GOOD/BAD)
    _row_of: dict[int, int] | None = None
    _full: Columns | None = None

    def __post_init__(self) -> None:
        self._checked = np.zeros((len(self.table), 4), np.int8)

    @property
    def run_tags(self) -> np.ndarray:
        return self.table[:, 0]

    @property
    def lengths(self) -> np.ndarray:
        return self.table[:, 3] - self.table[:, 2]

    def tags(self) -> list[int]:
        return self.table[:, 0].tolist()

    def span(self, tag: int) -> tuple[int, int] | None:
        row = self._row(tag)
        return None if row is None else (int(self.table[row, 2]), int(self.table[row, 3]))

    def _row(self, tag: int) -> int | None:
        if self._row_of is None:
            self._row_of = dict(zip(self.table[:, 0].tolist(), range(len(self.table))))
        return self._row_of.get(tag)

    def piece(self, tag: int, fields: tuple[str, ...] = _FIELDS) -> tuple[np.ndarray, ...] | None:
        """Views of ``tag``'s rows (``fields`` of step, time, value), verified; None when absent or damaged."""
        row = self._row(tag)
        if row is None:
            return None
        wanted = [_FIELDS.index(f) + 1 for f in fields]
        if not self._verify(np.array([row]), (0, *wanted))[0]:
            return None
        start, stop = int(self.table[row, 2]), int(self.table[row, 3])
        return tuple((self.step, self.time, self.value)[c - 1][start:stop] for c in wanted)

    def _verify(self, rows: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
        """Check ``columns`` (0: tag_id rows, 1-3: step, time, value) of the ranges ``rows`` once each,
        report the first damage of each range, and say per range whether all of them are good."""
        checked = self._checked
        assert checked is not None
        for column in columns:
            todo = rows[checked[rows, column] == UNCHECKED]
            if column == 0 and len(todo) * 8 >= len(self.table):  # one pass checks every range's ids
                todo = np.flatnonzero(checked[:, 0] == UNCHECKED)
            if len(todo):
                was_bad = (checked[todo] == BAD).any(axis=1)
                ok = self._check(todo, column)
                checked[todo, column] = np.where(ok, GOOD, BAD)
                for row in todo[~ok & ~was_bad].tolist():  # the first damage found in a range is reported
                    self._report(row)
        return (checked[rows][:, list(columns)] == GOOD).all(axis=1)

    def _check(self, rows: np.ndarray, column: int) -> np.ndarray:
        table = self.table
        if column == 0:  # every row of a range carries its file-local tag id
            if len(rows) * 8 < len(table):  # a few tags: only their rows
                return np.array([bool((self.local[a:b] == local).all())
                                 for local, a, b in table[rows, 1:4].tolist()], bool)
            mismatch = self.local != np.repeat(table[:, 1], table[:, 3] - table[:, 2])
            return ~(np.add.reduceat(mismatch, table[:, 2]) > 0)[rows]
        array = (self.step, self.time, self.value)[column - 1]
        data, size = memoryview(np.ascontiguousarray(array)).cast("B"), array.itemsize
        crcs = table[rows, 3 + column].tolist()
        starts, stops = (table[rows, 2] * size).tolist(), (table[rows, 3] * size).tolist()
        crc32 = zlib.crc32
        return np.array([crc32(data[a:b]) == c for a, b, c in zip(starts, stops, crcs)], bool)

    def _report(self, row: int) -> None:
        checked = self._checked
        assert checked is not None
        column = int(np.flatnonzero(checked[row] == BAD)[0])
        local, start, stop = (int(v) for v in self.table[row, 1:4])
        what = "tag_id rows" if column == 0 else f"{_FIELDS[column - 1]} column"
        self.report(f"rows {start} to {stop} (tag id {local}): {what} does not match its checksum; "
                    "that tag's rows of this batch left out")

    def columns(self) -> Columns:
        """Every good range, verified, in step order (rows of one step ordered by their ranges)."""
        if self._full is None:
            rows = np.arange(len(self.table))
            good = rows[self._verify(rows, (0, 1, 2, 3))] if len(rows) else rows
            index = span_index(self.table[good, 2], self.table[good, 3])
            tags = np.repeat(self.table[good, 0].astype(np.int32), self.lengths[good])
            if len(good) > 1:
                order = np.argsort(self.step[index], kind="stable")
                index, tags = index[order], tags[order]
            self._full = Columns(tags, self.step[index], self.time[index], self.value[index])
        return self._full

    def verify_all(self) -> None:
        """Check every range's bytes (reporting damage) without copying any."""
        if len(self.table):
            self._verify(np.arange(len(self.table)), (0, 1, 2, 3))


def span_index(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The row indices of the spans ``starts[i]:stops[i]``, concatenated, without a Python loop.

    >>> span_index(np.array([0, 5]), np.array([2, 8])).tolist()
    [0, 1, 5, 6, 7]
    """
    lengths = stops - starts
    total = int(lengths.sum()) if len(lengths) else 0
    if total == 0:
        return np.zeros(0, np.int64)
    before = np.cumsum(lengths) - lengths  # where each span begins in the output
    return np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)


def steps_of(series: list[Series]) -> np.ndarray:
    """The sorted distinct steps of per-tag series (no copy when all tags share one step column)."""
    if not series:
        return np.zeros(0, np.int64)
    first = series[0][0]
    if _shared_steps(series):
        return first
    return np.unique(np.concatenate([s for s, _, _ in series]))


def _shared_steps(series: list[Series]) -> bool:
    first = series[0][0]
    if len(first) > 1 and not bool((first[1:] > first[:-1]).all()):
        return False
    return all(s is first or np.array_equal(s, first) for s, _, _ in series[1:])


def pivot_series(series: list[Series], steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wide form of per-tag series in step order: (``steps``, latest time per step, values[row, tag]).

    ``steps`` comes from :func:`steps_of`. A tag logged twice at one step keeps its last value.

    >>> s = [(np.array([0, 1]), np.array([5., 6.]), np.array([1., 2.])),
    ...      (np.array([1]), np.array([7.]), np.array([9.]))]
    >>> steps, times, wide = pivot_series(s, steps_of(s))
    >>> steps.tolist(), times.tolist(), wide.tolist()
    ([0, 1], [5.0, 7.0], [[1.0, nan], [2.0, 9.0]])
    """
    k = len(series)
    if k and steps is series[0][0]:
        wide = np.empty((len(steps), k))
        times = series[0][1].copy()
        for j, (_, t, v) in enumerate(series):
            wide[:, j] = v
            if j:
                np.maximum(times, t, out=times)
        return steps, times, wide
    wide = np.full((len(steps), k), np.nan)
    times = np.full(len(steps), -np.inf)
    for j, (s, t, v) in enumerate(series):
        if not len(s):
            continue
        last = np.r_[s[1:] != s[:-1], True]
        pos = np.searchsorted(steps, s)
        wide[pos[last], j] = v[last]
        np.maximum.at(times, pos, t)
    return steps, times, wide


def tensorboard_keep(steps: np.ndarray, purges: list[tuple[int, int]] = ()) -> np.ndarray | None:
    """Which points of one tag TensorBoard shows (None: all of them), its steps in recorded order.

    A point whose step is lower than the step of the point before it preempts the earlier
    points at its step or above (so a step repeated right after going back is kept twice); a
    ``(position, step)`` purge (a writer opened with ``purge_step``, whose
    points start at ``position``) drops the points before ``position`` at ``step`` or above.
    What is kept is in step order. FORMAT.md 2.2, "Steps of TensorBoard writers".

    >>> tensorboard_keep(np.array([0, 1, 2, 3, 2, 2, 3])).tolist()
    [True, True, False, False, True, True, True]
    >>> tensorboard_keep(np.array([0, 1, 2, 3]), [(2, 1)]).tolist()
    [True, False, True, True]
    >>> tensorboard_keep(np.array([0, 1, 1, 2])) is None
    True
    """
    n = len(steps)
    if n < 2 and not purges:
        return None
    back = np.zeros(n, bool)
    if n > 1:
        back[1:] = steps[1:] < steps[:-1]
    if not back.any() and not purges:
        return None
    barrier = np.full(n + 1, np.iinfo(np.int64).max, np.int64)  # barrier[i]: removes points before i at >= it
    barrier[:n][back] = steps[back]
    for position, step in purges:
        barrier[position] = min(int(barrier[position]), step)
    later = np.minimum.accumulate(barrier[::-1])[::-1]  # later[i]: the smallest barrier at position >= i
    keep = steps < later[1:]
    return None if keep.all() else keep
