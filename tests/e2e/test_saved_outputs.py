"""A finished run's dashboard survives saving: the quickstart notebook, run live in JupyterLab, saved, and
reopened without a kernel, shows its final charts wherever a notebook is read.

The module fixture runs ``notebooks/quickstart.ipynb`` once, cell by cell like a person, checks the live
widget before ``run.finish()`` and the static output after it, and saves two copies: one with JupyterLab's
default settings (no widget state) and one with Settings > Save Widget State Automatically on. Each test
then reopens a copy its own way (architecture.md section 3 lists the viewers):

- trusted, default settings, no kernel: the output's module script draws the interactive charts;
- trusted, widget state saved, no kernel: the same (the saved state must not get in the way);
- untrusted (the file was edited outside JupyterLab, so its signature no longer matches): JupyterLab
  sanitizes the HTML and no script runs, so the PNG picture of the charts must be visible;
- ``jupyter nbconvert --to html``, opened from file:// with every other request blocked: the charts draw
  and nbtrack's output adds no request to the ones nbconvert's own template makes;
- the .ipynb itself holds an ``image/png`` (GitHub-style viewers) that decodes to a picture.

Everywhere, no output area may ever show "Error displaying widget", "model not found", "Loading widget" or
an object repr.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from labkit.dashboards import (
    STATIC_BOXES,
    PageErrors,
    assert_not_blank,
    bad_output_texts,
    charts_complete,
    dashboards,
    lab_page,
    nbconvert_html,
    open_without_kernel,
    panel_state,
    run_cell,
    save,
    set_widget_state_saving,
    wait_for_dashboards,
    wait_for_quiet_dashboards,
    watch_outputs,
)
from labkit.page import LabPage
from labkit.server import LabServer
from PIL import Image

import nbtrack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@dataclass
class Executed:
    """The quickstart notebook after a live run in JupyterLab, and its saved copies in the lab's root."""

    root: Path
    copies: dict[str, str]  # "default" / "widget_state" -> file name in root
    run_cell: int  # index of the cell whose output is the dashboard (`run`)
    run_name: str
    expected: dict[str, int]  # tag -> points stored for the run
    live: dict[str, Any]  # the run cell before run.finish(): outputs and the dashboard in the page
    finished: dict[str, Any]  # the same after run.finish()


def _index(cells: list[dict[str, Any]], needle: str) -> int:
    found = [c["index"] for c in cells if c["type"] == "code" and needle in c["source"]]
    assert len(found) == 1, f"expected one code cell containing {needle!r} in {QUICKSTART.name}, found {found}"
    return found[0]


def _stored_counts(logdir: Path, name: str) -> dict[str, int]:
    """Points per tag of the newest finished run called ``name``, read from its files."""
    readers = [r for r in nbtrack.open(logdir).readers() if r.name == name]
    assert readers, f"no run named {name!r} under {logdir}"
    reader = max(readers, key=lambda r: r.created or 0.0)
    reader.refresh_manifests()
    assert reader.status == "finished", reader.status
    return {tag: len(reader.scalars(tag)) for tag in reader.scalar_tags()}


def _cell_view(lab: LabPage, index: int) -> dict[str, Any]:
    cell = lab.cells()[index]
    return {"outputs": cell["outputs"], "mimes": [sorted(o.get("data", {})) for o in cell["outputs"]],
            "dashboards": dashboards(lab.page), "text": cell["output_text"]}


