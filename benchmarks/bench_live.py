#!/usr/bin/env python
"""Live dashboard path benchmark: a training loop in real JupyterLab with ``run.show()`` displayed.

A notebook runs in JupyterLab (started in a scratch folder, as the browser tests do) in headless Debian
Chromium, offline (every request to a host other than localhost is aborted and listed). Its loop trains
a small numpy MLP for 20,000 steps and logs 4 scalars per step, with the dashboard (``dash = run.show()``,
displayed in the cell before the loop) drawing live, or without it. Repetitions alternate with, without,
with, without, ... in the same kernel and page, each on a fresh run, after one short warm-up of each.

Measured per repetition, over the window from starting the loop cell until the kernel has finished
(``run.finish()`` included):

1. the dashboard's kernel-side work: ``dash._feed.cpu_seconds`` (thread CPU time of the feed's
   write + send path) ÷ the loop's wall time; bytes, messages and points the feed sent;
2. the page's redraw timings (``window.__nbtrackStats``: ms per view redraw, from the animation frame
   to the end of the charts' update) of redraws with 4 charts;
3. Chromium's CPU: user + system time of all its processes from ``/proc`` (and per process type), and
   the renderer main thread's task time from the DevTools Protocol (``Performance.getMetrics``);
4. whether the IOPub rate limit was hit (server log and cell outputs);
5. whether every chart and summary row ends at the last step and value;
6. the loop's wall time with ÷ without the dashboard, per adjacent pair.

    python benchmarks/bench_live.py              # full run (about 3-4 min on 2 cores); updates RESULTS.md
    python benchmarks/bench_live.py --quick      # smoke run: 5,000 steps, 2 pairs; its own section
    python benchmarks/bench_live.py --no-results --keep

Exit code 1 if a check FAILs, 2 if the benchmark could not run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _live_cells as cells  # noqa: E402
from _live_lab import (  # noqa: E402
    CHROMIUM,
    LabServer,
    LivePage,
    RunError,
    chromium_cpu,
    chromium_version,
    cpu_delta,
    launch_browser,
    process_cpu,
)
from bench_scalars import machine_info, write_results_md  # noqa: E402

RESULTS_MD = HERE / "RESULTS.md"
ROOT = HERE.parent
BUNDLE = ROOT / "nbtrack" / "static" / "widget.js"

# Limits (issue 11's checked requirements for the live path)
MAX_KERNEL_SHARE = 0.01  # feed CPU ÷ loop wall time
MAX_REDRAW_MEDIAN_MS = 10.0  # per redraw of a view with 4 charts
MAX_BROWSER_CORES = 0.5  # Chromium CPU while the 4 charts update, in cores
CHARTS = 4
KEYS = ["train/loss", "train/acc", "train/lr", "train/grad_norm"]

VERSION_PACKAGES = ["nbtrack", "jupyterlab", "jupyter_server", "ipykernel", "ipywidgets", "anywidget", "bokeh",
                    "numpy", "playwright", "psutil"]
IOPUB_MARKERS = ["IOPub message rate exceeded", "IOPub data rate exceeded", "iopub_msg_rate_limit",
                 "iopub_data_rate_limit"]
# The kernel's loop is a one-core workload: numpy's BLAS on one thread (the MLP's matrices are small).
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# --------------------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------------------------
# one repetition
# --------------------------------------------------------------------------------------------------------
def wait_dashboard_ready(lab: LivePage, timeout: float = 60) -> None:
    """Until the dashboard view is on the page and BokehJS is loaded (charts come with the first data)."""
    lab._poll(lambda: lab.page.evaluate("() => !!document.querySelector('.nbtrack-summary') "
                                        "&& !!window.Bokeh?.Plotting"),
              timeout, lambda: f"dashboard not rendered: {lab.dashboard()}")


def final_state(view: dict[str, Any], steps: int, last: dict[str, float], status: str) -> list[str]:
    """What is wrong with the dashboard on the page, if its summary rows and charts do not all end at the
    loop's last step and value (empty list: all good)."""
    problems = []
    rows = {r["key"]: r for r in view.get("rows", [])}
    charts = {c["key"]: c for c in view.get("charts", [])}
    for key in KEYS:
        row, chart = rows.get(key), charts.get(key)
        if row is None or chart is None:
            problems.append(f"{key}: no {'summary row' if row is None else 'chart'}")
            continue
        if row["points"] != steps or row["lastStep"] != str(steps - 1):
            problems.append(f"{key}: summary row shows {row['points']} points, last step {row['lastStep']}")
        elif not _same_float(row["lastValue"], last[key]):
            problems.append(f"{key}: summary row's last value {row['lastValue']} != {last[key]!r}")
        if chart["points"] != steps:
            problems.append(f"{key}: chart has {chart['points']} points")
        elif not _same_float(chart["rawLast"], last[key]):
            problems.append(f"{key}: chart's last drawn value {chart['rawLast']} != {last[key]!r}")
    if len(view.get("charts", [])) != CHARTS:
        problems.append(f"{len(view.get('charts', []))} charts on the page, expected {CHARTS}")
    sources = view.get("sources", [])
    ends = sorted({s["last"] for s in sources})
    if not sources or ends != [steps - 1]:
        problems.append(f"BokehJS data sources end at x = {ends[:6]}, not only at step {steps - 1}")
    if view.get("status") != [status]:
        problems.append(f"status shown {view.get('status')}, expected [{status!r}]")
    if view.get("errors"):
        problems.append(f"errors shown: {view['errors']}")
    return problems


