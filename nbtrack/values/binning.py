"""Equal-width histogram counts and moments of float data, in blocks through reused scratch.

Why not ``numpy.histogram`` itself: it allocates several temporaries of up to 512 KiB per
64 Ki-value block. Once a process has imported a few modules, glibc's allocator hands such
blocks out with ``mmap`` and returns them on ``free``, so every call page-faults its
temporaries back in: measured here, 350 faults and 2.3x the time per 100,000-value call
(1.27 ms instead of 0.55 ms). The kernel below does the same arithmetic as numpy's
fixed-range path (an index estimate, then the two edge comparisons that make each count
agree exactly with the edges) in per-thread scratch that is allocated once, and keeps
the bin index in one byte, which makes the corrections nearly free.

>>> import numpy as np
>>> data = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
>>> counts, edges = equal_width_counts(data, data.min(), data.max(), 64)
>>> bool((counts == np.histogram(data, 64)[0]).all())
True
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

BLOCK = 65_536
"""Values per block: big enough that the Python overhead per block is small, small enough
that the scratch (about 1.7 MiB per thread) stays in cache-friendly sizes."""

MAX_EQUAL_BINS = 253
"""The bin index is kept in a ``uint8``: up to ``bins + 1`` while it is corrected."""

_local = threading.local()


def equal_width_counts(values: np.ndarray, low: Any, high: Any, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of finite ``values`` in ``bins`` equal-width bins from ``low`` to ``high`` (the
    data's own min and max, in its precision), and the edges, as ``numpy.histogram`` gives them.

    Every value must lie in ``[low, high]`` and ``high - low`` must be finite and positive.
    A value counts in bin ``i`` where ``edges[i] <= value < edges[i + 1]``, the last bin closed.
    Raises ValueError, as numpy does, where the precision cannot make ``bins`` distinct edges.
    """
    kind = values.dtype.type
    low, high = kind(low), kind(high)
    edges = np.linspace(low, high, bins + 1, endpoint=True, dtype=values.dtype)
    if not (np.diff(edges) > 0).all():
        raise ValueError(f"{bins} bins from {low} to {high} are too narrow for {values.dtype} values")
    lower = np.concatenate([edges, [np.inf]]).astype(values.dtype)  # lower[i] = edges[i]
    upper = np.concatenate([edges[1:], [np.inf, np.inf]]).astype(values.dtype)  # upper[i] = edges[i + 1]
    scale = kind(bins) / (high - low)
    counts = np.zeros(bins + 2, np.int64)
    scratch = _scratch(values.dtype)
    for start in range(0, len(values), BLOCK):
        block = values[start:start + BLOCK]
        counts += _block_counts(block, low, scale, lower, upper, bins, _views(scratch, len(block)))
    counts[bins - 1] += counts[bins]  # values equal to the last edge: the last bin is closed
    return counts[:bins], edges


def _block_counts(block: np.ndarray, low: Any, scale: Any, lower: np.ndarray, upper: np.ndarray,
                  bins: int, s: dict[str, np.ndarray]) -> np.ndarray:
    """One block: estimate each value's bin, move it down where it lies below its lower edge
    and up where it reaches its upper edge (the estimate is off by at most one), count."""
    position, index, wide, edge, moved = s["position"], s["index"], s["wide"], s["edge"], s["moved"]
    np.subtract(block, low, out=position)
    np.multiply(position, scale, out=position)
    # 0 .. bins, truncated toward zero: subtraction and scaling round monotonically, so the
    # largest value maps to at most (high - low) * scale < bins + 1, and no clamp is needed.
    np.copyto(index, position, casting="unsafe")
    for table, step in ((lower, -1), (upper, 1)):
        np.copyto(wide, index)
        np.take(table, wide, out=edge, mode="clip")
        if step < 0:
            np.less(block, edge, out=moved)
            np.subtract(index, moved.view(np.uint8), out=index)
        else:
            np.greater_equal(block, edge, out=moved)
            np.add(index, moved.view(np.uint8), out=index)
    np.copyto(wide, index)
    return np.bincount(wide, minlength=bins + 2)[:bins + 2]


def moments(values: np.ndarray) -> tuple[float, float]:
    """The sum and the sum of squares of ``values``, accumulated in float64 block by block
    (pairwise within a block) without a float64 copy of the whole array."""
    scratch = _scratch(values.dtype)
    total = squares = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(values), BLOCK):
            block = values[start:start + BLOCK]
            wide = scratch["float64"][:len(block)]
            np.copyto(wide, block)
            total += float(wide.sum())
            np.square(wide, out=wide)
            squares += float(wide.sum())
    return total, squares


def _scratch(dtype: np.dtype) -> dict[str, np.ndarray]:
    """This thread's scratch for ``dtype`` data, made on first use and kept."""
    cache = getattr(_local, "scratch", None)
    if cache is None:
        cache = _local.scratch = {}
    key = np.dtype(dtype).str
    if key not in cache:
        cache[key] = {"position": np.empty(BLOCK, dtype), "edge": np.empty(BLOCK, dtype),
                      "index": np.empty(BLOCK, np.uint8), "moved": np.empty(BLOCK, np.bool_),
                      "wide": np.empty(BLOCK, np.intp), "float64": np.empty(BLOCK, np.float64)}
    return cache[key]


def _views(scratch: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {name: array[:n] for name, array in scratch.items()}
