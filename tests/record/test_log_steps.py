"""Run.log: steps and commit, key handling, scalar values, errors: what a training loop sees."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nbtrack
from nbtrack.record.convert import split_metrics


def test_steps_advance_per_committed_call(logdir, read):
    run = nbtrack.init()
    for i in range(5):
        run.log({"loss": float(i)})
    run.finish()
    h = read(run).history()
    assert h["_step"].tolist() == [0, 1, 2, 3, 4]
    assert h["loss"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_commit_false_accumulates_into_one_step(logdir, read):
    run = nbtrack.init()
    run.log({"a": 1.0}, commit=False)
    run.log({"b": 2.0}, commit=False)
    run.log({"c": 3.0})
    run.log({"a": 4.0})
    run.finish()
    h = read(run).history()
    assert h["_step"].tolist() == [0, 1]
    assert h.loc[0, ["a", "b", "c"]].tolist() == [1.0, 2.0, 3.0]
    assert h.loc[1, "a"] == 4.0 and math.isnan(h.loc[1, "b"])


def test_explicit_step_semantics_like_wandb(logdir, read):
    run = nbtrack.init()
    run.log({"a": 1.0}, step=10)
    assert run.step == 10  # not committed yet
    run.log({"b": 2.0}, step=10)
    run.log({"c": 3.0})  # joins step 10, then commits
    assert run.step == 11
    run.log({"a": 5.0}, step=20, commit=True)
    assert run.step == 21
    run.finish()
    h = read(run).history()
    assert h["_step"].tolist() == [10, 20]
    assert h.loc[0, ["a", "b", "c"]].tolist() == [1.0, 2.0, 3.0]


def test_step_going_backwards_is_ignored_with_a_warning(logdir, read):
    run = nbtrack.init()
    run.log({"a": 1.0}, step=5, commit=True)
    with pytest.warns(UserWarning, match=r"step 3 is lower than the current step 6"):
        run.log({"a": 2.0}, step=3)
    run.finish()
    assert read(run).scalars("a")["value"].tolist() == [1.0]


def test_same_key_twice_in_a_step_keeps_the_last_value(logdir, read):
    run = nbtrack.init()
    run.log({"a": 1.0}, commit=False)
    run.log({"a": 2.0})
    run.finish()
    r = read(run)
    assert r.history()["a"].tolist() == [2.0]
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0]  # the raw records keep both


def test_nested_dicts_are_flattened_with_slashes(logdir, read):
    run = nbtrack.init()
    run.log({"train": {"loss": 1.0, "inner": {"x": 2}}, "lr": 0.1})
    run.finish()
    assert set(read(run).scalar_tags()) == {"train/loss", "train/inner/x", "lr"}


def test_mutating_a_reused_dict_does_not_change_logged_values(logdir, read):
    run = nbtrack.init()
    metrics = {"loss": 0.0, "acc": 0.0}
    for i in range(300):
        metrics["loss"] = float(i)
        metrics["acc"] = i / 300
        run.log(metrics)
        if i % 100 == 0:
            run.flush()
    run.finish()
    h = read(run).history()
    assert h["loss"].tolist() == [float(i) for i in range(300)]
    assert np.allclose(h["acc"], np.arange(300) / 300)


def test_key_order_changes_do_not_mix_up_columns(logdir, read):
    run = nbtrack.init()
    for i in range(200):
        run.log({"a": float(i), "b": -float(i)} if i % 3 else {"b": -float(i), "a": float(i)})
    run.log({"a": 7.0, "c": 1.0})
    run.finish()
    h = read(run).history()
    assert (h["a"].iloc[:200] == -h["b"].iloc[:200]).all()
    assert h["a"].iloc[:200].tolist() == [float(i) for i in range(200)]


def test_numpy_and_framework_like_scalars_are_converted(logdir, read):
    class FakeTensor:  # duck-typed like torch.Tensor, without importing torch
        __module__ = "torch"
        shape = ()

        def item(self):
            return 2.5

    run = nbtrack.init()
    run.log({"f64": np.float64(1.5), "f32": np.float32(0.5), "i64": np.int64(3), "b": True,
             "arr0d": np.array(4.0), "arr1": np.array([5.0]), "t": FakeTensor(), "big": 10**400})
    run.finish()
    row = read(run).history().iloc[0]
    assert row["f64"] == 1.5 and row["f32"] == 0.5 and row["i64"] == 3 and row["b"] == 1.0
    assert row["arr0d"] == 4.0 and row["arr1"] == 5.0 and row["t"] == 2.5 and row["big"] == math.inf


def test_nan_and_inf_are_stored_and_read_back(logdir, read):
    run = nbtrack.init()
    run.log({"x": math.nan})
    run.log({"x": math.inf})
    run.log({"x": -math.inf})
    run.finish()
    values = read(run).scalars("x")["value"].to_numpy()
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf


@pytest.mark.parametrize(
    ("data", "error", "pattern"),
    [
        ([1, 2], TypeError, r"takes a dict .* got list"),
        ({1: 2.0}, TypeError, r"metric names must be str, got int"),
        ({"s": "text"}, TypeError, r"value for 's' has unsupported type str"),
        ({"n": None}, TypeError, r"value for 'n' has unsupported type NoneType"),
        ({"v": np.zeros(3)}, TypeError, r"value for 'v' is a ndarray of shape \(3,\)"),
        ({"": 1.0}, ValueError, r"metric name '' is not accepted"),
        ({"_step": 1.0}, ValueError, r"reserved"),
    ],
)
def test_bad_input_gets_a_clear_error(logdir, data, error, pattern):
    run = nbtrack.init()
    run.log({"ok": 1.0})
    with pytest.raises(error, match=pattern):
        run.log(data)
    assert run.step == 1  # a rejected call does not advance the step
    run.finish()


def test_bad_step_arguments(logdir):
    run = nbtrack.init()
    with pytest.raises(TypeError, match=r"step=\.\.\.\) takes an int, got float"):
        run.log({"a": 1.0}, step=1.5)
    with pytest.raises(ValueError, match=r"must be >= 0, got -1"):
        run.log({"a": 1.0}, step=-1)
    run.finish()


def test_log_before_init_and_after_finish(logdir):
    nbtrack.finish()
    with pytest.raises(RuntimeError, match=r"Call nbtrack.init\(\) before nbtrack.log\(\)"):
        nbtrack.log({"a": 1.0})
    run = nbtrack.init()
    run.log({"a": 1.0})
    run.finish()
    with pytest.raises(RuntimeError, match=r"is finished"):
        run.log({"a": 2.0})
    with pytest.raises(RuntimeError, match=r"Call nbtrack.init\(\) before"):
        nbtrack.log({"a": 1.0})


def test_module_level_api_acts_on_the_current_run(logdir, read):
    run = nbtrack.init(config={"lr": 0.1})
    assert nbtrack.run is run
    nbtrack.config.batch = 32
    nbtrack.config["layers"] = 4
    nbtrack.log({"loss": 2.0})
    nbtrack.define_metric("loss", summary="min")
    nbtrack.summary["note"] = "manual"
    nbtrack.finish()
    assert nbtrack.run is None
    r = read(run)
    assert r.config == {"lr": 0.1, "batch": 32, "layers": 4}
    assert r.summary["loss"] == {"min": 2.0} and r.summary["note"] == "manual"


def test_keys_that_flatten_to_one_name_are_an_error():
    """{"a/b": 1, "a": {"b": 2}} flattens two values onto one key; the first is silently dropped."""
    with pytest.raises(ValueError):
        split_metrics({"a/b": 1.0, "a": {"b": 2.0}})
