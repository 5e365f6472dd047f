"""What the framework integrations share: the framework import, the run they log to, configs."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import math
from collections.abc import Mapping
from typing import Any

import nbtrack

EXTRAS = {"keras": "keras", "lightning": "lightning", "pytorch_lightning": "lightning",
          "transformers": "transformers", "accelerate": "transformers"}


def require(module: str, what: str) -> Any:
    """Import ``module`` for ``what``, or raise an ``ImportError`` naming the extra that installs it.

    >>> require("json", "a test").__name__
    'json'
    >>> require("no_such_framework", "X")
    Traceback (most recent call last):
    ...
    ImportError: X needs the no_such_framework package, which is not installed: pip install "nbtrack[no_such_framework]"
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing and missing.split(".")[0] != module.split(".")[0]:  # installed, but failed to import
            raise ImportError(f"{what}: importing {module} failed: {exc}") from exc
        extra = EXTRAS.get(module, module)
        raise ImportError(f"{what} needs the {module} package, which is not installed: "
                          f'pip install "nbtrack[{extra}]"') from exc


class RunHolder:
    """The run an integration logs to: the one given, the current one, or one it creates.

    A run it created is its to finish; a run it was given (or found current) is left open.

    >>> import tempfile
    >>> holder = RunHolder(None, {"dir": tempfile.mkdtemp(), "name": "h"})
    >>> run = holder.get()
    >>> run.name, holder.owned
    ('h', True)
    >>> holder.finish()
    >>> run.finished, holder.get(reopen=True).id == run.id
    (True, True)
    >>> holder.finish()
    """

    def __init__(self, run: Any, init_kwargs: Mapping[str, Any]) -> None:
        if run is not None and not isinstance(run, nbtrack.Run):
            raise TypeError(f"run=...: expected an nbtrack.Run (from nbtrack.init()), got {type(run).__name__}")
        self._run = run
        self._init_kwargs = dict(init_kwargs)
        self.owned = False

    def get(self, reopen: bool = False) -> nbtrack.Run:
        """The run, started now (``nbtrack.init(**init_kwargs)``) if there is none yet.

        Once a run this holder created is finished, the next call starts a new run, or with
        ``reopen=True`` continues the same one (a new writer of the same run folder).
        """
        run = self._run
        if run is not None and run.finished and self.owned:
            if reopen and run.logdir is not None:
                kwargs = {k: v for k, v in self._init_kwargs.items() if k not in ("id", "resume", "dir", "name")}
                self._run = nbtrack.init(**kwargs, id=run.id, dir=run.logdir, resume="allow")
                return self._run
            run = None
        if run is None:
            current = nbtrack.run
            if current is not None and not self._init_kwargs:
                self._run, self.owned = current, False
            else:
                self._run, self.owned = nbtrack.init(**self._init_kwargs), True
        return self._run

    def peek(self) -> nbtrack.Run:
        """The run as it is, finished or not (started now only if there is none yet)."""
        return self._run if self._run is not None else self.get()

    @property
    def started(self) -> bool:
        """Whether a run was chosen or created already."""
        return self._run is not None

    def finish(self, exit_code: int = 0) -> None:
        """Finish the run if this integration created it."""
        if self._run is not None and self.owned and not self._run.finished:
            self._run.finish(exit_code=exit_code)


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-like data for a config: containers kept, anything else its ``str``.

    >>> plain({"a": (1, 2.5), "b": None, "c": float, "d": {"e": [True]}})
    {'a': [1, 2.5], 'b': None, 'c': "<class 'float'>", 'd': {'e': [True]}}
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if (hasattr(value, "item") and getattr(value, "ndim", None) == 0) or type(value).__module__ == "numpy":
        try:
            return plain(value.item(), depth)
        except (AttributeError, TypeError, ValueError):
            return str(value)
    if depth > 8:
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v, depth + 1) for v in value), key=repr)
    return str(value)


def as_mapping(config: Any) -> dict[str, Any]:
    """A dict from a Mapping, ``argparse.Namespace``, dataclass, or OmegaConf-like config.

    >>> as_mapping(argparse.Namespace(lr=0.1))
    {'lr': 0.1}
    """
    if config is None:
        return {}
    if isinstance(config, argparse.Namespace):
        return dict(vars(config))
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    to_container = getattr(type(config), "__module__", "").startswith("omegaconf")
    if to_container:
        omegaconf = importlib.import_module("omegaconf")
        return dict(omegaconf.OmegaConf.to_container(config, resolve=True))
    if isinstance(config, Mapping):
        return dict(config)
    if hasattr(config, "to_dict"):
        return dict(config.to_dict())
    if hasattr(config, "__dict__"):
        return {k: v for k, v in vars(config).items() if not k.startswith("_")}
    raise TypeError(f"expected a dict, an argparse.Namespace, a dataclass or an OmegaConf config, "
                    f"got {type(config).__name__}")


def flat_config(config: Any, sep: str = "/") -> dict[str, Any]:
    """``config`` flattened (nested keys joined with ``sep``) into JSON-like values.

    >>> flat_config({"model": {"layers": 2, "act": "relu"}, "lr": 1e-3, "betas": (0.9, 0.99)})
    {'model/layers': 2, 'model/act': 'relu', 'lr': 0.001, 'betas': [0.9, 0.99]}
    """
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        nested = value if isinstance(value, Mapping) else None
        if nested is None and depth < 8 and (isinstance(value, argparse.Namespace) or (
                dataclasses.is_dataclass(value) and not isinstance(value, type))):
            nested = as_mapping(value)
        if nested is not None and nested and depth < 8:
            for key, item in nested.items():
                walk(f"{prefix}{sep}{key}" if prefix else str(key), item, depth + 1)
        else:
            out[prefix] = plain(value)

    for key, value in as_mapping(config).items():
        walk(str(key), value, 0)
    return out


def scalar(value: Any) -> float | None:
    """A logged value as a float, or None if it is not one number.

    >>> scalar(3), scalar("x"), scalar([1, 2])
    (3.0, None, None)
    """
    if isinstance(value, bool):
        return float(value)
    try:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach()
            if value.numel() != 1:
                return None
            return float(value.cpu().item())
        if hasattr(value, "ndim") and hasattr(value, "size") and getattr(value, "size", 1) != 1:
            return None
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        return None
