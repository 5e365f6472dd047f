#!/usr/bin/env python
"""Live dashboard path benchmark: a training loop in real JupyterLab with ``run.show()`` displayed.

A notebook runs in JupyterLab (started in a scratch folder, as the browser tests do) in headless Debian
Chromium, offline (every request to a host other than localhost is aborted and listed). Its loop cell
trains a small numpy MLP for 20,000 steps and logs 4 scalars per step, with the dashboard
(``dash = run.show()``, displayed by the cell before the loop) drawing live, or without it; the next cell
calls ``run.finish()``. Repetitions alternate with, without, with, without, ... in the same kernel and
page, each on a fresh run, after one short warm-up of each (not counted).

Measured per repetition, over the window from starting the loop cell until the kernel has ended the
loop:

1. the dashboard's kernel-side work: ``dash._feed.cpu_seconds`` (thread CPU time of the feed's
   write + send path) ÷ the loop's wall time; bytes, messages and points the feed sent;
2. the page's redraw timings (``window.__nbtrackStats``: ms per view redraw) of redraws with 4 charts;
3. Chromium's CPU: user + system time of all its processes from ``/proc`` (and per process type), and
   the renderer main thread's task, script, style and layout time from the DevTools Protocol
   (``Performance.getMetrics``); also the kernel's, the server's and the rest of the machine's CPU;
4. whether the IOPub rate limit was hit (server log and cell outputs);
5. whether every chart and summary row ends at the last step and value, while the run is still live
   (after the loop cell) and after ``run.finish()``;
6. the loop's wall time with ÷ without the dashboard, per adjacent pair.

With ``--media`` (issue 12) the loop also logs ``nbtrack.Image`` (a 64×64×3 picture of the first layer's
weights) every 100 steps and ``nbtrack.Histogram`` of 100,000 hidden activations every 50 steps, in the same
``run.log()`` call as the scalars; 4 + 4 loops. Its limit for the kernel-side work is 2 %, and it checks that
each image and histogram is sent once (``dash._feed.media_sent`` never above the number logged at the loop's
end and equal to it after ``finish()``) and reaches the page once: the image panel's ``data-steps`` and the histogram
panel's ``data-steps`` equal the numbers logged and show the last ones while the run is live, the page's
store holds each step once, and after ``finish()`` the static output holds the newest 100 of each
(the snapshot's ``MAX_PER_TAG``). The browser's redraw and CPU figures are reported, not checked.
Its results go to their own section of RESULTS.md (``bench_live:media``).

    python benchmarks/bench_live.py              # full run (about 2-3 min on 2 cores); updates RESULTS.md
    python benchmarks/bench_live.py --quick      # smoke run: 5,000 steps, 2 pairs; its own section
    python benchmarks/bench_live.py --media      # media mode: 20,000 steps, 4 pairs (about 1.5-2 min)
    python benchmarks/bench_live.py --no-results --keep --json live.json

Exit code 1 if a check FAILs, 2 if the benchmark could not run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _live_cells as cells  # noqa: E402
from _common import add_results_options, code_state, machine_info, save_results, versions  # noqa: E402
from _live_lab import (  # noqa: E402
    CHROMIUM,
    LabServer,
    LivePage,
    RunError,
    busiest_thread,
    chromium_version,
    cpu_delta,
    launch_browser,
    system_busy,
    thread_sched,
    tree_cpu,
)
from _live_trace import JsProfile, PageTrace  # noqa: E402

ROOT = HERE.parent
BUNDLE = ROOT / "nbtrack" / "static" / "widget.js"

# Limits: the live path's checked requirements
MAX_KERNEL_SHARE = 0.01  # feed CPU ÷ loop wall time
MAX_KERNEL_SHARE_MEDIA = 0.02  # the same with an image every 100 steps and a histogram every 50 (issue 12)
MAX_REDRAW_MEDIAN_MS = 10.0  # per redraw of a view with 4 charts
MAX_BROWSER_CORES = 0.5  # Chromium CPU while the 4 charts update, in cores
CHARTS = 4
KEYS = ["train/loss", "train/acc", "train/lr", "train/grad_norm"]
MAIN_THREAD = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
BROWSER_MAX_MEDIA_RECORDS = 500  # js/src/store.js MAX_MEDIA_RECORDS: records a page keeps per media tag
try:  # steps of each media tag a snapshot (and so a finished run's static output) keeps
    from nbtrack.dashboard.snapshot import MAX_PER_TAG as SNAPSHOT_MAX_PER_TAG
except ImportError:
    SNAPSHOT_MAX_PER_TAG = 100

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


def _f(v: float | None, spec: str, scale: float = 1.0) -> str:
    return "–" if v is None else format(v * scale, spec)


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
        elif not _same_float(row["lastValue"], last[key], rel_tol=1e-5):  # shown to 6 significant digits
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


def _same_float(text: Any, value: float, rel_tol: float = 0.0) -> bool:
    """Whether ``text`` reads as ``value`` (exactly, or within ``rel_tol`` for a rounded display)."""
    try:
        return math.isclose(float(text), float(value), rel_tol=rel_tol, abs_tol=0.0)
    except (TypeError, ValueError):
        return False


def expected_media(steps: int) -> dict[str, Any]:
    """What the media loop logs in ``steps`` steps: counts and last steps of images and histograms."""
    images, histograms = range(0, steps, cells.IMAGE_EVERY), range(0, steps, cells.HISTOGRAM_EVERY)
    return {"images": len(images), "histograms": len(histograms),
            "image_last_step": images[-1] if images else None,
            "histogram_last_step": histograms[-1] if histograms else None}


def media_state(media: dict[str, Any], kernel: dict[str, Any], finished: bool) -> list[str]:
    """What is wrong with the run's image and histogram on the page (empty list: all good).

    While live, the image panel holds every image step (``data-steps``) and shows the last, decoded; the
    histogram panel draws every histogram (``data-steps``) up to the last; the page's store holds each
    logged step exactly once, with no seq gap. After ``finish()`` the static output holds the newest
    ``SNAPSHOT_MAX_PER_TAG`` steps of each and shows the last."""
    problems = []
    keep = SNAPSHOT_MAX_PER_TAG if finished else BROWSER_MAX_MEDIA_RECORDS
    for kind, tag, count, last in (("image", kernel["image_tag"], kernel["images"], kernel["image_last_step"]),
                                   ("histogram", kernel["histogram_tag"], kernel["histograms"],
                                    kernel["histogram_last_step"])):
        want = min(count, keep)
        panels = media.get(kind, [])
        if [p["key"] for p in panels] != [tag]:
            problems.append(f"{kind} panels on the page: {[p['key'] for p in panels]}, expected [{tag!r}]")
            continue
        panel = panels[0]
        shown = panel["step"] if kind == "image" else panel["lastStep"]
        if panel["steps"] != want or shown != str(last):
            problems.append(f"{kind} panel: data-steps {panel['steps']}, last step {shown}; expected {want} "
                            f"(of {count} logged), last step {last}")
        if kind == "image" and not panel["decoded"]:
            problems.append(f"image panel: its image did not decode ({panel['imgs']} <img>)")
        if not finished:
            held = [s for s in media.get("stores", []) if s["key"] == tag]
            if not any(s["records"] == s["steps"] == want and s["last"] == last for s in held):
                problems.append(f"{kind}: the page's store holds {[(s['records'], s['steps'], s['last']) for s in held]}"
                                f" (records, distinct steps, last step), expected ({want}, {want}, {last})")
    dupes = [s for s in media.get("stores", []) if s["records"] != s["steps"]]
    if dupes:
        problems.append(f"a store holds a step twice: {dupes}")
    if not finished and any(s["gaps"] for s in media.get("stores", [])):
        problems.append(f"seq gaps in the store: {[s['gaps'] for s in media['stores']]}")
    return problems


def wait_final(lab: LivePage, steps: int, last: dict[str, float], status: str, timeout: float,
               kernel: dict[str, Any] | None = None) -> dict[str, Any]:
    """Poll the page until the dashboard ends at the last step (or ``timeout``); what it showed, and when.
    With ``kernel`` (the media loop's result), until the run's image and histogram panels do too."""
    t0 = time.perf_counter()
    view: dict[str, Any] = {}
    media: dict[str, Any] = {}
    problems: list[str] = ["not read"]
    media_problems: list[str] = []

    def settled() -> bool:
        nonlocal view, problems, media, media_problems
        view = lab.dashboard()
        problems = final_state(view, steps, last, status)
        if kernel is not None:
            media = lab.media(kernel["run_id"])
            media_problems = media_state(media, kernel, finished=status == "finished")
        return not problems and not media_problems

    try:
        lab._poll(settled, timeout, lambda: "not settled", every=0.1)
    except RunError:
        pass
    out = {"ok": not problems, "problems": problems, "after_s": time.perf_counter() - t0,
           "charts_visible": sum(1 for c in view.get("charts", []) if c["visible"]),
           "rows": view.get("rows"), "charts": view.get("charts")}
    if kernel is not None:
        out.update(media_ok=not media_problems, media_problems=media_problems, media=media)
    return out


class Probes:
    """Everything read at the start and at the end of a loop's window."""

    def __init__(self, lab: LivePage, roles: dict[int, str]) -> None:
        self.lab = lab
        self.roles = roles
        self.kernel_pid = next((pid for pid, role in roles.items() if role == "kernel"), None)

    def read(self) -> dict[str, Any]:
        return {"t": time.perf_counter(), "tree": tree_cpu(self.roles), "busy": system_busy(),
                "main": self.lab.main_thread_metrics(),
                "sched": thread_sched(self.kernel_pid) if self.kernel_pid else {}}

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return {"window_s": b["t"] - a["t"], "cpu_s": cpu_delta(a["tree"], b["tree"]),
                "busy_s": b["busy"] - a["busy"],
                "main_thread_s": {k: b["main"].get(k, 0.0) - a["main"].get(k, 0.0) for k in MAIN_THREAD},
                "loop_thread": busiest_thread(a["sched"], b["sched"])}


def run_rep(lab: LivePage, probes: Probes, scratch: Path, label: str, show: bool, steps: int, timeout: float,
            settle: float, recorder: Any = None, media: bool = False) -> dict[str, Any]:
    """One loop of ``steps`` steps, with or without the dashboard displayed; every probe around it, and
    ``recorder`` (a trace or profile with ``start()`` and ``stop()``) around the loop if given. ``media``:
    the notebook runs the media loop; its images and histograms are checked too."""
    signal = scratch / f"signal-{label}.json"
    lab.run_cell(1, cells.dashboard_source(show, steps, str(signal)), timeout=60)
    if show:
        wait_dashboard_ready(lab)
    lab.page.wait_for_timeout(300)  # let the page settle after the cell's output changed

    redraws_before = lab.redraw_count()
    if recorder is not None:
        recorder.start()
    start = probes.read()
    before = lab.start_cell(2)
    lab.wait_for_file(signal, timeout)  # the loop is over (the kernel wrote its numbers)
    rep: dict[str, Any] = {"label": label, "show": show, "steps": steps, **probes.delta(start, probes.read())}
    if recorder is not None:
        recorder.stop()

    state = lab.wait_cell(2, before, timeout=60)
    result = cells.parse_result(state["outputs"])
    if result is None:
        result = json.loads(signal.read_text())
        result["note"] = "result line missing from the loop cell's output; read from the signal file"
    rep["kernel"] = result
    rep["outputs_text"] = cells.output_text(state["outputs"])
    kernel = result if media else None
    if media:
        rep["media_expected"] = expected_media(steps)
    if show:
        redraws = lab.redraws_since(redraws_before)
        rep.update(redraw_ms=redraws["ms"], redraw_charts=redraws["charts"])
        rep["live_final"] = wait_final(lab, steps, result["last"], "running", settle, kernel)
    fin = lab.run_cell(3, timeout=120)
    rep["finish"] = cells.parse_result(fin["outputs"]) or {}
    rep["outputs_text"] += cells.output_text(fin["outputs"])
    if show:
        rep["finished_final"] = wait_final(lab, steps, result["last"], "finished", 30, kernel)
    rep["iopub_in_output"] = [m for m in IOPUB_MARKERS if m in rep["outputs_text"]]
    return rep


# --------------------------------------------------------------------------------------------------------
# summary and checks
# --------------------------------------------------------------------------------------------------------
def four_chart_redraws(rep: dict[str, Any]) -> list[float]:
    return [ms for ms, n in zip(rep["redraw_ms"], rep["redraw_charts"]) if n == CHARTS]


def cores(rep: dict[str, Any], kind: str) -> float:
    """CPU of processes of ``kind`` (see ``cpu_delta``) over the window, in cores."""
    return rep["cpu_s"].get(kind, 0.0) / rep["window_s"]


def other_load(rep: dict[str, Any]) -> float:
    """Cores the rest of the machine kept busy during the window (other users, other tests)."""
    return max(0.0, rep["busy_s"] - rep["cpu_s"]["ours"]) / rep["window_s"]


def sent_once_problems(rep: dict[str, Any]) -> list[str]:
    """What is wrong with a media loop's counts (empty list: all good): the loop logged the workload's images
    and histograms, and (with the dashboard) the feed sent each exactly once: no more by the loop's end,
    exactly that many once ``run.finish()`` has flushed it, and it reported no value it could not send."""
    k, fin, exp = rep["kernel"], rep["finish"], rep["media_expected"]
    problems = [f"logged {k.get(key)} {key}, the workload has {exp[key]}"
                for key in ("images", "histograms") if k.get(key) != exp[key]]
    if rep["show"]:
        logged = k.get("images", 0) + k.get("histograms", 0)
        if k.get("media_sent") is None or k["media_sent"] > logged:
            problems.append(f"media_sent {k.get('media_sent')} at the loop's end, {logged} logged")
        if fin.get("media_sent") != logged:
            problems.append(f"media_sent {fin.get('media_sent')} after run.finish(), {logged} logged")
        for source in (k, fin):
            if source.get("media_error"):
                problems.append(f"feed media_error: {source['media_error']}")
    return problems


def summarize(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and pooled figures over the measured repetitions (warm-ups excluded by the caller)."""
    with_ = [r for r in reps if r["show"]]
    without = [r for r in reps if not r["show"]]
    s: dict[str, Any] = {"n_with": len(with_), "n_without": len(without)}
    shares = [r["kernel"]["feed_cpu_s"] / r["kernel"]["wall_s"] for r in with_]
    s["kernel_share_median"], s["kernel_share_max"] = median(shares), max(shares, default=None)
    s["feed_cpu_ms_median"] = median([r["kernel"]["feed_cpu_s"] * 1e3 for r in with_])
    s["feed_us_per_message"] = median([r["kernel"]["feed_cpu_s"] * 1e6 / r["kernel"]["messages"] for r in with_
                                       if r["kernel"]["messages"]])
    for key in ("bytes_sent", "messages", "points_sent"):  # at the loop's end
        s[key] = median([r["kernel"][key] for r in with_])
        s[f"{key}_finished"] = median([r["finish"].get(key, 0) for r in with_])
    s["messages_per_s"] = median([r["kernel"]["messages"] / r["kernel"]["wall_s"] for r in with_])

    pooled = [ms for r in with_ for ms in four_chart_redraws(r)]
    # Each loop's slowest redraw is the one that builds the 4 charts (redraws are recorded when they end,
    # and the building one awaits BokehJS, so it is not always recorded first).
    slowest = [max(four_chart_redraws(r)) for r in with_ if four_chart_redraws(r)]
    later = [ms for r in with_ for ms in _without_slowest(four_chart_redraws(r))]
    s["redraws_4"], s["redraws_all"] = len(pooled), sum(len(r["redraw_ms"]) for r in with_)
    s["redraw_median_ms"], s["redraw_p90_ms"] = median(pooled), percentile(pooled, 90)
    s["redraw_max_ms"] = max(pooled, default=None)
    s["slowest_redraw_median_ms"] = median(slowest)
    s["redraw_median_after_first_ms"], s["redraw_p90_after_first_ms"] = median(later), percentile(later, 90)
    s["redraws_per_s"] = median([len(r["redraw_ms"]) / r["window_s"] for r in with_])
    for name in MAIN_THREAD:  # renderer main thread, ms per redraw
        s[f"{name}_ms_per_redraw"] = median([r["main_thread_s"][name] * 1e3 / len(r["redraw_ms"])
                                             for r in with_ if r["redraw_ms"]])

    for label, group in (("with", with_), ("without", without)):
        g: dict[str, Any] = {}
        for kind in ("chromium", "renderer", "gpu-process", "browser", "utility", "kernel", "server", "driver"):
            g[kind] = median([cores(r, kind) for r in group])
        for name in MAIN_THREAD:
            g[name] = median([r["main_thread_s"][name] / r["window_s"] for r in group])
        g["other_load"] = median([other_load(r) for r in group])
        g["wall_s"] = median([r["kernel"]["wall_s"] for r in group])
        g["kernel_cpu_per_wall"] = median([r["kernel"]["process_cpu_s"] / r["kernel"]["wall_s"] for r in group])
        g["loop_cpu_s"] = median([r["kernel"]["main_thread_cpu_s"] for r in group])
        g["loop_runqueue_s"] = median([r["loop_thread"]["runqueue_wait_s"] for r in group
                                       if r.get("loop_thread")])
        g["finish_s"] = median([r["finish"].get("finish_s", 0.0) for r in group])
        s[label] = g

    ratios = [w["kernel"]["wall_s"] / wo["kernel"]["wall_s"] for w, wo in zip(with_, without)]
    s["ratios"] = ratios
    s["ratio_median"] = median(ratios)
    s["ratio_min"], s["ratio_max"] = min(ratios, default=None), max(ratios, default=None)
    s["ratio_p25"], s["ratio_p75"] = percentile(ratios, 25), percentile(ratios, 75)
    s["ratio_of_medians"] = (s["with"]["wall_s"] / s["without"]["wall_s"]) if with_ and without else None

    for phase in ("live_final", "finished_final"):
        s[f"{phase}_ok"] = bool(with_) and all(r[phase]["ok"] for r in with_)
        s[f"{phase}_n_ok"] = sum(1 for r in with_ if r[phase]["ok"])
        s[f"{phase}_problems"] = [f"{r['label']}: {p}" for r in with_ for p in r[phase]["problems"]]
        s[f"{phase}_after_s_max"] = max((r[phase]["after_s"] for r in with_ if r[phase]["ok"]), default=None)
    s["charts_visible_min"] = min((r["live_final"]["charts_visible"] for r in with_), default=0)

    s["media"] = bool(reps) and "media_expected" in reps[0]
    if s["media"]:
        s["media_expected"] = reps[0]["media_expected"]
        s["sent_once_problems"] = [f"{r['label']}: {p}" for r in reps for p in sent_once_problems(r)]
        s["sent_once_n_ok"] = sum(1 for r in reps if not sent_once_problems(r))
        s["n_all"] = len(reps)
        s["media_sent_finished"] = median([r["finish"].get("media_sent", 0) for r in with_])
        s["media_sent"] = median([r["kernel"]["media_sent"] for r in with_])
        for phase in ("live_final", "finished_final"):
            s[f"{phase}_media_ok"] = bool(with_) and all(r[phase]["media_ok"] for r in with_)
            s[f"{phase}_media_n_ok"] = sum(1 for r in with_ if r[phase]["media_ok"])
            s[f"{phase}_media_problems"] = [f"{r['label']}: {p}" for r in with_ for p in r[phase]["media_problems"]]
            s[f"{phase}_media_after_s_max"] = max((r[phase]["after_s"] for r in with_ if r[phase]["media_ok"]),
                                                  default=None)
        last = [r["live_final"]["media"] for r in with_ if r["live_final"].get("media")]
        s["media_page_live"] = last[-1] if last else {}
        last = [r["finished_final"]["media"] for r in with_ if r["finished_final"].get("media")]
        s["media_page_finished"] = last[-1] if last else {}
    return s


def _without_slowest(values: list[float]) -> list[float]:
    if not values:
        return []
    drop = values.index(max(values))
    return values[:drop] + values[drop + 1:]


def iopub_in_log(log_text: str) -> list[str]:
    return [line.strip() for line in log_text.splitlines() if any(m in line for m in IOPUB_MARKERS)]


def checks(s: dict[str, Any], iopub_hits: list[str], settle: float) -> list[tuple[str, str, str, str]]:
    def verdict(ok: bool | None) -> str:
        return "NOT RUN" if ok is None else ("PASS" if ok else "FAIL")

    share, red, chromium = s["kernel_share_max"], s["redraw_median_ms"], s["with"]["chromium"]
    n, media = s["n_with"], s.get("media", False)
    limit = MAX_KERNEL_SHARE_MEDIA if media else MAX_KERNEL_SHARE

    def browser(ok: bool | None) -> str:  # the media mode reports the browser's figures, it does not check them
        return "report" if media else verdict(ok)

    rows = [
        ("kernel-side dashboard work: feed thread CPU ÷ loop wall time (worst loop)",
         _f(share, ".3f", 100) + " %", f"< {limit * 100:g} %",
         verdict(None if share is None else share < limit)),
        (f"browser redraw of the view with {CHARTS} charts during the loops: median (p90)",
         f"{_f(red, '.1f')} ms ({_f(s['redraw_p90_ms'], '.1f')} ms)",
         f"≤ {MAX_REDRAW_MEDIAN_MS:g} ms median" + (" (the scalar mode's limit)" if media else ""),
         browser(None if red is None else red <= MAX_REDRAW_MEDIAN_MS)),
        ("Chromium CPU (all its processes) while the 4 charts update: median over the loops",
         f"{_f(chromium, '.2f')} of a core",
         f"≤ {MAX_BROWSER_CORES:g} of a core" + (" (the scalar mode's limit)" if media else ""),
         browser(None if chromium is None else chromium <= MAX_BROWSER_CORES)),
        ("IOPub rate limit hit (server log, cell outputs)", "never" if not iopub_hits else f"{len(iopub_hits)} times",
         "never", verdict(not iopub_hits)),
        (f"last step drawn while the run is live: within {settle:g} s of the loop cell's end, all 4 charts "
         "and summary rows end at the last step and value", f"{s['live_final_n_ok']} of {n} loops",
         f"all {n}", verdict(s["live_final_ok"])),
        ("last step drawn after `run.finish()`: all 4 charts and summary rows end at the last step and value",
         f"{s['finished_final_n_ok']} of {n} loops", f"all {n}", verdict(s["finished_final_ok"])),
    ]
    if media:
        e, keep = s["media_expected"], SNAPSHOT_MAX_PER_TAG
        logged = e["images"] + e["histograms"]
        rows += [
            (f"each image and histogram sent once: `dash._feed.media_sent` = {logged} logged ({e['images']} images + "
             f"{e['histograms']} histograms) after `run.finish()`, never more before; no `media_error`",
             f"{s['sent_once_n_ok']} of {s['n_all']} loops", f"all {s['n_all']}",
             verdict(bool(s["n_all"]) and s["sent_once_n_ok"] == s["n_all"])),
            (f"media on the page while the run is live (within {settle:g} s of the loop cell's end): image panel "
             f"`data-steps` = {min(e['images'], BROWSER_MAX_MEDIA_RECORDS)} showing step {e['image_last_step']}, "
             f"histogram panel `data-steps` = {min(e['histograms'], BROWSER_MAX_MEDIA_RECORDS)} up to step "
             f"{e['histogram_last_step']}; the page's store holds each step once, no seq gap",
             f"{s['live_final_media_n_ok']} of {n} loops", f"all {n}", verdict(s["live_final_media_ok"])),
            (f"media on the page after `run.finish()`: the static output's image and histogram panels hold the newest "
             f"{min(e['images'], keep)} and {min(e['histograms'], keep)} steps (snapshot `MAX_PER_TAG` = "
             f"{SNAPSHOT_MAX_PER_TAG}) and show the last", f"{s['finished_final_media_n_ok']} of {n} loops",
             f"all {n}", verdict(s["finished_final_media_ok"])),
        ]
    return rows


# --------------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------------
def all_versions() -> dict[str, str]:
    out = versions(VERSION_PACKAGES)
    out["chromium"] = chromium_version().replace("Chromium ", "").split(" built on")[0] + f" ({CHROMIUM})"
    return out


def bundle_info() -> str:
    try:
        st = BUNDLE.stat()
    except OSError:
        return "missing"
    built = _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc)
    return f"{st.st_size:,} bytes, built {built:%Y-%m-%d %H:%M} UTC"


def section_name(args: argparse.Namespace) -> str:
    """``full``, ``quick`` or ``steps-N``; in the media mode ``media``, ``media-quick`` or ``media-steps-N``."""
    if args.quick:
        name = "quick"
    else:
        name = "full" if args.steps == 20_000 else f"steps-{args.steps}"
    if args.media:
        return "media" if name == "full" else f"media-{name}"
    return name


def measured_table(s: dict[str, Any]) -> list[str]:
    w, o = s["with"], s["without"]

    def row(name: str, with_text: str, without_text: str = "–") -> str:
        return f"| {name} | {with_text} | {without_text} |"

    def both(key: str, spec: str = ".3f", scale: float = 1.0) -> tuple[str, str]:
        return _f(w[key], spec, scale), _f(o[key], spec, scale)

    lines = ["| | with dashboard | without |", "|---|---|---|"]
    lines.append(row("loop wall time", *(f"{x} s" for x in both("wall_s", ".2f"))))
    lines.append(row("`run.finish()`", *(f"{x} ms" for x in both("finish_s", ".0f", 1e3))))
    lines.append(row("kernel: process CPU ÷ loop wall (all threads)", *both("kernel_cpu_per_wall")))
    lines.append(row("kernel: the loop thread's CPU / time runnable waiting for a CPU (`schedstat`)",
                     *(f"{_f(g['loop_cpu_s'], '.2f')} / {_f(g['loop_runqueue_s'], '.2f')} s" for g in (w, o))))
    lines.append(row("feed CPU (`dash._feed.cpu_seconds` at the loop's end)",
                     f"{_f(s['feed_cpu_ms_median'], '.1f')} ms = {_f(s['kernel_share_median'], '.3f', 100)} % of the "
                     f"loop (worst {_f(s['kernel_share_max'], '.3f', 100)} %); {_f(s['feed_us_per_message'], '.0f')} µs "
                     "per message"))
    lines.append(row("sent by the feed during the loop / by `finish()`",
                     f"{_f(s['messages'], ',.0f')} messages ({_f(s['messages_per_s'], '.1f')}/s), "
                     f"{_f(s['points_sent'], ',.0f')} points, {_f(s['bytes_sent'], '.2f', 1e-6)} MB / "
                     f"{_f(s['messages_finished'], ',.0f')} messages, {_f(s['points_sent_finished'], ',.0f')} points, "
                     f"{_f(s['bytes_sent_finished'], '.2f', 1e-6)} MB"))
    if s.get("media"):
        e = s["media_expected"]
        lines.append(row("… of which images and histograms (`media_sent`) during the loop / by `finish()`",
                         f"{_f(s['media_sent'], ',.0f')} / {_f(s['media_sent_finished'], ',.0f')} of "
                         f"{e['images'] + e['histograms']} logged"))
        lines.append(row("media panels on the page: image `data-steps` / histogram `data-steps`, live / finished",
                         f"{_media_counts(s['media_page_live'])} / {_media_counts(s['media_page_finished'])}"))
    lines.append(row("view redraws (with 4 charts / all), per second",
                     f"{s['redraws_4']} / {s['redraws_all']} in all; {_f(s['redraws_per_s'], '.1f')}/s"))
    lines.append(row("redraw ms, 4 charts: median / p90 / max",
                     f"{_f(s['redraw_median_ms'], '.1f')} / {_f(s['redraw_p90_ms'], '.1f')} / "
                     f"{_f(s['redraw_max_ms'], '.0f')}"))
    lines.append(row("… each loop's slowest redraw (the one that builds the 4 charts), median",
                     f"{_f(s['slowest_redraw_median_ms'], '.0f')} ms; all the others: median "
                     f"{_f(s['redraw_median_after_first_ms'], '.1f')}, p90 {_f(s['redraw_p90_after_first_ms'], '.1f')}"))
    lines.append(row("renderer main thread per redraw (DevTools): tasks / script / style / layout",
                     " / ".join(_f(s[f"{k}_ms_per_redraw"], ".1f") for k in MAIN_THREAD) + " ms"))
    lines.append(row("**Chromium CPU, all processes (cores)**", *(f"**{x}**" for x in both("chromium"))))
    lines.append(row("… renderer process (all its threads)", *both("renderer")))
    lines.append(row("… renderer main thread: tasks / script / style / layout (DevTools)",
                     " / ".join(_f(w[k], ".3f") for k in MAIN_THREAD), " / ".join(_f(o[k], ".3f") for k in MAIN_THREAD)))
    lines.append(row("… GPU process (software compositing)", *both("gpu-process")))
    lines.append(row("… browser + utility processes", _f((w["browser"] or 0) + (w["utility"] or 0), ".3f"),
                     _f((o["browser"] or 0) + (o["utility"] or 0), ".3f")))
    lines.append(row("kernel process (cores)", *both("kernel")))
    lines.append(row("Jupyter server process (cores)", *both("server")))
    lines.append(row("this driver + Playwright (cores)", *both("driver")))
    lines.append(row("rest of the machine (cores)", *both("other_load")))
    return lines


def _media_counts(media: dict[str, Any]) -> str:
    """``image-steps·histogram-steps`` as shown by the panels on the page (– when absent)."""
    def first(kind: str) -> str:
        panels = media.get(kind) or []
        return "–" if not panels else str(panels[0]["steps"])
    return f"{first('image')}·{first('histogram')}"


def render(args: argparse.Namespace, data: dict[str, Any], s: dict[str, Any], check_rows: list[tuple],
           iopub_hits: list[str], info: dict[str, Any], vers: dict[str, str], started: _dt.datetime,
           elapsed: float) -> str:
    reps = data["reps"]
    steps = args.steps
    md = []
    title = "" if section_name(args) == "full" else f" ({section_name(args)})"
    if args.media:
        md.append(f"## Live dashboard path{title}: {steps:,} steps × {len(KEYS)} scalars, an image every "
                  f"{cells.IMAGE_EVERY} steps and a {cells.HISTOGRAM_VALUES:,}-value histogram every "
                  f"{cells.HISTOGRAM_EVERY} in JupyterLab")
    else:
        md.append(f"## Live dashboard path{title}: {steps:,} steps × {len(KEYS)} scalars in JupyterLab")
    md.append("")
    cmdline = " ".join(["python benchmarks/bench_live.py", *args.argv])
    md.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC by `{cmdline}`, {elapsed:.0f} s in all. A notebook in JupyterLab, "
        f"in headless Chromium (offline: {len(data['blocked'])} non-localhost requests blocked; viewport "
        f"1400×2400, all 4 charts on screen), trains a small numpy MLP "
        f"({_f(s['without']['wall_s'] / steps * 1e6, '.0f')} µs per step on one core, numpy's BLAS on one thread) and logs 4 scalars per step "
        + (f"and, in the same `run.log()` call, `nbtrack.Image(picture())` (a 64×64×3 `uint8` picture of the first "
           f"layer's weights) every {cells.IMAGE_EVERY} steps and `nbtrack.Histogram(activations())` "
           f"({cells.HISTOGRAM_VALUES:,} hidden activations of a fixed probe batch, 64 bins) every "
           f"{cells.HISTOGRAM_EVERY} steps, step 0 included ({s['media_expected']['images']} images and "
           f"{s['media_expected']['histograms']} histograms per loop; making them is part of the loop's time) "
           if s.get("media") else "")
        + f"with `flush_interval={args.flush_interval:g}`: `dash = run.show()` displayed by the cell before the "
        f"loop cell, or no dashboard; `run.finish()` in the cell after. {s['n_with']} + {s['n_without']} loops "
        "interleaved (with, without, with, ...) in one kernel and one page, each on a fresh run, after a "
        f"{args.warmup_steps:,}-step warm-up of each (not counted)."
    )
    md.append("")
    md.append("**Machine:** " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    md.append("")
    md.append("**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items())
              + f"; widget bundle {data['bundle']}; repo: {data['code_state']}")
    md.append("")
    md.append("### Checks")
    md.append("")
    md.append("| check | measured | limit | result |")
    md.append("|---|---|---|---|")
    for name, val, lim, status in check_rows:
        md.append(f"| {name} | {val} | {lim} | **{status}** |")
    md.append(f"| loop wall time with ÷ without the dashboard: median of {len(s['ratios'])} adjacent pairs | "
              f"{_f(s['ratio_median'], '.3f')}× (pairs {_f(s['ratio_min'], '.2f')}–{_f(s['ratio_max'], '.2f')}×, "
              f"IQR {_f(s['ratio_p25'], '.3f')}–{_f(s['ratio_p75'], '.3f')}×; ratio of medians "
              f"{_f(s['ratio_of_medians'], '.3f')}×) | report only | – |")
    md.append("")
    md.append("### Measured (medians over the loops)")
    md.append("")
    md.extend(measured_table(s))
    md.append("")
    md.append(
        "How: *feed CPU* is `LiveFeed.cpu_seconds`, the thread CPU time the writer thread spends in the "
        "dashboard's sink (coalescing, encoding, `comm.send`: serialising and handing the message to the "
        "IOPub thread); the IOPub thread's own share is only in the kernel's process CPU. CPU figures in "
        "cores are CPU seconds ÷ the window from starting the loop cell until the kernel has ended the loop "
        f"(loop wall time + about {_f(median([r['window_s'] - r['kernel']['wall_s'] for r in reps]), '.2f')} s): "
        "per process from `/proc` (user + system, every thread), the renderer main thread from the DevTools "
        "Protocol (`Performance.getMetrics`, thread-tick time), the rest of the machine from `/proc/stat` "
        "minus all of the above. *Redraw ms* is the page's own `window.__nbtrackStats`: from the animation "
        "frame to the end of one view's summary and chart data update; BokehJS paints the canvases after "
        "that, so painting, style and layout show in the CPU and per-redraw main-thread figures, not in "
        "*redraw ms*. IOPub: the server log and every cell output were searched for the rate-limit messages. "
        "Last step drawn: the 4 summary rows show all points, the last step and the last logged value (to the 6 "
        "significant digits shown); the 4 "
        "chart boxes report all points and the last logged value as the raw line's last point; every data "
        "source of the BokehJS figures on the page ends at the last step; the status reads `running` (after "
        "the loop cell) or `finished` (after `run.finish()`, which replaces the live view by its static "
        "output)."
    )
    if s.get("media"):
        md.append("")
        md.append(
            "Media: *sent once* compares `dash._feed.media_sent` (values the feed put in `media` messages) with "
            "the images and histograms the loop logged, at the loop's end (never more) and after `run.finish()` "
            "(equal); a loop without the dashboard only checks what it logged. *On the page*: the run's image "
            "panel (`.nbtrack-media-panel[data-kind=\"image\"]`: `data-steps` distinct steps held, `data-step` "
            "the one shown, its `<img>` decoded) and histogram panel (`.nbtrack-histogram`: `data-steps` records "
            "drawn, `data-last-step`), and the dashboard's store in the page (`__nbtrackStores`: records and "
            "distinct steps per tag, seq gaps), polled until they match (as the charts). The page keeps up to "
            f"{BROWSER_MAX_MEDIA_RECORDS} records per tag; a finished run's static output carries the newest "
            f"{SNAPSHOT_MAX_PER_TAG} steps of each tag (`nbtrack.dashboard.snapshot.MAX_PER_TAG`). The PNG encoding and "
            "the binning happen in nbtrack's writer thread with or without the dashboard, so they are in the "
            "kernel's process CPU of both kinds of loop, not in the feed's."
        )
    notes = []
    for hit in iopub_hits[:5]:
        notes.append(f"- IOPub: {hit}")
    for phase, what in (("live_final", "while live"), ("finished_final", "after run.finish()")):
        notes.extend(f"- last step {what}: {p}" for p in s[f"{phase}_problems"][:12])
        if s.get("media"):
            notes.extend(f"- media {what}: {p}" for p in s[f"{phase}_media_problems"][:12])
    if s.get("media"):
        notes.extend(f"- sent once: {p}" for p in s["sent_once_problems"][:12])
    if s["charts_visible_min"] < CHARTS:
        notes.append(f"- in some loop only {s['charts_visible_min']} of {CHARTS} charts were inside the viewport")
    notes.extend(f"- blocked request: {b}" for b in data["blocked"][:5])
    notes.extend(f"- page: console error: {e}" for e in data["console_errors"][:5])
    notes.extend(f"- page: page error: {e}" for e in data["page_errors"][:5])
    busy = max(s["with"]["other_load"] or 0.0, s["without"]["other_load"] or 0.0)
    if busy > 0.25:
        notes.append(f"- the machine was shared: other processes kept a median {busy:.2f} of its "
                     f"{os.cpu_count()} cores busy during the loops (see *rest of the machine*), which slows the "
                     "loops and widens the spread of the wall-time ratio; the CPU figures of our own processes are "
                     "CPU seconds and less affected")
    if data.get("bundle") != data.get("bundle_end"):
        notes.append(f"- the widget bundle changed during the run (now {data.get('bundle_end')})")
    if notes:
        md.append("")
        md.append("### Problems and notes")
        md.append("")
        md.extend(notes)
    if data.get("diagnosis"):
        md.append("")
        md.extend(diagnosis_markdown(data["diagnosis"]))
    md.append("")
    md.append("<details><summary>Per-loop numbers</summary>")
    md.append("")
    media = s.get("media", False)
    md.append("| loop | dashboard | wall | kernel CPU ÷ wall | feed CPU | messages | redraws (4 charts) | "
              "redraw median / p90 ms | Chromium cores | renderer | main thread | rest of machine | "
              "last step: live / finished |"
              + (" media sent: loop / finish | page image·histogram steps: live / finished | media: live / finished |"
                 if media else ""))
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if media else ""))
    for r in reps:
        k = r["kernel"]
        if r["show"]:
            four = four_chart_redraws(r)
            extra = (f"{k['feed_cpu_s'] * 1e3:.1f} ms | {k['messages']} | {len(r['redraw_ms'])} ({len(four)}) | "
                     f"{_f(median(four), '.1f')} / {_f(percentile(four, 90), '.1f')}")
            final = " / ".join("ok" if r[ph]["ok"] else "FAIL" for ph in ("live_final", "finished_final"))
        else:
            extra, final = "– | – | – | –", "–"
        line = (f"| {r['label']} | {'with' if r['show'] else 'without'} | {k['wall_s']:.2f} s | "
                f"{k['process_cpu_s'] / k['wall_s']:.2f} | {extra} | {cores(r, 'chromium'):.3f} | "
                f"{cores(r, 'renderer'):.3f} | {r['main_thread_s']['TaskDuration'] / r['window_s']:.3f} | "
                f"{other_load(r):.2f} | {final} |")
        if media and r["show"]:
            line += (f" {k.get('media_sent')} / {r['finish'].get('media_sent')} of "
                     f"{k.get('images', 0) + k.get('histograms', 0)} | "
                     f"{_media_counts(r['live_final'].get('media', {}))} / "
                     f"{_media_counts(r['finished_final'].get('media', {}))} | "
                     + " / ".join("ok" if r[ph]["media_ok"] else "FAIL" for ph in ("live_final", "finished_final"))
                     + " |")
        elif media:
            line += f" – ({k.get('images')} + {k.get('histograms')} logged) | – | – |"
        md.append(line)
    md.append("")
    md.append("Wall-time ratios per pair: " + ", ".join(f"{x:.3f}" for x in s["ratios"]) + ".")
    md.append("")
    md.append("</details>")
    return "\n".join(md)


def print_checks(s: dict[str, Any], check_rows: list[tuple]) -> None:
    print()
    for name, val, lim, status in check_rows:
        print(f"  {status:<8} {name}\n           measured {val}; limit {lim}")
    print(f"  {'report':<8} loop wall time with ÷ without the dashboard, median of {len(s['ratios'])} pairs\n"
          f"           {_f(s['ratio_median'], '.3f')}× (pairs {_f(s['ratio_min'], '.2f')}–{_f(s['ratio_max'], '.2f')}×)")
    print()


# --------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------
def _final_word(final: dict[str, Any]) -> str:
    return f"ok after {final['after_s']:.1f} s" if final["ok"] else "FAIL (" + "; ".join(final["problems"][:2]) + ")"


def _rep_line(rep: dict[str, Any]) -> str:
    k = rep["kernel"]
    msg = (f"  {rep['label']:>3}: loop {k['wall_s']:.2f} s, kernel CPU {k['process_cpu_s'] / k['wall_s']:.2f}, "
           f"Chromium {cores(rep, 'chromium'):.2f} cores, rest of machine {other_load(rep):.2f}")
    if rep["show"]:
        four = four_chart_redraws(rep)
        msg += (f", feed {k['feed_cpu_s'] * 1e3:.1f} ms ({k['feed_cpu_s'] / k['wall_s'] * 100:.3f} %), "
                f"{k['messages']} msgs, {len(four)} redraws median {_f(median(four), '.1f')} ms; last step: "
                f"live {_final_word(rep['live_final'])}, finished {_final_word(rep['finished_final'])}")
        if "media_expected" in rep:
            msg += (f"; media sent {k.get('media_sent')} / {rep['finish'].get('media_sent')} of "
                    f"{k.get('images', 0) + k.get('histograms', 0)}, page live "
                    f"{_media_word(rep['live_final'])}, finished {_media_word(rep['finished_final'])}")
    if "media_expected" in rep and sent_once_problems(rep):
        msg += f"; PROBLEM: {'; '.join(sent_once_problems(rep)[:2])}"
    return msg


def _media_word(final: dict[str, Any]) -> str:
    counts = _media_counts(final.get("media", {}))
    return f"{counts} ok" if final.get("media_ok") else f"{counts} FAIL ({'; '.join(final['media_problems'][:2])})"


def diagnose(lab: LivePage, probes: Probes, scratch: Path, args: argparse.Namespace, timeout: float,
             log: Any) -> dict[str, Any]:
    """Two extra loops with the dashboard (not counted): one under a Chrome trace, one under the JavaScript
    sampling profiler; their summaries."""
    out: dict[str, Any] = {"steps": args.diagnose_steps}
    for name, recorder in (("trace", PageTrace(lab.cdp, lab.page)), ("profile", JsProfile(lab.cdp))):
        try:
            rep = run_rep(lab, probes, scratch, f"diag-{name}", True, args.diagnose_steps, timeout, args.settle,
                          recorder=recorder, media=args.media)
        except Exception as e:  # a diagnosis must not sink the measurement
            out[name] = {"error": f"{type(e).__name__}: {e}"}
            log(f"  diagnostic loop ({name}) failed: {e}")
            continue
        out[name] = {"window_s": rep["window_s"], "redraws": len(rep["redraw_ms"]),
                     "chromium_cores": cores(rep, "chromium"), "summary": recorder.summary()}
        log(f"  diagnostic loop under a {name}: {rep['window_s']:.1f} s, {len(rep['redraw_ms'])} redraws")
    return out


def diagnosis_markdown(diag: dict[str, Any]) -> list[str]:
    """Where the browser's time went in the diagnostic loops."""
    md = ["### Where the browser's time goes (diagnostic loops, not counted above)", ""]
    trace = diag.get("trace", {})
    if "summary" in trace:
        w, n = trace["window_s"], max(1, trace["redraws"])
        md.append(f"Chrome trace of a {diag['steps']:,}-step loop with the dashboard ({w:.1f} s, {trace['redraws']} "
                  f"redraws; tracing itself adds some cost): self time per thread, in cores, and the largest "
                  "events of the renderer's main thread, in ms per redraw.")
        md.append("")
        threads = list(trace["summary"].items())
        md.append("- threads: " + "; ".join(f"{t} {v['total_ms'] / 1e3 / w:.3f}" for t, v in threads[:7]))
        main = next((v for t, v in threads if t.startswith("CrRendererMain")), None)
        if main:
            md.append("- renderer main thread: " + "; ".join(f"`{e}` {ms / n:.1f}" for e, ms in main["top"][:10]))
    elif "error" in trace:
        md.append(f"Chrome trace: not taken ({trace['error']}).")
    prof = diag.get("profile", {})
    if prof.get("summary"):
        p, n = prof["summary"], max(1, prof["redraws"])
        md.append("")
        md.append(f"JavaScript sampling profile of another {diag['steps']:,}-step loop ({prof['window_s']:.1f} s, "
                  f"{prof['redraws']} redraws): self time in ms per redraw of the busiest functions, and the "
                  f"heaviest call chains into the first one that is not the engine's own.")
        md.append("")
        md.append("- functions: " + "; ".join(f"`{name}` {ms / n:.1f}" for name, ms in p["top"][:10]))
        for chain, ms in p.get("chains", []):
            md.append(f"- {ms / n:.1f} ms per redraw: `{p['heaviest']}` ← {chain}")
    elif "error" in prof:
        md.append(f"JavaScript profile: not taken ({prof['error']}).")
    return md


def wait_quiet(max_wait: float, log: Any, threshold: float = 0.25, sample: float = 5.0) -> float:
    """Wait (up to ``max_wait`` seconds) until the machine is nearly idle: less than ``threshold`` cores
    busy over ``sample`` seconds. Returns the last busy figure."""
    deadline = time.monotonic() + max_wait
    while True:
        b0 = system_busy()
        time.sleep(sample)
        busy = (system_busy() - b0) / sample
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        log(f"  the machine is busy ({busy:.2f} cores); waiting for it to be quiet")


def measure(args: argparse.Namespace, scratch: Path, log: Any) -> dict[str, Any]:
    """Start JupyterLab and Chromium, run the warm-ups and the interleaved loops, stop everything."""
    server = LabServer(scratch / "jupyterlab")
    server.env.update(KERNEL_ENV)
    server.prepare()
    browser = None
    out: dict[str, Any] = {"reps": [], "warmups": [], "bundle": bundle_info(), "code_state": code_state(("nbtrack", "js"))}
    try:
        t0 = time.perf_counter()
        server.start()
        log(f"  JupyterLab on {server.base_url} in {time.perf_counter() - t0:.1f} s")
        browser = launch_browser(scratch / "chromium-profile")
        page = browser.context.new_page()
        page.set_default_timeout(60_000)
        lab = LivePage(page, server, scratch / "artifacts")
        lab.watch_events(limit=500)
        lab.blocked_requests = browser.network.blocked
        nb_path = scratch / "live_bench.ipynb"
        nb_path.write_text(json.dumps(cells.notebook(str(scratch / "nbruns"), args.flush_interval, args.media)))
        lab.open_notebook(nb_path)
        setup = lab.run_cell(0, timeout=120)
        out["setup"] = json.loads(cells.output_text(setup["outputs"]).strip().splitlines()[-1])
        out["time_domain"] = lab.time_domain
        log(f"  kernel ready: {out['setup']}")
        probes = Probes(lab, {out["setup"]["kernel_pid"]: "kernel", server.proc.pid: "server"})
        timeout = max(120.0, args.steps * 0.02)
        if args.warmup_steps:
            for show in (False, True):
                label = f"warm-{'with' if show else 'without'}"
                rep = run_rep(lab, probes, scratch, label, show, args.warmup_steps, timeout, args.settle,
                              media=args.media)
                out["warmups"].append(rep)
                log(_rep_line(rep))
        for i in range(args.pairs):
            for show in (True, False):
                rep = run_rep(lab, probes, scratch, f"{i + 1}{'w' if show else 'o'}", show, args.steps, timeout,
                              args.settle, media=args.media)
                out["reps"].append(rep)
                log(_rep_line(rep))
        if args.diagnose_steps:
            out["diagnosis"] = diagnose(lab, probes, scratch, args, timeout, log)
        if args.keep:
            lab.screenshot("live-dashboard")
        out["console_errors"] = list(lab.console_errors)
        out["page_errors"] = list(lab.page_errors)
        out["blocked"] = list(browser.network.blocked)
        out["bundle_end"] = bundle_info()
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 steps, 2 pairs")
    p.add_argument("--media", action="store_true",
                   help=f"also log an image every {cells.IMAGE_EVERY} steps and a {cells.HISTOGRAM_VALUES:,}-value "
                        f"histogram every {cells.HISTOGRAM_EVERY} (issue 12); 4 pairs; its own RESULTS.md section")
    p.add_argument("--steps", type=int, help="steps per loop (default 20,000; 5,000 with --quick)")
    p.add_argument("--pairs", type=int, help="with/without pairs (default 8, 4 with --media; 2 with --quick)")
    p.add_argument("--warmup-steps", type=int, default=2000, help="steps of each warm-up loop (0: none)")
    p.add_argument("--flush-interval", type=float, default=0.1, help="init(flush_interval=...) (default 0.1 s)")
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds the live view may take to show the last step after the loop cell (default 5)")
    p.add_argument("--diagnose-steps", type=int, default=5000,
                   help="steps of each of the two diagnostic loops (trace, JS profile); 0: none (default 5,000)")
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="first wait up to S seconds for the machine to be nearly idle (default: do not wait)")
    add_results_options(p)
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (server log, notebook, screenshot)")
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.steps = args.steps or (5_000 if args.quick else 20_000)
    args.pairs = args.pairs or (2 if args.quick else 4 if args.media else 8)

    def log(msg: str) -> None:
        print(msg, flush=True)

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    info = machine_info()
    vers = all_versions()
    media = (f" + an image every {cells.IMAGE_EVERY} steps and a {cells.HISTOGRAM_VALUES:,}-value histogram every "
             f"{cells.HISTOGRAM_EVERY}" if args.media else "")
    log(f"bench_live: {args.steps:,} steps × {len(KEYS)} scalars{media}, {args.pairs} with/without pairs, "
        f"flush_interval {args.flush_interval:g} s (python {sys.executable})")
    if not BUNDLE.exists():
        log(f"the widget bundle {BUNDLE} is missing: npm --prefix js run build")
        return 2
    if args.wait_quiet:
        busy = wait_quiet(args.wait_quiet, log)
        info["busy before the run"] = f"{busy:.2f} cores (waited up to {args.wait_quiet:g} s for < 0.25)"
    scratch = Path(tempfile.mkdtemp(prefix="nbtrack-bench-live-"))
    try:
        data = measure(args, scratch, log)
    except Exception:
        log("the benchmark could not run:\n" + traceback.format_exc())
        log(f"scratch folder kept: {scratch}")
        return 2
    elapsed = time.perf_counter() - t_start

    s = summarize(data["reps"])
    iopub_hits = iopub_in_log(data["server_log"]) + [
        f"{r['label']}: {m}" for r in [*data["warmups"], *data["reps"]] for m in r["iopub_in_output"]]
    check_rows = checks(s, iopub_hits, args.settle)
    body = render(args, data, s, check_rows, iopub_hits, info, vers, started, elapsed)
    print_checks(s, check_rows)
    print(body)
    save_results(args, "bench_live", section_name(args), body, {
        "args": vars(args), "summary": s, "checks": check_rows, "machine": info, "versions": vers,
        "iopub": iopub_hits, **{k: v for k, v in data.items() if k != "server_log"}})
    if args.keep:
        print(f"scratch folder kept: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if any(r[3] == "FAIL" for r in check_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
