"""The records a run's writer hands to its sinks (storage, live feeds) at each flush.

``ScalarBatch`` holds the scalars drained from the recorder's buffers, in long form;
``MediaItem`` one encoded value (image, histogram, text, ...) with where and when it was
logged. Both are plain data: sinks in ``store/`` and ``dashboard/`` receive them and the
recorder in ``record/`` makes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .columns import rows_by_tag


@dataclass
class ScalarBatch:
    """Scalars in long form, in log order: row ``i`` is ``names[tag_index[i]]`` at ``steps[i]``.

    When ``period`` is set, every call logged the same ``period`` keys, in the order of
    ``names``, so the rows of tag ``j`` are ``values[j::period]``.
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
        """``{name: (steps, values)}`` for each tag of the batch, in log order."""
        return {name: (steps, values) for name, (steps, values, _) in self.series().items()}

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``{name: (steps, values, times)}`` for each tag of the batch, in log order."""
        rows = rows_by_tag(self.tag_index, len(self.names), self.period)
        return {self.names[t]: (self.steps[r], self.values[r], self.times[r]) for t, r in sorted(rows.items())}


@dataclass
class MediaItem:
    """An encoded value waiting to be stored, with where and when it was logged."""

    tag: str
    step: int
    time: float
    encoded: Any  # values._base.Encoded
    index: int | None = None  # position in a gallery logged as a list
    stored: tuple[str | None, dict[str, Any]] | None = None  # files written: kept across retries

    @property
    def is_histogram(self) -> bool:
        return self.encoded.kind == "histogram"


def meta_json(meta: dict[str, Any]) -> str:
    """A record's metadata as strict JSON (no NaN, no objects JSON has no form for)."""
    return json.dumps(meta, ensure_ascii=False, allow_nan=False, default=_strict_default)


def _strict_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"metadata value of type {type(value).__name__} cannot be stored as JSON")


