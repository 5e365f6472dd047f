"""A run's details beside its data: alerts, environment, artifact records, read tolerantly (issue 22)."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import nbtrack
from nbtrack.record import environment
from nbtrack.store.details import read_details

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "format"


def test_alerts_read_back_with_time_step_and_level(logdir, capsys):
    with nbtrack.init(dir=logdir) as run:
        run.log({"loss": 1.0})
        run.alert("slow", "epoch took 10 min", level="WARN")
        nbtrack.alert("done", "ok")
        run.alert("enum", "level", level=nbtrack.AlertLevel.ERROR)
    out = capsys.readouterr()
    assert "nbtrack alert [WARN] slow: epoch took 10 min" in out.err and "nbtrack alert [INFO] done: ok" in out.out
    alerts = nbtrack.open(logdir).run(run.id).alerts()
    assert [(a["level"], a["title"], a["text"], a["step"]) for a in alerts] == [
        ("WARN", "slow", "epoch took 10 min", 1), ("INFO", "done", "ok", 1), ("ERROR", "enum", "level", 1)]
    assert all(isinstance(a["time"], float) for a in alerts)


def test_alert_wait_duration_and_bad_arguments(logdir, capsys):
    with nbtrack.init(dir=logdir) as run:
        for _ in range(3):
            run.alert("nan", "again", level="ERROR", wait_duration=datetime.timedelta(minutes=5))
        run.alert("other", "x", wait_duration=300)
        with pytest.raises(ValueError, match="level"):
            run.alert("t", "x", level="LOUD")
        with pytest.raises(TypeError, match="wait_duration"):
            run.alert("t", "x", wait_duration="soon")
    assert [a["title"] for a in nbtrack.open(logdir).run(run.id).alerts()] == ["nan", "other"]
    assert capsys.readouterr().err.count("[ERROR] nan") == 1


def test_environment_recorded(logdir):
    with nbtrack.init(dir=logdir) as run:
        pass
    env = nbtrack.open(logdir).run(run.id).environment
    assert env["python"] and env["host"] and env["nbtrack_version"] == nbtrack.__version__
    assert env["packages"]["numpy"]  # found through package metadata
    assert "executable" in env and "argv" in env
    assert run.dir.joinpath("run.json").exists() and "host" in json.loads(run.dir.joinpath("run.json").read_text())


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_of_a_repository(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("1")
    git("add", "a.py")
    git("commit", "-qm", "first")
    state = environment.git_state(tmp_path)
    assert len(state["commit"]) == 40 and state["branch"] == "main" and state["dirty"] is False
    (tmp_path / "a.py").write_text("2")
    assert environment.git_state(tmp_path)["dirty"] is True


def test_environment_never_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert environment.git_state(tmp_path) == {}

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(environment, "packages", broken)
    env = environment.collect()
    assert "packages" not in env and env["python"]


def test_damaged_lines_are_skipped_and_reported(logdir):
    with nbtrack.init(dir=logdir) as run:
        run.alert("first", "1")
        run.alert("second", "2")
    path = run.dir / "alerts.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n{broken\n[1, 2]\n" + lines[1] + "\n" + '{"partial": ')
    (run.dir / "environment").joinpath("bad.json").write_text("not json")
    reader = nbtrack.open(logdir).run(run.id)
    assert [a["title"] for a in reader.alerts()] == ["first", "second"]
    reasons = [d for d in reader.damage if d.file.endswith("alerts.jsonl")]
    assert len(reasons) == 2 and all("not a JSON object" in d.reason for d in reasons)
    assert any("bad.json" in d.file for d in reader.damage)
    assert reader.environment["python"]  # the good environment file still read


def test_linked_detail_files_are_refused(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        pass
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"title": "secret"}\n')
    (run.dir / "alerts.jsonl").symlink_to(secret)
    reader = nbtrack.open(logdir).run(run.id)
    assert reader.alerts() == []
    assert any("alerts.jsonl" in d.file and "symbolic link" in d.reason for d in reader.damage)


def test_saved_run_json_is_not_a_run(logdir, tmp_path, monkeypatch):
    """files/ is the run's own: a saved file named run.json does not make a nested run."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "run.json").write_text('{"id": "fake"}')
    with nbtrack.init(dir=logdir) as run:
        run.save("cfg/run.json", policy="now")
    assert [r.id for r in nbtrack.open(logdir).readers()] == [run.id]


OLDER = sorted(p.name for p in FIXTURES.glob("v*") if p.is_dir() and tuple(map(int, p.name[1:].split("."))) < (2, 3))


@pytest.mark.parametrize("version", OLDER)
def test_older_runs_read_with_no_details(version, tmp_path):
    shutil.copytree(FIXTURES / version / "logdir", tmp_path / "logdir")
    logdir = nbtrack.open(tmp_path / "logdir")
    readers = logdir.readers()
    assert readers
    for reader in readers:
        assert reader.files() == [] and reader.alerts() == [] and reader.artifacts() == []
        assert reader.environment == {}
    for folder in (p for p in (tmp_path / "logdir").rglob("run.json")):
        details = read_details(folder.parent)
        assert details.files == [] and details.alerts == [] and details.environment == {} and not details.damage


def test_a_hostile_files_tree_is_walked_boundedly(logdir):
    with nbtrack.init(dir=logdir) as run:
        pass
    deep = run.dir / "files"
    for _ in range(100):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("x")
    (run.dir / "files" / "top.txt").write_text("y")
    reader = nbtrack.open(logdir).run(run.id)
    assert [f.path for f in reader.files()] == ["top.txt"]
    assert any("deeper than" in d.reason for d in reader.damage)
