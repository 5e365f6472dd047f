"""The hot-path buffers of a run and their conversion to columns.

``Run.log()`` appends ``(step, time, dict copy)`` to three plain lists and nothing
else. The writer thread (or a forced flush) calls :meth:`Collector.drain`, which takes
what is buffered and turns it into one long-form :class:`ScalarBatch` in log order.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from operator import itemgetter
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
    """Three append-only lists filled by ``log()`` and drained by the writer."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.times: list[float] = []
        self.dicts: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def pending(self) -> int:
        """How many ``log()`` calls are buffered."""
        return len(self.dicts)

    def drain(self) -> ScalarBatch | None:
        """Take everything buffered so far (thread-safe against concurrent appends)."""
        with self.lock:
            n = len(self.dicts)  # appended last in log(), so steps/times hold >= n
            if not n:
                return None
            dicts = self.dicts[:n]
            del self.dicts[:n]
            steps = self.steps[:n]
            del self.steps[:n]
            times = self.times[:n]
            del self.times[:n]
        return columnarise(steps, times, dicts)


def columnarise(steps: list[int], times: list[float], dicts: list[dict[str, Any]]) -> ScalarBatch:
    """Turn per-call dicts into a long-form batch, vectorised when the key set repeats."""
    first = dicts[0].keys()
    if all(map(first.__eq__, map(dict.keys, dicts))):
        try:
            return _columnarise_uniform(steps, times, dicts, tuple(first))
        except (OverflowError, ValueError, TypeError):
            pass  # a value numpy could not take as float64: fall back to the slow path
    return _columnarise_general(steps, times, dicts)


def _columnarise_uniform(steps: list[int], times: list[float], dicts: list[dict[str, Any]],
                         keys: tuple[str, ...]) -> ScalarBatch:
    n, k = len(dicts), len(keys)
    if k == 0:
        return _empty()
    cols = [np.fromiter(map(itemgetter(key), dicts), np.float64, n) for key in keys]
    values = np.stack(cols, axis=1).reshape(-1) if k > 1 else cols[0]
    return ScalarBatch(
        names=list(keys),
        tag_index=np.tile(np.arange(k, dtype=np.int32), n),
        steps=np.repeat(np.asarray(steps, dtype=np.int64), k),
        times=np.repeat(np.asarray(times, dtype=np.float64), k),
        values=values,
        period=k,
    )


def _columnarise_general(steps: list[int], times: list[float], dicts: list[dict[str, Any]]) -> ScalarBatch:
    ids: dict[str, int] = {}
    tag_index: list[int] = []
    out_steps: list[int] = []
    out_times: list[float] = []
    values: list[float] = []
    for step, t, d in zip(steps, times, dicts):
        for key, value in d.items():
            tag_index.append(ids.setdefault(key, len(ids)))
            out_steps.append(step)
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
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _empty() -> ScalarBatch:
    z = np.zeros(0)
    return ScalarBatch([], np.zeros(0, np.int32), np.zeros(0, np.int64), z, z)
