"""``TrackCallback``: Keras 3's ``model.fit`` recorded in an nbtrack run (any backend).

Names follow wandb's ``WandbMetricsLogger``, each family on its own x axis
(``run.define_metric(..., step_metric=...)``), so the run's own step only ever advances:

- ``batch/<metric>`` every ``log_freq`` batches, with ``batch/batch_step`` (batches seen in
  this callback's life) and ``batch/learning_rate``;
- ``epoch/<metric>`` at each epoch's end, with ``epoch/epoch`` and ``epoch/learning_rate``, and the
  validation metrics Keras names ``val_<metric>`` as ``val/<metric>`` (on the epoch axis too, and named as
  Lightning's and most training loops' are, so runs of several frameworks share their columns);
- ``weights/<layer>/<variable>`` histograms every ``histogram_freq`` epochs, and what the
  ``images`` callable returns every ``images_freq`` epochs, on the epoch axis.

Keras picks its backend when first imported (``KERAS_BACKEND``, or ``~/.keras/keras.json``);
when neither chose one (or the file names TensorFlow) and TensorFlow is not installed, importing this module sets
``KERAS_BACKEND`` to ``torch`` (or ``jax``) first, so Keras can load at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import nbtrack

from ._common import RunHolder, require, scalar


def _default_backend() -> None:
    """Without TensorFlow, Keras's default backend cannot load: pick torch (or JAX) if the user chose none."""
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND") or importlib.util.find_spec("tensorflow"):
        return
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:  # the file Keras writes on its first import, with "tensorflow" in it unless the user chose
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as f:
            chosen = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        chosen = None
    if chosen and chosen != "tensorflow":
        return
    for backend in ("torch", "jax"):
        if importlib.util.find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return


_default_backend()
keras = require("keras", "nbtrack.keras.TrackCallback")

LOG_FREQS = ("epoch", "batch")


def _check_freq(log_freq: Any) -> int | None:
    if log_freq == "epoch":
        return None
    if log_freq == "batch":
        return 1
    if isinstance(log_freq, int) and not isinstance(log_freq, bool) and log_freq > 0:
        return log_freq
    raise ValueError(f"TrackCallback(log_freq=...): expected 'epoch', 'batch' or a positive int (every that many "
                     f"batches), got {log_freq!r}")


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TrackCallback({name}=...): expected an int >= 0 (0: never), got {value!r}")
    return value


def _backend_value(value: Any) -> Any:
    """A Keras variable or tensor as a detached torch tensor (binned on its device) or a numpy array."""
    value = getattr(value, "value", value)  # a keras.Variable holds the backend's tensor
    if hasattr(value, "detach"):  # torch: no copy through numpy (and no __array__ deprecation)
        return value.detach()
    return keras.ops.convert_to_numpy(value)


