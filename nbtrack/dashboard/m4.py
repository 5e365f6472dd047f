"""M4 reduction: a long series cut to the first, last, smallest and largest point per step range.

The same rule the browser applies per pixel column (``js/src/downsample.js``), used in the
kernel where a series is too long to send whole: snapshots of stored runs, zoom detail and
the PNG fallback. Every spike, the first and last points and one marker per range that
holds NaN or ±Inf survive, so a reduced chart looks like the full one.
"""

from __future__ import annotations

import numpy as np

BUCKETS = 8_192  # step ranges a long series is reduced to (4 x 8,192 points at most)

Piece = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, values, times of one tag in one stored batch


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


def m4_piece(piece: Piece, edges: np.ndarray) -> Piece:
    """One batch's points reduced to the first, last, min, max (and first non-finite) per bucket."""
    steps, values, times = piece
    if np.any(steps[1:] < steps[:-1]):
        order = np.argsort(steps, kind="stable")
        steps, values, times = steps[order], values[order], times[order]
    n = len(steps)
    starts = np.unique(np.r_[0, np.searchsorted(steps, edges, side="left")])
    starts = starts[starts < n]
    ends = np.r_[starts[1:], n]
    segment = np.repeat(np.arange(len(starts)), ends - starts)
    finite = np.isfinite(values)
    keep = [starts, ends - 1]
    for fill, ufunc in ((np.inf, np.minimum), (-np.inf, np.maximum)):
        masked = np.where(finite, values, fill)
        extreme = ufunc.reduceat(masked, starts)
        hits = np.flatnonzero((masked == extreme[segment]) & finite)
        keep.append(hits[np.r_[True, segment[hits][1:] != segment[hits][:-1]]] if len(hits) else hits)
    bad = np.flatnonzero(~finite)
    if len(bad):
        keep.append(bad[np.r_[True, segment[bad][1:] != segment[bad][:-1]]])
    kept = np.unique(np.concatenate(keep))
    return tuple(np.asarray(column[kept], np.float64) for column in (steps, values, times))  # type: ignore[return-value]


def joined(pieces: list[Piece]) -> Piece:
    parts = [np.concatenate([np.asarray(p[i], np.float64) for p in pieces]) for i in range(3)]
    steps, values, times = parts
    if len(steps) > 1 and np.any(steps[1:] < steps[:-1]):  # several writers: merge by step
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order], times[order]
    return steps, values, times


def reduced_series(pieces: list[Piece], max_points: int, buckets: int = BUCKETS) -> tuple[Piece, int]:
    """A tag's points joined, or, above ``max_points``, reduced batch by batch to ``buckets`` step
    ranges (the same ranges ``reduce_m4`` uses, so the result equals reducing the joined series)."""
    total = sum(len(p[0]) for p in pieces)
    if total <= max_points:
        return joined(pieces), total
    lo = min(float(np.min(p[0][:1])) for p in pieces if len(p[0]))
    hi = max(float(np.max(p[0][-1:])) for p in pieces if len(p[0]))
    edges = np.linspace(lo, hi, buckets + 1)[1:-1]
    steps, values, times = joined([m4_piece(p, edges) for p in pieces if len(p[0])])
    return reduce_m4(steps, values, times, buckets), total
