"""Compact columns: a series' steps, values and times in fewer bytes, for outputs that must stay small.

An HTML report carries hundreds of series; as float64 each point costs 24 bytes before
compression. ``js/src/columns.js`` decodes each of these forms back to a ``Float64Array``:

- a string: base64 of float64, little-endian (exact; what notebook outputs use);
- ``{"range": [start, stride, n]}``: steps that form one arithmetic sequence (exact);
- ``{"i4d": base64 int32 deltas, "start": s, "scale": k}``: ``x[i] = s + k * (d[0] + ... + d[i])``;
  integer steps with ``k = 1`` (exact) and wall times in milliseconds with ``k = 0.001``;
- ``{"f4": base64 float32}``: values rounded to float32 (about 7 significant digits).

Each encoder falls back to the exact float64 form when its form would not hold the data
(non-integer or huge steps, float32 overflow, deltas beyond int32).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

Column = str | dict[str, Any]
_INT32 = np.iinfo(np.int32)
_F32_MAX = float(np.finfo(np.float32).max)


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def exact(values: np.ndarray) -> str:
    """The float64 form (base64 text).

    >>> exact(np.array([1.0]))
    'AAAAAAAA8D8='
    """
    return _b64(values, "<f8")


def steps_column(steps: np.ndarray) -> Column:
    """Steps as a range when they form one, else as int32 deltas, else exact.

    >>> steps_column(np.arange(0.0, 50.0, 5.0))
    {'range': [0.0, 5.0, 10]}
    >>> sorted(steps_column(np.array([0.0, 1.0, 7.0])))
    ['i4d', 'scale', 'start']
    >>> steps_column(np.array([0.5, 1.0, 7.0]))[:4]
    'AAAA'
    """
    steps = np.asarray(steps, np.float64)
    n = len(steps)
    if n == 0:
        return {"range": [0.0, 1.0, 0]}
    if not np.all(np.isfinite(steps)) or np.any(steps != np.round(steps)):
        return exact(steps)
    stride = float(steps[1] - steps[0]) if n > 1 else 1.0
    if n == 1 or np.array_equal(steps, steps[0] + stride * np.arange(n)):
        return {"range": [float(steps[0]), stride, n]}
    return _deltas(steps - steps[0], 1.0, float(steps[0])) or exact(steps)


def times_column(times: np.ndarray) -> Column:
    """Wall times to the millisecond as int32 deltas (exact float64 when they do not fit).

    >>> column = times_column(np.array([1.7e9, 1.7e9 + 0.0504, 1.7e9 + 2.0]))
    >>> column["scale"], decode(column).round(3).tolist() == [1.7e9, 1.7e9 + 0.050, 1.7e9 + 2.0]
    (0.001, True)
    """
    times = np.asarray(times, np.float64)
    if len(times) == 0 or not np.all(np.isfinite(times)):
        return exact(times)
    start = float(np.round(times[0], 3))
    return _deltas(np.round((times - start) * 1000.0), 0.001, start) or exact(times)


def values_column(values: np.ndarray) -> Column:
    """Values as float32 (NaN and ±Inf kept); exact when a finite value would overflow float32.

    >>> back = decode(values_column(np.array([0.1, np.nan, -np.inf])))
    >>> round(float(back[0]), 7), back.tolist()[1:]
    (0.1, [nan, -inf])
    >>> isinstance(values_column(np.array([1e300])), str)
    True
    """
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if len(finite) and float(np.max(np.abs(finite))) > _F32_MAX:
        return exact(values)
    return {"f4": _b64(values, "<f4")}


def _deltas(offsets: np.ndarray, scale: float, start: float) -> dict[str, Any] | None:
    """Integer ``offsets`` from ``start`` (in units of ``scale``) as int32 deltas, or None if they do not fit."""
    deltas = np.diff(offsets, prepend=0.0)
    if len(deltas) and (deltas.min() < _INT32.min or deltas.max() > _INT32.max):
        return None
    return {"i4d": _b64(deltas, "<i4"), "start": start, "scale": scale}


def decode(column: Column) -> np.ndarray:
    """A column back as float64 (what the browser does; for tests and tools).

    >>> decode({"range": [10.0, 2.0, 3]}).tolist(), decode(steps_column(np.array([3.0, 4.0, 9.0]))).tolist()
    ([10.0, 12.0, 14.0], [3.0, 4.0, 9.0])
    """
    if isinstance(column, str):
        return np.frombuffer(base64.b64decode(column), "<f8").astype(np.float64)
    if "range" in column:
        start, stride, n = column["range"]
        return start + stride * np.arange(int(n), dtype=np.float64)
    if "f4" in column:
        return np.frombuffer(base64.b64decode(column["f4"]), "<f4").astype(np.float64)
    if "i4d" in column:
        deltas = np.frombuffer(base64.b64decode(column["i4d"]), "<i4").astype(np.float64)
        return column["start"] + column["scale"] * np.cumsum(deltas)
    raise ValueError(f"not a compact column: keys {sorted(column)}; expected range, f4 or i4d")
