"""``Run.watch``: histograms of a torch model's gradients and parameters, wandb-style.

Every ``log_freq`` calls (counted per parameter by a gradient hook, which fires on backward,
and per model by a forward hook for the parameters, as ``wandb.watch`` counts them) a
tensor is binned in 64 bins (as wandb). A tensor on an accelerator is binned ON ITS DEVICE
(``torch.aminmax`` and ``torch.histc``), so only 64 counts and two edges cross to the host;
a CPU tensor is copied and binned by nbtrack's writer thread, off the training thread. NaN
and +/-Inf are counted beside the bins, never dropped silently. The histograms are logged
with ``commit=False`` at the run's current step, under ``gradients/<name>`` and
``parameters/<name>`` (a second model gets wandb's prefix: ``gradients/graph_1fc.weight``).

Hooks keep nothing alive: they hold a parameter's name, a counter and a weak reference to
this run's watcher, which holds weak references to the run and the models. A hook never
raises into training: a failure warns once per tag (``RuntimeWarning``) and is counted in
``watcher_of(run).failures``. Imports torch only when a model is watched; reaches nbtrack
only through its public face.
"""

from __future__ import annotations

import math
import sys
import threading
import warnings
import weakref
from typing import Any

import numpy as np

import nbtrack

BINS = 64  # wandb's bin count
LOG_CHOICES = ("gradients", "parameters", "all", None)
INSTALL = 'pip install "nbtrack[torch]"'
_FLOAT32_MAX = float(np.finfo(np.float32).max)

_watchers: weakref.WeakKeyDictionary[Any, Watcher] = weakref.WeakKeyDictionary()  # run -> its watcher
_watchers_lock = threading.Lock()


def watch(run: Any, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False) -> None:
    """Hook ``models`` (a ``torch.nn.Module`` or a list/tuple of them) into ``run``: see :meth:`Run.watch`."""
    if log not in LOG_CHOICES:
        raise ValueError(f"watch(log=...) takes 'gradients', 'parameters', 'all' or None, got {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"watch(log_freq=...) takes an int >= 1 (log every log_freq batches), got {log_freq!r}")
    if idx is not None and (isinstance(idx, bool) or not isinstance(idx, int) or idx < 0):
        raise ValueError(f"watch(idx=...) takes None or an int >= 0, got {idx!r}")
    modules = _modules(models, "watch")
    if run.finished:
        raise RuntimeError(f"run {run.id} is finished; watch() a model before finish()")
    watcher_of(run).watch(modules, log, log_freq, idx, log_graph)


def unwatch(run: Any, models: Any = None) -> None:
    """Remove the hooks ``watch`` put on ``models`` (all watched models when None): see :meth:`Run.unwatch`."""
    with _watchers_lock:
        watcher = _watchers.get(run)
    if models is None:
        if watcher is not None:
            watcher.unwatch_all()
        return
    for model in _modules(models, "unwatch"):
        if watcher is None or not watcher.unwatch(model):
            warnings.warn(f"nbtrack: unwatch(): {type(model).__name__} model was not watched by run {run.id}",
                          UserWarning, stacklevel=4)


def watcher_of(run: Any) -> Watcher:
    """The run's watcher (made on first use): what it watches and ``failures`` per tag."""
    with _watchers_lock:
        watcher = _watchers.get(run)
        if watcher is None:
            watcher = _watchers[run] = Watcher(run)
        return watcher


def _torch() -> Any:
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"Run.watch() needs torch, which is not installed: {INSTALL}") from error
    return torch


def _modules(models: Any, where: str) -> list[Any]:
    torch = _torch()
    items = list(models) if isinstance(models, (list, tuple)) else [models]
    bad = [type(m).__name__ for m in items if not isinstance(m, torch.nn.Module)]
    if bad or not items:
        got = f"{type(models).__name__}" + (f" holding {', '.join(bad)}" if bad and items is not models else "")
        raise TypeError(f"{where}(models=...) takes a torch.nn.Module or a list/tuple of them, got "
                        f"{got if items else 'an empty ' + type(models).__name__}")
    return items


class _Counter:
    """wandb's ``log_track``: True on every ``freq``-th call."""

    __slots__ = ("count", "freq")

    def __init__(self, freq: int) -> None:
        self.count, self.freq = 0, freq

    def due(self) -> bool:
        self.count += 1
        if self.count < self.freq:
            return False
        self.count = 0
        return True


class _Watched:
    """One watched model: a weak reference to it, its hook handles and its index."""

    __slots__ = ("handles", "idx", "model")

    def __init__(self, model: weakref.ref[Any], idx: int) -> None:
        self.model, self.idx, self.handles = model, idx, []

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()


