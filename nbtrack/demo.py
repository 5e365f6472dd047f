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


def record_long_sweep(logdir: str | os.PathLike[str], runs: int = 20, tags: int = 10, steps: int = 100_000,
                      media_every: int = 10_000, project: str = "big") -> None:
    """Runs shaped like a long sweep, for sizing reports and views: ``tags`` noisy decaying curves of ``steps``
    points per run, and a 64 x 64 picture of noise (the worst case for compression) and a histogram every
    ``media_every`` steps.

    >>> import tempfile, nbtrack
    >>> d = tempfile.mkdtemp()
    >>> record_long_sweep(d, runs=2, tags=3, steps=100, media_every=50)
    >>> len(nbtrack.open(d).runs()), len(nbtrack.open(d).select()[0].scalar_tags())
    (2, 3)
    """
    from nbtrack.values import Histogram, Image

    rng = np.random.default_rng(0)
    names = [f"metric/{t}" for t in range(tags)]
    for r in range(runs):
        with init(project=project, dir=Path(logdir), name=f"run-{r}", config={"lr": 10.0 ** -(1 + r % 4), "seed": r}) \
                as run:
            curves = np.exp(-np.arange(steps) / (steps / 5))[None, :] * np.arange(1, tags + 1)[:, None]
            rows = (curves + 0.05 * rng.standard_normal((tags, steps))).T.tolist()
            for step, row in enumerate(rows):
                run.log(dict(zip(names, row)), step=step)
                if step % media_every == 0:
                    run.log({"picture": Image(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)),
                             "weights": Histogram(rng.standard_normal(1000))}, step=step)
