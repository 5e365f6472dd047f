"""Helpers shared by the dashboard browser tests (saved outputs, safety, looks).

- Pages outside the per-test ``lab`` fixture (for module-scoped fixtures that run a notebook once).
- JupyterLab operations the harness lacks: run one cell, save, toggle "Save Widget State Automatically",
  open a saved notebook with no kernel (``docmanager:open`` with ``kernelPreference.shouldStart = false``).
- A watcher, installed before the page loads, that records every text a person must never see in an
  output area ("Error displaying widget", "model not found", "Loading widget", an object repr).
- Reading a dashboard from the DOM (live widget or static output) and judging pictures (blank or not,
  pixel variance per chart, overlapping chart boxes).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .page import _PANEL, SELECT_CELL, LabPage, RunError, new_lab_page
from .server import LabServer

# -- what a person must never see in an output area ------------------------------------------------------
BAD_OUTPUT_TEXT = ("Error displaying widget", "model not found", "Loading widget", "<nbtrack.", "Dashboard(")

# Installed with page.add_init_script: checks the rendered text of every output area (JupyterLab and
# nbconvert's lab template both use .jp-OutputArea-output) after every DOM change, at most every 50 ms, and
# keeps the first sighting of each bad text, so a message that shows and then goes away is still caught.
WATCH_OUTPUTS = """(() => {
  if (window.__e2eWatch) return;
  const bad = BAD_TEXT;
  const watch = (window.__e2eWatch = { found: [], checks: 0 });
  let timer = 0;
  const check = () => {
    timer = 0;
    watch.checks += 1;
    for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
      const text = el.innerText || '';
      for (const needle of bad) {
        if (text.toLowerCase().includes(needle.toLowerCase()) && !watch.found.some((f) => f.needle === needle)) {
          watch.found.push({ needle, text: text.slice(0, 300) });
        }
      }
    }
  };
  const start = () => new MutationObserver(() => { if (!timer) timer = setTimeout(check, 50); })
    .observe(document, { childList: true, subtree: true, characterData: true });
  start();
})();""".replace("BAD_TEXT", json.dumps(list(BAD_OUTPUT_TEXT)))


def watch_outputs(page: Any) -> None:
    """Record bad output texts on every later navigation of ``page`` (call before ``goto``)."""
    page.add_init_script(WATCH_OUTPUTS)


def bad_output_texts(page: Any) -> list[dict[str, str]]:
    """Bad texts seen in output areas since the page loaded (the watcher checks once more first)."""
    return page.evaluate("""(bad) => {
      const watch = window.__e2eWatch;
      if (!watch) return [{ needle: 'watcher', text: 'the output watcher is not installed' }];
      for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
        const text = el.innerText || '';
        for (const needle of bad) {
          if (text.toLowerCase().includes(needle.toLowerCase()) && !watch.found.some((f) => f.needle === needle)) {
            watch.found.push({ needle, text: text.slice(0, 300) });
          }
        }
      }
      return watch.found; }""", list(BAD_OUTPUT_TEXT))


# -- page errors with their source ------------------------------------------------------------------------
# jupyterlab-manager (ipywidgets 8) looks up the kernel of every notebook it sees; a notebook opened with no
# kernel makes it throw this from its own bundle. It is not nbtrack's and changes nothing on screen.
NO_KERNEL_WIDGET_MANAGER_ERROR = "Cannot read properties of null (reading 'kernel')"


@dataclass
class PageErrors:
    """Uncaught page errors with the first script URL of their stack."""

    errors: list[dict[str, str]] = field(default_factory=list)

    def attach(self, page: Any) -> PageErrors:
        page.on("pageerror", self._add)
        return self

    def _add(self, error: Any) -> None:
        stack = getattr(error, "stack", None) or ""
        where = re.search(r"\b(?:https?|blob|file):[^\s)]+", stack)
        self.errors.append({"message": str(getattr(error, "message", error))[:500],
                            "where": where.group(0)[:300] if where else ""})

    def unexpected(self, no_kernel: bool = False) -> list[dict[str, str]]:
        """Everything but the widget manager's known complaint about a notebook without a kernel."""
        def known(e: dict[str, str]) -> bool:
            return (no_kernel and e["message"] == NO_KERNEL_WIDGET_MANAGER_ERROR
                    and "@jupyter-widgets/jupyterlab-manager" in e["where"])
        return [e for e in self.errors if not known(e)]


# -- pages outside the `lab` fixture ------------------------------------------------------------------
@contextlib.contextmanager
def lab_page(browser: Any, server: LabServer, artifacts: Path, name: str) -> Iterator[LabPage]:
    """A LabPage for a module-scoped fixture: output watcher on, errors collected, diagnostics saved."""
    with new_lab_page(browser, server, artifacts, name, facts={"fixture": name}) as lab:
        watch_outputs(lab.page)
        yield lab


