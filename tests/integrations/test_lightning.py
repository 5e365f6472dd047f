"""PyTorch Lightning training recorded by ``nbtrack.lightning.NbtrackLogger``: real, tiny fits."""

from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _train

import nbtrack

pytest.importorskip("torch", reason="Lightning trains torch models (CI installs torch==2.13.0)")
L = pytest.importorskip("lightning", reason='Lightning is not installed: pip install "nbtrack[lightning]"')
from lightning.pytorch.utilities.rank_zero import rank_zero_only  # noqa: E402

from nbtrack.lightning import NbtrackLogger  # noqa: E402

EPOCHS, BATCHES = _train.LIGHTNING_EPOCHS, _train.LIGHTNING_BATCHES


def test_fit_records_metrics_at_lightnings_steps_hyperparameters_and_images(logdir, tmp_path):
    logger = _train.train_lightning(logdir, name="lit", root=tmp_path / "root")
    run = nbtrack.open(logdir).run("lit")
    assert run.id == logger.version and logger.name == "integrations"
    assert run.status == "finished"  # Lightning finalized: the logger's own run is finished
    assert run.config == {"lr": 0.05, "hidden": 8, "optim/name": "sgd", "optim/momentum": 0.0}
    train = run.scalars("train/loss")
    # log_every_n_steps=2: Lightning's steps 1, 3, 5, ... (its count of optimizer steps) are the run's steps
    assert train["step"].tolist() == list(range(1, EPOCHS * BATCHES, 2))
    val = run.scalars("val/loss")
    assert len(val) == EPOCHS
    global_step = run.scalars("trainer/global_step")
    assert set(global_step["step"]) >= set(train["step"])
    # validation is logged one step behind the images logged at self.global_step: it goes to the run's step
    assert val["step"].tolist() == [(e + 1) * BATCHES for e in range(EPOCHS)]
    images = run.media("val/examples") if hasattr(run, "media") else None
    if images is not None:
        assert len(images) == EPOCHS
    assert "val/examples" in run.history().columns
    definitions = _train.step_metrics(logdir, run.id)
    assert definitions["train/loss"] == definitions["val/loss"] == definitions["epoch"] == "trainer/global_step"
    assert run.summary["epoch"] == EPOCHS - 1


def test_a_second_trainer_continues_the_run_and_test_after_fit_adds_to_it(logdir, tmp_path):
    logger = NbtrackLogger(dir=logdir, name="twice")
    data = _train.lightning_data()
    model = _train.lightning_module()
    with _train.nbtrack_warnings_are_errors():
        _train.lightning_trainer(logger, tmp_path, epochs=1).fit(model, data, data)
        first = nbtrack.open(logdir).run("twice").scalars("train/loss")["step"].max()
        _train.lightning_trainer(logger, tmp_path, epochs=1).fit(model, data, data)  # its count starts at 0
        _train.lightning_trainer(logger, tmp_path, epochs=1).validate(model, data)
    run = nbtrack.open(logdir).run("twice")
    assert len(nbtrack.open(logdir).runs()) == 1 and run.status == "finished"
    steps = run.scalars("train/loss")["step"].tolist()
    assert steps == sorted(steps) and len(steps) == 2 * BATCHES // 2 and steps[BATCHES // 2] > first
    history = run.history()  # Lightning's own count kept beside the shifted steps
    assert history.dropna(subset=["train/loss"])["trainer/global_step"].tolist() == [1, 3, 5, 7] * 2
    assert len(run.scalars("val/loss")) == 3


def test_log_hyperparams_flattens_namespaces_and_nested_configs(logdir):
    logger = NbtrackLogger(dir=logdir, name="hp")
    logger.log_hyperparams(Namespace(lr=0.1, layers=[8, 8], data=Namespace(path=Path("/x"), batch=4)))
    logger.log_hyperparams({"optimizer": {"name": "adam", "betas": (0.9, 0.99)}, "dtype": float})
    logger.finalize("success")
    config = nbtrack.open(logdir).run("hp").config
    assert config == {"lr": 0.1, "layers": [8, 8], "data/path": "/x", "data/batch": 4, "optimizer/name": "adam",
                      "optimizer/betas": [0.9, 0.99], "dtype": "<class 'float'>"}


