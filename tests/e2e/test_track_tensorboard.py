"""``%track --logdir`` on a TensorBoard logdir that a running process writes with tensorboardX, in JupyterLab.

No nbtrack in the writer: a plain tensorboardX training loop, as a user's existing code writes for
``%tensorboard``. The test reads what a person sees: the run table names the run as TensorBoard does
(its folder), the charts draw its points and keep growing, a second run (another folder) joins.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _track import ROOT, TRACK, track_notebook  # tests/e2e on sys.path
from labkit.dashboards import run_cell

pytestmark = pytest.mark.e2e
pytest.importorskip("tensorboardX", reason="tensorboardX (a test dependency) writes the event files")

TB_WRITER = """\
import sys, time
from tensorboardX import SummaryWriter
logdir, name, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
writer = SummaryWriter(f"{logdir}/{name}", flush_secs=1)
print("started", flush=True)
for step in range(steps):
    writer.add_scalar("train/loss", 1.0 / (1 + 0.1 * step), step)
    writer.add_scalar("train/acc", 1.0 - 1.0 / (2 + step), step)
    if step % 3 == 0:
        writer.flush()
    time.sleep(0.1)
writer.close()
"""


def _notebook(path: Path, logdir: Path) -> Path:
    return track_notebook(path, ["%load_ext nbtrack", f"%track --logdir {json.dumps(str(logdir))} --reload 0.5"])


def _start(script: Path, logdir: Path, name: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, str(script), str(logdir), name, "3000"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _points(state: dict, name: str, key: str = "train/loss") -> int:
    ids = [run for run, row in state["rows"].items() if row["name"] == name]
    return next((p["points"] for p in state["points"] if p["run"] in ids and p["key"] == key), 0)


def test_track_follows_a_tensorboard_logdir_written_by_a_running_process(lab, tmp_path):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    script = tmp_path / "tb_writer.py"
    script.write_text(TB_WRITER)
    lab.open_notebook(_notebook(tmp_path / "track_tensorboard_e2e.ipynb", logdir))
    state = lambda: lab.page.evaluate(TRACK)  # noqa: E731
    procs: list[subprocess.Popen] = []
    try:
        run_cell(lab, 0)
        run_cell(lab, 1)
        lab._poll(lambda: state() is not None, 30, lambda: "no %track output")
        procs.append(_start(script, logdir, "train", tmp_path / "train.log"))
        started = time.monotonic()
        lab._poll(lambda: _points(state(), "train") > 0, 30, lambda: f"train not shown: {state()}")
        appeared = time.monotonic() - started
        assert appeared < 20, appeared  # the latency itself is measured in benchmarks/
        rows = state()["rows"]
        assert [row["name"] for row in rows.values()] == ["train"], rows
        assert next(iter(rows.values()))["status"] == "running"
        seen = [_points(state(), "train")]
        for _ in range(3):  # three more reloads, each bringing points
            lab._poll(lambda: _points(state(), "train") > seen[-1], 10,
                      lambda: f"train stopped growing at {seen[-1]}: {state()}")
            seen.append(_points(state(), "train"))
        charts = state()["charts"]
        assert set(charts) >= {"train/loss", "train/acc"}, charts
        lab._poll(lambda: state()["charts"]["train/loss"]["points"] >= seen[-1], 10,
                  lambda: f"chart behind the summary: {state()}")
        lab.screenshot_output(1, "track-tb-1-one-run")

        procs.append(_start(script, logdir, "validation", tmp_path / "validation.log"))
        lab._poll(lambda: {row["name"] for row in state()["rows"].values()} == {"train", "validation"}
                  and _points(state(), "validation") > 0, 30, lambda: f"validation not shown: {state()}")
        lab._poll(lambda: all(c["runs"] == 2 for k, c in state()["charts"].items() if k.startswith("train/")), 10,
                  lambda: f"charts do not draw both runs: {state()['charts']}")
        assert lab.error_outputs() == []
        lab.screenshot_output(1, "track-tb-2-two-runs")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