class Watcher:
    """What one run watches. Holds only weak references to the run and the models."""

    def __init__(self, run: Any) -> None:
        self._run = weakref.ref(run)
        self._lock = threading.Lock()
        self._watched: dict[int, _Watched] = {}  # id(model) -> its hooks (the entry goes when the model dies)
        self._next_idx = 0
        self.failures: dict[str, int] = {}  # tag -> hook calls that could not log it

    @property
    def models(self) -> list[Any]:
        """The watched models still alive."""
        with self._lock:
            entries = list(self._watched.values())
        return [m for m in (e.model() for e in entries) if m is not None]

    def watch(self, models: list[Any], log: str | None, log_freq: int, idx: int | None, log_graph: bool) -> None:
        first = self._next_idx if idx is None else idx
        for local, model in enumerate(models):
            with self._lock:
                old = self._watched.pop(id(model), None)
            if old is not None and old.model() is model:  # watched again: replace its hooks, keep its name
                old.remove()
                number = old.idx if idx is None else idx + local
            else:
                number = first + local
            self._next_idx = max(self._next_idx, number + 1)
            entry = _Watched(weakref.ref(model, self._forget_callback(id(model))), number)
            prefix = f"graph_{number}" if number > 0 else ""  # wandb's names: gradients/graph_1fc.weight
            me = weakref.ref(self)
            if log in ("gradients", "all"):
                for name, parameter in model.named_parameters():
                    if parameter.requires_grad:
                        entry.handles.append(parameter.register_hook(
                            _gradient_hook(me, f"gradients/{prefix}{name}", _Counter(log_freq))))
            if log in ("parameters", "all"):
                entry.handles.append(model.register_forward_hook(
                    _parameter_hook(me, f"parameters/{prefix}", _Counter(log_freq))))
            with self._lock:
                self._watched[id(model)] = entry
            if log_graph:
                self._log({"model_graph" if number == 0 else f"model_graph_{number}": nbtrack.ModelGraph(model)})

    def unwatch(self, model: Any) -> bool:
        """Remove ``model``'s hooks; False when it was not watched."""
        with self._lock:
            entry = self._watched.get(id(model))
            if entry is None or entry.model() is not model:
                return False
            del self._watched[id(model)]
        entry.remove()
        return True

    def unwatch_all(self) -> None:
        with self._lock:
            entries, self._watched = list(self._watched.values()), {}
        for entry in entries:
            entry.remove()

    def _forget_callback(self, key: int) -> Any:
        me = weakref.ref(self)

        def forget(dead: weakref.ref[Any]) -> None:  # the model was collected: its hooks went with it
            watcher = me()
            if watcher is not None:
                with watcher._lock:
                    if key in watcher._watched and watcher._watched[key].model is dead:
                        del watcher._watched[key]
        return forget

    def log_tensors(self, tensors: list[tuple[str, Any]]) -> None:
        """Bin each tensor on its device and log the histograms at the run's step; never raises."""
        run = self._run()
        if run is None or run.finished:  # the run ended: its hooks go at their next call
            self.unwatch_all()
            return
        histograms = {}
        for tag, tensor in tensors:
            try:
                histogram = tensor_histogram(tensor)
            except Exception as error:
                self.failed(tag, error)
            else:
                if histogram is not None:
                    histograms[tag] = histogram
        if histograms:
            self._log(histograms)

    def _log(self, data: dict[str, Any]) -> None:
        run = self._run()
        if run is None or run.finished:
            return
        try:
            run.log(data, commit=False)
        except Exception as error:
            for tag in data:
                self.failed(tag, error)

    def failed(self, tag: str, error: BaseException) -> None:
        with self._lock:
            first = tag not in self.failures
            self.failures[tag] = self.failures.get(tag, 0) + 1
        if first:
            warnings.warn(f"nbtrack: watch() could not log {tag!r} ({type(error).__name__}: {error}); training goes "
                          "on, and further failures of this tag are only counted", RuntimeWarning, stacklevel=2)


def _gradient_hook(watcher: weakref.ref[Watcher], tag: str, counter: _Counter) -> Any:
    """A tensor hook: logs the gradient's histogram every ``freq``-th backward; returns None (grad unchanged)."""

    def hook(grad: Any) -> None:
        try:
            if counter.due():
                owner = watcher()
                if owner is not None:
                    owner.log_tensors([(tag, grad)])
        except Exception as error:  # a hook must never stop training
            owner = watcher()
            if owner is not None:
                owner.failed(tag, error)
    return hook