def test_a_failed_fit_marks_the_run_failed(logdir, tmp_path):
    class Exploding(type(_train.lightning_module())):
        def training_step(self, batch, batch_idx):
            if batch_idx == 3:
                raise RuntimeError("boom")
            return super().training_step(batch, batch_idx)

    logger = NbtrackLogger(dir=logdir, name="boom")
    data = _train.lightning_data()
    with pytest.raises(RuntimeError, match="boom"):
        _train.lightning_trainer(logger, tmp_path).fit(Exploding(), data, data)
    run = nbtrack.open(logdir).run("boom")
    assert run.status == "failed" and run.scalars("train/loss")["step"].tolist() == [1]


def test_a_given_run_is_left_open(logdir, tmp_path):
    data = _train.lightning_data()
    with nbtrack.init(dir=logdir, name="mine") as run:
        with _train.nbtrack_warnings_are_errors():
            _train.lightning_trainer(NbtrackLogger(run), tmp_path, epochs=1).fit(_train.lightning_module(), data)
        assert not run.finished
        run.log({"after": 1.0})
    # Lightning's last step was 7 (train loss every 2 steps): a call without step= continues at it, as in wandb
    assert nbtrack.open(logdir).run("mine").scalars("after")["step"].tolist() == [BATCHES - 1]


def test_ranks_other_than_zero_record_nothing_by_default(logdir, monkeypatch):
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = NbtrackLogger(dir=logdir, name="rank1")
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.log_image("img", [[[0]]])
    logger.finalize("success")
    assert "DummyExperiment" in type(logger.experiment).__name__
    assert not logdir.exists() or not any(logdir.iterdir())


def test_all_ranks_write_into_one_run(logdir, monkeypatch):
    """Ranks 0 and 1 (faked in one process: two writers of one run, as two DDP processes would be).

    Several processes initialising one id with resume="allow" at once is tests/record/test_init_race.py's.
    """
    loggers = {}
    for rank in (0, 1):
        monkeypatch.setattr(rank_zero_only, "rank", rank)
        loggers[rank] = NbtrackLogger(dir=logdir, id="ddp-run", name="ddp", all_ranks=True, reinit="create_new")
        loggers[rank].log_hyperparams({"lr": 0.1})
    with _train.nbtrack_warnings_are_errors():
        for step in range(5):
            for rank in (0, 1):
                monkeypatch.setattr(rank_zero_only, "rank", rank)
                loggers[rank].log_metrics({"loss": float(step + rank)}, step=step)
    for rank in (0, 1):
        monkeypatch.setattr(rank_zero_only, "rank", rank)
        loggers[rank].finalize("success")
    assert loggers[0].experiment.id == loggers[1].experiment.id == "ddp-run"
    run = nbtrack.open(logdir).run("ddp-run")
    assert run.status == "finished" and run.config == {"lr": 0.1}  # hyperparameters from rank 0 only
    assert run.scalars("loss")["value"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert run.scalars("rank1/loss")["value"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert len(list((logdir / "ddp-run" / "writers").glob("*.json"))) == 2


def test_all_ranks_needs_an_id():
    with pytest.raises(ValueError, match=r"all_ranks=True\) needs id="):
        NbtrackLogger(all_ranks=True)
    with pytest.raises(ValueError, match=r"log_model=.*False, True or 'all'"):
        NbtrackLogger(log_model="sometimes")


def test_log_model_without_artifacts_warns_once_and_goes_on(logdir, tmp_path):
    if hasattr(nbtrack, "Artifact"):
        pytest.skip("nbtrack.Artifact exists: checkpoints are logged (covered where artifacts are tested)")
    logger = NbtrackLogger(dir=logdir, name="ckpt", log_model="all")
    data = _train.lightning_data()
    trainer = L.Trainer(max_epochs=1, logger=logger, enable_progress_bar=False, enable_model_summary=False,
                        default_root_dir=str(tmp_path), accelerator="cpu", log_every_n_steps=2)
    with pytest.warns(UserWarning, match=r"no nbtrack.Artifact; checkpoints are not logged"):
        trainer.fit(_train.lightning_module(), data)
    assert nbtrack.open(logdir).run("ckpt").status == "finished"
