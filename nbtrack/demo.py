"""Synthetic training runs for the demo and for trying nbtrack without a model."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from nbtrack.record.create import init

SWEEP = ((0.1, 64), (0.03, 64), (0.01, 128), (0.003, 128))


def fake_training(run_lr: float, width: int, steps: int, seed: int) -> dict[str, np.ndarray]:
    """Plausible loss/accuracy curves for a learning rate and a model width."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    speed = run_lr * width / 64 * 40
    floor = 0.08 + 0.4 * abs(math.log10(run_lr) + 2) / 2
    loss = floor + 2.3 * np.exp(-t / max(steps / speed, 1.0)) + rng.normal(0, 0.04, steps).cumsum() * 0.01
    loss = np.abs(loss + rng.normal(0, 0.05, steps))
    acc = np.clip(1 - loss / 2.5 + rng.normal(0, 0.01, steps), 0, 1)
    return {"train/loss": loss, "train/acc": acc}


def record_demo_runs(logdir: str | os.PathLike[str] = "nbruns", steps: int = 2000,
                     project: str = "demo") -> list[str]:
    """Record a small learning-rate sweep under ``logdir``; return the run ids.

    >>> import tempfile
    >>> ids = record_demo_runs(tempfile.mkdtemp(), steps=50)
    >>> len(ids)
    4
    """
    ids = []
    for seed, (lr, width) in enumerate(SWEEP):
        curves = fake_training(lr, width, steps, seed)
        with init(project=project, dir=Path(logdir), config={"lr": lr, "width": width, "optimizer": "adam"},
                  group="lr-sweep", tags=["demo"], reinit="create_new") as run:
            run.define_metric("val/loss", summary="min")
            for step in range(steps):
                metrics = {key: float(values[step]) for key, values in curves.items()}
                metrics["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
                if step % 100 == 99:
                    metrics["val/loss"] = float(curves["train/loss"][step] * 1.1)
                run.log(metrics)
        ids.append(run.id)
    return ids
