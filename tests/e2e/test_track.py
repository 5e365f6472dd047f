"""``%track --logdir`` in a real JupyterLab: a live view of a logdir that other processes write to.

The notebook watches an empty logdir; the test (outside the kernel) starts writer processes, kills one with
SIGKILL, filters and hides runs in the run table, then a later cell of the same kernel logs a run of its own.
Everything is read from the DOM the person sees: the notice, the run table, the summary and the charts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labkit.dashboards import run_cell  # tests/e2e is on sys.path (conftest.py)
from labkit.page import SELECT_CELL

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# A training process that is not the kernel: logs every ~0.1 s and flushes, for `steps` steps (or until killed).
WRITER = """\
import sys, time
import nbtrack
logdir, name, lr, steps = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
run = nbtrack.init(dir=logdir, name=name, config={"lr": lr}, flush_interval=0.1)
print("started", run.id, flush=True)
for step in range(steps):
    run.log({"train/loss": 1.0 / (1 + lr * step), "train/acc": 1.0 - 1.0 / (2 + step)})
    time.sleep(0.1)
run.finish()
print("finished", flush=True)
"""

# Read from the one %track output: notice, header, run-table rows (status, hidden switch, shown or filtered
# out), summary rows (points per run and tag) and the charts (points, runs drawn).
TRACK = """() => {
  const d = document.querySelector('.nbtrack-dashboard');
  if (!d) return null;
  return {
    notice: d.querySelector('.nbtrack-notice')?.hidden ? '' : (d.querySelector('.nbtrack-notice')?.textContent ?? ''),
    header: d.querySelector('.nbtrack-header')?.textContent ?? '',
    rows: Object.fromEntries([...d.querySelectorAll('tr.nbtrack-run-row')].map((r) => [r.dataset.run, {
      name: r.querySelector('.nbtrack-run-label')?.textContent,
      status: r.querySelector('td[data-status]')?.dataset.status ?? null,
      shown: r.style.display !== 'none', hidden: r.dataset.hidden === 'true' }])),
    points: [...d.querySelectorAll('.nbtrack-summary tr.nbtrack-series')].map((r) =>
      ({ run: r.dataset.run, key: r.dataset.key, points: +r.dataset.points })),
    charts: Object.fromEntries([...d.querySelectorAll('.nbtrack-chart')].map((c) => [c.dataset.key,
      { points: +(c.dataset.points ?? 0), runs: +(c.dataset.runs ?? 0), drawn: +(c.dataset.drawn ?? 0) }])),
    built: d.querySelector('.nbtrack-charts')?.dataset ?? {},
  }; }"""


def _notebook(path: Path, logdir: Path) -> Path:
    cells = [
        "%load_ext nbtrack",
        f"%track --logdir {json.dumps(str(logdir))} --reload 0.5",
        "import time\nimport nbtrack\n"
        f"run = nbtrack.init(dir={str(logdir)!r}, name='in-kernel', config={{'lr': 0.3}}, flush_interval=0.1)\n"
        "for step in range(80):\n"
        "    run.log({'train/loss': 1.0 / (1 + step), 'train/acc': step / 80})\n"
        "    time.sleep(0.1)\n"
        "run.finish()",
    ]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                    for s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _start_writer(script: Path, logdir: Path, name: str, lr: float, steps: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("NBTRACK_DIR", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(script), str(logdir), name, str(lr), str(steps)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc


def _run_id(log: Path, proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("started "):
                return line.split()[1]
        if proc.poll() is not None:
            raise AssertionError(f"writer exited with {proc.returncode}: {log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"writer did not start: {log.read_text()}")


def _series_points(state: dict, run: str, key: str = "train/loss") -> int:
    return next((p["points"] for p in state["points"] if p["run"] == run and p["key"] == key), 0)


def _charts_complete(state: dict, runs: int) -> bool:
    """Both tags charted and built (charts are built one per task after the output renders), each chart
    drawing `runs` runs."""
    charts = state["charts"]
    built = state["built"]
    return (set(charts) == {"train/loss", "train/acc"} and built.get("built") == built.get("charts") == "2"
            and all(c["runs"] == runs and c["drawn"] > 0 for c in charts.values()))


def test_track_shows_a_logdir_written_by_other_processes_live(lab, tmp_path):
    logdir = tmp_path / "logdir"
    logdir.mkdir()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    lab.open_notebook(_notebook(tmp_path / "track_logdir_e2e.ipynb", logdir))
    state = lambda: lab.page.evaluate(TRACK)  # noqa: E731
    procs: list[subprocess.Popen] = []
    try:
        run_cell(lab, 0)
        run_cell(lab, 1)
        lab._poll(lambda: state() is not None, 30, lambda: "no %track output")
        assert "no runs yet" in state()["notice"], state()
        assert lab.error_outputs() == []
        lab.screenshot_output(1, "track-1-empty")

        # a first training process: the run appears and its points keep growing
        procs.append(_start_writer(script, logdir, "alpha", 0.1, 3000, tmp_path / "alpha.log"))
        alpha = _run_id(tmp_path / "alpha.log", procs[0])
        lab._poll(lambda: _series_points(state(), alpha) > 0 and _charts_complete(state(), 1), 30,
                  lambda: f"alpha not shown: {state()}")
        assert state()["notice"] == "", "the 'no runs yet' note goes once a run is there"
        seen = [_series_points(state(), alpha)]
        for _ in range(3):  # three more reloads, each bringing points
            lab._poll(lambda: _series_points(state(), alpha) > seen[-1], 10,
                      lambda: f"alpha stopped growing at {seen[-1]}: {state()}")
            seen.append(_series_points(state(), alpha))
        lab._poll(lambda: state()["charts"]["train/loss"]["points"] >= seen[-1], 10,
                  lambda: f"chart behind the summary: {state()}")
        lab.screenshot_output(1, "track-2-one-run")

        # a second process joins: two runs, the run table appears
        procs.append(_start_writer(script, logdir, "beta", 1.0, 3000, tmp_path / "beta.log"))
        beta = _run_id(tmp_path / "beta.log", procs[1])
        lab._poll(lambda: set(state()["rows"]) == {alpha, beta} and _charts_complete(state(), 2)
                  and _series_points(state(), beta) > 0, 30, lambda: f"beta not shown: {state()}")
        rows = state()["rows"]
        assert rows[alpha]["name"] == "alpha" and rows[beta]["name"] == "beta", rows
        assert rows[alpha]["status"] == rows[beta]["status"] == "running", rows
        before = _series_points(state(), beta)
        lab._poll(lambda: _series_points(state(), beta) > before, 10, lambda: f"beta not growing: {state()}")

        # kill -9 the first process: its status turns crashed (a dead pid on this host), beta keeps running
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait(10)
        lab._poll(lambda: state()["rows"][alpha]["status"] == "crashed", 20,
                  lambda: f"alpha not crashed: {state()['rows']}")
        assert state()["rows"][beta]["status"] == "running"
        frozen = _series_points(state(), alpha)
        grown = _series_points(state(), beta)
        lab._poll(lambda: _series_points(state(), beta) > grown, 10, lambda: f"beta not growing: {state()}")
        assert _series_points(state(), alpha) == frozen, "a killed run gets no more points"
        lab.screenshot_output(1, "track-3-crashed")

        # the run table's filter hides alpha's row; its switch hides alpha's lines from every chart
        box = lab.page.locator(".nbtrack-run-filter").first
        box.fill("beta")
        lab._poll(lambda: not state()["rows"][alpha]["shown"] and state()["rows"][beta]["shown"], 10,
                  lambda: f"filter did not hide alpha: {state()['rows']}")
        lab.screenshot_output(1, "track-4-filtered")
        box.fill("")
        lab._poll(lambda: state()["rows"][alpha]["shown"], 10, lambda: f"alpha not back: {state()['rows']}")
        lab.page.locator(f'tr.nbtrack-run-row[data-run="{alpha}"] .nbtrack-run-visible').uncheck()
        lab._poll(lambda: state()["rows"][alpha]["hidden"]
                  and all(c["runs"] == 1 for c in state()["charts"].values()), 10,
                  lambda: f"alpha's lines still drawn: {state()}")
        lab.screenshot_output(1, "track-5-alpha-hidden")
        lab.page.locator(f'tr.nbtrack-run-row[data-run="{alpha}"] .nbtrack-run-visible').check()
        lab._poll(lambda: all(c["runs"] == 2 for c in state()["charts"].values()), 10,
                  lambda: f"alpha's lines not back: {state()}")

        # a run logged by a later cell of the same kernel shows up live in the %track output above
        lab.page.evaluate(SELECT_CELL, [lab.path, 2])
        lab.page.keyboard.press("Control+Enter")
        lab._poll(lambda: lab.cell_states()[2]["state"] == "running", 20, lambda: f"{lab.cell_states()[2]}")

        def in_kernel() -> str | None:
            return next((rid for rid, r in state()["rows"].items() if r["name"] == "in-kernel"), None)

        lab._poll(lambda: in_kernel() and _series_points(state(), in_kernel()) > 0, 30,
                  lambda: f"the in-kernel run not shown: {state()}")
        mine = in_kernel()
        live = [_series_points(state(), mine)]
        lab._poll(lambda: _series_points(state(), mine) > live[0], 10,
                  lambda: f"the in-kernel run not growing: {state()}")
        assert lab.cell_states()[2]["state"] == "running", "points arrived while the cell was still running"
        assert state()["rows"][mine]["status"] == "running"
        lab._poll(lambda: _charts_complete(state(), 3), 20, lambda: f"charts not complete: {state()}")
        lab.screenshot_output(1, "track-6-in-kernel-run")
        lab._poll(lambda: lab.cell_states()[2]["state"] != "running", 60, lambda: f"{lab.cell_states()[2]}")
        lab._poll(lambda: state()["rows"][mine]["status"] == "finished"
                  and _series_points(state(), mine) == 80, 20, lambda: f"in-kernel run not finished: {state()}")
        assert state()["rows"][alpha]["status"] == "crashed"
        assert lab.error_outputs() == []
        lab.screenshot("track-7-notebook")
        assert lab.page_errors == [] and lab.blocked_requests == []
        assert [e for e in lab.console_errors if "nbtrack" in e.lower()] == []
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
