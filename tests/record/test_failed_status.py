"""The ``failed`` status (format 2.1): a run that finished with a non-zero exit code.

``failed`` is what the program said (``finish(exit_code=1)``, a ``with`` block that raised, an
uncaught exception at interpreter exit); ``crashed`` is what a reader concludes when the process
died without finishing. Resuming a failed run and finishing it makes the run ``finished``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbtrack

REPO = Path(__file__).resolve().parents[2]
CHILD = REPO / "tests" / "_proc" / "child.py"


def _manifests(run_dir: Path) -> list[dict]:
    paths = sorted((run_dir / "writers").glob("*.json"))
    return [json.loads(p.read_text()) for p in paths]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_finish_with_a_non_zero_exit_code_is_failed(logdir, read):
    run = nbtrack.init(id="f")
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1)})
    run.finish(exit_code=1)
    assert run.status == "failed"
    (manifest,) = _manifests(run.dir)
    assert (manifest["status"], manifest["exit_code"]) == ("failed", 1)
    reader = read(run)
    assert (reader.status, reader.exit_code, reader.damage) == ("failed", 1, [])
    assert reader.scalars("loss")["step"].tolist() == list(range(5))  # everything logged is read
    assert reader.summary["loss"] == 0.2  # the manifest written at finish is complete, as a finished one's
    assert nbtrack.open(logdir).runs().set_index("id").loc["f", "status"] == "failed"


def test_module_level_finish_with_an_exit_code_is_failed(logdir, read):
    run = nbtrack.init(id="m")
    nbtrack.log({"a": 1.0})
    nbtrack.finish(exit_code=2)
    assert run.status == "failed"
    assert (read(run).status, read(run).exit_code) == ("failed", 2)


def test_finish_with_exit_code_zero_is_finished(logdir, read):
    run = nbtrack.init(id="ok")
    run.log({"a": 1.0})
    run.finish(exit_code=0)
    assert run.status == "finished"
    assert (read(run).status, read(run).exit_code) == ("finished", 0)


def test_a_with_block_that_raises_is_failed_and_the_error_goes_on(logdir, read):
    with pytest.raises(KeyError):
        with nbtrack.init(id="ctx") as run:
            run.log({"a": 1.0})
            raise KeyError("boom")
    assert run.status == "failed" and run.finished
    reader = read(run)
    assert (reader.status, reader.exit_code) == ("failed", 1)
    assert reader.scalars("a")["value"].tolist() == [1.0]


def test_a_failed_writer_closes_its_files_like_a_finished_one(logdir, read):
    run = nbtrack.init(id="eos")
    run.log({"a": 1.0})
    run.finish(exit_code=1)
    (data,) = (run.dir / "data").glob("*.scalars.arrows")
    assert data.read_bytes()[-8:] == b"\xff\xff\xff\xff\x00\x00\x00\x00"
    data.write_bytes(data.read_bytes()[:-8])  # cut the end-of-stream marker: reported, as for a finished writer
    reader = read(run)
    assert reader.status == "failed"
    with pytest.warns(RuntimeWarning, match="end-of-stream marker is missing"):
        assert reader.scalars("a")["value"].tolist() == [1.0]
    assert [d.reason for d in reader.damage if "end-of-stream" in d.reason], reader.damage


def test_a_failed_run_resumed_and_finished_is_finished(logdir, read):
    first = nbtrack.init(id="again")
    first.log({"a": 1.0})
    first.finish(exit_code=1)
    assert read(first).status == "failed"
    second = nbtrack.init(id="again", resume="must")
    second.log({"a": 2.0})
    assert read(second).status == "running"
    second.finish()
    reader = read(second)
    assert (reader.status, reader.exit_code) == ("finished", 0)
    assert reader.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert [m["status"] for m in sorted(_manifests(second.dir), key=lambda m: m["started"])] == ["failed", "finished"]


def test_a_finished_run_resumed_and_failing_is_failed(logdir, read):
    nbtrack.init(id="later").finish()
    again = nbtrack.init(id="later", resume="must")
    again.finish(exit_code=1)
    assert read(again).status == "failed"


def test_an_uncaught_exception_at_exit_makes_the_run_failed(tmp_path: Path) -> None:
    """A script that dies of an exception finishes its run at exit with exit code 1: failed, not crashed."""
    script = textwrap.dedent(f"""
        import nbtrack
        run = nbtrack.init(dir={str(tmp_path)!r}, id="script")
        run.log({{"a": 1.0}})
        raise RuntimeError("the training diverged")
    """)
    done = subprocess.run([sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "the training diverged" in done.stderr
    reader = nbtrack.open(tmp_path).run("script")
    assert (reader.status, reader.exit_code) == ("failed", 1)


def test_a_killed_process_stays_crashed(tmp_path: Path) -> None:
    """kill -9 leaves no finish: the run is crashed (its pid is gone on this host), never failed."""
    proc = subprocess.Popen([sys.executable, str(CHILD), "--dir", str(tmp_path), "--id", "killed", "--tags", "a",
                             "--steps", "-1", "--flush-every", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("FLUSHED"):
                break
        else:
            pytest.fail(f"the child never flushed: {proc.stderr.read() if proc.stderr else ''}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    reader = nbtrack.open(tmp_path, stale_after=3600).run("killed")
    assert (reader.status, reader.exit_code) == ("crashed", None)
    assert len(reader.scalars("a")) >= 10
    assert nbtrack.open(tmp_path, stale_after=3600).runs().set_index("id").loc["killed", "status"] == "crashed"


def test_a_process_that_exits_without_finishing_is_crashed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(CHILD), "--dir", str(tmp_path), "--id", "gone", "--steps", "5",
                           "--end", "abort"], env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert nbtrack.open(tmp_path, stale_after=3600).run("gone").status == "crashed"