@pytest.fixture(scope="module")
def executed(lab_server: LabServer, browser: Any) -> Executed:
    """Run the quickstart live (cell by cell), then save it twice: without and with widget state."""
    with lab_page(browser, lab_server, ARTIFACTS, "saved-outputs-run") as lab:
        lab.open_notebook(QUICKSTART)
        cells = lab.cells()
        shown, train, finish = (_index(cells, s) for s in ("nbtrack.init(", "run.log(", "run.finish()"))
        assert shown < train < finish
        steps = int(re.search(r'"steps":\s*(\d+)', cells[shown]["source"]).group(1))
        for i in range(train + 1):
            run_cell(lab, i)
        # live: the widget view shows every tag and (almost) every step before the run is finished
        live_dash = wait_for_quiet_dashboards(
            lab, lambda ds: len(ds) == 1 and not ds[0]["static"] and len(ds[0]["charts"]) >= 1
            and max(int(c["points"]) for c in ds[0]["charts"]) >= steps, what="the live dashboard")
        live = _cell_view(lab, shown)
        live["dashboards"] = live_dash
        lab.screenshot_output(shown, "saved-outputs-live")
        for i in range(train + 1, len(cells)):
            run_cell(lab, i)
        lab.wait_kernel_idle()
        run_name = live_dash[0]["runName"][0]
        expected = _stored_counts(lab_server.root_dir / "nbruns", run_name)
        wait_for_dashboards(lab, lambda ds: len(ds) == 1 and ds[0]["rendered"] == "done"
                            and charts_complete(ds[0], expected), what="the finished (static) dashboard")
        finished = _cell_view(lab, shown)
        finished["bad_text"] = bad_output_texts(lab.page)
        finished["static_boxes"] = lab.page.evaluate(STATIC_BOXES)
        lab.screenshot_output(shown, "saved-outputs-finished")

        copies = {"default": "saved-default.ipynb", "widget_state": "saved-widget-state.ipynb"}
        set_widget_state_saving(lab, False)  # JupyterLab's default
        save(lab)
        shutil.copy(lab_server.root_dir / lab.path, lab_server.root_dir / copies["default"])
        set_widget_state_saving(lab, True)
        try:
            save(lab, force=True)
            shutil.copy(lab_server.root_dir / lab.path, lab_server.root_dir / copies["widget_state"])
        finally:
            set_widget_state_saving(lab, False)
        return Executed(lab_server.root_dir, copies, shown, run_name, expected, live, finished)


def _notebook(executed: Executed, which: str) -> dict[str, Any]:
    return json.loads((executed.root / executed.copies[which]).read_text())


def _assert_final_charts(dash: dict[str, Any], executed: Executed) -> None:
    charts = {c["key"]: c for c in dash["charts"]}
    assert sorted(charts) == sorted(executed.expected), "one chart per logged tag"
    assert {k: int(c["points"]) for k, c in charts.items()} == executed.expected, "every stored point is drawn"
    assert all(int(c["drawn"]) > 0 for c in charts.values()), charts
    assert dash["runName"] == [executed.run_name] and dash["status"] == ["finished"], dash


MEDIA = """() => [...document.querySelectorAll('.nbtrack-media-panel')].map(p => ({
  key: p.dataset.key, kind: p.dataset.kind, steps: p.dataset.steps ?? null,
  image: [...p.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0),
  histogramSteps: p.querySelector('.nbtrack-histogram')?.dataset.steps ?? null }))"""


def _assert_media_panels(lab: LabPage, what: str) -> None:
    """The quickstart's image panel (11 pictures) and weight histograms (30 steps) are drawn."""
    def ready() -> bool:
        panels = {p["key"]: p for p in lab.page.evaluate(MEDIA)}
        return (panels.get("predictions", {}).get("image") is True
                and panels.get("weights/W1", {}).get("histogramSteps") == "30")
    lab._poll(ready, 30, lambda: f"{what}: media panels not drawn: {lab.page.evaluate(MEDIA)}")
    panels = {p["key"]: p for p in lab.page.evaluate(MEDIA)}
    assert panels["predictions"]["kind"] == "image" and panels["predictions"]["steps"] == "11", panels


# -- live in JupyterLab ---------------------------------------------------------------------------------
def test_live_dashboard_ends_static_after_finish(executed: Executed) -> None:
    live, finished = executed.live, executed.finished
    assert live["mimes"] == [sorted([WIDGET_VIEW, "text/plain"])], live["mimes"]
    assert [d["static"] for d in live["dashboards"]] == [False]
    assert live["dashboards"][0]["status"] == ["running"]
    live_points = {c["key"]: int(c["points"]) for c in live["dashboards"][0]["charts"]}
    assert sorted(live_points) == sorted(executed.expected), "a live chart per tag"
    # the live view catches up with the loop's last step (points held back by the rate limit go on a timer)
    assert live_points == executed.expected, live_points

    assert finished["mimes"] == [["image/png", "text/html", "text/plain"]], (
        f"after run.finish() the output is the static bundle, with no widget view: {finished['mimes']}")
    assert finished["outputs"][0]["output_type"] == "display_data"
    [dash] = finished["dashboards"]
    assert dash["static"] and dash["rendered"] == "done"
    _assert_final_charts(dash, executed)
    assert [b["png"]["display"] for b in finished["static_boxes"]] == ["none"], "the PNG gives way to the charts"
    assert finished["bad_text"] == []


