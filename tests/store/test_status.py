"""Run status from writer manifests (``store/status.py``): running, finished, failed, crashed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

import pytest

from nbtrack.store.manifest import check_manifest
from nbtrack.store.status import STATUSES, run_status, writer_status

NOW = 1_800_000_000.0
STALE = 30.0


def _gone_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def _writer(status: str, heartbeat: float = NOW, **fields: Any) -> dict[str, Any]:
    return {"status": status, "heartbeat": heartbeat, "host": "elsewhere", "pid": 1, **fields}


def test_failed_is_a_status():
    assert STATUSES == ("running", "finished", "failed", "crashed")


@pytest.mark.parametrize("status", ["finished", "failed", "crashed"])
def test_an_ended_writer_keeps_its_status_whatever_its_process_and_heartbeat(status):
    here_and_gone = {"host": socket.gethostname(), "pid": _gone_pid()}
    assert writer_status(_writer(status, heartbeat=0.0, **here_and_gone), STALE, NOW) == status
    assert writer_status(_writer(status, heartbeat=NOW), STALE, NOW) == status


def test_failed_with_its_exit_code():
    assert writer_status(_writer("failed", exit_code=1), STALE, NOW) == "failed"
    assert writer_status(_writer("failed", exit_code=None), STALE, NOW) == "failed"


def test_a_pre_2_1_crashed_with_an_exit_code_stays_crashed():
    """Writers before format 2.1 wrote "crashed" for finish(exit_code=1); those runs read as they did."""
    assert writer_status(_writer("crashed", exit_code=1), STALE, NOW) == "crashed"


def test_a_running_writer_is_crashed_when_its_heartbeat_is_stale_or_its_process_gone():
    assert writer_status(_writer("running", heartbeat=NOW - 5), STALE, NOW) == "running"
    assert writer_status(_writer("running", heartbeat=NOW - 31), STALE, NOW) == "crashed"
    gone = _writer("running", heartbeat=NOW, host=socket.gethostname(), pid=_gone_pid())
    assert writer_status(gone, STALE, NOW) == "crashed"
    alive = _writer("running", heartbeat=NOW, host=socket.gethostname(), pid=os.getpid())
    assert writer_status(alive, STALE, NOW) == "running"


def test_an_unknown_status_is_judged_by_process_and_heartbeat():
    """What a reader does with a status it does not know (a 2.0 reader with "failed" drops the field first)."""
    assert writer_status(_writer("paused", heartbeat=NOW), STALE, NOW) == "running"
    assert writer_status(_writer("paused", heartbeat=NOW - 60), STALE, NOW) == "crashed"
    assert writer_status({"heartbeat": NOW - 60}, STALE, NOW) == "crashed"


def _fresh(status: str, started: float) -> dict[str, Any]:
    return _writer(status, heartbeat=1e12 if status == "running" else 0.0, started=started)  # "running": never stale


@pytest.mark.parametrize(("statuses", "expected"), [
    (["failed"], "failed"),
    (["finished"], "finished"),
    (["failed", "finished"], "finished"),  # resumed after failing, then finished
    (["finished", "failed"], "failed"),
    (["crashed", "failed"], "failed"),
    (["failed", "crashed"], "crashed"),
    (["failed", "running"], "running"),
    (["running", "failed"], "running"),  # a writer still runs: the run runs
])
def test_run_status_is_running_if_any_writer_runs_else_the_latest_writers(statuses, expected):
    writers = [_fresh(s, started=float(i)) for i, s in enumerate(statuses)]
    assert run_status(writers, STALE) == expected


def test_a_manifest_saying_failed_is_valid():
    clean, problems = check_manifest({"status": "failed", "exit_code": 1})
    assert clean == {"status": "failed", "exit_code": 1} and problems == []
    clean, problems = check_manifest({"status": "exploded"})
    assert clean == {} and problems == [f"field 'status' is str, expected one of {STATUSES}"]
