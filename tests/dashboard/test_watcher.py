"""LogdirWatcher: discovery, incremental points and values, status changes, filters, bounded memory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import nbtrack
from nbtrack.dashboard.watcher import LogdirWatcher


def _points(update, key="loss"):
    out = {}
    for run, k, steps, values, _ in update.series:
        if k == key:
            out.setdefault(run, []).extend(zip(steps.tolist(), values.tolist()))
    return out


def test_new_points_arrive_once_and_in_order(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="a")
    for i in range(10):
        run.log({"loss": float(i)})
    run.flush()
    watcher = LogdirWatcher([(None, tmp_path)])
    snap = watcher.first()
    assert np.frombuffer(snap["series"][0]["values"]).tolist() == [float(i) for i in range(10)]
    assert not watcher.poll().series  # nothing new
    for i in range(10, 25):
        run.log({"loss": float(i)})
    run.flush()
    got = _points(watcher.poll())[run.id]
    assert got == [(i, float(i)) for i in range(10, 25)]
    assert not watcher.poll().series
    run.finish()


def test_runs_that_appear_later_join_with_their_points_and_values(tmp_path):
    watcher = LogdirWatcher([(None, tmp_path)])
    assert watcher.first()["runs"] == []
    (tmp_path / "proj").mkdir()
    with nbtrack.init(dir=tmp_path / "proj", name="late", config={"lr": 0.1}) as run:
        run.log({"loss": 1.0, "w": nbtrack.Histogram(np.arange(10.0)), "note": nbtrack.Text("hi")})
    update = watcher.poll()
    assert [(r["name"], r["status"], r["config"]) for r in update.runs] == [("late", "finished", {"lr": 0.1})]
    assert _points(update) == {run.id: [(0, 1.0)]}
    assert sorted((m["key"], m["kind"]) for m in update.media) == [("note", "text"), ("w", "histogram")]
    again = watcher.poll()
    assert not again.series and not again.media and not again.runs


def test_a_finishing_run_changes_status(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="a")
    run.log({"loss": 1.0})
    run.flush()
    watcher = LogdirWatcher([(None, tmp_path)], info_every=0.0)
    assert watcher.first()["runs"][0]["status"] == "running"
    run.finish()
    update = watcher.poll()
    assert [r["status"] for r in update.runs] == ["finished"]


def test_a_killed_process_turns_crashed(tmp_path):
    script = textwrap.dedent(f"""
        import nbtrack, time
        run = nbtrack.init(dir={str(tmp_path)!r}, name="victim")
        for i in range(5):
            run.log({{"loss": float(i)}})
        run.flush()
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(nbtrack.__file__).parent.parent)})
    try:
        assert proc.stdout.readline().strip() == "ready"
        watcher = LogdirWatcher([(None, tmp_path)], info_every=0.0)
        assert watcher.first()["runs"][0]["status"] == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    statuses = [r["status"] for r in watcher.poll().runs]
    assert statuses == ["crashed"]


def test_filters_leave_runs_and_tags_out(tmp_path):
    for name in ("keep-1", "drop-1"):
        with nbtrack.init(dir=tmp_path, name=name) as run:
            run.log({"train/loss": 1.0, "val/acc": 0.5, "img": nbtrack.Text("t")})
    watcher = LogdirWatcher([(None, tmp_path)], runs=re.compile("keep"), tags=re.compile("loss"))
    snap = watcher.first()
    assert [r["name"] for r in snap["runs"]] == ["keep-1"]
    assert [s["key"] for s in snap["series"]] == ["train/loss"]
    assert snap["media"] == []


def test_named_logdirs_prefix_run_names(tmp_path):
    for sub in ("a", "b"):
        with nbtrack.init(dir=tmp_path / sub, name="r") as run:
            run.log({"loss": 1.0})
    watcher = LogdirWatcher([("base", tmp_path / "a"), ("new", tmp_path / "b")])
    assert sorted(r["name"] for r in watcher.first()["runs"]) == ["base/r", "new/r"]


def test_the_watcher_keeps_no_copy_of_what_it_sent(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="big")
    for i in range(50_000):
        run.log({"a": float(i), "b": 1.0})
    run.flush()
    watcher = LogdirWatcher([(None, tmp_path)])
    snap = watcher.first()
    assert all(s["n"] == 50_000 for s in snap["series"])
    reader = watcher.readers[0]
    assert len(reader.poll()) == 0  # forgotten after the snapshot
    run.log({"a": 1.0, "b": 2.0})
    run.finish()
    update = watcher.poll()
    assert sum(len(s[2]) for s in update.series) == 2
    assert len(reader.poll()) == 0


def test_a_poll_with_nothing_new_stats_only(tmp_path):
    for i in range(20):
        with nbtrack.init(dir=tmp_path, name=f"r{i}") as run:
            run.log({"loss": 1.0})
    watcher = LogdirWatcher([(None, tmp_path)], info_every=3600)
    watcher.first()
    watcher.poll()
    started = watcher.poll_seconds
    for _ in range(10):
        assert not watcher.poll()
    assert watcher.polls == 11
    assert (watcher.poll_seconds - started) / 10 < 0.5  # generous: the figure is in benchmarks/
