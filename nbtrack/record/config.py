"""``Run.config``: the run's hyperparameters, with attribute and item access."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .convert import to_jsonable


def config_to_dict(config: Any, where: str = "init(config=...)") -> dict[str, Any]:
    """Accept a dict, an ``argparse.Namespace``, a dataclass or ``None`` as a config."""
    if config is None:
        return {}
    if isinstance(config, Config):
        return config.as_dict()
    if isinstance(config, Mapping):
        items = dict(config)
    elif dataclasses.is_dataclass(config) and not isinstance(config, type):
        items = dataclasses.asdict(config)
    elif type(config).__name__ == "Namespace" and hasattr(config, "__dict__"):
        items = dict(vars(config))
    else:
        raise TypeError(
            f"{where}: expected a dict, an argparse.Namespace or a dataclass instance, "
            f"got {type(config).__name__}"
        )
    for key in items:
        if not isinstance(key, str):
            raise TypeError(f"{where}: config keys must be str, got {type(key).__name__} {key!r}")
    return {k: to_jsonable(k, v, where) for k, v in items.items()}


class Config:
    """Hyperparameters of a run: ``run.config.lr``, ``run.config["lr"]``, ``update()``.

    Changing the value of an existing key warns unless ``allow_val_change=True`` is
    passed to :meth:`update`. Values must be JSON-like (numbers, strings, lists, dicts).

    >>> import nbtrack, tempfile
    >>> run = nbtrack.init(dir=tempfile.mkdtemp(), config={"lr": 0.1})
    >>> run.config.lr, run.config["lr"]
    (0.1, 0.1)
    >>> run.config.update({"batch_size": 32})
    >>> run.finish()
    """

    def __init__(self, data: dict[str, Any] | None = None,
                 on_change: Callable[[], None] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_on_change", on_change)

    def update(self, data: Any, allow_val_change: bool = False) -> None:
        """Add or change several keys at once."""
        for key, value in config_to_dict(data, "config.update()").items():
            self._set(key, value, allow_val_change)

    def setdefaults(self, data: Mapping[str, Any]) -> None:
        """Set only the keys that are not set yet."""
        self.update({k: v for k, v in data.items() if k not in self._data})

    def as_dict(self) -> dict[str, Any]:
        """A plain-dict copy of the config."""
        return dict(self._data)

    def _set(self, key: str, value: Any, allow_val_change: bool = False) -> None:
        if not isinstance(key, str):
            raise TypeError(f"config keys must be str, got {type(key).__name__} {key!r}")
        value = to_jsonable(key, value)
        old = self._data.get(key, _MISSING)
        if old is not _MISSING and old != value and not allow_val_change:
            warnings.warn(
                f"config key {key!r} changed from {old!r} to {value!r}; pass "
                "allow_val_change=True to config.update() to change values silently",
                UserWarning, stacklevel=3,
            )
        if old != value:
            self._data[key] = value
            if self._on_change is not None:
                self._on_change()

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._set(key, value)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


_MISSING = object()
