"""Tiny real training loops for each framework (synthetic data, nothing downloaded).

Shared by the integration tests and the browser test that draws what they record. Each
function imports its framework: callers importorskip it first.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is first imported: no TensorFlow here
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing downloaded: models are built from configs

KERAS_EPOCHS, KERAS_BATCHES = 3, 4  # 64 samples, batch 16
LIGHTNING_EPOCHS, LIGHTNING_BATCHES = 3, 8  # 64 samples, batch 8
HF_STEPS = 12


@contextmanager
def nbtrack_warnings_are_errors():
    """nbtrack's own warnings (a refused lower step, ...) raise inside the block; others stay warnings."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="nbtrack")
        yield


def keras_model(lr_schedule: bool = True) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(1, name="out")])
    lr = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.5) if lr_schedule else 0.05
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=["mae"])
    return model


def keras_data() -> tuple[Any, Any]:
    import numpy as np

    x = np.random.default_rng(0).random((80, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def train_keras(logdir: Path, name: str = "keras", **callback_options: Any) -> None:
    """3 epochs of 4 batches (16 of the 80 samples kept for validation), recorded by TrackCallback."""
    import numpy as np

    import nbtrack
    from nbtrack.keras import TrackCallback

    def images(model: Any, epoch: int) -> dict[str, Any]:
        return {"examples": nbtrack.Image(np.full((8, 8, 3), 40 * epoch, np.uint8), caption=f"epoch {epoch}")}

    options = {"histogram_freq": 1, "images": images, **callback_options}
    x, y = keras_data()
    with nbtrack_warnings_are_errors():
        keras_model().fit(x, y, epochs=KERAS_EPOCHS, batch_size=16, validation_split=0.2, verbose=0,
                          callbacks=[TrackCallback(dir=logdir, name=name, config={"framework": "keras"},
                                                   **options)])


def lightning_module() -> Any:
    import lightning as L
    import numpy as np
    import torch

    class Regressor(L.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 8, optim: dict | None = None) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train/loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

        def on_validation_epoch_end(self):
            if not self.trainer.sanity_checking:
                self.logger.log_image("val/examples", [np.zeros((8, 8, 3), np.uint8)], step=self.global_step,
                                      caption=[f"step {self.global_step}"])

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    return Regressor(optim={"name": "sgd", "momentum": 0.0})


def lightning_trainer(logger: Any, root: Path, epochs: int = LIGHTNING_EPOCHS) -> Any:
    import lightning as L

    return L.Trainer(max_epochs=epochs, logger=logger, log_every_n_steps=2, enable_progress_bar=False,
                     enable_model_summary=False, enable_checkpointing=False, default_root_dir=str(root),
                     accelerator="cpu", devices=1, num_sanity_val_steps=1)


def lightning_data() -> Any:
    import torch

    x = torch.rand(64, 4, generator=torch.Generator().manual_seed(0))
    dataset = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(dataset, batch_size=8)


def train_lightning(logdir: Path, name: str = "lightning", root: Path | None = None) -> Any:
    """3 epochs of 8 batches, train loss every 2 steps, validation each epoch; returns the logger."""
    import lightning as L

    from nbtrack.lightning import NbtrackLogger

    L.seed_everything(0, verbose=False)
    logger = NbtrackLogger(dir=logdir, name=name, project="integrations")
    data = lightning_data()
    with nbtrack_warnings_are_errors(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(does not have many workers|isinstance.treespec)")
        lightning_trainer(logger, root or logdir.parent / "lightning_root").fit(lightning_module(), data, data)
    return logger


def hf_dataset(n: int) -> Any:
    import torch

    class RandomTokens(torch.utils.data.Dataset):
        def __init__(self) -> None:
            g = torch.Generator().manual_seed(n)
            self.ids = torch.randint(0, 100, (n, 16), generator=g)
            self.labels = (self.ids[:, 0] > 50).long()

        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": self.ids[i], "attention_mask": torch.ones(16, dtype=torch.long),
                    "labels": self.labels[i]}

    return RandomTokens()


def hf_trainer(output_dir: Path, callbacks: list[Any], steps: int = HF_STEPS) -> Any:
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments, set_seed

    set_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=32, num_labels=2)
    args = TrainingArguments(output_dir=str(output_dir), report_to="none", use_cpu=True, max_steps=steps,
                             per_device_train_batch_size=8, logging_steps=2, eval_strategy="steps", eval_steps=4,
                             save_strategy="no", disable_tqdm=True, learning_rate=1e-3, seed=0)
    return Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=hf_dataset(64),
                   eval_dataset=hf_dataset(16), callbacks=callbacks)


def train_transformers(logdir: Path, name: str = "transformers", output_dir: Path | None = None) -> Any:
    """12 steps of a one-layer BERT built from a config: loss every 2 steps, evaluation every 4."""
    from nbtrack.transformers import TrackCallback

    trainer = hf_trainer(output_dir or logdir.parent / "hf_output", [TrackCallback(dir=logdir, name=name)])
    with nbtrack_warnings_are_errors():
        trainer.train()
    return trainer


def step_metrics(logdir: Path, run_id: str) -> dict[str, str | None]:
    """``{metric or glob: step_metric}`` from the run's writer manifests (FORMAT.md: ``metrics``)."""
    import json

    out: dict[str, str | None] = {}
    for manifest in sorted((Path(logdir) / run_id / "writers").glob("*.json")):
        for definition in json.loads(manifest.read_text()).get("metrics") or []:
            out[definition["name"]] = definition.get("step_metric")
    return out
