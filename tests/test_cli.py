"""The ``nbtrack`` command: ``demo`` records runs and a dashboard page, ``ls`` lists the runs of a logdir, and a
logdir that is not there is a clear message and a non-zero exit; in process (``nbtrack.cli.main``) and as
``python -m nbtrack``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack.cli import main

ROOT = Path(__file__).resolve().parents[1]
STEPS = 20


def _nbtrack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m nbtrack ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "nbtrack", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logdir recorded once by ``nbtrack demo`` (in process) for the ``ls`` tests."""
    path = tmp_path_factory.mktemp("cli") / "nbruns"
    assert main(["demo", "--dir", str(path), "--steps", str(STEPS)]) == 0
    return path


def test_demo_records_four_finished_runs_and_a_dashboard_page(tmp_path, capsys):
    logdir = tmp_path / "demo"
    assert main(["demo", "--dir", str(logdir), "--steps", str(STEPS)]) == 0
    out = capsys.readouterr().out
    runs = nbtrack.open(logdir).runs()
    assert f"recorded 4 runs in {logdir}" in out
    assert len(runs) == 4 and set(runs["status"]) == {"finished"}
    for run_id, name in zip(runs["id"], runs["name"]):
        assert run_id in out and name in out
    page = logdir / "dashboard.html"
    assert page.is_file() and str(page) in out
    assert all(len(nbtrack.open(logdir).run(run_id).scalars("train/loss")) == STEPS for run_id in runs["id"])


def test_ls_names_every_run_with_its_status_and_summary(demo_dir, capsys):
    assert main(["ls", str(demo_dir)]) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.strip().splitlines()
    assert header.split()[:5] == ["id", "name", "project", "status", "created"]
    assert "summary.train/loss" in header
    runs = nbtrack.open(demo_dir).runs()
    assert len(rows) == len(runs) == 4
    for run_id, name in zip(runs["id"], runs["name"]):
        assert any(run_id in row and name in row and "finished" in row for row in rows)
    assert captured.err == ""


def test_ls_max_metrics_limits_the_summary_columns(demo_dir, capsys):
    assert main(["ls", str(demo_dir), "--max-metrics", "1"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert sum(column.startswith("summary.") for column in header.split()) == 1


def test_ls_of_an_empty_logdir_says_so(tmp_path, capsys):
    assert main(["ls", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == f"no runs in {tmp_path}"


def test_ls_of_a_missing_logdir_is_a_clear_error_and_exit_code_2(tmp_path, capsys):
    missing = tmp_path / "no-such-dir"
    assert main(["ls", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("nbtrack ls: ") and str(missing) in captured.err
    assert "does not exist" in captured.err and "Traceback" not in captured.err


def test_no_command_or_an_unknown_one_is_a_usage_error(capsys):
    for argv in ([], ["frobnicate"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "usage: nbtrack" in capsys.readouterr().err


@pytest.mark.slow
def test_python_m_nbtrack_demo_then_ls(tmp_path):
    logdir = tmp_path / "nbruns"
    demo = _nbtrack("demo", "--dir", str(logdir), "--steps", str(STEPS), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert f"recorded 4 runs in {logdir}" in demo.stdout and (logdir / "dashboard.html").is_file()
    listing = _nbtrack("ls", str(logdir), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    runs = nbtrack.open(logdir).runs()
    for run_id, name in zip(runs["id"], runs["name"]):
        assert run_id in listing.stdout and name in listing.stdout


def test_python_m_nbtrack_ls_of_a_missing_logdir_exits_non_zero(tmp_path):
    result = _nbtrack("ls", "no-such-dir", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nbtrack ls: " in result.stderr and "no-such-dir" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
