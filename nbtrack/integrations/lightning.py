"""``NbtrackLogger``: a PyTorch Lightning logger that records into an nbtrack run.

``Trainer(logger=NbtrackLogger())`` is the one change. Metrics keep Lightning's names and
Lightning's step (the ``step`` it passes to ``log_metrics``) as the run's step, with
``trainer/global_step`` recorded beside them as their step metric. A step lower than the
run's is never refused: a point Lightning logs one step behind what other code logged (its
validation step lags ``self.global_step`` by one) goes to the run's current step, and when
Lightning's count starts again (a second ``Trainer`` on the same logger) its steps continue
from the run's. ``trainer/global_step`` always keeps Lightning's own count.

Under DDP only rank 0 records (Lightning's ``rank_zero_only.rank``), as Lightning's own
loggers do; ``all_ranks=True`` makes every rank a writer of the same run (``id=`` is then
required, each rank resuming it with ``resume="allow"``), rank ``r > 0`` logging its metrics
under ``rank<r>/``.
"""

from __future__ import annotations

import os
import warnings
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

import nbtrack

from ._common import RunHolder, flat_config, require, scalar


def _import_lightning() -> tuple[Any, Any, Any]:
    """``(Logger, rank_zero_only, DummyExperiment)`` from ``lightning``, else ``pytorch_lightning``."""
    try:
        logger = require("lightning.pytorch.loggers.logger", "nbtrack.lightning.NbtrackLogger")
        rank = require("lightning.pytorch.utilities.rank_zero", "nbtrack.lightning.NbtrackLogger")
    except ImportError as first:
        try:
            logger = require("pytorch_lightning.loggers.logger", "nbtrack.lightning.NbtrackLogger")
            rank = require("pytorch_lightning.utilities.rank_zero", "nbtrack.lightning.NbtrackLogger")
        except ImportError:
            raise ImportError('nbtrack.lightning.NbtrackLogger needs the lightning package (or pytorch_lightning), '
                              'which is not installed: pip install "nbtrack[lightning]"') from first
    return logger.Logger, rank.rank_zero_only, getattr(logger, "DummyExperiment", None)


Logger, rank_zero_only, DummyExperiment = _import_lightning()
LOG_MODEL = (False, True, "all")
STEP_METRIC = "trainer/global_step"


