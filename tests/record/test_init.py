"""nbtrack.init(): arguments, names and ids, reinit, resume, and the run as a context manager."""

from __future__ import annotations

import pytest

import nbtrack


def test_context_manager_finishes_and_marks_errors(logdir, read):
    with nbtrack.init() as run:
        run.log({"a": 1.0})
    assert read(run).status == "finished"
    with pytest.raises(ZeroDivisionError):
        with nbtrack.init() as run2:
            run2.log({"a": 1.0})
            1 / 0  # noqa: B018
    assert read(run2).status == "failed"  # the program failed; "crashed" is for a process that died


def test_wandb_keyword_arguments_are_accepted(logdir):
    run = nbtrack.init(project="p", entity="me", job_type="train", save_code=True, reinit=True,
                       mode="offline", settings={"flush_interval": 0.5}, anonymous="allow",
                       sync_tensorboard=False, monitor_gym=False, group="g", tags=["a"], notes="n")
    assert run.group == "g" and run.tags == ("a",) and run.notes == "n"
    run.finish()
    disabled = nbtrack.init(mode="disabled")
    disabled.log({"a": 1.0})
    assert disabled.summary["a"] == 1.0 and disabled.dir is None
    disabled.finish()


def test_reinit_finishes_the_previous_run_by_default(logdir, read):
    first = nbtrack.init()
    second = nbtrack.init()
    assert read(first).status == "finished" and nbtrack.run is second
    assert nbtrack.init(reinit="return_previous") is second


def test_names_are_readable_and_ids_unique(logdir):
    runs = [nbtrack.init(reinit="create_new") for _ in range(20)]
    assert len({r.id for r in runs}) == 20
    assert all(len(r.name.split("-")) == 3 for r in runs)
    for r in runs:
        r.finish()


def test_invalid_init_arguments(logdir):
    with pytest.raises(ValueError, match=r"not a valid run id"):
        nbtrack.init(id="../escape")
    with pytest.raises(ValueError, match=r"resume=...\): 'sometimes' is not accepted"):
        nbtrack.init(resume="sometimes")
    with pytest.raises(ValueError, match=r"mode=...\): 'cloud' is not accepted"):
        nbtrack.init(mode="cloud")
    with pytest.raises(TypeError, match=r"tags=...\) takes a list of str"):
        nbtrack.init(tags="oops")


def test_unicode_project_names_tags_and_paths(tmp_path):
    logdir = tmp_path / "实验 runs 🚀"
    run = nbtrack.init(project="项目 ✨", name="运行 1", dir=logdir, tags=["标签"])
    run.log({"损失/训练 😀": 1.0, "../../x": 2.0})
    run.finish()
    lg = nbtrack.open(logdir)
    r = lg.run("运行 1")
    assert r.project == "项目 ✨" and r.tags == ["标签"]
    assert r.scalars("损失/训练 😀")["value"].tolist() == [1.0]
    assert r.scalars("../../x")["value"].tolist() == [2.0]
    inside = {p.resolve() for p in logdir.rglob("*")}
    assert all(str(p).startswith(str(logdir.resolve())) for p in inside)
    assert not (tmp_path / "x").exists()


def test_resume_continues_steps_and_config(logdir, read):
    run = nbtrack.init(id="myrun", config={"lr": 0.1})
    for i in range(3):
        run.log({"a": float(i)})
    run.finish()
    again = nbtrack.init(id="myrun", resume="allow", config={"epochs": 2})
    assert again.resumed and again.step == 3 and again.config.lr == 0.1
    again.log({"a": 3.0})
    again.finish()
    r = read(again)
    assert r.history()["_step"].tolist() == [0, 1, 2, 3]
    assert r.config == {"lr": 0.1, "epochs": 2}
    with pytest.raises(FileExistsError, match=r"already exists"):
        nbtrack.init(id="myrun")
    with pytest.raises(FileExistsError):
        nbtrack.init(id="myrun", resume="never")
    with pytest.raises(FileNotFoundError, match=r"resume='must'\): no such run"):
        nbtrack.init(id="other", resume="must")
    assert nbtrack.init(id="fresh", resume=True).resumed is False
