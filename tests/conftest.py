from __future__ import annotations

import os

import pytest

import nbtrack
from nbtrack.record import current as _current

# system metrics (record/system.py) start after 1 s, so a run's tags would depend on how long a test
# takes: off for the suite unless a test asks (tests/record/test_system_metrics.py passes settings)
os.environ.setdefault("NBTRACK_SYSTEM_METRICS", "0")


@pytest.fixture
def logdir(tmp_path, monkeypatch):
    """A fresh logdir; NBTRACK_DIR points at it so init() without dir= lands there."""
    path = tmp_path / "runs"
    monkeypatch.setenv("NBTRACK_DIR", str(path))
    yield path
    for run in _current.live_runs():
        try:
            run.finish()
        except Exception:
            pass


@pytest.fixture
def read(logdir):
    """Open a run of the test's logdir by id after it finished."""

    def _read(run):
        return nbtrack.open(run.logdir).run(run.id)

    return _read