def _same_float(text: Any, value: float) -> bool:
    try:
        return float(text) == float(value)
    except (TypeError, ValueError):
        return False


def wait_final(lab: LivePage, steps: int, last: dict[str, float], status: str, timeout: float) -> dict[str, Any]:
    """Poll the page until the dashboard ends at the last step (or ``timeout``); what it showed, and when."""
    t0 = time.perf_counter()
    view: dict[str, Any] = {}
    problems: list[str] = ["not read"]

    def settled() -> bool:
        nonlocal view, problems
        view = lab.dashboard()
        problems = final_state(view, steps, last, status)
        return not problems

    try:
        lab._poll(settled, timeout, lambda: "not settled", every=0.1)
    except RunError:
        pass
    return {"ok": not problems, "problems": problems, "after_s": time.perf_counter() - t0,
            "charts_visible": sum(1 for c in view.get("charts", []) if c["visible"]),
            "rows": view.get("rows"), "charts": view.get("charts")}


def run_rep(lab: LivePage, server: LabServer, scratch: Path, label: str, show: bool, steps: int,
            timeout: float, settle: float) -> dict[str, Any]:
    """One loop of ``steps`` steps, with or without the dashboard displayed; every probe around it."""
    signal = scratch / f"signal-{label}.json"
    lab.run_cell(1, cells.dashboard_source(show, steps, str(signal)), timeout=60)
    if show:
        wait_dashboard_ready(lab)
    lab.page.wait_for_timeout(300)  # let the page settle after the cell's output changed

    redraws_before = lab.redraw_count()
    main0 = lab.main_thread_metrics()
    server0 = process_cpu(server.proc.pid)
    cpu0 = chromium_cpu()
    t0 = time.perf_counter()
    before = lab.start_cell(2)
    lab.wait_for_file(signal, timeout)
    window = time.perf_counter() - t0
    cpu1 = chromium_cpu()
    server1 = process_cpu(server.proc.pid)
    main1 = lab.main_thread_metrics()

    state = lab.wait_cell(2, before, timeout=60)
    result = cells.parse_result(state["outputs"])
    if result is None:
        result = json.loads(signal.read_text())
        result["note"] = "result line missing from the loop cell's output; read from the signal file"
    rep: dict[str, Any] = {
        "label": label, "show": show, "steps": steps, "kernel": result, "window_s": window,
        "chromium_cpu_s": cpu_delta(cpu0, cpu1), "server_cpu_s": server1 - server0,
        "main_thread_s": {k: main1.get(k, 0.0) - main0.get(k, 0.0)
                          for k in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")},
        "outputs_text": cells.output_text(state["outputs"]),
    }
    if show:
        redraws = lab.redraws_since(redraws_before)
        rep.update(redraw_ms=redraws["ms"], redraw_charts=redraws["charts"])
        rep["live_final"] = wait_final(lab, steps, result["last"], "running", settle)
    fin = lab.run_cell(3, timeout=120)
    rep["finish"] = cells.parse_result(fin["outputs"]) or {}
    rep["outputs_text"] += cells.output_text(fin["outputs"])
    if show:
        rep["finished_final"] = wait_final(lab, steps, result["last"], "finished", 30)
    rep["iopub_in_output"] = [m for m in IOPUB_MARKERS if m in rep["outputs_text"]]
    return rep


# --------------------------------------------------------------------------------------------------------
# summary, checks and report
# --------------------------------------------------------------------------------------------------------
def summarize(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and pooled figures over the measured repetitions (warm-ups excluded by the caller)."""
    with_ = [r for r in reps if r["show"]]
    without = [r for r in reps if not r["show"]]
    s: dict[str, Any] = {"n_with": len(with_), "n_without": len(without)}
    shares = [r["kernel"]["feed_cpu_s"] / r["kernel"]["wall_s"] for r in with_]
    s["kernel_share_median"], s["kernel_share_max"] = median(shares), max(shares, default=None)
    s["feed_cpu_s_median"] = median([r["kernel"]["feed_cpu_s"] for r in with_])
    for key in ("bytes_sent", "messages", "points_sent"):
        s[f"{key}_median"] = median([r["kernel"][key] for r in with_])
        s[f"{key}_range"] = (min((r["kernel"][key] for r in with_), default=None),
                             max((r["kernel"][key] for r in with_), default=None))
    pooled = [ms for r in with_ for ms, n in zip(r["redraw_ms"], r["redraw_charts"]) if n == CHARTS]
    firsts = [next((ms for ms, n in zip(r["redraw_ms"], r["redraw_charts"]) if n == CHARTS), None) for r in with_]
    s["redraws_4"] = len(pooled)
    s["redraws_all"] = sum(len(r["redraw_ms"]) for r in with_)
    s["redraw_median_ms"], s["redraw_p90_ms"] = median(pooled), percentile(pooled, 90)
    s["redraw_max_ms"] = max(pooled, default=None)
    s["first_redraw_median_ms"] = median([f for f in firsts if f is not None])
    later = [ms for r in with_ for ms in _after_first(r)]
    s["redraw_median_after_first_ms"], s["redraw_p90_after_first_ms"] = median(later), percentile(later, 90)
    s["redraws_per_s_median"] = median([len(r["redraw_ms"]) / r["window_s"] for r in with_])
    for name, group in (("with", with_), ("without", without)):
        s[f"{name}_chromium_cores"] = median([r["chromium_cpu_s"]["total"] / r["window_s"] for r in group])
        s[f"{name}_renderer_cores"] = median([r["chromium_cpu_s"].get("renderer", 0.0) / r["window_s"]
                                              for r in group])
        s[f"{name}_gpu_cores"] = median([r["chromium_cpu_s"].get("gpu-process", 0.0) / r["window_s"]
                                         for r in group])
        s[f"{name}_main_thread_cores"] = median([r["main_thread_s"]["TaskDuration"] / r["window_s"] for r in group])
        s[f"{name}_script_cores"] = median([r["main_thread_s"]["ScriptDuration"] / r["window_s"] for r in group])
        s[f"{name}_server_cores"] = median([r["server_cpu_s"] / r["window_s"] for r in group])
        s[f"{name}_kernel_cores"] = median([r["kernel"]["process_cpu_s"] / r["kernel"]["wall_s"] for r in group])
        s[f"{name}_wall_s"] = median([r["kernel"]["wall_s"] for r in group])
    s["task_ms_per_redraw_median"] = median([r["main_thread_s"]["TaskDuration"] * 1e3 / len(r["redraw_ms"])
                                             for r in with_ if r["redraw_ms"]])
    ratios = [w["kernel"]["wall_s"] / wo["kernel"]["wall_s"] for w, wo in zip(with_, without)]
    s["ratios"] = ratios
    s["ratio_median"] = median(ratios)
    s["ratio_min"], s["ratio_max"] = min(ratios, default=None), max(ratios, default=None)
    s["ratio_p25"], s["ratio_p75"] = percentile(ratios, 25), percentile(ratios, 75)
    for phase in ("live_final", "finished_final"):
        s[f"{phase}_ok"] = bool(with_) and all(r[phase]["ok"] for r in with_)
        s[f"{phase}_n_ok"] = sum(1 for r in with_ if r[phase]["ok"])
        s[f"{phase}_problems"] = [f"{r['label']}: {p}" for r in with_ for p in r[phase]["problems"]]
        s[f"{phase}_after_s_max"] = max((r[phase]["after_s"] for r in with_ if r[phase]["ok"]), default=None)
    s["charts_visible_min"] = min((r["live_final"]["charts_visible"] for r in with_), default=0)
    s["finish_s_median"] = {name: median([r["finish"].get("finish_s", 0.0) for r in group])
                            for name, group in (("with", with_), ("without", without))}
    return s


def _after_first(rep: dict[str, Any]) -> list[float]:
    """A repetition's 4-chart redraws without the first one (which builds the charts)."""
    out, seen = [], False
    for ms, n in zip(rep["redraw_ms"], rep["redraw_charts"]):
        if n != CHARTS:
            continue
        if seen:
            out.append(ms)
        seen = True
    return out


def iopub_in_log(log_text: str) -> list[str]:
    return [line.strip() for line in log_text.splitlines() if any(m in line for m in IOPUB_MARKERS)]


def checks(s: dict[str, Any], iopub_hits: list[str], settle: float) -> list[tuple[str, str, str, str]]:
    def verdict(ok: bool | None) -> str:
        return "NOT RUN" if ok is None else ("PASS" if ok else "FAIL")

    share = s["kernel_share_max"]
    red = s["redraw_median_ms"]
    cores = s["with_chromium_cores"]
    return [
        ("kernel-side dashboard work: feed thread CPU ÷ loop wall time (worst repetition)",
         "n/a" if share is None else f"{share * 100:.3f} %", f"< {MAX_KERNEL_SHARE * 100:g} %",
         verdict(None if share is None else share < MAX_KERNEL_SHARE)),
        (f"browser redraw of a view with {CHARTS} charts, median (p90) over the loops",
         "n/a" if red is None else f"{red:.1f} ms ({s['redraw_p90_ms']:.1f} ms)", f"≤ {MAX_REDRAW_MEDIAN_MS:g} ms median",
         verdict(None if red is None else red <= MAX_REDRAW_MEDIAN_MS)),
        ("Chromium CPU (all its processes) while the 4 charts update, median over the loops",
         "n/a" if cores is None else f"{cores:.2f} of a core", f"≤ {MAX_BROWSER_CORES:g} of a core",
         verdict(None if cores is None else cores <= MAX_BROWSER_CORES)),
        ("IOPub rate limit hit (server log, cell outputs)", "never" if not iopub_hits else f"{len(iopub_hits)} times",
         "never", verdict(not iopub_hits)),
        (f"last step drawn, run still live: within {settle:g} s of the loop cell's end, all 4 charts and summary "
         "rows end at the last step and value",
         f"{s['live_final_n_ok']} of {s['n_with']} loops", f"all {s['n_with']}", verdict(s["live_final_ok"])),
        ("last step drawn after `run.finish()`: all 4 charts and summary rows end at the last step and value",
         f"{s['finished_final_n_ok']} of {s['n_with']} loops", f"all {s['n_with']}", verdict(s["finished_final_ok"])),
    ]


def _f(v: float | None, spec: str, scale: float = 1.0) -> str:
    return "–" if v is None else format(v * scale, spec)


def code_state() -> str:
    """The repo commit under test, and whether nbtrack/ or js/ have uncommitted changes (best effort)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "no git commit"
    dirty = [d for d in ("nbtrack", "js") if git("status", "--porcelain", "--", d)]
    return f"commit {head}" + (f" + uncommitted changes in {', '.join(d + '/' for d in dirty)}" if dirty else "")


def versions() -> dict[str, str]:
    out = {}
    for pkg in VERSION_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["chromium"] = chromium_version().replace("Chromium ", "").split(" built on")[0] + f" ({CHROMIUM})"
    return out


def bundle_info() -> str:
    try:
        st = BUNDLE.stat()
    except OSError:
        return "missing"
    built = _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc)
    return f"{st.st_size:,} bytes, built {built:%Y-%m-%d %H:%M} UTC"


def render(args: argparse.Namespace, reps: list[dict[str, Any]], s: dict[str, Any], check_rows: list[tuple],
           iopub_hits: list[str], blocked: list[str], page_problems: list[str], info: dict[str, Any],
           vers: dict[str, str], started: _dt.datetime, elapsed: float) -> str:
    steps = args.steps
    md = []
    title = "" if section_name(args) == "full" else f" ({section_name(args)})"
    md.append(f"## Live dashboard path{title}: {steps:,} steps × {len(KEYS)} scalars in JupyterLab")
    md.append("")
    cmdline = " ".join(["python benchmarks/bench_live.py", *args.argv])
    md.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC by `{cmdline}`, {elapsed:.0f} s in all. A notebook in JupyterLab "
        f"(headless Chromium, offline: {len(blocked)} non-localhost requests blocked) trains a small numpy MLP "
        f"({s['without_wall_s'] / steps * 1e6:.0f} µs per step on one core) and logs 4 scalars per step, "
        f"`flush_interval={args.flush_interval:g}`, with `dash = run.show()` displayed in the cell before the "
        f"loop or without it: {s['n_with']} + {s['n_without']} repetitions interleaved (with, without, ...) "
        "in one kernel and one page, each on a fresh run, after one short warm-up of each (not counted)."
    )
    md.append("")
    md.append("**Machine:** " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    md.append("")
    md.append("**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items())
              + f"; widget bundle {bundle_info()}; repo: {code_state()}")
    md.append("")
    md.append("### Checks")
    md.append("")
    md.append("| check | measured | limit | result |")
    md.append("|---|---|---|---|")
    for name, val, lim, status in check_rows:
        md.append(f"| {name} | {val} | {lim} | **{status}** |")
    md.append(f"| loop wall time with ÷ without the dashboard, median of {len(s['ratios'])} adjacent pairs | "
              f"{_f(s['ratio_median'], '.3f')}× (pairs {_f(s['ratio_min'], '.3f')}–{_f(s['ratio_max'], '.3f')}×, "
              f"IQR {_f(s['ratio_p25'], '.3f')}–{_f(s['ratio_p75'], '.3f')}×) | report only | – |")
    md.append("")
    md.append("### Measured (medians over the repetitions)")
    md.append("")
    md.append("| | with dashboard | without |")
    md.append("|---|---|---|")
    md.append(f"| loop wall time | {_f(s['with_wall_s'], '.2f')} s | {_f(s['without_wall_s'], '.2f')} s |")
    md.append(f"| kernel process CPU ÷ loop wall (all threads) | {_f(s['with_kernel_cores'], '.3f')} | "
              f"{_f(s['without_kernel_cores'], '.3f')} |")
    md.append(f"| feed CPU (`dash._feed.cpu_seconds`) | {_f(s['feed_cpu_s_median'], '.1f', 1e3)} ms = "
              f"{_f(s['kernel_share_median'], '.3f', 100)} % of the loop (worst {_f(s['kernel_share_max'], '.3f', 100)} %)"
              " | – |")
    lo, hi = s["bytes_sent_range"]
    md.append(f"| sent by the feed | {_f(s['messages_median'], ',.0f')} messages, "
              f"{_f(s['points_sent_median'], ',.0f')} points, {_f(s['bytes_sent_median'], '.2f', 1e-6)} MB "
              f"(bytes {lo:,}–{hi:,}) | – |" if lo is not None else "| sent by the feed | – | – |")
    md.append(f"| redraws of the view (4 charts / all) | {s['redraws_4']} / {s['redraws_all']} in all, "
              f"{_f(s['redraws_per_s_median'], '.1f')} per second | – |")
    md.append(f"| redraw ms, 4 charts: median / p90 / max | {_f(s['redraw_median_ms'], '.1f')} / "
              f"{_f(s['redraw_p90_ms'], '.1f')} / {_f(s['redraw_max_ms'], '.1f')} | – |")
    md.append(f"| the same without each loop's first redraw (builds the charts; median {_f(s['first_redraw_median_ms'], '.0f')} ms) "
              f"| {_f(s['redraw_median_after_first_ms'], '.1f')} / {_f(s['redraw_p90_after_first_ms'], '.1f')} | – |")
    md.append(f"| renderer main-thread task time per redraw (DevTools) | {_f(s['task_ms_per_redraw_median'], '.1f')} ms | – |")
    md.append(f"| Chromium CPU, all processes (cores) | {_f(s['with_chromium_cores'], '.3f')} | "
              f"{_f(s['without_chromium_cores'], '.3f')} |")
    md.append(f"| … renderer processes | {_f(s['with_renderer_cores'], '.3f')} | {_f(s['without_renderer_cores'], '.3f')} |")
    md.append(f"| … GPU process (software compositing) | {_f(s['with_gpu_cores'], '.3f')} | "
              f"{_f(s['without_gpu_cores'], '.3f')} |")
    md.append(f"| renderer main thread: tasks / of which script (DevTools) | {_f(s['with_main_thread_cores'], '.3f')} / "
              f"{_f(s['with_script_cores'], '.3f')} | {_f(s['without_main_thread_cores'], '.3f')} / "
              f"{_f(s['without_script_cores'], '.3f')} |")
    md.append(f"| Jupyter server process CPU (cores) | {_f(s['with_server_cores'], '.3f')} | "
              f"{_f(s['without_server_cores'], '.3f')} |")
    md.append("")
    md.append(
        "How: *feed CPU* is the thread CPU time the writer thread spends in the dashboard's sink "
        "(`LiveFeed.write`/`flush`: coalescing, encoding, `comm.send`), read from the kernel after "
        "`run.finish()`; the IOPub thread's share of sending is not in it (it is in *kernel process CPU*). "
        "CPU shares are CPU seconds ÷ the window from starting the loop cell until the kernel wrote its result "
        "after `run.finish()` (the loop's wall time plus about "
        f"{_f(median([r['window_s'] - r['kernel']['wall_s'] for r in reps]), '.2f')} s); Chromium's from "
        "`/proc` (user + system of every Chromium process: browser, renderer, GPU, utility), the main "
        "thread's from the DevTools Protocol (`Performance.getMetrics` in thread-tick time). *Redraw ms* is "
        "the page's own `window.__nbtrackStats`: from the animation frame to the end of the summary table and "
        "chart data update of one view; BokehJS paints the canvases in a later frame, which is in the CPU "
        "figures and in *task time per redraw* but not in *redraw ms*. IOPub: the server log and every cell "
        "output were searched for the rate-limit messages. Final state: after each loop with the dashboard, "
        "each of the 4 summary rows shows the last step and value, each chart box reports all points and the "
        "last logged value as its raw line's last point, and every BokehJS data source ends at the last step."
    )
    notes = []
    if iopub_hits:
        notes.extend(f"- IOPub: {h}" for h in iopub_hits[:5])
    for phase, what in (("live_final", "run still live"), ("finished_final", "after run.finish()")):
        notes.extend(f"- last step, {what}: {p}" for p in s[f"{phase}_problems"][:12])
    if s["charts_visible_min"] < CHARTS:
        notes.append(f"- only {s['charts_visible_min']} of {CHARTS} charts were inside the viewport")
    if blocked:
        notes.extend(f"- blocked request: {b}" for b in blocked[:5])
    notes.extend(f"- page: {p}" for p in page_problems[:10])
    if notes:
        md.append("")
        md.append("### Problems and notes")
        md.append("")
        md.extend(notes)
    md.append("")
    md.append("<details><summary>Per-repetition numbers</summary>")
    md.append("")
    md.append("| rep | dashboard | loop wall | kernel CPU ÷ wall | feed CPU | messages | redraws (4 charts) | "
              "redraw median / p90 ms | Chromium cores | renderer | main thread | last step: live / finished |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in reps:
        k = r["kernel"]
        w = r["window_s"]
        if r["show"]:
            four = [ms for ms, n in zip(r["redraw_ms"], r["redraw_charts"]) if n == CHARTS]
            extra = (f"{_f(k['feed_cpu_s'], '.1f', 1e3)} ms | {k['messages']} | {len(r['redraw_ms'])} ({len(four)}) | "
                     f"{_f(median(four), '.1f')} / {_f(percentile(four, 90), '.1f')}")
            final = " / ".join("ok" if r[ph]["ok"] else "FAIL" for ph in ("live_final", "finished_final"))
        else:
            extra, final = "– | – | – | –", "–"
        md.append(f"| {r['label']} | {'with' if r['show'] else 'without'} | {k['wall_s']:.2f} s | "
                  f"{k['process_cpu_s'] / k['wall_s']:.3f} | {extra} | {r['chromium_cpu_s']['total'] / w:.3f} | "
                  f"{r['chromium_cpu_s'].get('renderer', 0.0) / w:.3f} | {r['main_thread_s']['TaskDuration'] / w:.3f} | "
                  f"{final} |")
    md.append("")
    md.append("Wall-time ratios per pair: " + ", ".join(f"{x:.3f}" for x in s["ratios"]) + ".")
    md.append("")
    md.append("</details>")
    return "\n".join(md)


def section_name(args: argparse.Namespace) -> str:
    if args.quick:
        return "quick"
    return "full" if args.steps == 20_000 else f"steps-{args.steps}"


def print_table(s: dict[str, Any], check_rows: list[tuple]) -> None:
    print()
    print(f"{'check':<88} {'measured':<30} {'limit':<20} result")
    for name, val, lim, status in check_rows:
        print(f"{name:<88} {val:<30} {lim:<20} {status}")
    print(f"{'loop wall time with ÷ without, median of pairs':<88} "
          f"{_f(s['ratio_median'], '.3f')}× ({_f(s['ratio_min'], '.3f')}–{_f(s['ratio_max'], '.3f')})")
    print()


# --------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------
def measure(args: argparse.Namespace, scratch: Path, log: Any) -> dict[str, Any]:
    """Start JupyterLab and Chromium, run the warm-ups and the interleaved repetitions, stop everything."""
    server = LabServer(scratch / "jupyterlab")
    server.env.update(KERNEL_ENV)
    server.prepare()
    browser = None
    out: dict[str, Any] = {"reps": [], "warmups": []}
    try:
        t0 = time.perf_counter()
        server.start()
        log(f"  JupyterLab on {server.base_url} in {time.perf_counter() - t0:.1f} s")
        browser = launch_browser(scratch / "chromium-profile")
        page = browser.context.new_page()
        page.set_default_timeout(60_000)
        lab = LivePage(page, server, scratch / "artifacts")
        page.on("console", lambda m: m.type == "error" and lab.console_errors.append(m.text[:500]))
        page.on("pageerror", lambda e: lab.page_errors.append(str(e)[:500]))
        lab.blocked_requests = browser.network.blocked
        nb_path = scratch / "live_bench.ipynb"
        nb_path.write_text(json.dumps(cells.notebook(str(scratch / "nbruns"), args.flush_interval)))
        lab.open_notebook(nb_path)
        setup = lab.run_cell(0, timeout=120)
        out["setup_output"] = cells.output_text(setup["outputs"]).strip()
        out["time_domain"] = lab.time_domain
        log(f"  notebook open, kernel set up: {out['setup_output']}")
        timeout = max(120.0, args.steps * 0.02)
        if args.warmup_steps:
            for show in (False, True):
                rep = run_rep(lab, server, scratch, f"warm-{'with' if show else 'without'}", show,
                              args.warmup_steps, timeout, args.settle)
                out["warmups"].append(rep)
                log(f"  warm-up {'with' if show else 'without'}: {rep['kernel']['wall_s']:.2f} s")
        for i in range(args.pairs):
            for show in (True, False):
                label = f"{i + 1}{'w' if show else 'o'}"
                rep = run_rep(lab, server, scratch, label, show, args.steps, timeout, args.settle)
                out["reps"].append(rep)
                k = rep["kernel"]
                msg = (f"  rep {label:>3}: loop {k['wall_s']:.2f} s, kernel CPU {k['process_cpu_s'] / k['wall_s']:.2f}, "
                       f"Chromium {rep['chromium_cpu_s']['total'] / rep['window_s']:.2f} cores")
                if show:
                    four = [ms for ms, n in zip(rep["redraw_ms"], rep["redraw_charts"]) if n == CHARTS]
                    msg += (f", feed {k['feed_cpu_s'] * 1e3:.1f} ms ({k['feed_cpu_s'] / k['wall_s'] * 100:.3f} %), "
                            f"{k['messages']} msgs, {len(four)} redraws median {_f(median(four), '.1f')} ms, "
                            f"live end {_final_word(rep['live_final'])}, finished {_final_word(rep['finished_final'])}")
                log(msg)
        if args.keep:
            lab.screenshot("live-dashboard")
        out["console_errors"] = list(lab.console_errors)
        out["page_errors"] = list(lab.page_errors)
        out["blocked"] = list(browser.network.blocked)
    finally:
        if browser is not None:
            try:
                browser.close()
            except Exception as e:  # report, but still stop the server
                log(f"  closing Chromium: {e}")
        notes = server.stop()
        if notes:
            log("  JupyterLab shutdown: " + "; ".join(notes))
        try:
            out["server_log"] = server.log_path.read_text(errors="replace")
        except OSError:
            out["server_log"] = ""
    return out


def _final_word(final: dict[str, Any]) -> str:
    return f"ok after {final['after_s']:.1f} s" if final["ok"] else "FAIL (" + "; ".join(final["problems"][:2]) + ")"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 steps, 2 pairs")
    p.add_argument("--steps", type=int, help="steps per loop (default 20,000; 5,000 with --quick)")
    p.add_argument("--pairs", type=int, help="with/without pairs (default 8; 2 with --quick)")
    p.add_argument("--warmup-steps", type=int, default=2000, help="steps of each warm-up loop (0: none)")
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds the live view may take to show the last step after the loop cell ends (default 5)")
    p.add_argument("--flush-interval", type=float, default=0.1, help="init(flush_interval=...) (default 0.1 s)")
    p.add_argument("--results", default=str(RESULTS_MD), help="Markdown file to update")
    p.add_argument("--no-results", action="store_true", help="print only, do not touch RESULTS.md")
    p.add_argument("--json", help="also dump every raw measurement to this JSON file")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (server log, notebook, screenshot)")
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.steps = args.steps or (5_000 if args.quick else 20_000)
    args.pairs = args.pairs or (2 if args.quick else 8)

    def log(msg: str) -> None:
        print(msg, flush=True)

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    info = machine_info()
    vers = versions()
    log(f"bench_live: {args.steps:,} steps × {len(KEYS)} scalars, {args.pairs} with/without pairs, "
        f"flush_interval {args.flush_interval:g} s (python {sys.executable})")
    if not BUNDLE.exists():
        log(f"the widget bundle {BUNDLE} is missing: npm --prefix js run build")
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="nbtrack-bench-live-"))
    try:
        data = measure(args, scratch, log)
    except Exception:
        log("the benchmark could not run:\n" + traceback.format_exc())
        log(f"scratch folder kept: {scratch}")
        return 2
    elapsed = time.perf_counter() - t_start

    reps = data["reps"]
    s = summarize(reps)
    iopub_hits = iopub_in_log(data["server_log"]) + [f"{r['label']}: {m}" for r in [*data["warmups"], *reps]
                                                     for m in r["iopub_in_output"]]
    check_rows = checks(s, iopub_hits, args.settle)
    page_problems = [f"console error: {e}" for e in data["console_errors"]] + \
                    [f"page error: {e}" for e in data["page_errors"]]
    body = render(args, reps, s, check_rows, iopub_hits, data["blocked"], page_problems, info, vers, started, elapsed)
    print_table(s, check_rows)
    print(body)
    if not args.no_results:
        write_results_md(section_name(args), body, args.results, prefix="bench_live")
        print(f"\nupdated {os.path.relpath(args.results)} (section '{section_name(args)}')")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "summary": s, "checks": check_rows,
                       "machine": info, "versions": vers, "iopub": iopub_hits,
                       **{k: v for k, v in data.items() if k != "server_log"}}, f, indent=1, default=str)
    if args.keep:
        print(f"scratch folder kept: {scratch}")
    else:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if any(r[3] == "FAIL" for r in check_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
