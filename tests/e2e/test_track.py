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
from pathlib import Path

import pytest
from _track import TRACK, WRITER, charts_complete, run_id, series_points, start_writer  # tests/e2e on sys.path
from labkit.dashboards import run_cell
from labkit.page import SELECT_CELL

pytestmark = pytest.mark.e2e


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


SLOTS = """() => Object.fromEntries([...document.querySelectorAll('.nbtrack-dashboard .nbtrack-chart-slot')]
  .map((s) => [s.dataset.key, s.hidden]))"""
GROUPS = """() => Object.fromEntries([...document.querySelectorAll('.nbtrack-dashboard .nbtrack-chart')]
  .map((c) => [c.dataset.key, +(c.dataset.groups ?? 0)]))"""


def _slots(lab) -> dict[str, bool]:
    """Chart key -> hidden (by the tag filter)."""
    return lab.page.evaluate(SLOTS)


def _groups(lab) -> dict[str, int]:
    """Chart key -> group lines drawn (0 when runs are not grouped)."""
    return lab.page.evaluate(GROUPS)


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
        procs.append(start_writer(script, logdir, "alpha", 0.1, 3000, tmp_path / "alpha.log"))
        alpha = run_id(tmp_path / "alpha.log", procs[0])
        lab._poll(lambda: series_points(state(), alpha) > 0 and charts_complete(state(), 1), 30,
                  lambda: f"alpha not shown: {state()}")
        assert state()["notice"] == "", "the 'no runs yet' note goes once a run is there"
        seen = [series_points(state(), alpha)]
        for _ in range(3):  # three more reloads, each bringing points
            lab._poll(lambda: series_points(state(), alpha) > seen[-1], 10,
                      lambda: f"alpha stopped growing at {seen[-1]}: {state()}")
            seen.append(series_points(state(), alpha))
        lab._poll(lambda: state()["charts"]["train/loss"]["points"] >= seen[-1], 10,
                  lambda: f"chart behind the summary: {state()}")
        lab.screenshot_output(1, "track-2-one-run")

        # a second process joins: two runs, the run table appears
        procs.append(start_writer(script, logdir, "beta", 1.0, 3000, tmp_path / "beta.log"))
        beta = run_id(tmp_path / "beta.log", procs[1])
        lab._poll(lambda: set(state()["rows"]) == {alpha, beta} and charts_complete(state(), 2)
                  and series_points(state(), beta) > 0, 30, lambda: f"beta not shown: {state()}")
        rows = state()["rows"]
        assert rows[alpha]["name"] == "alpha" and rows[beta]["name"] == "beta", rows
        assert rows[alpha]["status"] == rows[beta]["status"] == "running", rows
        before = series_points(state(), beta)
        lab._poll(lambda: series_points(state(), beta) > before, 10, lambda: f"beta not growing: {state()}")

        # kill -9 the first process: its status turns crashed (a dead pid on this host), beta keeps running
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait(10)
        lab._poll(lambda: state()["rows"][alpha]["status"] == "crashed", 20,
                  lambda: f"alpha not crashed: {state()['rows']}")
        assert state()["rows"][beta]["status"] == "running"
        # what alpha flushed just before the kill may still arrive with the next reload (the status can be
        # read before those bytes); after two more reloads nothing more may come
        lab.page.wait_for_timeout(1200)
        frozen = series_points(state(), alpha)
        grown = series_points(state(), beta)
        lab._poll(lambda: series_points(state(), beta) > grown, 10, lambda: f"beta not growing: {state()}")
        assert series_points(state(), alpha) == frozen, "a killed run gets no more points"
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

        # the tag filter hides charts; grouping by a config key draws one mean line and band per group
        tags = lab.page.locator(".nbtrack-tag-filter").first
        tags.fill("acc")
        lab._poll(lambda: _slots(lab) == {"train/acc": False, "train/loss": True}, 10,
                  lambda: f"the tag filter did not hide train/loss: {_slots(lab)}")
        lab.screenshot_output(1, "track-5b-tag-filter")
        tags.fill("")
        lab._poll(lambda: _slots(lab) == {"train/acc": False, "train/loss": False}, 10, lambda: f"{_slots(lab)}")
        lab._poll(lambda: lab.page.locator(".nbtrack-group-by option[value='lr']").count() > 0, 10,
                  lambda: "no 'lr' choice in group runs by")
        lab.page.locator(".nbtrack-group-by").first.select_option("lr")
        lab.page.locator(".nbtrack-group-band").first.select_option("std")
        lab._poll(lambda: all(g == 2 for g in _groups(lab).values()) and len(_groups(lab)) == 2, 10,
                  lambda: f"not one line per lr: {_groups(lab)}")
        lab.screenshot_output(1, "track-5c-grouped-by-lr")
        lab.page.locator(".nbtrack-group-by").first.select_option("none")
        lab._poll(lambda: all(g == 0 for g in _groups(lab).values()), 10, lambda: f"{_groups(lab)}")

        # a run logged by a later cell of the same kernel shows up live in the %track output above
        lab.page.evaluate(SELECT_CELL, [lab.path, 2])
        lab.page.keyboard.press("Control+Enter")
        lab._poll(lambda: lab.cell_states()[2]["state"] == "running", 20, lambda: f"{lab.cell_states()[2]}")

        def in_kernel() -> str | None:
            return next((rid for rid, r in state()["rows"].items() if r["name"] == "in-kernel"), None)

        lab._poll(lambda: in_kernel() and series_points(state(), in_kernel()) > 0, 30,
                  lambda: f"the in-kernel run not shown: {state()}")
        mine = in_kernel()
        live = [series_points(state(), mine)]
        lab._poll(lambda: series_points(state(), mine) > live[0], 10,
                  lambda: f"the in-kernel run not growing: {state()}")
        assert lab.cell_states()[2]["state"] == "running", "points arrived while the cell was still running"
        assert state()["rows"][mine]["status"] == "running"
        lab._poll(lambda: charts_complete(state(), 3), 20, lambda: f"charts not complete: {state()}")
        lab.screenshot_output(1, "track-6-in-kernel-run")
        lab._poll(lambda: lab.cell_states()[2]["state"] != "running", 60, lambda: f"{lab.cell_states()[2]}")
        lab._poll(lambda: state()["rows"][mine]["status"] == "finished"
                  and series_points(state(), mine) == 80, 20, lambda: f"in-kernel run not finished: {state()}")
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