class TrackCallback(keras.callbacks.Callback):
    """Record ``model.fit`` in an nbtrack run: ``model.fit(x, y, callbacks=[TrackCallback()])``.

    Logs to ``run`` if given; else, given no ``init_kwargs``, to the current run (``nbtrack.init()``
    before ``fit``) if there is one; else it starts a run with ``init_kwargs``
    (``TrackCallback(project="mnist", config={...})``, as ``nbtrack.init``) and finishes it when
    training ends; a later ``fit`` with the same callback continues that run.
    ``log_freq`` is ``"epoch"``, ``"batch"`` (the default: a live chart per batch) or an int
    (every that many batches); epoch metrics are always logged. ``histogram_freq=N`` logs a
    histogram of each layer's weights every N epochs; ``images`` is a callable
    ``(model, epoch) -> {key: nbtrack.Image or list of them}`` called every ``images_freq``
    epochs.

    >>> import os, tempfile
    >>> os.environ.setdefault("KERAS_BACKEND", "torch")  # doctest: +SKIP
    >>> import numpy as np, keras, nbtrack  # doctest: +SKIP
    >>> from nbtrack.keras import TrackCallback  # doctest: +SKIP
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])  # doctest: +SKIP
    >>> model.compile("sgd", "mse")  # doctest: +SKIP
    >>> x = np.random.rand(32, 3)  # doctest: +SKIP
    >>> _ = model.fit(x, x.sum(1), epochs=2, verbose=0,
    ...               callbacks=[TrackCallback(dir=tempfile.mkdtemp())])  # doctest: +SKIP
    """

    def __init__(self, log_freq: str | int = "batch", histogram_freq: int = 0,
                 images: Callable[[Any, int], Mapping[str, Any]] | None = None, images_freq: int = 1,
                 run: nbtrack.Run | None = None, **init_kwargs: Any) -> None:
        super().__init__()
        self._every = _check_freq(log_freq)
        self.log_freq = log_freq
        self.histogram_freq = _check_count("histogram_freq", histogram_freq)
        if images is not None and not callable(images):
            raise TypeError(f"TrackCallback(images=...): expected a callable (model, epoch) -> {{key: value}}, "
                            f"got {type(images).__name__}")
        self.images = images
        self.images_freq = _check_count("images_freq", images_freq)
        self._holder = RunHolder(run, init_kwargs)
        self._batches = 0  # batches seen over every fit() of this callback
        self._defined: set[int] = set()

    @property
    def run(self) -> nbtrack.Run:
        """The run this callback logs to (started on first use if none was given or current)."""
        return self._holder.peek()

    def _writable(self) -> nbtrack.Run:
        """The run to log to: one this callback finished (a later ``fit``) is continued as a new writer."""
        return self._holder.get(reopen=True)

    # -- Keras hooks ---------------------------------------------------------------
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        run = self._writable()
        if id(run) not in self._defined:  # each family on its own x axis (wandb's names)
            run.define_metric("batch/*", step_metric="batch/batch_step")
            run.define_metric("epoch/*", step_metric="epoch/epoch")
            run.define_metric("val/*", step_metric="epoch/epoch")
            run.define_metric("weights/*", step_metric="epoch/epoch")
            self._defined.add(id(run))

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        if self._every is None or (self._batches - 1) % self._every:
            return
        data = self._metrics("batch/", logs)
        data["batch/batch_step"] = self._batches - 1
        lr = self._learning_rate()
        if lr is not None:
            data["batch/learning_rate"] = lr
        self._writable().log(data)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        train = {k: v for k, v in (logs or {}).items() if not k.startswith("val_")}
        data: dict[str, Any] = self._metrics("epoch/", train)
        data.update(self._metrics("val/", {k[len("val_"):]: v for k, v in (logs or {}).items()
                                           if k.startswith("val_")}))
        data["epoch/epoch"] = epoch
        lr = self._learning_rate()
        if lr is not None:
            data["epoch/learning_rate"] = lr
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            data.update(self._weight_histograms())
        if self.images is not None and self.images_freq and (epoch + 1) % self.images_freq == 0:
            made = self.images(self.model, epoch)
            if made:
                if not isinstance(made, Mapping):
                    raise TypeError(f"TrackCallback(images=...): the callable must return a dict "
                                    f"{{key: nbtrack.Image or a list of them}}, got {type(made).__name__}")
                data.update(made)
        self._writable().log(data)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self._holder.finish()

    # -- reading the model -----------------------------------------------------------
    @staticmethod
    def _metrics(prefix: str, logs: Mapping[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (logs or {}).items():
            number = scalar(value)
            if number is not None:
                out[f"{prefix}{key}"] = number
        return out

    def _learning_rate(self) -> float | None:
        """The optimizer's current learning rate (a schedule's value at this iteration), if it has one."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        try:
            lr = optimizer.learning_rate  # Keras 3: a schedule's current value already
            if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
                lr = lr(optimizer.iterations)
            elif callable(lr):
                lr = lr()
            return scalar(_backend_value(lr))
        except Exception:  # an optimizer without a readable rate (custom ones): no lr, never a failed fit
            return None

    def _weight_histograms(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for layer in self.model.layers:
            for variable in layer.weights:
                name = getattr(variable, "name", None) or str(variable.path).rsplit("/", 1)[-1]
                values = _backend_value(variable)
                if getattr(values, "size", None) != 0 and getattr(values, "numel", lambda: 1)():
                    out[f"weights/{layer.name}/{name}"] = nbtrack.Histogram(values)
        return out
