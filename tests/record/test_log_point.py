"""``Run.log_point``: one point per tag at the step given (TensorBoard's rule), on the fast path."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import nbtrack
from nbtrack.record.create import open_run_at


def _manifests(folder):
    return [json.loads(p.read_text()) for p in sorted((folder / "writers").iterdir())]


def test_points_keep_their_steps_per_tag(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="r")
    for step in (0, 10, 20):
        run.log_point("a", float(step), step)
    run.log_point("b", 1.0, 3)  # a lower step, another tag
    run.log_point("a", 5.0, 20)  # a repeated step
    assert run.step == 0  # log_point never moves log()'s step
    run.finish()
    reader = nbtrack.open(tmp_path).run("r")
    assert reader.scalars("a")[["step", "value"]].values.tolist() == [[0, 0], [10, 10], [20, 20], [20, 5]]
    assert reader.scalars("b")["step"].tolist() == [3]
    assert _manifests(run.dir)[0]["step_rule"] == "tensorboard"


def test_runs_that_only_log_have_no_step_rule(tmp_path):
    run = nbtrack.init(dir=tmp_path)
    run.log({"x": 1.0})
    run.finish()
    assert "step_rule" not in _manifests(run.dir)[0]


def test_values_wall_times_and_steps_are_checked(tmp_path):
    run = nbtrack.init(dir=tmp_path)
    with pytest.raises(TypeError, match="step"):
        run.log_point("x", 1.0, 1.5)
    with pytest.raises(ValueError, match="step"):
        run.log_point("x", 1.0, -1)
    with pytest.raises(TypeError, match="wall_time"):
        run.log_point("x", 1.0, 0, wall_time="now")
    with pytest.raises(TypeError, match="value"):
        run.log_point("x", "high", 0)
    run.log_point("x", np.float32(2.0), np.int64(4), wall_time=123.0)
    run.log_point("img", nbtrack.Image(np.zeros((2, 2), np.uint8)), 7, wall_time=124.0)
    run.finish()
    reader = nbtrack.open(tmp_path).run(run.id)
    assert reader.scalars("x").values.tolist() == [[4, 123.0, 2.0]]  # the failed calls recorded nothing
    assert reader.images("img")[["step", "time"]].values.tolist() == [[7, 124.0]]
    with pytest.raises(RuntimeError, match="finished"):
        run.log_point("x", 1.0, 0)


def test_points_from_several_threads_are_all_kept(tmp_path):
    run = nbtrack.init(dir=tmp_path)

    def work(k):
        for step in range(2000):
            run.log_point(f"t{k}", float(step), step)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    work(9)
    for t in threads:
        t.join()
    run.finish()
    reader = nbtrack.open(tmp_path).run(run.id)
    for k in (0, 1, 2, 3, 9):
        assert reader.scalars(f"t{k}")["value"].tolist() == [float(s) for s in range(2000)]


def test_open_run_at_an_exact_folder_and_again(tmp_path):
    folder = tmp_path / "runs" / "lr 0.1"  # not a valid id: the id is made from it
    run = open_run_at(folder, config={"lr": 0.1})
    run.log_point("x", 1.0, 0)
    run.finish()
    again = open_run_at(folder)
    assert again.resumed and again.id == run.id and again.name == "lr 0.1" and again.config["lr"] == 0.1
    again.log_point("x", 2.0, 1)
    again.finish()
    from nbtrack.record import current

    assert current.current() is None  # not made the current run
    reader = nbtrack.open(tmp_path / "runs").run("lr 0.1")
    assert reader.scalars("x")["value"].tolist() == [1.0, 2.0]
    assert reader.id.startswith("lr_0.1-")
