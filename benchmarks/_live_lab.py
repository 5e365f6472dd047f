"""JupyterLab, headless Chromium and the measuring probes for ``bench_live.py``.

The server, Chromium (Debian's ``/usr/bin/chromium``, the tested flags, every request to a host other than
localhost aborted and listed) and the notebook driving are the browser tests' own, from ``tests/e2e/labkit``
(no pytest needed).

Probes:

- :func:`tree_cpu`: user + system CPU seconds of every process this interpreter started (Chromium's by
  process type: browser, renderer, gpu-process, utility, ...; the kernel; the Jupyter server), read from
  ``/proc`` through psutil; :func:`system_busy` the same for the whole machine, to see other load.
- :class:`LivePage` adds to :class:`labkit.page.LabPage`: running one cell by index (optionally with a new
  source) through JupyterLab's own ``notebook:run-cell`` command, the renderer main thread's task, script,
  style and layout time from the Chrome DevTools Protocol (``Performance.getMetrics``), the page-wide redraw timings
  ``window.__nbtrackStats``, what the dashboard shows and (:meth:`LivePage.media`) what its media panels and
  the page's stores hold of one run's images and histograms.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import psutil

E2E = Path(__file__).resolve().parents[1] / "tests" / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

from labkit.browser import CHROMIUM, Browser, chromium_version, launch_browser  # noqa: E402
from labkit.page import _PANEL, LabPage, RunError  # noqa: E402
from labkit.server import LabServer  # noqa: E402

__all__ = ["CHROMIUM", "Browser", "LabServer", "LivePage", "RunError", "busiest_thread", "chromium_version",
           "cpu_delta", "launch_browser", "system_busy", "thread_sched", "tree_cpu"]

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


# One run's media on the page: its image panels (`data-steps`: distinct steps held, `data-step`: the step
# shown, and whether that step's <img> decoded), its histogram panels (`.nbtrack-histogram`'s `data-steps`:
# records drawn, `data-last-step`), and in every dashboard store on the page (`__nbtrackStores`, the live
# view's and static outputs') the tag's records, distinct steps, newest step, and the store's seq gaps.
MEDIA = """(run) => {
  const panels = [...document.querySelectorAll('.nbtrack-media-panel')]
    .filter((p) => p.isConnected && p.dataset.run === run);
  const image = panels.filter((p) => p.dataset.kind === 'image').map((p) => {
    const imgs = [...p.querySelectorAll('img.nbtrack-image-img')];
    return { key: p.dataset.key, steps: Number(p.dataset.steps ?? NaN), step: p.dataset.step ?? null,
             imgs: imgs.length, decoded: imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0),
             width: imgs[0]?.naturalWidth ?? 0 }; });
  const histogram = panels.filter((p) => p.dataset.kind === 'histogram').map((p) => {
    const h = p.querySelector('.nbtrack-histogram');
    return { key: p.dataset.key, steps: Number(h?.dataset.steps ?? NaN), lastStep: h?.dataset.lastStep ?? null,
             bins: Number(h?.dataset.bins ?? NaN), view: h?.dataset.view ?? null }; });
  const stores = [...(globalThis.__nbtrackStores?.values() ?? [])].flatMap((s) => [...s.media.values()]
    .filter((m) => m.run === run)
    .map((m) => ({ key: m.key, kind: m.kind, records: m.records.length, steps: m.steps().length,
                   last: m.records.length ? m.records[m.records.length - 1].step : null, gaps: s.gaps.length })));
  return { image, histogram, stores };
}"""


# -- CPU probes -------------------------------------------------------------------------------------------
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


def thread_sched(pid: int) -> dict[int, tuple[float, float]]:
    """``{tid: (CPU seconds, seconds runnable but waiting for a CPU)}`` of each thread of ``pid``, from
    ``/proc/<pid>/task/<tid>/schedstat`` (empty where the kernel does not provide it)."""
    out: dict[int, tuple[float, float]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns, wait_ns = f.read().split()[:2]
        except (OSError, ValueError):
            continue
        out[int(tid)] = (int(run_ns) / 1e9, int(wait_ns) / 1e9)
    return out


def busiest_thread(before: dict[int, tuple[float, float]], after: dict[int, tuple[float, float]]) -> dict[str, float]:
    """CPU and run-queue wait between two :func:`thread_sched` readings of the thread that used the most CPU
    (in the kernel during a loop: the thread running the loop)."""
    deltas = [(c - before.get(tid, (0.0, 0.0))[0], w - before.get(tid, (0.0, 0.0))[1])
              for tid, (c, w) in after.items()]
    if not deltas:
        return {}
    cpu, wait = max(deltas)
    return {"cpu_s": cpu, "runqueue_wait_s": wait}


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
    """A :class:`labkit.page.LabPage` with the operations ``bench_live.py`` needs."""

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

    def media(self, run_id: str) -> dict[str, Any]:
        """Run ``run_id``'s image and histogram panels on the page, and its media in the page's stores."""
        return self.page.evaluate(MEDIA, run_id)
