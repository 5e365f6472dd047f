"""Snapshots: what a dashboard starts from, built from stored runs (pure numpy, no widget).

A snapshot is ``{"seq": n, "runs": [{"id", "name"}], "series": [{"run", "key", "steps",
"values", "times"}]}`` with float64 columns as ``bytes`` (binary buffers in widget state,
base64 in a static output). A series longer than ``max_points`` is reduced per bucket of
steps to its first, smallest, largest and last finite point, plus one point per bucket
that holds NaN or ±Inf (M4, the same rule the browser uses), so every spike and every
non-finite step stays visible and the first and last points are always kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .reader import RunReader

# Above this many points a series is reduced before it reaches the browser (4 x 8,192 buckets keeps
# 32 points per pixel column of a 1,000-pixel chart; 10M x 4 scalars then travel as ~1 MB per series).
MAX_POINTS = 200_000
BUCKETS = 8_192


def reduce_m4(steps: np.ndarray, values: np.ndarray, times: np.ndarray,
              buckets: int = BUCKETS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices-preserving M4 reduction of one series into ``buckets`` equal step ranges.

    >>> steps = np.arange(1_000_000.0); values = np.ones_like(steps); values[123_457] = 1000.0
    >>> s, v, t = reduce_m4(steps, values, steps, buckets=100)
    >>> len(v) <= 400, float(v.max()), float(s[0]), float(s[-1])
    (True, 1000.0, 0.0, 999999.0)
    """
    n = len(values)
    if n <= 4 * buckets:
        return steps, values, times
    order = None if bool(np.all(steps[1:] >= steps[:-1])) else np.argsort(steps, kind="stable")
    xs, ys = (steps, values) if order is None else (steps[order], values[order])
    lo, hi = float(xs[0]), float(xs[-1])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return steps, values, times
    edges = np.searchsorted(xs, np.linspace(lo, hi, buckets + 1)[1:-1], side="left")
    starts = np.unique(np.r_[0, edges])
    ends = np.r_[starts[1:], n]
    finite = np.isfinite(ys)
    keep = [starts, ends - 1]
    any_bad = not bool(finite.all())
    for a, b in zip(starts.tolist(), ends.tolist()):
        segment = ys[a:b]
        if any_bad:
            ok = np.flatnonzero(finite[a:b])
            if len(ok) < b - a:
                keep.append(np.array([a + int(np.flatnonzero(~finite[a:b])[0])]))  # a NaN/Inf marker
            if not len(ok):
                continue
            segment_ok = segment[ok]
            keep.append(a + ok[[int(segment_ok.argmin()), int(segment_ok.argmax())]])
        else:
            keep.append(np.array([a + int(segment.argmin()), a + int(segment.argmax())]))
    kept = np.unique(np.concatenate(keep))
    idx = kept if order is None else order[kept]  # in step order: what a line chart needs
    return steps[idx], values[idx], times[idx]


def series_of(reader: RunReader, max_points: int = MAX_POINTS) -> list[dict[str, Any]]:
    """Every scalar series of one stored run, reduced above ``max_points``."""
    cols, names = reader._columns(), reader.scalar_tags()
    if not names:
        return []
    if len(names) <= 64:  # a pass per tag beats sorting tens of millions of rows
        rows_of = [np.flatnonzero(cols.tag == tag_id) for tag_id in range(len(names))]
    else:
        order = np.argsort(cols.tag, kind="stable")
        bounds = np.searchsorted(cols.tag[order], np.arange(len(names) + 1))
        rows_of = [order[bounds[i]:bounds[i + 1]] for i in range(len(names))]
    out = []
    for tag_id, key in enumerate(names):
        rows = rows_of[tag_id]
        steps = cols.step[rows].astype(np.float64)
        values = cols.value[rows].astype(np.float64)
        times = cols.time[rows].astype(np.float64)
        if len(rows) > max_points:
            steps, values, times = reduce_m4(steps, values, times)
        out.append({"run": reader.id, "key": key, "steps": steps.tobytes(),
                    "values": values.tobytes(), "times": times.tobytes(), "n": len(rows)})
    return out


def snapshot_of(readers: Iterable[RunReader], seq: int = 0, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """The snapshot of several stored runs (one dashboard overlays them, one colour per run)."""
    runs, series = [], []
    for reader in readers:
        runs.append({"id": reader.id, "name": reader.name})
        series.extend(series_of(reader, max_points))
    return {"seq": seq, "runs": runs, "series": series}
