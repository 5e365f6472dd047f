"""A notebook saved while a ``%track`` output is displayed reopens showing the charts (issue 19 item 6).

``%track`` never finishes, so its output is a pair (nbtrack/dashboard/companion.py): the live widget and a
static companion that the watcher refreshes (here every second, ``NBTRACK_TRACK_SAVE_EVERY``). Live, only
the widget shows. Saved with JupyterLab's default settings (no widget state) and reopened without a kernel,
the companion draws the runs and hides the widget's "model not found" line; untrusted, its PNG shows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from labkit.dashboards import (
    STATIC_BOXES,
    dashboards,
    lab_page,
    open_without_kernel,
    panel_state,
    run_cell,
    save,
    set_widget_state_saving,
    wait_for_dashboards,
)
from labkit.page import LabPage

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

VISIBLE_BAD_TEXT = """() => [...document.querySelectorAll('.jp-OutputArea-child')]
  .filter((el) => el.offsetParent !== null && getComputedStyle(el).display !== 'none')
  .map((el) => el.innerText || '')
  .filter((t) => /model not found|Error displaying widget|<nbtrack\\./i.test(t))"""


def _notebook(path: Path, logdir: str) -> Path:
    cells = [
        "import os\nos.environ['NBTRACK_TRACK_SAVE_EVERY'] = '1'\n%load_ext nbtrack",
        f"%track --logdir {logdir} --reload 0.5",
    ]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _runs(logdir: Path) -> dict[str, int]:
    for name, lr in (("lr-0.1", 0.1), ("lr-0.01", 0.01)):
        with nbtrack.init(dir=logdir, name=name, config={"lr": lr}) as run:
            for step in range(200):
                run.log({"loss": 1.0 / (1 + lr * step), "acc": lr * step})
    return {"loss": 200, "acc": 200}


def _companion(outputs: list[dict[str, Any]]) -> str:
    htmls = [o.get("data", {}).get("text/html", "") for o in outputs]
    htmls = ["".join(h) if isinstance(h, list) else h for h in htmls]
    return next((h for h in htmls if "data-nbtrack-static" in h), "")


def test_saved_track_output_reopens_with_its_charts(lab: LabPage, browser: Any, tmp_path: Path) -> None:
    root = lab.server.root_dir
    logdir = root / "tracked"
    _runs(logdir)
    lab.open_notebook(_notebook(tmp_path / "track-saved.ipynb", "tracked"))
    run_cell(lab, 0)
    run_cell(lab, 1)
    live = wait_for_dashboards(lab, lambda ds: len(ds) == 1 and not ds[0]["static"] and len(ds[0]["charts"]) == 2
                               and all(int(c["points"]) == 400 for c in ds[0]["charts"]), what="the live %track view")
    assert len(live) == 1

    # the watcher refreshes the companion (hidden while the widget draws)
    lab._poll(lambda: _companion(lab.cells()[1]["outputs"]) != "", 30,
              lambda: f"no companion output yet: {[sorted(o.get('data', {})) for o in lab.cells()[1]['outputs']]}")
    lab.page.wait_for_timeout(5000)  # past the companion's 4 s wait: it must stay hidden while the widget lives
    boxes = lab.page.evaluate(STATIC_BOXES)
    assert len(boxes) == 1 and boxes[0]["rendered"] is None, f"the companion stays hidden and undrawn: {boxes}"
    assert [d["static"] for d in dashboards(lab.page)] == [False], "only the live widget shows"
    lab.screenshot_output(1, "track-saved-live")

    save(lab)
    saved = json.loads((root / lab.path).read_text())
    mimes = [sorted(o.get("data", {})) for o in saved["cells"][1]["outputs"]]
    assert ["image/png", "text/html", "text/plain"] in mimes, mimes
    copies = {"default": "track-saved-default.ipynb", "widget_state": "track-saved-widget-state.ipynb"}
    shutil.copy(root / lab.path, root / copies["default"])
    set_widget_state_saving(lab, True)
    try:
        save(lab, force=True)
        shutil.copy(root / lab.path, root / copies["widget_state"])
    finally:
        set_widget_state_saving(lab, False)
    assert "application/vnd.jupyter.widget-state+json" in json.loads(
        (root / copies["widget_state"]).read_text())["metadata"].get("widgets", {})

    # reopened trusted without a kernel, with and without saved widget state: the companion draws the runs
    for which, name in copies.items():
        with lab_page(browser, lab.server, ARTIFACTS, f"track-saved-reopened-{which}") as again:
            open_without_kernel(again, name)
            assert panel_state(again)["kernel"] is None
            [dash] = wait_for_dashboards(again, lambda ds: [d["static"] for d in ds] == [True]
                                         and ds[0]["rendered"] == "done" and len(ds[0]["charts"]) == 2, timeout=40,
                                         what=f"the reopened %track output ({which})")
            assert sorted(c["key"] for c in dash["charts"]) == ["acc", "loss"]
            assert all(int(c["points"]) == 400 for c in dash["charts"]), dash["charts"]
            assert again.page.evaluate(VISIBLE_BAD_TEXT) == [], "the widget's 'model not found' line is hidden"
            again.screenshot_output(1, f"track-saved-reopened-{which}")

    # untrusted (edited elsewhere): no script runs, the companion's PNG shows
    nb = json.loads((root / copies["default"]).read_text())
    nb["cells"][0]["source"] += "\n# edited outside JupyterLab"
    (root / "track-saved-untrusted.ipynb").write_text(json.dumps(nb))
    with lab_page(browser, lab.server, ARTIFACTS, "track-saved-untrusted") as again:
        open_without_kernel(again, "track-saved-untrusted.ipynb")
        picture = again.page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output img").first
        picture.wait_for(state="visible", timeout=30_000)
        again.page.wait_for_function("(img) => img.complete && img.naturalWidth > 100", arg=picture.element_handle())
        again.screenshot_output(1, "track-saved-untrusted")
