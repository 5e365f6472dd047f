"""JupyterLab, headless Chromium and the measuring probes for ``bench_live.py``.

The server and the notebook driving come from the browser tests (``tests/e2e/labserver.py`` and
``tests/e2e/labpage.py``, imported unchanged). Chromium is launched the way ``tests/e2e/conftest.py``
launches it (Debian's ``/usr/bin/chromium``, the same flags, every request to a host other than localhost
aborted and listed), without needing pytest.

Probes:

- :func:`tree_cpu`: user + system CPU seconds of every process this interpreter started (Chromium's by
  process type: browser, renderer, gpu-process, utility, ...; the kernel; the Jupyter server), read from
  ``/proc`` through psutil; :func:`system_busy` the same for the whole machine, to see other load.
- :class:`LivePage` adds to :class:`labpage.LabPage`: running one cell by index (optionally with a new
  source) through JupyterLab's own ``notebook:run-cell`` command, the renderer main thread's task, script,
  style and layout time from the Chrome DevTools Protocol (``Performance.getMetrics``), the page-wide redraw timings
  ``window.__nbtrackStats`` and what the dashboard shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

E2E = Path(__file__).resolve().parents[1] / "tests" / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

from labpage import LabPage, RunError  # noqa: E402
from labserver import LabServer  # noqa: E402

__all__ = ["CHROMIUM", "Browser", "LabServer", "LivePage", "RunError", "chromium_version", "cpu_delta",
           "launch_browser", "system_busy", "tree_cpu"]

CHROMIUM = os.environ.get("NBTRACK_E2E_CHROMIUM", "/usr/bin/chromium")
# As in tests/e2e/conftest.py (flags tested with Debian's Chromium under Playwright).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 2400}  # as in the browser tests: the whole dashboard is on screen
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}

# The notebook panel showing `path` (as in labpage.py).
_PANEL = """const panel = [...window.jupyterapp.shell.widgets('main')]
  .find((w) => w.context?.path === path && w.content?.widgets);"""

# Select cell i (after replacing its source if one is given) and run it with JupyterLab's own command.
RUN_CELL = f"""([path, i, source]) => {{ {_PANEL}
  window.jupyterapp.shell.activateById(panel.id);
  const nb = panel.content;
  if (source !== null) nb.widgets[i].model.sharedModel.setSource(source);
  nb.activeCellIndex = i; nb.mode = 'command';
  const before = nb.widgets[i].model.executionCount ?? null;
  window.jupyterapp.commands.execute('notebook:run-cell');
  return before; }}"""

CELL_STATE = f"""([path, i]) => {{ {_PANEL}
  const m = panel.content.widgets[i].model;
  return {{ count: m.executionCount ?? null, state: m.executionState ?? null,
           outputs: m.outputs.toJSON() }}; }}"""

STATS_COUNT = "() => (window.__nbtrackStats ?? { redraws: 0 }).redraws"

# The newest k redraw timings (the arrays keep the newest 5,000).
STATS_TAIL = """(k) => { const s = window.__nbtrackStats ?? { redrawMs: [], charts: [] };
  const n = Math.min(k, s.redrawMs.length);
  return { ms: n ? s.redrawMs.slice(-n) : [], charts: n ? s.charts.slice(-n) : [] }; }"""

# What the dashboard on the page shows: summary rows, chart boxes, the BokehJS sources' newest x, status,
# and whether each chart box lies inside the viewport.
DASHBOARD = """() => ({
  rows: [...document.querySelectorAll('tr.nbtrack-series')].map((r) => ({ key: r.dataset.key,
    points: Number(r.dataset.points), lastStep: r.cells[2]?.textContent ?? '', lastValue: r.cells[3]?.textContent ?? '' })),
  charts: [...document.querySelectorAll('.nbtrack-chart')].map((b) => { const r = b.getBoundingClientRect();
    return { key: b.dataset.key, points: Number(b.dataset.points ?? NaN), rawLast: b.dataset.rawLast ?? null,
             visible: r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight }; }),
  sources: (() => { // the data sources of the BokehJS figures shown on the page now (stale documents left out)
    const index = window.Bokeh?.index;
    const roots = typeof index?.roots === 'function' ? index.roots() : (index?.roots ?? index?._roots ?? []);
    return [...roots].filter((v) => v.el?.isConnected && Array.isArray(v.model?.renderers))
      .flatMap((v) => v.model.renderers.map((r) => r.data_source))
      .filter((d) => d?.data?.x !== undefined && d.data.x.length > 0)
      .map((d) => ({ n: d.data.x.length, last: d.data.x[d.data.x.length - 1] })); })(),
  status: [...document.querySelectorAll('.nbtrack-status')].map((e) => e.textContent),
  errors: [...document.querySelectorAll('.nbtrack-error')].map((e) => e.textContent),
})"""


# -- Chromium ---------------------------------------------------------------------------------------------
@dataclass
class NetworkGuard:
    """Lets the page reach localhost only; aborts and records every other request."""

    blocked: list[str] = field(default_factory=list)

    @staticmethod
    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS

    def route(self, route: Any) -> None:
        request = route.request
        if self.is_local(request.url):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url[:300]} ({request.resource_type})")
            route.abort("blockedbyclient")


@dataclass
class Browser:
    """Playwright, one persistent Chromium context and its network guard."""

    playwright: Any
    context: Any
    network: NetworkGuard

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.playwright.stop()


def launch_browser(profile: Path) -> Browser:
    """Headless Debian Chromium with the browser tests' flags, offline but for localhost."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT,
            device_scale_factor=1)
    except Exception:
        pw.stop()
        raise
    network = NetworkGuard()
    context.route("**/*", network.route)
    return Browser(pw, context, network)


