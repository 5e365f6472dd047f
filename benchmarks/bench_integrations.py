"""What the framework integrations cost per training step (issue 22: Keras, Lightning, Transformers callbacks).

    python benchmarks/bench_integrations.py                 # Keras and Lightning, 3 repetitions, median
    python benchmarks/bench_integrations.py --batches 4000 --frameworks keras

One process. A tiny model (4 -> 8 -> 1, batch 8) so that the training step itself is cheap and what a logger
adds shows: each framework's fit is timed without a logger, with its cheapest built-in one where it has one
(Lightning's ``CSVLogger``), and with nbtrack's (Keras: ``TrackCallback(log_freq="batch")``, a ``log()`` per
batch with the learning rate read from the optimizer; Lightning: ``NbtrackLogger`` with
``log_every_n_steps=1``). A first fit of each kind is a warm-up (imports, compilation) and is not counted.
Reported: the median per-step time of each, its difference from the no-logger fit (on a busy machine that
difference is within the noise, and may be negative), and the time measured inside nbtrack's hook itself
(``on_train_batch_end`` / ``log_metrics``), which is not. There is no pass/fail limit: the figures say what
the one-line change costs, next to what the framework spends anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_results_options, code_state, machine_info, save_results, versions


def keras_fits(batches: int, repeats: int, tmp: str) -> dict[str, list[float]]:
    import keras
    import numpy as np

    from nbtrack.keras import TrackCallback

    x = np.random.default_rng(0).random((batches * 8, 4)).astype("float32")
    y = x.sum(1, keepdims=True)

    def fit(callbacks: list) -> float:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        t = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=callbacks)
        return (time.perf_counter() - t) / batches

    class Timed(TrackCallback):
        spent = 0.0

        def on_train_batch_end(self, batch, logs=None):
            t = time.perf_counter()
            super().on_train_batch_end(batch, logs)
            Timed.spent += time.perf_counter() - t

    fit([])  # warm-up
    fit([TrackCallback(dir=tmp, name="warm")])
    out: dict[str, list[float]] = {"no logger": [], "nbtrack TrackCallback": [], "inside nbtrack's hook": []}
    for i in range(repeats):
        out["no logger"].append(fit([]))
        Timed.spent = 0.0
        out["nbtrack TrackCallback"].append(fit([Timed(dir=tmp, name=f"keras-{i}")]))
        out["inside nbtrack's hook"].append(Timed.spent / batches)
    return out


def lightning_fits(batches: int, repeats: int, tmp: str) -> dict[str, list[float]]:
    import lightning as L
    import torch
    from lightning.pytorch.loggers import CSVLogger

    from nbtrack.lightning import NbtrackLogger

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train/loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    x = torch.rand(batches * 8, 4, generator=torch.Generator().manual_seed(0))
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)

    def fit(logger) -> float:
        L.seed_everything(0, verbose=False)
        trainer = L.Trainer(max_epochs=1, logger=logger, log_every_n_steps=1, enable_progress_bar=False,
                            enable_model_summary=False, enable_checkpointing=False, accelerator="cpu",
                            default_root_dir=tmp)
        t = time.perf_counter()
        trainer.fit(Tiny(), data)
        return (time.perf_counter() - t) / batches

    class Timed(NbtrackLogger):
        spent = 0.0

        def log_metrics(self, metrics, step=None):
            t = time.perf_counter()
            super().log_metrics(metrics, step)
            Timed.spent += time.perf_counter() - t

    fit(False)  # warm-up
    fit(NbtrackLogger(dir=tmp, name="warm"))
    out: dict[str, list[float]] = {"no logger": [], "CSVLogger": [], "nbtrack NbtrackLogger": [],
                                   "inside nbtrack's hook": []}
    for i in range(repeats):
        out["no logger"].append(fit(False))
        out["CSVLogger"].append(fit(CSVLogger(tmp, name=f"csv-{i}")))
        Timed.spent = 0.0
        out["nbtrack NbtrackLogger"].append(fit(Timed(dir=tmp, name=f"lightning-{i}")))
        out["inside nbtrack's hook"].append(Timed.spent / batches)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batches", type=int, default=2000, help="training steps per fit (default 2000)")
    p.add_argument("--repeats", type=int, default=5, help="repetitions, median reported (default 5)")
    p.add_argument("--frameworks", default="keras,lightning", help="comma-separated: keras, lightning")
    add_results_options(p)
    args = p.parse_args()
    import logging

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    raw: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-integrations-") as tmp:
        for name in args.frameworks.split(","):
            runner = {"keras": keras_fits, "lightning": lightning_fits}[name.strip()]
            raw[name] = runner(args.batches, args.repeats, tmp)
    lines = [f"{args.batches:,} steps of a 4-8-1 model (batch 8) per fit, median of {args.repeats}; "
             "per-step times in microseconds.", "",
             "| framework | logger | per step (µs) | added by the logger (µs/step) |", "|---|---|---:|---:|"]
    for name, results in raw.items():
        base = statistics.median(results["no logger"])
        for logger, times in results.items():
            median = statistics.median(times)
            added = ("" if logger == "no logger" else f"{median * 1e6:.0f} (timed inside)" if logger.startswith(
                "inside") else f"{(median - base) * 1e6:+.0f}")
            lines.append(f"| {name} | {logger} | {median * 1e6:.0f} | {added} |")
            print(f"{name:10s} {logger:24s} {median * 1e6:8.0f} µs/step {added}")
    lines += ["", "**Machine:** " + "; ".join(f"{k}: {v}" for k, v in machine_info().items()), "",
              "**Versions:** " + ", ".join(f"{k} {v}" for k, v in versions(
                  ["nbtrack", "torch", "keras", "lightning", "numpy"]).items()) + f"; repo: {code_state()}"]
    save_results(args, "bench_integrations", "overhead", "\n".join(lines), raw)


if __name__ == "__main__":
    main()
