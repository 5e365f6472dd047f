"""What the %track browser tests share: a writer process outside the kernel and what the DOM shows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


def track_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of these code cells (no outputs) to ``path``."""
    import json

    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                    for s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def start_writer(script: Path, logdir: Path, name: str, lr: float, steps: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("NBTRACK_DIR", None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(script), str(logdir), name, str(lr), str(steps)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc


def run_id(log: Path, proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("started "):
                return line.split()[1]
        if proc.poll() is not None:
            raise AssertionError(f"writer exited with {proc.returncode}: {log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"writer did not start: {log.read_text()}")


def series_points(state: dict, run: str, key: str = "train/loss") -> int:
    return next((p["points"] for p in state["points"] if p["run"] == run and p["key"] == key), 0)


def charts_complete(state: dict, runs: int) -> bool:
    """Both tags charted and built (charts are built one per task after the output renders), each chart
    drawing `runs` runs."""
    charts = state["charts"]
    built = state["built"]
    return (set(charts) == {"train/loss", "train/acc"} and built.get("built") == built.get("charts") == "2"
            and all(c["runs"] == runs and c["drawn"] > 0 for c in charts.values()))