# -- JupyterLab operations ------------------------------------------------------------------------------
PANEL_STATE = f"""(path) => {{ {_PANEL}
  if (!panel) return null;
  return {{ ready: panel.context.isReady && panel.content.widgets.length === panel.context.model.cells.length,
           kernel: panel.sessionContext.session?.kernel?.name ?? null,
           kernelName: panel.sessionContext.kernelDisplayName,
           dirty: panel.context.model.dirty,
           trusted: panel.content.widgets.map((c) => c.model.type === 'code' ? c.model.trusted : null) }}; }}"""

SAVE = f"""async ([path, force]) => {{ {_PANEL}
  window.jupyterapp.shell.activateById(panel.id);
  if (force) panel.context.model.dirty = true;
  await window.jupyterapp.commands.execute('docmanager:save');
  return panel.context.model.dirty; }}"""

OPEN_WITHOUT_KERNEL = """async (path) => {
  await window.jupyterapp.restored;
  await window.jupyterapp.commands.execute('docmanager:open',
    { path, factory: 'Notebook', kernelPreference: { shouldStart: false, canStart: false } }); }"""

SAVE_WIDGET_STATE = "@jupyter-widgets/jupyterlab-manager:saveWidgetState"  # Settings > Save Widget State Automatically


def panel_state(lab: LabPage) -> dict[str, Any]:
    """Kernel, dirtiness and per-cell trust of the open notebook (trust: None for non-code cells)."""
    return lab.page.evaluate(PANEL_STATE, lab.path)


def run_cell(lab: LabPage, index: int, timeout: float = 60) -> None:
    """Select cell ``index`` in command mode, press Shift+Enter like a person, wait until it has run."""
    lab.page.evaluate(SELECT_CELL, [lab.path, index])
    lab.page.keyboard.press("Shift+Enter")

    def finished() -> bool:
        c = lab.cell_states()[index]
        if c["type"] != "code":
            return True
        if c["error"]:
            raise RunError(f"cell {index} of {lab.path} raised: {lab.error_outputs()}")
        return c["count"] is not None and c["state"] != "running"

    lab._poll(finished, timeout, lambda: f"cell {index} did not finish: {lab.cell_states()[index]}")


def save(lab: LabPage, force: bool = False) -> None:
    """File > Save (``docmanager:save``); ``force`` marks the notebook dirty first."""
    dirty = lab.page.evaluate(SAVE, [lab.path, force])
    assert dirty is False, f"{lab.path} still dirty after saving"


def set_widget_state_saving(lab: LabPage, on: bool) -> None:
    """Settings > Save Widget State Automatically, switched to ``on`` (a no-op when it already is)."""
    toggled = lambda: lab.page.evaluate("(id) => window.jupyterapp.commands.isToggled(id)", SAVE_WIDGET_STATE)  # noqa: E731
    if toggled() != on:
        lab.page.evaluate("(id) => window.jupyterapp.commands.execute(id)", SAVE_WIDGET_STATE)
    lab._poll(lambda: toggled() == on, 10, lambda: f"{SAVE_WIDGET_STATE} did not become {on}")


def open_without_kernel(lab: LabPage, path: str, timeout: float = 60) -> None:
    """Open ``path`` (already in the server's root) in a fresh JupyterLab page with no kernel at all:
    what a person sees reopening a saved notebook before running anything, with "No Kernel" chosen."""
    t0 = time.monotonic()
    lab.server.delete_sessions()
    # a workspace of its own: beside another JupyterLab page of the same browser (a `lab` fixture's page
    # still open), plain /lab is moved to an auto-X workspace by a second navigation (server.workspace_url)
    lab.page.goto(lab.server.workspace_url(f"nokernel-{uuid.uuid4().hex[:8]}"), timeout=timeout * 1000)
    lab.page.wait_for_function("() => !!window.jupyterapp", timeout=timeout * 1000)
    lab.page.evaluate(OPEN_WITHOUT_KERNEL, path)
    lab.path = path
    lab.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
    lab._poll(lambda: (panel_state(lab) or {}).get("ready"), timeout, lambda: f"{path} not loaded: {panel_state(lab)}")
    lab._poll(lambda: panel_state(lab)["kernelName"] == "No Kernel", 10,
              lambda: f"{path} has a kernel: {panel_state(lab)}")
    lab.timings["open_without_kernel_s"] = round(time.monotonic() - t0, 2)


def nbconvert_html(notebook: Path, out_dir: Path, env: dict[str, str] | None = None) -> Path:
    """``jupyter nbconvert --to html`` (nbconvert's default lab template) of ``notebook`` into ``out_dir``."""
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(out_dir), str(notebook)],
                   check=True, capture_output=True, env=env, timeout=120)
    return out_dir / f"{notebook.stem}.html"