# -- reopened in JupyterLab without a kernel -----------------------------------------------------------
@pytest.mark.parametrize("which", ["default", "widget_state"], ids=["default-settings", "widget-state-saved"])
def test_reopened_trusted_without_kernel_draws_final_charts(lab: LabPage, executed: Executed, which: str) -> None:
    nb = _notebook(executed, which)
    has_state = WIDGET_STATE in nb["metadata"].get("widgets", {})
    assert has_state == (which == "widget_state"), f"{which}: widget state in the file: {has_state}"
    watch_outputs(lab.page)
    errors = PageErrors().attach(lab.page)

    open_without_kernel(lab, executed.copies[which])
    state = panel_state(lab)
    assert state["kernel"] is None, state
    assert state["trusted"][executed.run_cell] is True, f"the author's saved notebook reopens trusted: {state}"
    [dash] = wait_for_dashboards(lab, lambda ds: len(ds) == 1 and ds[0]["rendered"] == "done"
                                 and charts_complete(ds[0], executed.expected), what=f"the reopened dashboard, {which}")
    _assert_final_charts(dash, executed)
    _assert_media_panels(lab, f"reopened, {which}")
    assert [b["png"]["display"] for b in lab.page.evaluate(STATIC_BOXES)] == ["none"]
    shot = lab.screenshot_output(executed.run_cell, f"saved-outputs-reopened-{which}")
    assert_not_blank(shot, "the reopened dashboard")

    assert bad_output_texts(lab.page) == []
    assert errors.unexpected(no_kernel=True) == [], "uncaught errors in the page"
    assert [e for e in lab.console_errors if "nbtrack" in e.lower()] == [], "nbtrack errors in the console"
    assert lab.dialogs == [] and lab.blocked_requests == []


def test_reopened_untrusted_shows_the_picture_and_runs_no_script(lab: LabPage, executed: Executed) -> None:
    nb = _notebook(executed, "default")
    last = next(c for c in reversed(nb["cells"]) if c["cell_type"] == "code" and c["outputs"])
    text = last["outputs"][0]["data"]["text/plain"]
    last["outputs"][0]["data"]["text/plain"] = [*text, "\n(edited outside JupyterLab)"] if isinstance(text, list) \
        else text + "\n(edited outside JupyterLab)"
    name = "saved-untrusted.ipynb"
    (executed.root / name).write_text(json.dumps(nb, indent=1))  # a changed output: the signature no longer matches
    watch_outputs(lab.page)
    errors = PageErrors().attach(lab.page)

    open_without_kernel(lab, name)
    state = panel_state(lab)
    assert state["trusted"][executed.run_cell] is False, f"the edited notebook must open untrusted: {state}"
    cell = lab.page.locator(".jp-Notebook .jp-Cell").nth(executed.run_cell)
    picture = cell.locator(".jp-OutputArea-output img").first
    picture.wait_for(state="visible", timeout=30_000)
    lab.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    size = picture.evaluate("(img) => ({ w: img.naturalWidth, h: img.naturalHeight, shown: img.offsetWidth })")
    png = Image.open(io.BytesIO(base64.b64decode(executed.finished["outputs"][0]["data"]["image/png"])))
    assert (size["w"], size["h"]) == png.size and size["shown"] > 0, f"the saved PNG is shown: {size}, {png.size}"
    lab.page.wait_for_timeout(1000)  # a script, had one run, would have drawn by now
    ran = lab.page.evaluate("""() => ({ module: typeof window.__nbtrackStaticModule, bokeh: typeof window.Bokeh,
        dashboards: document.querySelectorAll('.nbtrack-dashboard').length,
        rendered: document.querySelectorAll('[data-nbtrack-rendered]').length,
        scripts: document.querySelectorAll('.jp-OutputArea-output script').length })""")
    assert ran == {"module": "undefined", "bokeh": "undefined", "dashboards": 0, "rendered": 0, "scripts": 0}, ran
    shot = lab.screenshot_output(executed.run_cell, "saved-outputs-reopened-untrusted")
    assert_not_blank(shot, "the untrusted output (its PNG)")
    assert bad_output_texts(lab.page) == []
    assert errors.unexpected(no_kernel=True) == []
    assert lab.dialogs == [] and lab.blocked_requests == []


