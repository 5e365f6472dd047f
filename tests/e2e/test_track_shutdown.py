"""A JupyterLab page showing a live ``%track`` output stays responsive when its kernel goes.

People shut kernels down (Kernel > Shut Down Kernel), close the notebook tab, restart, or have the kernel
stopped from elsewhere (another page, the sessions API) with a ``%track`` output on screen. After each, the
page must answer a script within a few seconds, its menus must open, a cell must take typing, and a new
kernel must run a new cell.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from labkit.dashboards import lab_page, open_without_kernel, panel_state, run_cell, save, wait_for_dashboards
from labkit.page import LabPage

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
ANSWER_WITHIN_MS = 5000


def _notebook(path: Path, logdir: str) -> Path:
    cells = [
        "import os\nos.environ['NBTRACK_TRACK_SAVE_EVERY'] = '1'\n%load_ext nbtrack",
        f"%track --logdir {logdir} --reload 0.5",
        "6 * 7",
    ]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _runs(logdir: Path) -> None:
    for name, lr in (("lr-0.1", 0.1), ("lr-0.01", 0.01)):
        with nbtrack.init(dir=logdir, name=name, config={"lr": lr}) as run:
            for step in range(200):
                run.log({"loss": 1.0 / (1 + lr * step), "acc": lr * step})


def _tracking(lab: LabPage, tmp_path: Path, name: str) -> None:
    """``name`` open with a drawn live %track view of a logdir of two runs."""
    logdir = lab.server.root_dir / "tracked-shutdown"
    if not logdir.exists():
        _runs(logdir)
    lab.open_notebook(_notebook(tmp_path / name, "tracked-shutdown"))
    run_cell(lab, 0)
    run_cell(lab, 1)
    wait_for_dashboards(lab, lambda ds: len(ds) == 1 and not ds[0]["static"] and len(ds[0]["charts"]) == 2
                        and all(int(c["points"]) == 400 for c in ds[0]["charts"]), what="the live %track view")
    # past the companion's first refresh (every second here) and its 4 s wait
    lab.page.wait_for_timeout(5000)


def assert_responsive(lab: LabPage, what: str, within_ms: int = ANSWER_WITHIN_MS) -> float:
    """The page runs a script within ``within_ms``; returns how long it took (s)."""
    t0 = time.monotonic()
    try:
        lab.page.wait_for_function("() => 1 + 1 === 2", timeout=within_ms)
    except Exception as e:  # Playwright's TimeoutError
        raise AssertionError(f"the page did not answer within {within_ms} ms {what}: {e}; "
                             f"dialogs {lab.dialogs}, page errors {lab.page_errors[-5:]}") from e
    return time.monotonic() - t0


def _dismiss_dialogs(lab: LabPage) -> list[str]:
    """JupyterLab's own modal dialogs (not the browser's), each named and closed with its accept button."""
    texts = lab.page.evaluate("""() => [...document.querySelectorAll('.jp-Dialog')].map((d) => d.innerText)""")
    for _ in texts:
        lab.page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=ANSWER_WITHIN_MS)
    return texts


def _menu_works(lab: LabPage) -> None:
    """Click the Kernel menu open and close it again, like a person."""
    lab.page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click(timeout=ANSWER_WITHIN_MS)
    lab.page.locator(".lm-Menu").first.wait_for(state="visible", timeout=ANSWER_WITHIN_MS)
    lab.page.keyboard.press("Escape")


def _type_into_cell(lab: LabPage, index: int, text: str) -> None:
    editor = lab.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").first
    editor.click(timeout=ANSWER_WITHIN_MS)
    lab.page.keyboard.press("Control+End")
    lab.page.keyboard.type(text)
    lab._poll(lambda: text in editor.inner_text(timeout=ANSWER_WITHIN_MS), 5, lambda: f"{text!r} not typed")
    lab.page.keyboard.press("Escape")


def _kernel_gone(lab: LabPage) -> None:
    lab._poll(lambda: lab.kernel_status() in ("no-kernel", "not-ready", "dead", "unknown"), 30,
              lambda: f"the kernel of {lab.path} did not go: {lab.kernel_status()}")


def _restart_and_run(lab: LabPage) -> None:
    """A new kernel for the notebook (Kernel > Restart Kernel, or the kernel chooser), then cell 2 runs."""
    lab.page.evaluate("""async (path) => {
      const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === path);
      await panel.sessionContext.changeKernel({ name: panel.sessionContext.kernelPreference.name ?? 'python3' }); }""",
                      lab.path)
    lab.wait_kernel_idle(60)
    run_cell(lab, 2)
    assert "42" in "".join(lab.cells()[2].get("output_text") or ""), lab.cells()[2]


def test_shut_down_kernel_from_the_kernel_menu(lab: LabPage, tmp_path: Path) -> None:
    _tracking(lab, tmp_path, "track-shutdown-menu.ipynb")
    lab.page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
    lab.page.locator(".lm-Menu .lm-Menu-itemLabel", has_text="Shut Down Kernel").first.click()
    _dismiss_dialogs(lab)  # "Shut down kernel?" asks first
    _kernel_gone(lab)
    for second in range(6):  # the page must keep answering while the widget's comm and kernel go away
        assert_responsive(lab, f"{second} s after Kernel > Shut Down Kernel")
        lab.page.wait_for_timeout(1000)
    _menu_works(lab)
    _type_into_cell(lab, 2, " + 0")
    _dismiss_dialogs(lab)
    _restart_and_run(lab)
    assert_responsive(lab, "after a new kernel ran a cell")


def test_kernel_stopped_from_elsewhere(lab: LabPage, browser: Any, tmp_path: Path) -> None:
    """The sessions API (what another page or `jupyter` does) deletes the session under the live page."""
    _tracking(lab, tmp_path, "track-shutdown-api.ipynb")
    assert lab.server.delete_sessions() == 1
    for second in range(6):
        assert_responsive(lab, f"{second} s after the session was deleted")
        lab.page.wait_for_timeout(1000)
    _menu_works(lab)
    _dismiss_dialogs(lab)
    _type_into_cell(lab, 2, " + 0")
    _restart_and_run(lab)
    assert_responsive(lab, "after a new kernel ran a cell")


def test_kernel_stopped_while_another_page_opens(lab: LabPage, browser: Any, tmp_path: Path) -> None:
    """What test_track_saved.py does: a second page of the same browser opens a saved copy without a kernel
    (``open_without_kernel``, which shuts the live page's kernel down first); both pages keep answering,
    and both close. The second page names its own workspace (``LabServer.workspace_url``): on plain /lab
    beside the live page, JupyterLab moved it to an ``auto-X`` workspace by a second navigation, and closing
    it then hung Playwright; that, not the kernel's shutdown, was the "frozen page"."""
    _tracking(lab, tmp_path, "track-shutdown-other-page.ipynb")
    save(lab)
    with lab_page(browser, lab.server, ARTIFACTS, "track-shutdown-other-page") as again:
        open_without_kernel(again, lab.path)
        assert "/lab/workspaces/nokernel-" in again.page.url, f"moved to another workspace: {again.page.url}"
        assert_responsive(again, "(the second page)")
        assert_responsive(lab, "(the live page, its kernel gone)")
        assert panel_state(again)["kernel"] is None
    for second in range(3):
        assert_responsive(lab, f"{second} s after the second page closed")
        lab.page.wait_for_timeout(1000)
    _menu_works(lab)


def test_close_the_tab_then_reopen_and_restart(lab: LabPage, tmp_path: Path) -> None:
    _tracking(lab, tmp_path, "track-shutdown-close.ipynb")
    path = lab.path
    lab.page.evaluate("""async (path) => {
      const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === path);
      window.jupyterapp.shell.activateById(panel.id);
      await window.jupyterapp.commands.execute('application:close'); }""", path)
    _dismiss_dialogs(lab)
    lab._poll(lambda: lab.kernel_status() == "no-panel", 10, lambda: "the notebook tab did not close")
    for second in range(3):
        assert_responsive(lab, f"{second} s after the notebook tab closed")
        lab.page.wait_for_timeout(1000)
    assert lab.server.delete_sessions() == 1  # the kernel outlived its tab; now it goes
    assert_responsive(lab, "after the closed tab's kernel was shut down")
    _menu_works(lab)
    lab.page.evaluate("(path) => window.jupyterapp.commands.execute('docmanager:open', { path })", path)
    lab.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    lab.wait_kernel_idle(60)
    run_cell(lab, 2)
    assert_responsive(lab, "after reopening the notebook with a new kernel")
