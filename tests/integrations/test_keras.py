"""Keras 3 (torch backend) ``model.fit`` recorded by ``nbtrack.keras.TrackCallback``: real, tiny fits."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _train  # sets KERAS_BACKEND=torch before Keras is imported

import nbtrack

pytest.importorskip("torch", reason="Keras runs on its torch backend here (CI installs torch==2.13.0)")
keras = pytest.importorskip("keras", reason='Keras 3 is not installed: pip install "nbtrack[keras]"')
from nbtrack.keras import TrackCallback  # noqa: E402

EPOCHS, BATCHES = _train.KERAS_EPOCHS, _train.KERAS_BATCHES


def test_fit_records_batch_and_epoch_families_on_their_own_axes(logdir):
    _train.train_keras(logdir, name="k")
    run = nbtrack.open(logdir).run("k")
    assert run.status == "finished" and run.config == {"framework": "keras"}  # the callback started it: it finished it
    batches = run.scalars("batch/loss")
    assert len(batches) == EPOCHS * BATCHES
    assert run.scalars("batch/batch_step")["value"].tolist() == list(range(EPOCHS * BATCHES))
    assert run.scalars("epoch/epoch")["value"].tolist() == list(range(EPOCHS))
    tags = set(run.history().columns)
    assert {"batch/mae", "batch/learning_rate", "epoch/loss", "epoch/mae", "val/loss", "val/mae",
            "epoch/learning_rate", "examples", "weights/hidden/kernel", "weights/hidden/bias",
            "weights/out/kernel", "weights/out/bias"} <= tags
    # each family on its own step metric (wandb's WandbMetricsLogger names)
    assert _train.step_metrics(logdir, run.id) == {"batch/*": "batch/batch_step", "epoch/*": "epoch/epoch",
                                                   "val/*": "epoch/epoch", "weights/*": "epoch/epoch"}
    # the run's step only advances: batches then the epoch's row, in order
    assert run.scalars("epoch/loss")["step"].tolist() == [(e + 1) * (BATCHES + 1) - 1 for e in range(EPOCHS)]
    # the learning-rate schedule's value (ExponentialDecay(0.05, 4 steps, 0.5)) after each epoch's 4 batches
    lr = run.scalars("epoch/learning_rate")["value"].to_numpy()
    np.testing.assert_allclose(lr, [0.05 * 0.5 ** (e + 1) for e in range(EPOCHS)], rtol=1e-5)
    summary = run.summary
    assert summary["epoch/epoch"] == EPOCHS - 1 and np.isfinite(summary["val/loss"])


def test_log_freq_epoch_and_every_n_batches(logdir):
    x, y = _train.keras_data()
    with _train.nbtrack_warnings_are_errors():
        _train.keras_model().fit(x, y, epochs=2, batch_size=16, validation_split=0.2, verbose=0,
                                 callbacks=[TrackCallback(log_freq="epoch", dir=logdir, name="epochs")])
        _train.keras_model().fit(x, y, epochs=2, batch_size=16, verbose=0,
                                 callbacks=[TrackCallback(log_freq=3, dir=logdir, name="every3")])
    epochs = nbtrack.open(logdir).run("epochs")
    assert not any(c.startswith("batch/") for c in epochs.history().columns)
    assert epochs.scalars("epoch/loss")["step"].tolist() == [0, 1]
    every3 = nbtrack.open(logdir).run("every3")  # 5 batches an epoch, 10 in all: batches 0, 3, 6, 9
    assert every3.scalars("batch/batch_step")["value"].tolist() == [0, 3, 6, 9]


def test_a_current_run_is_used_and_left_open(logdir):
    x, y = _train.keras_data()
    with nbtrack.init(dir=logdir, name="mine") as run:
        run.log({"before": 1.0})
        with _train.nbtrack_warnings_are_errors():
            _train.keras_model(lr_schedule=False).fit(x, y, epochs=2, batch_size=40, verbose=0,
                                                      callbacks=[TrackCallback()])
        assert not run.finished  # not the callback's run: the user finishes it
        run.log({"after": 2.0})
    read = nbtrack.open(logdir).run("mine")
    assert read.scalars("epoch/learning_rate")["value"].tolist() == pytest.approx([0.05, 0.05])
    assert read.scalars("before")["step"].tolist() == [0]
    assert read.scalars("after")["step"].tolist() == [7]  # 2 epochs x (2 batches + 1 epoch row), after step 0
    assert len(nbtrack.open(logdir).runs()) == 1


def test_bad_arguments_name_what_is_accepted():
    with pytest.raises(ValueError, match=r"log_freq=.*'epoch', 'batch' or a positive int.*'often'"):
        TrackCallback(log_freq="often")
    with pytest.raises(ValueError, match=r"histogram_freq=.*int >= 0"):
        TrackCallback(histogram_freq=-1)
    with pytest.raises(TypeError, match=r"images=.*callable"):
        TrackCallback(images="pictures")
    with pytest.raises(TypeError, match=r"run=.*nbtrack.Run"):
        TrackCallback(run="not a run")


def test_an_optimizer_without_a_readable_learning_rate_never_fails_the_fit(logdir):
    x, y = _train.keras_data()
    model = _train.keras_model(lr_schedule=False)

    class Broken(TrackCallback):
        def _learning_rate(self):  # as an optimizer whose rate cannot be read
            return None

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, batch_size=40, verbose=0, callbacks=[Broken(dir=logdir, name="nolr")])
    assert "epoch/learning_rate" not in nbtrack.open(logdir).run("nolr").history().columns


def test_a_second_fit_with_the_same_callback_continues_its_run(logdir):
    x, y = _train.keras_data()
    callback = TrackCallback(log_freq="epoch", dir=logdir, name="twice")
    model = _train.keras_model()
    with _train.nbtrack_warnings_are_errors():
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
        assert callback.run.finished  # reading .run never reopens it
        model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[callback])
    run = nbtrack.open(logdir).run("twice")
    assert len(nbtrack.open(logdir).runs()) == 1 and run.status == "finished"
    assert run.scalars("epoch/epoch")["value"].tolist() == [0, 1, 2, 3]
    assert run.scalars("epoch/loss")["step"].tolist() == [0, 1, 2, 3]