# -- reading dashboards from the DOM ------------------------------------------------------------------
# Every dashboard in the page (live widget views and static outputs), in document order.
DASHBOARDS = """() => [...document.querySelectorAll('.nbtrack-dashboard')].map((d) => {
  const box = d.closest('[data-nbtrack-static]');
  const text = (sel) => [...d.querySelectorAll(sel)].map((e) => e.textContent);
  return {
    static: !!box, rendered: box ? (box.dataset.nbtrackRendered ?? null) : null,
    runName: text('.nbtrack-run-name'), runLabels: text('.nbtrack-header .nbtrack-run-label'),
    status: text('.nbtrack-status'),
    header: d.querySelector('.nbtrack-header')?.textContent ?? '',
    config: d.querySelector('details.nbtrack-config')?.textContent ?? '',
    summary: d.querySelector('.nbtrack-summary')?.textContent ?? '',
    groups: text('.nbtrack-group-title'),
    charts: [...d.querySelectorAll('.nbtrack-chart')].map((c) => ({ ...c.dataset })),
  }; })"""

# Every static output box, whether or not its script ran.
STATIC_BOXES = """() => [...document.querySelectorAll('[data-nbtrack-static]')].map((box) => {
  const img = box.querySelector('img.nbtrack-static-png');
  return { rendered: box.dataset.nbtrackRendered ?? null, charts: box.querySelectorAll('.nbtrack-chart').length,
           png: img && { display: getComputedStyle(img).display, width: img.naturalWidth, alt: img.alt } }; })"""


def dashboards(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(DASHBOARDS)


def wait_for_dashboards(lab: LabPage, ready: Any, timeout: float = 30,
                        what: str = "dashboards") -> list[dict[str, Any]]:
    """Poll the page's dashboards until ``ready(dashboards)`` is true; returns them."""
    seen: list[list[dict[str, Any]]] = [[]]

    def check() -> bool:
        seen[0] = dashboards(lab.page)
        return bool(ready(seen[0]))

    lab._poll(check, timeout, lambda: f"{what} not ready after {timeout} s: "
              f"{json.dumps(seen[0])[:3000]}; static boxes {lab.page.evaluate(STATIC_BOXES)}")
    return seen[0]


def wait_for_quiet_dashboards(lab: LabPage, ready: Any, quiet: float = 1.0, timeout: float = 30,
                              what: str = "dashboards") -> list[dict[str, Any]]:
    """Like :func:`wait_for_dashboards`, and also until the charts' point counts have not changed for
    ``quiet`` seconds: a live view's last points arrive on the feed's timer, up to 0.1 s after the loop."""
    last: dict[str, Any] = {"points": None, "since": 0.0}

    def settled(ds: list[dict[str, Any]]) -> bool:
        if not ready(ds):
            last["points"] = None
            return False
        points = [[c["points"] for c in d["charts"]] for d in ds]
        now = time.monotonic()
        if points != last["points"]:
            last.update(points=points, since=now)
        return now - last["since"] >= quiet

    return wait_for_dashboards(lab, settled, timeout, what)


def charts_complete(dash: dict[str, Any], expected: dict[str, int]) -> bool:
    """Every expected tag has a chart showing all its points, and nothing else is charted."""
    charts = {c["key"]: c for c in dash["charts"]}
    return set(charts) == set(expected) and all(charts[k].get("points") == str(n) for k, n in expected.items())


# -- pictures ---------------------------------------------------------------------------------------------
def colour_stats(image: Image.Image) -> tuple[int, float]:
    """(distinct colours, share of the most common colour)."""
    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
    return len(colours), max(n for n, _ in colours) / (rgb.width * rgb.height)


def assert_not_blank(image: Image.Image | Path, what: str, min_colours: int = 16) -> None:
    im = Image.open(image) if isinstance(image, Path) else image
    n, top = colour_stats(im)
    assert n >= min_colours and top < 0.995, f"{what} looks blank: {n} colours, top colour {top:.1%}"


def region_variance(image: Image.Image, box: dict[str, float]) -> float:
    """Standard deviation of the grey levels inside ``box`` (x, y, width, height in image pixels)."""
    x0, y0 = max(0, round(box["x"])), max(0, round(box["y"]))
    x1, y1 = min(image.width, round(box["x"] + box["width"])), min(image.height, round(box["y"] + box["height"]))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(np.asarray(image.convert("L").crop((x0, y0, x1, y1)), dtype=np.float64).std())


def overlaps(boxes: list[dict[str, Any]], tolerance: float = 1.0) -> list[tuple[str, str, float]]:
    """Pairs of boxes (with a ``key``) that overlap by more than ``tolerance`` pixels each way."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            if w > tolerance and h > tolerance:
                found.append((a["key"], b["key"], round(w * h, 1)))
    return found
