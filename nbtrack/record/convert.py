"""Validation and conversion of what users pass to ``log()`` and ``config``.

Framework tensors (torch, jax, tensorflow) are recognised by duck typing, so none of
those frameworks is ever imported here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

RESERVED_KEYS = frozenset({"_step", "_time"})
MAX_KEY_LENGTH = 1000
_FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow", "cupy", "mlx")

ACCEPTED = (
    "int, float, bool, a numpy scalar or 1-element array, a 1-element torch/jax tensor, "
    "or a nested dict of those"
)


def check_key(key: object, where: str = "log()") -> str:
    """Validate one metric name; return it."""
    if not isinstance(key, str):
        raise TypeError(f"{where}: metric names must be str, got {type(key).__name__} {key!r}")
    if not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
        raise ValueError(
            f"{where}: metric name {key[:60]!r} is not accepted: names must be 1 to "
            f"{MAX_KEY_LENGTH} characters without NUL"
        )
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: metric name {key[:60]!r} holds lone surrogates and is not valid Unicode") from None
    if key in RESERVED_KEYS:
        raise ValueError(f"{where}: metric name {key!r} is reserved ({sorted(RESERVED_KEYS)})")
    return key


def is_framework_tensor(value: object) -> bool:
    """True for a torch/jax/tensorflow array-like, recognised without importing it."""
    module = type(value).__module__.split(".", 1)[0]
    return module in _FRAMEWORKS and hasattr(value, "shape")


def to_float(key: str, value: object) -> float:
    """Convert one logged value to a Python float, or raise ``TypeError`` naming ``key``.

    A CUDA tensor is copied to the host here (one device sync per call).
    """
    if isinstance(value, (bool, numbers.Real)) and not isinstance(value, np.ndarray):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf  # type: ignore[operator]
    if isinstance(value, np.ndarray) or is_framework_tensor(value):
        size = int(np.prod(getattr(value, "shape", ()) or (1,)))
        if size == 1:
            item = value.item() if hasattr(value, "item") else value
            if isinstance(item, (bool, numbers.Real)):
                return float(item)
        raise TypeError(
            f"log(): value for {key!r} is a {type(value).__name__} of shape "
            f"{tuple(getattr(value, 'shape', ()))}; log() takes {ACCEPTED} "
            "(use nbtrack.Histogram for arrays)"
        )
    raise TypeError(f"log(): value for {key!r} has unsupported type {type(value).__name__}; "
                    f"log() takes {ACCEPTED}")


def flatten_metrics(data: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts with ``/`` and convert every leaf to a float.

    >>> flatten_metrics({"train": {"loss": 1, "acc": 0.5}})
    {'train/loss': 1.0, 'train/acc': 0.5}
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        check_key(key)
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_metrics(value, f"{name}/"))
        else:
            out[check_key(name)] = to_float(name, value)
    return out


def to_jsonable(key: str, value: Any, where: str = "config") -> Any:
    """Convert a config value to plain JSON types, or raise ``TypeError`` naming ``key``."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(f"{key}.{k}", v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(f"{key}[{i}]", v, where) for i, v in enumerate(items)]
    if isinstance(value, np.ndarray) and value.size <= 10_000:
        return value.tolist()
    if is_framework_tensor(value) and hasattr(value, "tolist"):
        return value.tolist()
    import os
    from pathlib import PurePath

    if isinstance(value, PurePath):
        return os.fspath(value)
    raise TypeError(
        f"{where}: value for {key!r} has type {type(value).__name__}, which cannot be "
        "stored; accepted are None, str, bool, int, float, numpy scalars, lists, tuples "
        "and dicts of those"
    )


def split_metrics(data: Mapping[Any, Any],
                  prefix: str = "") -> tuple[dict[str, float], list[tuple[str, Any, int | None]]]:
    """Flatten nested dicts with ``/``: numbers as floats, value types (and lists of them) apart.

    >>> split_metrics({"loss": 1, "val": {"acc": 0.5}})
    ({'loss': 1.0, 'val/acc': 0.5}, [])
    """
    from nbtrack.values._base import Value

    scalars: dict[str, float] = {}
    values: list[tuple[str, Any, int | None]] = []
    for key, value in data.items():
        check_key(key)
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            inner_scalars, inner_values = split_metrics(value, f"{name}/")
            for inner in [*inner_scalars, *{key for key, _, _ in inner_values}]:
                _check_unique(inner, scalars, values)
            scalars.update(inner_scalars)
            values.extend(inner_values)
        elif isinstance(value, Value):
            _check_unique(name, scalars, values)
            values.append((check_key(name), value, None))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Value) for v in value):
            check_key(name)
            _check_unique(name, scalars, values)
            values.extend((name, v, i) for i, v in enumerate(value))
        else:
            _check_unique(name, scalars, values)
            scalars[check_key(name)] = to_float(name, value)
    _check_unique_merged(scalars, values)
    return scalars, values


def _check_unique(name: str, scalars: dict[str, float], values: list[tuple[str, Any, int | None]]) -> None:
    if name in scalars or any(key == name for key, _, _ in values):
        raise ValueError(f"log(): the key {name!r} is given twice (nested dicts are flattened with '/')")


def _check_unique_merged(scalars: dict[str, float], values: list[tuple[str, Any, int | None]]) -> None:
    keys = {key for key, _, index in values if not index}
    clash = keys & scalars.keys()
    if clash:
        raise ValueError(f"log(): the key {sorted(clash)[0]!r} is given twice (nested dicts are flattened with '/')")
