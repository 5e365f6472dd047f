"""Scalar records of a run held as numpy columns: split by tag, and their wide (pivoted) form."""

from __future__ import annotations

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
