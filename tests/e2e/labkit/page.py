"""Drive a notebook in JupyterLab through Playwright: open, run, wait, read outputs, screenshot.

The waits read JupyterLab's own models through ``window.jupyterapp`` (the server runs with
``--LabApp.expose_app_in_browser=True``), never the ``[*]``/``[n]`` prompt DOM, which hidden-input cells lack.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .server import KERNEL_NAME, LabServer

# The notebook panel showing `path`, whichever widget happens to be current.
_PANEL = """const panel = [...window.jupyterapp.shell.widgets('main')]
  .find((w) => w.context?.path === path && w.content?.widgets);"""

KERNEL_STATUS = f"""(path) => {{ {_PANEL}
  if (!panel) return 'no-panel';
  if (!panel.sessionContext.isReady) return 'not-ready';
  return panel.sessionContext.session?.kernel?.status ?? 'no-kernel'; }}"""

# Per cell: type, execution count and state from the cell model; whether an output is an error.
CELL_STATES = f"""(path) => {{ {_PANEL}
  if (!panel) return null;
  return panel.content.widgets.map((c, i) => {{
    const m = c.model;
    if (m.type !== 'code') return {{ index: i, type: m.type }};
    return {{ index: i, type: 'code', count: m.executionCount ?? null, state: m.executionState ?? null,
             error: m.outputs.toJSON().some((o) => o.output_type === 'error') }};
  }}); }}"""

# Everything a test reads about the cells: source, count, the outputs as saved in the notebook and the
# text a person sees in the rendered output area.
CELLS = f"""(path) => {{ {_PANEL}
  const text = (t) => Array.isArray(t) ? t.join('') : (t ?? '');
  return panel.content.widgets.map((c, i) => {{
    const m = c.model;
    const out = {{ index: i, type: m.type, source: m.sharedModel.getSource() }};
    if (m.type !== 'code') return out;
    return Object.assign(out, {{
      execution_count: m.executionCount ?? null, execution_state: m.executionState ?? null,
      outputs: m.outputs.toJSON(),
      output_text: c.outputArea.node.innerText,
      output_html: [...c.outputArea.node.querySelectorAll('.jp-OutputArea-output')].map((o) => o.innerHTML),
    }});
  }}); }}"""

START_RUN_ALL = f"""(path) => {{ {_PANEL}
  window.jupyterapp.shell.activateById(panel.id);
  window.__e2eRun = {{ done: false, error: null }};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => {{ window.__e2eRun.done = true; }},
    (e) => {{ window.__e2eRun.done = true; window.__e2eRun.error = String(e); }}); }}"""

RUN_ALL_STATE = "() => window.__e2eRun ?? null"

# Command mode on cell i with the notebook focused, so that a Shift+Enter key press goes to it.
SELECT_CELL = f"""([path, i]) => {{ {_PANEL}
  window.jupyterapp.shell.activateById(panel.id);
  const nb = panel.content; nb.activeCellIndex = i; nb.mode = 'command'; nb.node.focus();
  return nb.widgets[i].model.type; }}"""

SCROLL_TOP = """() => document.querySelectorAll('.jp-WindowedPanel-outer').forEach((e) => { e.scrollTop = 0; })"""


class RunError(AssertionError):
    """Cells did not finish in time, or the kernel died."""


class LabPage:
    """One Playwright page on a :class:`LabServer`, with the few operations the tests need."""

    def __init__(self, page, server: LabServer, artifacts: Path, timings: dict[str, float] | None = None):
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self.timings = timings if timings is not None else {}
        self.path: str | None = None  # the open notebook, relative to the server's root_dir
        # filled by watch_events() and, where given, the browser's network guard
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked_requests: list[str] = []

    def watch_events(self, limit: int = 2000) -> LabPage:
        """Collect the page's console errors, uncaught errors and dialogs (each dismissed) from now on."""
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text[:limit]))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)[:limit]))
        self.page.on("dialog", lambda d: (self.dialogs.append(f"{d.type}: {d.message[:300]}"), d.dismiss()))
        return self

    def write_diagnostics(self, name: str, **facts: Any) -> Path:
        """``<artifacts>/<name>.json``: ``facts`` and what went wrong in the browser."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.json"
        path.write_text(json.dumps({**facts, "console_errors": self.console_errors, "page_errors": self.page_errors,
                                    "blocked_requests": list(self.blocked_requests), "dialogs": self.dialogs},
                                   indent=2) + "\n")
        return path

    # -- opening --------------------------------------------------------------------------------------
    def open_notebook(self, src: Path, name: str | None = None, timeout: float = 60) -> str:
        """Copy ``src`` into the server's root_dir (outputs cleared, our kernel asked for), shut down any
        existing kernel session, open it in JupyterLab and wait until its kernel is idle."""
        t0 = time.monotonic()
        name = name or src.name
        nb = json.loads(Path(src).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nb["metadata"].pop("widgets", None)
        nb["metadata"]["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (nbtrack e2e)",
                                        "language": "python"}
        dst = self.server.root_dir / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(nb, indent=1))
        self.server.delete_sessions()  # a fresh kernel for every opened notebook
        self.path = name
        # JupyterLab with ?reset: ignore any saved workspace (no other tabs restored); or Notebook 7's page
        self.page.goto(self.server.notebook_url(name), timeout=timeout * 1000)
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
        self.wait_kernel_idle(timeout)
        self.timings["open_notebook_s"] = round(time.monotonic() - t0, 2)
        return name

    # -- waiting --------------------------------------------------------------------------------------
    def kernel_status(self) -> str:
        return self.page.evaluate(KERNEL_STATUS, self.path)

    def wait_kernel_idle(self, timeout: float = 60) -> None:
        self._poll(lambda: self.kernel_status() == "idle", timeout,
                   lambda: f"kernel of {self.path} not idle: {self.kernel_status()}")

    def cell_states(self) -> list[dict[str, Any]]:
        return self.page.evaluate(CELL_STATES, self.path)

    def wait_all_executed(self, timeout: float = 60) -> None:
        """Until every code cell has an execution count and none is running (cell models, not prompts).
        Fails early, naming the cell, when a cell errored (Run All stops there) or the kernel died."""

        def done() -> bool:
            states = [c for c in self.cell_states() if c["type"] == "code"]
            if self.kernel_status() == "dead":
                raise RunError(f"the kernel of {self.path} died")
            errored = [c["index"] for c in states if c["error"]]
            if errored and not any(c["state"] == "running" for c in states):
                raise RunError(f"cell(s) {errored} of {self.path} raised: {self._error_text(errored)}")
            return all(c["count"] is not None and c["state"] != "running" for c in states)

        self._poll(done, timeout, lambda: f"cells not executed after {timeout} s: "
                   f"{[c for c in self.cell_states() if c['type'] == 'code' and c['count'] is None]}")

    # -- running --------------------------------------------------------------------------------------
    def run_all(self, timeout: float = 60) -> None:
        """Run > Run All Cells, then wait until every code cell has executed and the kernel is idle."""
        t0 = time.monotonic()
        self.page.evaluate(START_RUN_ALL, self.path)
        self.wait_all_executed(timeout)
        self._poll(lambda: (self.page.evaluate(RUN_ALL_STATE) or {}).get("done"), 10,
                   lambda: "the run-all command did not settle")
        error = self.page.evaluate(RUN_ALL_STATE).get("error")
        if error:
            raise RunError(f"notebook:run-all-cells failed: {error}")
        self.wait_kernel_idle(timeout)
        self.timings["run_all_s"] = round(time.monotonic() - t0, 2)

    def run_cell_by_cell(self, timeout_per_cell: float = 60) -> None:
        """Like a person: select each cell in command mode and press Shift+Enter, waiting for each
        (Ctrl+Enter on the last cell: Shift+Enter there would append a new empty cell)."""
        t0 = time.monotonic()
        n = len(self.cell_states())
        for i in range(n):
            kind = self.page.evaluate(SELECT_CELL, [self.path, i])
            self.page.keyboard.press("Shift+Enter" if i < n - 1 else "Control+Enter")
            if kind != "code":
                continue

            def finished(i=i) -> bool:
                c = self.cell_states()[i]
                if c["error"]:
                    raise RunError(f"cell {i} of {self.path} raised: {self._error_text([i])}")
                return c["count"] is not None and c["state"] != "running"

            self._poll(finished, timeout_per_cell, lambda i=i: f"cell {i} did not finish: {self.cell_states()[i]}")
        self.wait_kernel_idle(timeout_per_cell)
        self.timings["run_cell_by_cell_s"] = round(time.monotonic() - t0, 2)

    # -- reading --------------------------------------------------------------------------------------
    def cells(self) -> list[dict[str, Any]]:
        """Every cell: index, type, source; code cells also execution_count, execution_state, outputs (as
        nbformat JSON), output_text (rendered text a person reads) and output_html (per output)."""
        return self.page.evaluate(CELLS, self.path)

    def code_cells(self) -> list[dict[str, Any]]:
        return [c for c in self.cells() if c["type"] == "code"]

    def error_outputs(self) -> list[dict[str, Any]]:
        return [{"cell": c["index"], "ename": o.get("ename"), "evalue": o.get("evalue")}
                for c in self.code_cells() for o in c["outputs"] if o["output_type"] == "error"]

    def _error_text(self, indexes: list[int]) -> str:
        cells = self.cells()
        return "; ".join(f"{o.get('ename')}: {o.get('evalue')}" for i in indexes
                         for o in cells[i].get("outputs", []) if o["output_type"] == "error")

    # -- pictures -------------------------------------------------------------------------------------
    def screenshot(self, name: str, full_page: bool = False) -> Path:
        """A screenshot of the notebook scrolled to its top, saved as test-artifacts/e2e/<name>.png."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        self.page.evaluate(SCROLL_TOP)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def screenshot_output(self, cell_index: int, name: str) -> Path:
        """A screenshot of one cell's output area."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(cell_index)
        cell.locator(".jp-OutputArea").first.screenshot(path=str(path))
        return path

    # -- internals ------------------------------------------------------------------------------------
    def _poll(self, check: Callable[[], Any], timeout: float, describe: Callable[[], str],
              every: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return
            if time.monotonic() > deadline:
                raise RunError(describe())
            self.page.wait_for_timeout(every * 1000)  # unlike time.sleep, lets Playwright serve routes/events


@contextlib.contextmanager
def new_lab_page(browser: Any, server: LabServer, artifacts: Path, name: str, *,
                 timings: dict[str, float] | None = None, blocked: list[str] | None = None,
                 failed: Callable[[], bool] | None = None, facts: dict[str, Any] | None = None) -> Iterator[LabPage]:
    """A new page of ``browser`` (a :class:`labkit.browser.Browser`) as a :class:`LabPage` collecting the page's
    errors (and ``blocked``: the network guard's list, if given). On leaving: a screenshot FAILED-<name>.png if
    the block raised or ``failed()`` says so, the diagnostics <name>.json, the page closed, the kernels stopped."""
    page = browser.context.new_page()
    page.set_default_timeout(30_000)
    lab = LabPage(page, server, artifacts, timings=timings).watch_events()
    if blocked is not None:
        lab.blocked_requests = blocked
    ok = False
    try:
        yield lab
        ok = True
    finally:
        bad = not ok or (failed is not None and failed())
        try:
            if bad and lab.path:
                lab.screenshot(f"FAILED-{name}")
        except Exception as e:  # a diagnostic must not hide the failure itself
            print(f"could not take the failure screenshot: {e}")
        lab.write_diagnostics(name, **(facts or {}), failed=bad, timings=lab.timings)
        page.close()
        with contextlib.suppress(OSError):
            server.delete_sessions()  # stop this page's kernel now rather than at server shutdown
