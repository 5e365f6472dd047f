"""``TrackCallback``: Hugging Face ``Trainer`` recorded in an nbtrack run.

``Trainer(..., args=TrainingArguments(..., report_to="none"), callbacks=[TrackCallback()])``:
Transformers accepts in ``report_to`` only the names in its own table
(``transformers.integrations.integration_utils.INTEGRATION_TO_CALLBACK``), so nbtrack comes in
as a callback. Names follow Transformers' wandb integration: ``train/loss``,
``train/learning_rate``, ``train/grad_norm``, ``eval/loss``, ``test/...``, each with
``train/global_step`` as its step metric; the Trainer's global step is the run's step. The
one-off totals (``train_runtime``, ``train_samples_per_second``, ``train_loss``, ``total_flos``,
...) go to the run's summary. The config is the model's config updated by the
``TrainingArguments``, flattened. Only the main process records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import nbtrack

from ._common import RunHolder, flat_config, plain, require, scalar

transformers = require("transformers", "nbtrack.transformers.TrackCallback")

SINGLE_VALUES = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss", "total_flos")
STEP_METRIC = "train/global_step"


def rewrite_logs(logs: Mapping[str, Any]) -> dict[str, Any]:
    """The Trainer's log keys with the wandb integration's prefixes: ``eval_loss`` -> ``eval/loss``.

    >>> rewrite_logs({"loss": 1.0, "eval_loss": 2.0, "test_acc": 0.5})
    {'train/loss': 1.0, 'eval/loss': 2.0, 'test/acc': 0.5}
    """
    out: dict[str, Any] = {}
    for key, value in logs.items():
        for prefix in ("eval", "test"):
            if key.startswith(prefix + "_"):
                out[f"{prefix}/{key[len(prefix) + 1:]}"] = value
                break
        else:
            out[f"train/{key}"] = value
    return out


class TrackCallback(transformers.TrainerCallback):
    """Record a Hugging Face ``Trainer``: ``Trainer(..., callbacks=[TrackCallback()])``.

    Logs to ``run`` if given; else, given no ``init_kwargs``, to the current run if there is one;
    else it starts a run with ``init_kwargs`` (``project``, ``name``, ``dir``, ``config``, ... as
    ``nbtrack.init``; the name defaults to
    ``TrainingArguments.run_name`` when that is set) and finishes it when training ends. A
    later ``trainer.evaluate()`` adds its ``eval/`` metrics to that same run.

    >>> import tempfile
    >>> from transformers import TrainerControl, TrainerState, TrainingArguments
    >>> cb = TrackCallback(dir=tempfile.mkdtemp(), name="hf")
    >>> args, state = TrainingArguments(output_dir=tempfile.mkdtemp(), report_to="none"), TrainerState()
    >>> cb.on_train_begin(args, state, TrainerControl())
    >>> state.global_step = 5
    >>> cb.on_log(args, state, TrainerControl(), logs={"loss": 0.5, "learning_rate": 1e-3})
    >>> cb.on_train_end(args, state, TrainerControl())
    >>> nbtrack.open(cb.run.logdir).run(cb.run.id).scalars("train/loss")["step"].tolist()
    [5]
    """

    def __init__(self, run: nbtrack.Run | None = None, **init_kwargs: Any) -> None:
        super().__init__()
        self._holder = RunHolder(run, init_kwargs)
        self._init_kwargs = init_kwargs
        self._training = False

    @property
    def run(self) -> nbtrack.Run:
        """The run this callback logs to (started on first use if none was given or current)."""
        return self._holder.peek()

    def _start(self, args: Any) -> nbtrack.Run:
        run_name = getattr(args, "run_name", None)
        if (run_name and run_name != getattr(args, "output_dir", None) and "name" not in self._init_kwargs
                and not self._holder.started and nbtrack.run is None):
            self._holder = RunHolder(None, {**self._init_kwargs, "name": run_name})
        run = self._holder.get(reopen=True)
        run.define_metric(STEP_METRIC)
        for family in ("train/*", "eval/*", "test/*"):
            run.define_metric(family, step_metric=STEP_METRIC)
        return run

    # -- Trainer hooks -----------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self._training = True
        run = self._start(args)
        config: dict[str, Any] = {}
        model_config = getattr(model, "config", None)
        if model_config is not None:
            config.update(model_config if isinstance(model_config, dict) else model_config.to_dict())
        if hasattr(args, "to_dict"):
            config.update(args.to_dict())
        flat = flat_config(config)
        if model is not None and hasattr(model, "num_parameters"):
            try:
                flat["model/num_parameters"] = int(model.num_parameters())
            except Exception:  # a model that cannot count its parameters: no count, never a failed train
                pass
        if flat:
            run.config.update(flat, allow_val_change=True)

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        standalone = not self._training  # trainer.evaluate() outside train(): a writer of its own
        run = self._start(args) if standalone or not self._holder.started else self._holder.get(reopen=True)
        metrics: dict[str, Any] = {}
        for key, value in rewrite_logs({k: v for k, v in logs.items() if k not in SINGLE_VALUES}).items():
            number = scalar(value)
            if number is not None:
                metrics[key] = number
        for key in SINGLE_VALUES:
            if key in logs:
                run.summary[key] = plain(logs[key])
        if metrics:
            step = int(state.global_step or 0)
            metrics[STEP_METRIC] = step
            run.log(metrics, step=max(step, run.step))  # never below the run's step: no refused call
        if standalone:
            self._holder.finish()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self._training = False
        self._holder.finish()