class NbtrackLogger(Logger):
    """Lightning's ``Trainer(logger=NbtrackLogger(project="mnist"))``: metrics, hyperparameters, images.

    Logs to ``run`` if given; else, given no ``init_kwargs``, to the current run if there is
    one; else it starts a run with ``init_kwargs`` (``project``, ``name``, ``dir``, ``config``,
    ``id``, ``tags``, ... as ``nbtrack.init``).
    A run it started is finished when Lightning finalizes (failed, with exit code 1, when
    training raised) and continued, as a new writer of the same run, if the trainer logs
    again (``trainer.test`` after ``trainer.fit``). ``log_model`` (``True``: at the end;
    ``"all"``: every checkpoint) logs checkpoints as artifacts where ``nbtrack.Artifact`` exists.
    ``prefix`` is put before every metric name.

    >>> import tempfile
    >>> logger = NbtrackLogger(dir=tempfile.mkdtemp(), name="lit")
    >>> logger.log_hyperparams({"lr": 0.1, "model": {"layers": 2}})
    >>> logger.log_metrics({"train_loss": 0.5}, step=0)
    >>> logger.log_metrics({"train_loss": 0.25}, step=10)
    >>> logger.experiment.config["model/layers"], logger.version == logger.experiment.id
    (2, True)
    >>> logger.finalize("success")
    >>> nbtrack.open(logger.experiment.logdir).run(logger.version).scalars("train_loss")["step"].tolist()
    [0, 10]
    """

    def __init__(self, run: nbtrack.Run | None = None, *, log_model: bool | str = False, prefix: str = "",
                 all_ranks: bool = False, **init_kwargs: Any) -> None:
        super().__init__()
        if log_model not in LOG_MODEL:
            raise ValueError(f"NbtrackLogger(log_model=...): expected False, True or 'all', got {log_model!r}")
        if not isinstance(prefix, str):
            raise TypeError(f"NbtrackLogger(prefix=...): expected a str, got {type(prefix).__name__}")
        if all_ranks and init_kwargs.get("id") is None and run is None:
            raise ValueError("NbtrackLogger(all_ranks=True) needs id=...: every rank must write into the same run, "
                             "so they must agree on its id (for example one read from an environment variable)")
        if all_ranks:
            init_kwargs.setdefault("resume", "allow")
        self._holder = RunHolder(run, init_kwargs)
        self._init_kwargs = init_kwargs
        self._log_model = log_model
        self._prefix = prefix
        self._all_ranks = bool(all_ranks)
        self._offset = 0  # added to Lightning's step once its count started again (a new Trainer)
        self._last_step: int | None = None
        self._defined: set[str] = set()
        self._checkpoint_callback: Any = None
        self._logged_checkpoints: set[str] = set()

    # -- who writes ----------------------------------------------------------------
    @property
    def _rank(self) -> int:
        return int(getattr(rank_zero_only, "rank", 0) or 0)

    @property
    def _active(self) -> bool:
        return self._all_ranks or self._rank == 0

    @property
    def experiment(self) -> Any:
        """The ``nbtrack.Run`` (Lightning's dummy experiment on ranks that do not record).

        Reading it never reopens a finished run; logging through the logger does.
        """
        if not self._active:
            return DummyExperiment() if DummyExperiment is not None else None
        return self._holder.peek()

    def _writable(self) -> nbtrack.Run:
        """The run to log to: a run this logger finished is continued (a new writer of the same run)."""
        return self._holder.get(reopen=True)

    @property
    def name(self) -> str:
        """The run's project (Lightning puts checkpoints under ``<root>/<name>/<version>/``)."""
        project = self._init_kwargs.get("project")
        if project is None and self._holder.started:
            project = getattr(self._holder.peek(), "project", None)
        return str(project or "nbtrack")

    @property
    def version(self) -> str:
        """The run's id."""
        given = self._init_kwargs.get("id")
        if given is not None and not self._holder.started:
            return str(given)
        if not self._active:
            return str(given or "")
        return self._holder.peek().id

    @property
    def save_dir(self) -> str | None:
        """None: Lightning keeps checkpoints under the trainer's ``default_root_dir``, not in the logdir."""
        return None

    # -- what Lightning calls -------------------------------------------------------
    def log_hyperparams(self, params: dict[str, Any] | Namespace | Any, *args: Any, **kwargs: Any) -> None:
        """Hyperparameters into the run's config, nested keys flattened with ``/``."""
        if not self._active or self._rank > 0:  # every rank has the same hyperparameters
            return
        flat = flat_config(params)
        if flat:
            self._writable().config.update(flat, allow_val_change=True)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Scalar metrics at Lightning's step (see the module's notes on steps)."""
        if not self._active:
            return
        data: dict[str, Any] = {}
        for key, value in metrics.items():
            number = scalar(value)
            if number is not None:
                data[self._key(key)] = number
        if data:
            self._log(data, step, from_trainer=True)

    def log_image(self, key: str, images: list[Any], step: int | None = None, **kwargs: Any) -> None:
        """Images (tensors, arrays, PIL images or file paths) as one gallery under ``key``.

        ``caption`` (one per image) is the only keyword used; Lightning's ``WandbLogger`` takes
        the same call.
        """
        if not self._active:
            return
        if not isinstance(images, (list, tuple)):
            raise TypeError(f"log_image(images=...): expected a list of images, got {type(images).__name__}")
        captions = kwargs.get("caption")
        if captions is not None and len(captions) != len(images):
            raise ValueError(f"log_image(caption=...): {len(captions)} captions for {len(images)} images")
        gallery = [image if isinstance(image, nbtrack.Image) else
                   nbtrack.Image(image, caption=None if captions is None else captions[i])
                   for i, image in enumerate(images)]
        self._log({self._key(key): gallery}, step)

    def log_table(self, key: str, columns: list[str] | None = None, data: list[list[Any]] | None = None,
                  dataframe: Any = None, step: int | None = None) -> None:
        """A table (``columns`` and ``data``, or a ``dataframe``) under ``key``."""
        if not self._active:
            return
        self._log({self._key(key): nbtrack.Table(columns=columns, data=data, dataframe=dataframe)}, step)

    def log_text(self, key: str, columns: list[str] | None = None, data: list[list[str]] | None = None,
                 dataframe: Any = None, step: int | None = None) -> None:
        """Text as a table, as Lightning's ``WandbLogger`` logs it."""
        self.log_table(key, columns=columns, data=data, dataframe=dataframe, step=step)

    def save(self) -> None:
        """Nothing to do: the run's writer thread stores what was logged within its flush interval."""

    def finalize(self, status: str) -> None:
        """End of ``fit``/``test``: finish a run this logger started (exit code 1 unless ``status`` is success)."""
        if not self._active or not self._holder.started:
            return
        if self._log_model is True and self._checkpoint_callback is not None and status == "success":
            self._log_checkpoints(self._checkpoint_callback)
        self._holder.finish(exit_code=0 if status in ("success", "finished") else 1)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Keep the checkpoint callback; with ``log_model="all"`` log its new checkpoints now."""
        if not self._active or self._rank > 0 or not self._log_model:
            return
        self._checkpoint_callback = checkpoint_callback
        if self._log_model == "all":
            self._log_checkpoints(checkpoint_callback)

    # -- helpers ---------------------------------------------------------------------
    def _key(self, key: str) -> str:
        rank = self._rank
        return f"{self._prefix}{'/' if self._prefix else ''}{'' if rank == 0 else f'rank{rank}/'}{key}"

    def _log(self, data: dict[str, Any], step: int | None, from_trainer: bool = False) -> None:
        run = self._writable()
        if step is None:
            run.log(data)
            return
        step = int(step)
        if from_trainer:  # Lightning's own count (log_image's step is the caller's: only clamped)
            if self._last_step is not None and step < self._last_step:  # it counts again: a new Trainer
                self._offset = run.step - step  # ... continues where the run is
            self._last_step = step
        target = max(step + self._offset, run.step)  # never below the run's step: no refused call
        if from_trainer:
            data[STEP_METRIC] = step
            for key in data.keys() - self._defined:
                if key != STEP_METRIC:
                    run.define_metric(key, step_metric=STEP_METRIC)
                self._defined.add(key)
        run.log(data, step=target)

    def _log_checkpoints(self, checkpoint_callback: Any) -> None:
        """Checkpoints as model artifacts, where ``nbtrack.Artifact`` exists (it is being built: issue 22 C)."""
        artifact_class = getattr(nbtrack, "Artifact", None)
        if artifact_class is None:
            warnings.warn("NbtrackLogger(log_model=...): this nbtrack has no nbtrack.Artifact; checkpoints "
                          "are not logged", UserWarning, stacklevel=3)
            self._log_model = False
            return
        paths = {getattr(checkpoint_callback, "best_model_path", ""), getattr(checkpoint_callback, "last_model_path",
                                                                             "")}
        run = self._writable()
        for path in sorted(p for p in paths if p and os.path.isfile(p) and p not in self._logged_checkpoints):
            try:
                artifact = artifact_class(f"model-{run.id}", type="model")
                artifact.add_file(path)
                aliases = ["latest"] + (["best"] if path == checkpoint_callback.best_model_path else [])
                run.log_artifact(artifact, aliases=aliases)
            except Exception as exc:  # never a failed fit for a checkpoint that could not be logged
                warnings.warn(f"NbtrackLogger: checkpoint {path} not logged as an artifact: {exc}",
                              UserWarning, stacklevel=3)
                return
            self._logged_checkpoints.add(path)