def _parameter_hook(watcher: weakref.ref[Watcher], prefix: str, counter: _Counter) -> Any:
    """A forward hook on the model: logs every parameter's histogram every ``freq``-th forward call."""

    def hook(module: Any, _inputs: Any, _output: Any) -> None:
        try:
            if counter.due():
                owner = watcher()
                if owner is not None:
                    owner.log_tensors([(prefix + name, p) for name, p in module.named_parameters()])
        except Exception as error:  # a hook must never stop training
            owner = watcher()
            if owner is not None:
                owner.failed(prefix, error)
    return hook


def tensor_histogram(tensor: Any, bins: int = BINS) -> Any:
    """``nbtrack.Histogram`` of a tensor (None for an empty one): binned on its device, or by nbtrack's writer.

    A tensor on an accelerator (or a sparse one) goes to :func:`device_histogram`. A dense CPU
    tensor is already where its counts are needed: ``nbtrack.Histogram`` copies it (a memcpy)
    and the writer thread bins it as ``numpy.histogram`` does, off the training thread (torch's
    CPU ``histc`` would take milliseconds of the step for a million values).
    """
    torch = sys.modules["torch"]
    values = tensor.detach()
    if values.device.type != "cpu" or values.layout != torch.strided:
        return device_histogram(values, bins)
    if values.numel() == 0:
        return None
    if values.dtype not in (torch.float32, torch.float64):
        values = values.float()  # float16/bfloat16/ints: numpy has no bfloat16
    return nbtrack.Histogram(values, bins=bins)


def device_histogram(tensor: Any, bins: int = BINS) -> Any:
    """``nbtrack.Histogram`` of a tensor's values, binned on the tensor's device (None for an empty tensor).

    One ``aminmax`` and one ``histc`` on the device; to the host go the range and ``bins``
    counts (and, only when the range is not finite, the NaN/Inf counts). A sparse tensor's
    implicit zeros are counted in the bin holding 0.

    >>> import torch
    >>> h = device_histogram(torch.tensor([0.0, 1.0, 1.0, float("nan")]), bins=2)
    >>> m = h.encode(); m.arrays["counts"].tolist(), m.meta["nan"], m.arrays["edges"].tolist()
    ([1.0, 2.0], 1, [0.0, 0.5, 1.0])
    """
    torch = sys.modules["torch"]
    values = tensor.detach()
    zeros = 0
    if values.layout != torch.strided:  # sparse: histogram the stored values, add the implicit zeros
        values = values.coalesce()
        zeros = values.numel() - values.values().numel()
        values = values.values()
    flat = values.reshape(-1)
    if flat.dtype not in (torch.float32, torch.float64):
        flat = flat.float()  # histc takes float32/64 everywhere; halves and ints are exact in float32 ranges
    if flat.numel() == 0 and not zeros:
        return None
    nan = posinf = neginf = 0
    if flat.numel():
        low, high = torch.stack(torch.aminmax(flat)).tolist()  # NaN propagates: one sync says "all finite"
        if not (math.isfinite(low) and math.isfinite(high)):
            finite = torch.isfinite(flat)
            counts = torch.stack((finite.sum(), torch.isnan(flat).sum(), (flat == math.inf).sum())).tolist()
            nan, posinf = int(counts[1]), int(counts[2])
            neginf = flat.numel() - int(counts[0]) - nan - posinf
            flat = flat[finite]
            low, high = torch.stack(torch.aminmax(flat)).tolist() if flat.numel() else (0.0, 0.0)
    else:
        low = high = 0.0
    if zeros:
        low, high = min(low, 0.0), max(high, 0.0)
    if flat.numel() == 0 and not zeros:  # every value NaN or Inf
        return nbtrack.Histogram.from_counts(np.zeros(bins), np.linspace(0.0, 1.0, bins + 1), nan=nan,
                                             posinf=posinf, neginf=neginf)
    if low == high:  # one value: a margin that stays visible at any magnitude
        pad = max(0.5, abs(low) * 2.0**-20)
        low, high = low - pad, high + pad
    if flat.dtype == torch.float32 and high - low > _FLOAT32_MAX:
        flat = flat.double()  # the span overflows float32 inside histc
    edges = np.linspace(low, high, bins + 1)
    counts = torch.histc(flat, bins=bins, min=low, max=high).cpu().numpy().astype(np.float64) if flat.numel() \
        else np.zeros(bins)
    if zeros:
        counts[min(int(np.searchsorted(edges, 0.0, side="right")) - 1, bins - 1)] += zeros
    return nbtrack.Histogram.from_counts(counts, edges, nan=nan, posinf=posinf, neginf=neginf)
