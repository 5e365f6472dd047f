"""``Run.summary``: one value (or a few statistics) per metric, and ``define_metric``."""

from __future__ import annotations

import fnmatch
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbtrack.paths import is_system_tag

from .convert import to_jsonable

SUMMARY_KINDS = ("min", "max", "mean", "last", "first", "best", "none")
GOALS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}


@dataclass(frozen=True)
class MetricDefinition:
    """How a metric (or a glob of metrics such as ``"val/*"``) is summarised."""

    name: str
    summary: tuple[str, ...] = ("last",)
    goal: str | None = None
    step_metric: str | None = None
    hidden: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "summary": list(self.summary), "goal": self.goal,
                "step_metric": self.step_metric, "hidden": self.hidden}


def make_definition(name: str, summary: str | None, goal: str | None,
                    step_metric: str | None, hidden: bool) -> MetricDefinition:
    """Validate ``define_metric`` arguments; raise ``ValueError`` naming the bad one."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"define_metric(): name must be a non-empty str, got {name!r}")
    kinds = tuple(s.strip() for s in (summary or "last").split(",") if s.strip())
    bad = [k for k in kinds if k not in SUMMARY_KINDS]
    if bad or not kinds:
        raise ValueError(f"define_metric(): summary={summary!r} is not accepted; use one or a "
                         f"comma-separated list of {SUMMARY_KINDS}")
    if goal is not None and goal not in GOALS:
        raise ValueError(f"define_metric(): goal={goal!r} is not accepted; use 'minimize' or 'maximize'")
    if "best" in kinds and goal is None:
        raise ValueError("define_metric(): summary='best' needs goal='minimize' or 'maximize'")
    return MetricDefinition(name, kinds, GOALS.get(goal or ""), step_metric, bool(hidden))


@dataclass
class TagStats:
    """Running statistics of one metric over finite values (``last`` may be NaN/Inf)."""

    first: float = math.nan
    last: float = math.nan
    last_step: int = -1
    minimum: float = math.inf
    maximum: float = -math.inf
    total: float = 0.0
    count: int = 0
    seen: int = field(default=0)

    def add(self, steps: np.ndarray, values: np.ndarray) -> None:
        if not len(values):
            return
        if self.seen == 0:
            self.first = float(values[0])
        self.seen += len(values)
        self.last, self.last_step = float(values[-1]), int(steps[-1])
        finite = values[np.isfinite(values)]
        if len(finite):
            self.minimum = min(self.minimum, float(finite.min()))
            self.maximum = max(self.maximum, float(finite.max()))
            self.total += float(finite.sum())
            self.count += len(finite)

    def value(self, kind: str, goal: str | None) -> float | None:
        if kind == "best":
            kind = "min" if goal == "minimize" else "max"
        table = {"first": self.first, "last": self.last,
                 "min": self.minimum if self.count else None,
                 "max": self.maximum if self.count else None,
                 "mean": self.total / self.count if self.count else None}
        return table.get(kind)


class Summary:
    """A run's summary: the last value of each metric unless ``define_metric`` says otherwise.

    Values set by hand (``run.summary["best_acc"] = 0.93``) take precedence.

    >>> import nbtrack, tempfile
    >>> run = nbtrack.init(dir=tempfile.mkdtemp())
    >>> run.define_metric("loss", summary="min")
    >>> for x in (3.0, 1.0, 2.0): run.log({"loss": x, "acc": x / 4})
    >>> run.summary["loss"], run.summary["acc"]
    ({'min': 1.0}, 0.5)
    >>> run.finish()
    """

    def __init__(self, refresh: Callable[[], None] | None = None,
                 on_change: Callable[[], None] | None = None) -> None:
        self._refresh = refresh
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stats: dict[str, TagStats] = {}
        self._definitions: list[MetricDefinition] = []
        self._overrides: dict[str, Any] = {}
        self._base: dict[str, Any] = {}

    # -- fed by the writer -------------------------------------------------------
    def absorb(self, columns: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Fold new ``{tag: (steps, values)}`` columns into the statistics (system metrics stay out, as in wandb)."""
        with self._lock:
            for name, (steps, values) in columns.items():
                if is_system_tag(name):
                    continue
                self._stats.setdefault(name, TagStats()).add(steps, values)

    def define(self, definition: MetricDefinition) -> None:
        with self._lock:
            self._definitions = [d for d in self._definitions if d.name != definition.name]
            self._definitions.append(definition)
        self._changed()

    def set_base(self, values: Mapping[str, Any]) -> None:
        """Values carried over from earlier writers of a resumed run."""
        self._base = dict(values)

    def definitions(self) -> list[dict[str, Any]]:
        return [d.as_dict() for d in self._definitions]

    # -- what users see ----------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict (flushes pending ``log()`` calls first)."""
        if self._refresh is not None:
            self._refresh()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        """The summary as it stands, without draining pending records."""
        with self._lock:
            out = dict(self._base)
            for name, stats in self._stats.items():
                out[name] = self._summarise(name, stats)
            out.update(self._overrides)
        return {k: v for k, v in out.items() if v is not _HIDDEN}

    def _summarise(self, name: str, stats: TagStats) -> Any:
        definition = next((d for d in reversed(self._definitions)
                           if fnmatch.fnmatchcase(name, d.name)), None)
        if definition is None:
            return stats.last
        if definition.hidden or definition.summary == ("none",):
            return _HIDDEN
        if definition.summary == ("last",):
            return stats.last
        return {k: stats.value(k, definition.goal) for k in definition.summary if k != "none"}

    def update(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self[key] = value

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"summary keys must be str, got {type(key).__name__}")
        with self._lock:
            self._overrides[key] = to_jsonable(key, value, "summary")
        self._changed()

    def __delitem__(self, key: str) -> None:
        with self._lock:
            self._overrides[key] = _HIDDEN
        self._changed()

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self.as_dict()[key]
        except KeyError:
            raise AttributeError(f"summary has no key {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def keys(self) -> Any:
        return self.as_dict().keys()

    def items(self) -> Any:
        return self.as_dict().items()

    def get(self, key: str, default: Any = None) -> Any:
        return self.as_dict().get(key, default)

    def __repr__(self) -> str:
        return f"Summary({self.snapshot()!r})"


class _Hidden:
    def __repr__(self) -> str:
        return "<hidden>"


_HIDDEN = _Hidden()
