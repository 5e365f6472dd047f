"""A Hugging Face ``Trainer`` recorded by ``nbtrack.transformers.TrackCallback``: a real, tiny BERT run.

The model is built from a config (one layer, hidden size 32) and trained on random token ids:
nothing is downloaded (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _train  # sets HF_HUB_OFFLINE=1

import nbtrack

pytest.importorskip("torch", reason="the Trainer trains torch models (CI installs torch==2.13.0)")
transformers = pytest.importorskip("transformers",
                                   reason='Transformers is not installed: pip install "nbtrack[transformers]"')
pytest.importorskip("accelerate", reason='the Trainer needs accelerate: pip install "nbtrack[transformers]"')
from nbtrack.transformers import TrackCallback  # noqa: E402

STEPS = _train.HF_STEPS


def test_trainer_records_train_and_eval_metrics_at_the_global_step(logdir, tmp_path):
    trainer = _train.train_transformers(logdir, name="hf", output_dir=tmp_path / "out")
    run = nbtrack.open(logdir).run("hf")
    assert run.status == "finished"  # the callback started the run: it finished it at the end of training
    loss = run.scalars("train/loss")
    assert loss["step"].tolist() == list(range(2, STEPS + 1, 2))  # logging_steps=2: the global step is the step
    assert run.scalars("eval/loss")["step"].tolist() == [4, 8, 12]  # eval_steps=4
    lr = run.scalars("train/learning_rate")["value"].tolist()
    assert lr == sorted(lr, reverse=True) and lr[0] < 1e-3  # the linear decay, read at each logging step
    assert {"train/grad_norm", "train/epoch", "eval/runtime", "train/global_step"} <= set(run.history().columns)
    assert run.scalars("train/global_step")["value"].tolist()[-1] == STEPS
    definitions = _train.step_metrics(logdir, run.id)
    assert definitions["train/*"] == definitions["eval/*"] == "train/global_step"
    summary = run.summary  # the one-off totals go to the summary, as in the wandb integration
    assert summary["train_runtime"] > 0 and "train_samples_per_second" in summary and "total_flos" in summary
    config = run.config  # the model's config, then the TrainingArguments, flattened
    assert config["hidden_size"] == 32 and config["num_hidden_layers"] == 1 and config["max_steps"] == STEPS
    assert config["learning_rate"] == 1e-3 and config["report_to"] == []
    assert config["model/num_parameters"] == trainer.model.num_parameters()
    # a later evaluate() adds to the same run (a writer of its own) and leaves it finished
    with _train.nbtrack_warnings_are_errors():
        trainer.evaluate()
    again = nbtrack.open(logdir).run("hf")
    assert again.status == "finished" and len(again.scalars("eval/loss")) == 4
    assert len(nbtrack.open(logdir).runs()) == 1


def test_a_current_run_is_used_and_left_open(logdir, tmp_path):
    with nbtrack.init(dir=logdir, name="mine", config={"mine": True}) as run:
        trainer = _train.hf_trainer(tmp_path / "out", [TrackCallback()], steps=4)
        with _train.nbtrack_warnings_are_errors():
            trainer.train()
        assert not run.finished
    read = nbtrack.open(logdir).run("mine")
    assert read.config["mine"] is True and read.config["max_steps"] == 4
    assert read.scalars("train/loss")["step"].tolist() == [2, 4]


def test_report_to_takes_only_transformers_own_names():
    """Why the README says callbacks=[TrackCallback()] with report_to="none": a custom name is refused."""
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK, get_reporting_integration_callbacks

    assert "nbtrack" not in INTEGRATION_TO_CALLBACK
    with pytest.raises(ValueError, match="nbtrack is not supported"):
        get_reporting_integration_callbacks("nbtrack")