def chromium_version() -> str:
    """``chromium --version`` (Debian's wrapper script prints a harmless shell warning on stderr)."""
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"
    return out.strip() or "unknown"


def _chromium_type(p: psutil.Process) -> str | None:
    """``browser``, ``renderer``, ``gpu-process``, ``utility``, ``zygote``... or None if not Chromium."""
    try:
        cmd = p.cmdline()
    except psutil.Error:
        return None
    exe = os.path.basename(cmd[0]) if cmd else ""
    if "chromium" not in exe and "chrome" not in exe:
        return None
    for arg in cmd[1:]:
        if arg.startswith("--type="):
            return arg.split("=", 1)[1]
    return "browser"


CHROMIUM_KINDS = ("browser", "renderer", "gpu-process", "utility", "zygote", "crashpad-handler")


def tree_cpu(roles: dict[int, str]) -> dict[int, tuple[str, float]]:
    """``{pid: (kind, user + system CPU seconds)}`` of this process and every process descended from it.

    Kinds: Chromium's process types (``browser``, ``renderer``, ``gpu-process``, ``utility``, ...), the
    roles given by pid in ``roles`` (the kernel, the Jupyter server), else ``driver`` (this interpreter and
    Playwright's node process) or ``other``."""
    me = psutil.Process()
    out: dict[int, tuple[str, float]] = {}
    for p in [me, *me.children(recursive=True)]:
        kind = roles.get(p.pid) or _chromium_type(p)
        if kind is None:
            try:
                name = p.name()
            except psutil.Error:
                name = ""
            kind = "driver" if p.pid == me.pid or name == "node" else "other"
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        out[p.pid] = (kind, t.user + t.system)
    return out


def system_busy() -> float:
    """CPU seconds all CPUs have spent busy (not idle, not waiting for I/O) since boot."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds used between two :func:`tree_cpu` readings, per kind, plus ``chromium`` (all Chromium
    processes) and ``ours`` (everything). A process started in between counts from zero; one that ended in
    between is lost."""
    by_kind: dict[str, float] = {}
    for pid, (kind, cpu) in after.items():
        start = before.get(pid, (kind, 0.0))[1]
        by_kind[kind] = by_kind.get(kind, 0.0) + max(0.0, cpu - start)
    by_kind["chromium"] = sum(v for k, v in by_kind.items() if k in CHROMIUM_KINDS)
    by_kind["ours"] = sum(v for k, v in by_kind.items() if k != "chromium")
    return by_kind


def _plain(text: str) -> str:
    """``text`` without ANSI colour codes (IPython's tracebacks)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- the page ---------------------------------------------------------------------------------------------
class LivePage(LabPage):
    """A :class:`labpage.LabPage` with the operations ``bench_live.py`` needs."""

    def __init__(self, page: Any, server: LabServer, artifacts: Path) -> None:
        super().__init__(page, server, artifacts)
        self.cdp = page.context.new_cdp_session(page)
        try:  # thread ticks: the durations are the main thread's CPU time, not wall time
            self.cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
            self.time_domain = "threadTicks"
        except Exception:
            self.cdp.send("Performance.enable")
            self.time_domain = "timeTicks"

    def main_thread_metrics(self) -> dict[str, float]:
        """The renderer main thread's cumulative TaskDuration, ScriptDuration, LayoutDuration,
        RecalcStyleDuration (seconds) for this page."""
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in metrics}

    def start_cell(self, index: int, source: str | None = None) -> int | None:
        """Run cell ``index`` (with ``source`` put in first, if given); returns its previous execution count."""
        return self.page.evaluate(RUN_CELL, [self.path, index, source])

    def cell_state(self, index: int) -> dict[str, Any]:
        return self.page.evaluate(CELL_STATE, [self.path, index])

    def wait_cell(self, index: int, before: int | None, timeout: float = 120, every: float = 0.1) -> dict[str, Any]:
        """Until cell ``index`` has a new execution count and is not running; returns its state. Raises
        :class:`RunError` if the cell raised or the kernel died."""
        state: dict[str, Any] = {}

        def done() -> bool:
            nonlocal state
            state = self.cell_state(index)
            if any(o.get("output_type") == "error" for o in state["outputs"]):
                errs = [f"{o.get('ename')}: {o.get('evalue')}\n" + _plain("\n".join(o.get("traceback", [])[-3:]))
                        for o in state["outputs"] if o.get("output_type") == "error"]
                raise RunError(f"cell {index} raised: {'; '.join(errs)}")
            if self.kernel_status() == "dead":
                raise RunError("the kernel died")
            return state["count"] is not None and state["count"] != before and state["state"] != "running"

        self._poll(done, timeout, lambda: f"cell {index} did not finish in {timeout} s: {state}", every=every)
        return state

    def run_cell(self, index: int, source: str | None = None, timeout: float = 120) -> dict[str, Any]:
        """Run cell ``index`` and wait for it."""
        return self.wait_cell(index, self.start_cell(index, source), timeout)

    def wait_for_file(self, path: Path, timeout: float, every: float = 0.25) -> None:
        """Until ``path`` exists, without touching the page (Playwright still serves its routes)."""
        self._poll(path.exists, timeout, lambda: f"{path} did not appear within {timeout} s", every=every)

    def redraw_count(self) -> int:
        return int(self.page.evaluate(STATS_COUNT))

    def redraws_since(self, count_before: int) -> dict[str, list[float]]:
        """Redraw timings (ms) and chart counts recorded after :meth:`redraw_count` returned ``count_before``."""
        k = self.redraw_count() - count_before
        return self.page.evaluate(STATS_TAIL, k) if k > 0 else {"ms": [], "charts": []}

    def dashboard(self) -> dict[str, Any]:
        return self.page.evaluate(DASHBOARD)