# -- nbconvert --to html, offline -----------------------------------------------------------------------
class FileOnly:
    """A page route that lets file:, data: and blob: through and aborts (and lists) everything else."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("file", "data", "blob", "about"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def _open_file(lab: LabPage, html: Path) -> FileOnly:
    guard = FileOnly()
    lab.page.route("**/*", guard)  # page routes take precedence over the context's localhost guard
    lab.page.goto(html.as_uri(), wait_until="load")
    return guard


@pytest.mark.parametrize("which", ["default", "widget_state"], ids=["default-settings", "widget-state-saved"])
def test_nbconvert_html_draws_offline(lab: LabPage, executed: Executed, tmp_path: Path, which: str) -> None:
    baseline_nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": "1 + 1", "execution_count": 1,
                              "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                           "data": {"text/plain": "2"}}]}],
                   "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    if "widgets" in _notebook(executed, which)["metadata"]:  # nbconvert's template adds a widget renderer
        baseline_nb["metadata"]["widgets"] = {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {}}}
    (tmp_path / "baseline.ipynb").write_text(json.dumps(baseline_nb))
    baseline_html = nbconvert_html(tmp_path / "baseline.ipynb", tmp_path, env=lab.server.env)
    html = nbconvert_html(executed.root / executed.copies[which], tmp_path, env=lab.server.env)

    baseline = _open_file(lab, baseline_html)
    lab.page.wait_for_timeout(1500)
    # nbconvert's own template: require.js and MathJax from a CDN, and with widget state in the file the
    # html-manager from unpkg, whatever the notebook holds
    template_requests = set(baseline.blocked)

    lab.page.unroute("**/*")
    watch_outputs(lab.page)
    errors = PageErrors().attach(lab.page)
    guard = _open_file(lab, html)
    [dash] = wait_for_dashboards(lab, lambda ds: len(ds) == 1 and ds[0]["rendered"] == "done"
                                 and charts_complete(ds[0], executed.expected), what="the nbconvert page's dashboard")
    _assert_final_charts(dash, executed)
    _assert_media_panels(lab, f"nbconvert, {which}")
    shot = ARTIFACTS / f"saved-outputs-nbconvert-{which}.png"
    lab.page.locator("[data-nbtrack-static]").first.screenshot(path=str(shot))
    assert_not_blank(shot, "the nbconvert page's dashboard")
    lab.page.wait_for_timeout(500)

    (ARTIFACTS / f"saved-outputs-nbconvert-{which}.json").write_text(json.dumps(
        {"template_requests": sorted(template_requests), "page_requests_blocked": guard.blocked}, indent=2) + "\n")
    extra = sorted(set(guard.blocked) - template_requests)
    assert extra == [], f"nbtrack's output made network requests: {extra}"
    lab.page.evaluate("() => fetch('https://nbtrack-e2e.invalid/probe').catch(() => null)")
    assert "https://nbtrack-e2e.invalid/probe" in guard.blocked, "the guard does not see the page's requests"
    assert bad_output_texts(lab.page) == []
    own = [e for e in errors.errors if e["where"].startswith("blob:") or "nbtrack" in e["message"].lower()]
    assert own == [], f"errors from nbtrack's scripts: {own}"


# -- the file itself: a PNG for viewers without JavaScript ---------------------------------------------
@pytest.mark.parametrize("which", ["default", "widget_state"])
def test_saved_file_holds_a_png_of_the_charts(executed: Executed, which: str) -> None:
    nb = _notebook(executed, which)
    outputs = nb["cells"][executed.run_cell]["outputs"]
    assert [o["output_type"] for o in outputs] == ["display_data"], outputs
    data = outputs[0]["data"]
    assert WIDGET_VIEW not in data, "no widget view: it would show 'model not found' without widget state"
    plain = "".join(data["text/plain"])
    assert not any(s in plain for s in ("<nbtrack.", "Dashboard(")), f"text/plain is an object repr: {plain!r}"
    png = data["image/png"]
    raw = base64.b64decode("".join(png) if isinstance(png, list) else png)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(raw))
    image.load()
    assert image.width >= 400 and image.height >= 150, image.size
    assert_not_blank(image, f"the saved PNG ({which})")
    html = "".join(data["text/html"])
    assert f'src="data:image/png;base64,{base64.b64encode(raw).decode()}"' in html, "the <img> shows the same PNG"


# -- the harness itself ---------------------------------------------------------------------------------
def test_output_watcher_sees_a_message_that_comes_and_goes(lab: LabPage) -> None:
    """The "never shows" checks above are only as good as the watcher: a bad text shown for 100 ms is kept."""
    watch_outputs(lab.page)
    lab.page.goto("data:text/html,<div class='jp-OutputArea-output'>fine</div>")
    lab.page.evaluate("""() => new Promise((done) => {
      const out = document.querySelector('.jp-OutputArea-output');
      out.textContent = 'Error displaying widget: model not found';
      setTimeout(() => { out.textContent = 'fine'; setTimeout(done, 200); }, 100); })""")
    found = {f["needle"] for f in bad_output_texts(lab.page)}
    assert found == {"Error displaying widget", "model not found"}, found
