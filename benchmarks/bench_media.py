#!/usr/bin/env python
"""Histogram and image logging benchmark: nbtrack against four peers (issue 3 item 5).

Workload H: 1,000 steps, each logging a histogram of a fresh 100,000-element
float32 array; workload I: 200 steps, each logging a fresh 64x64x3 uint8 image.
The data for a step is made before its log call, outside the timing.  Every
(tool, workload) runs in its own fresh subprocess (``_media_worker.py``),
repeated ``--repeats`` times (median reported), in a rotating tool order.
nbtrack's data is read back after each write, in another fresh subprocess, and
compared with the logged data regenerated from the seed.

    python benchmarks/bench_media.py              # full run, updates RESULTS.md
    python benchmarks/bench_media.py --quick      # 100 histograms, 50 images
    python benchmarks/bench_media.py --tools nbtrack,wandb --workloads H

Subprocess plumbing comes from ``bench_scalars.py``, machine, versions and results files from ``_common.py``;
timing, RSS and disk helpers from ``_worker.py``.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import sys
import tempfile
import time

import _media_worker  # this folder is on sys.path when the script runs; stdlib-only at import
import bench_scalars as bs
from _common import (
    add_results_options,
    add_tool_options,
    chosen_tools,
    code_state,
    machine_info,
    save_results,
    versions,
)

HERE = os.path.dirname(os.path.abspath(__file__))
MEDIA_WORKER = os.path.join(HERE, "_media_worker.py")
MARKER = "bench_media"

PEERS = list(bs.PEERS)
ALL_TOOLS = ["nbtrack", *PEERS]

WORKLOADS = {
    "H": {
        "title": f"Workload H: histograms of {_media_worker.HIST_SIZE:,} float32 values",
        "what": "histogram",
        "steps": 1000,
        "quick_steps": 100,
        "limit_s": 0.3e-3,  # nbtrack training-thread cost per call (median), issue 3 item 5
        "calls": {
            "nbtrack": 'run.log({"weights": nbtrack.Histogram(arr)})',
            "tensorboardX": 'writer.add_histogram("weights", arr, step)',
            "torch": 'writer.add_histogram("weights", arr, step)',
            "wandb": 'wandb.log({"weights": wandb.Histogram(arr)})',
            "trackio": 'trackio.log({"weights": trackio.Histogram(arr)})',
        },
    },
    "I": {
        "title": "Workload I: 64×64×3 uint8 images",
        "what": "image",
        "steps": 200,
        "quick_steps": 50,
        "limit_s": 0.1e-3,
        "calls": {
            "nbtrack": 'run.log({"sample": nbtrack.Image(img)})',
            "tensorboardX": 'writer.add_image("sample", img, step, dataformats="HWC")',
            "torch": 'writer.add_image("sample", img, step, dataformats="HWC")',
            "wandb": 'wandb.log({"sample": wandb.Image(img)})',
            "trackio": 'trackio.log({"sample": trackio.Image(img)})',
        },
    },
}
MIN_PEER_OVER_NBTRACK = 5.0  # cheapest peer's per-call median ÷ nbtrack's, per workload

EXTRA_VERSION_PACKAGES = ["pillow"]  # wandb.Image, trackio.Image and tensorboard images encode PNG with it


# --------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------


def run_media_worker(args: list[str], workdir: str, timeout: float, label: str) -> dict:
    """bench_scalars.run_worker (own session, local env, timeout, reaping) on _media_worker.py."""
    return bs.run_worker(args, workdir, timeout, label, worker=MEDIA_WORKER)


def _us(s: float | None) -> str:
    """A per-call time in µs (the issue's limits are 0.3 ms = 300 µs and 0.1 ms = 100 µs)."""
    if s is None:
        return "–"
    us = s * 1e6
    return f"{us:.2f} µs" if us < 10 else (f"{us:.1f} µs" if us < 100 else f"{us:,.0f} µs")


def measure(tools, workloads, steps, repeats, timeout, log):
    """Each (tool, workload) written `repeats` times; returns {(tool, workload): [rep results]}."""
    order = ["empty", *tools]
    results = {(t, w): [] for t in order for w in workloads}
    base = tempfile.mkdtemp(prefix="nbtrack-bench-media-")
    try:
        for rep in range(repeats):
            k = rep % len(order)
            for tool in order[k:] + order[:k]:
                for wl in workloads:
                    n = steps[wl]
                    workdir = os.path.join(base, f"{tool}-{wl}-{rep}")
                    os.makedirs(workdir)
                    w = run_media_worker(["write", tool, wl, str(n), workdir], workdir, timeout, "write")
                    entry = {"write": w}
                    head = f"  [{rep + 1}/{repeats}] {tool:13s} {wl}"
                    if "error" in w:
                        kind = "NOT SUPPORTED" if w.get("unsupported") else "FAILED"
                        log(f"{head} write {kind}: {w['error'].splitlines()[0]}")
                    else:
                        msg = (
                            f"{head} per call median {_us(w['median_s']):>9s} mean {_us(w['mean_s']):>9s}  "
                            f"loop {w['loop_s']:6.2f} s  finish {bs._fmt_seconds(w['finish_s']):>9s}  "
                            f"until on disk {w['wall_s']:6.2f} s"
                        )
                        if tool == "nbtrack":
                            c = run_media_worker(["check", wl, str(n), workdir], workdir, timeout, "check")
                            entry["check"] = c
                            if "error" in c:
                                msg += f"  read-back check FAILED: {c['error'].splitlines()[0]}"
                            else:
                                msg += f"  read-back check ok ({c['read_and_check_s']:.2f} s)"
                        log(msg)
                    results[(tool, wl)].append(entry)
                    shutil.rmtree(workdir, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------

_median = bs._median

MEDIAN_FIELDS = (
    "median_s", "mean_s", "p90_s", "p99_s", "max_s", "first_s", "in_calls_s", "gen_s", "loop_s",
    "finish_s", "wall_s", "disk_bytes", "peak_rss_kib", "child_peak_rss_kib", "bg_cpu_share", "child_cpu_s",
)


def summarize(results):
    """Per (tool, workload): medians over successful repetitions, and the read-back checks."""
    summary = {}
    for key, entries in results.items():
        writes = [e["write"] for e in entries if "error" not in e["write"]]
        errors = [e["write"]["error"] for e in entries if "error" in e["write"]]
        s = {
            "ok_reps": len(writes),
            "reps": len(entries),
            "errors": errors,
            "unsupported": any(e["write"].get("unsupported") for e in entries),
        }
        if writes:
            for f in MEDIAN_FIELDS:
                s[f] = _median([w.get(f) for w in writes])
            s["rss_growth_kib"] = _median([w["maxrss_kib"] - (w.get("rss_before_loop_kib") or 0) for w in writes])
            s["median_s_all"] = [w["median_s"] for w in writes]
            s["mean_s_all"] = [w["mean_s"] for w in writes]
            s["wall_s_all"] = [w["wall_s"] for w in writes]
            s["finish_s_all"] = [w["finish_s"] for w in writes]
            s["writes"] = writes
        checks_run = [e["check"] for e in entries if "check" in e]
        if checks_run:
            s["check_errors"] = [c["error"] for c in checks_run if "error" in c]
            s["checks"] = [c for c in checks_run if "error" not in c]
            s["errors"] += [f"read-back check: {err}" for err in s["check_errors"]]
        summary[key] = s
    return summary


def _why(s) -> str:
    if not s:
        return "not selected"
    return (s.get("errors") or ["no result"])[0].splitlines()[0]


def checks(summary, workloads, steps):
    """The issue's checks, per workload: list of (name, value_text, limit_text, status)."""
    out = []
    for wl in workloads:
        spec = WORKLOADS[wl]
        what = spec["what"]
        nb = summary.get(("nbtrack", wl), {})
        nb_ok = nb.get("median_s") is not None
        name = f"nbtrack training-thread cost per {what} call (median; mean in brackets)"
        lim = f"≤ {_us(spec['limit_s'])} ({spec['limit_s'] * 1e3:g} ms)"
        if nb_ok:
            val = f"{_us(nb['median_s'])} (mean {_us(nb['mean_s'])})"
            out.append((name, val, lim, "PASS" if nb["median_s"] <= spec["limit_s"] else "FAIL"))
        else:
            out.append((name, "n/a", lim, f"NOT RUN ({_why(nb)})"))

        peers = {t: summary[(t, wl)]["median_s"] for t in PEERS if summary.get((t, wl), {}).get("median_s")}
        lim = f"≥ {MIN_PEER_OVER_NBTRACK:g}×"
        if nb_ok and peers:
            cheapest = min(peers, key=peers.get)
            r = peers[cheapest] / nb["median_s"]
            out.append(
                (
                    f"cheapest peer ({cheapest}) ÷ nbtrack, per {what} call (medians)",
                    f"{r:.1f}×",
                    lim,
                    "PASS" if r >= MIN_PEER_OVER_NBTRACK else "FAIL",
                )
            )
        else:
            out.append(
                (f"cheapest peer ÷ nbtrack, per {what} call (medians)", "n/a", lim,
                 "NOT RUN (" + (_why(nb) if not nb_ok else "no peer ran") + ")")
            )

        n = steps[wl]
        if wl == "H":
            name = (
                f'nbtrack histograms("weights") after finish(): {n:,} rows, counts sum to '
                f"{_media_worker.HIST_SIZE:,} each, sampled steps equal numpy.histogram of the regenerated data"
            )
        else:
            name = (
                f'nbtrack images("sample") after finish(): {n:,} rows, all decodable, sampled steps '
                "pixel-equal to the regenerated images"
            )
        done = nb.get("checks", [])
        failed = nb.get("check_errors", [])
        if not nb_ok or not (done or failed):
            out.append((name, "n/a", "all repetitions", f"NOT RUN ({_why(nb)})"))
        else:
            sampled = (done[0].get("hist_steps_compared") or done[0].get("image_steps_compared")) if done else None
            val = f"{len(done)}/{len(done) + len(failed)} repetitions" + (f", steps {sampled}" if sampled else "")
            out.append((name, val, "all repetitions", "PASS" if done and not failed else "FAIL"))
    return out


def _rss(s):
    text = f"{s['peak_rss_kib'] / 1024:.0f} MiB"
    if s.get("child_peak_rss_kib"):
        text += f" (incl. {s['child_peak_rss_kib'] / 1024:.0f} MiB service)"
    return text


def table_markdown(summary, tools, wl):
    head = (
        "| tool | call timed | per call: median | mean | p99 | max | median ÷ nbtrack | loop (incl. data) | "
        "finish/close | until on disk | bytes on disk | peak RSS | RSS growth | background CPU |"
    )
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    nb = summary.get(("nbtrack", wl), {}).get("median_s")
    for tool in ["empty", *tools]:
        s = summary.get((tool, wl))
        if not s:
            continue
        call = "`perf_counter()` pair around a no-op call" if tool == "empty" else f"`{WORKLOADS[wl]['calls'][tool]}`"
        label = "no tool (data only)" if tool == "empty" else tool
        if s.get("median_s") is None:
            err = _why(s)
            if len(err) > 120:
                err = err[:117] + "..."
            status = "**not supported**" if s.get("unsupported") else "not run"
            lines.append(f"| {label} | {call} | {status}: {err} |" + " |" * 11)
            continue
        ratio = "–" if (tool == "empty" or not nb) else f"{s['median_s'] / nb:.1f}×"
        bg = "–" if tool == "empty" else f"{max(0.0, s['bg_cpu_share']) * 100:.0f} %"
        if s.get("child_cpu_s"):
            bg += f" (incl. service {s['child_cpu_s']:.1f} s CPU)"
        disk = s.get("disk_bytes")
        lines.append(
            f"| {label} | {call} | {_us(s['median_s'])} | {_us(s['mean_s'])} | {_us(s['p99_s'])} | "
            f"{_us(s['max_s']) if s['max_s'] < 1e-3 else bs._fmt_seconds(s['max_s'])} | {ratio} | {bs._fmt_seconds(s['loop_s'])} | "
            f"{'–' if tool == 'empty' else bs._fmt_seconds(s['finish_s'])} | {bs._fmt_seconds(s['wall_s'])} | "
            f"{'–' if disk is None else f'{disk / 1e6:.2f} MB'} | {_rss(s)} | "
            f"{max(0, s['rss_growth_kib']) / 1024:.0f} MiB | {bg} |"
        )
    return "\n".join(lines)


def render(args, steps, workloads, repeats, summary, check_rows, info, vers, started, elapsed, tools):
    md = []
    title = "quick smoke run" if args.quick else "full run"
    parts = [f"{steps[wl]:,} {WORKLOADS[wl]['what']}s" for wl in workloads]
    md.append(f"## Histogram and image logging ({title}): {', '.join(parts)}")
    md.append("")
    cmdline = " ".join(["python benchmarks/bench_media.py", *args.argv])
    md.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC by `{cmdline}`, {elapsed:.0f} s in all. Median of {repeats} "
        "repetitions; every (tool, workload) ran in its own fresh subprocess, and every nbtrack write was read "
        "back and checked in another one."
    )
    md.append("")
    md.append("**Machine:** " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    md.append("")
    md.append("**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items()) + f"; repo: {code_state()}")
    for wl in workloads:
        md.append("")
        md.append(f"### {WORKLOADS[wl]['title']}, {steps[wl]:,} steps")
        md.append("")
        md.append(table_markdown(summary, tools, wl))
    md.append("")
    md.append(
        "Columns: *per call* = `time.perf_counter()` around the single log call in the training thread "
        "(value construction included; the step's data is made before it, outside the timing): the *median* "
        "over the calls, the *mean* = total time inside log calls ÷ calls, the 99th percentile (all in µs) and "
        "the slowest call; *median ÷ nbtrack* compares medians; *loop (incl. data)* = wall time of the "
        "loop, including making each step's data (the *no tool* row is that alone); *finish/close* = "
        "`finish()`/`close()`; *until on disk* = wall time from the first call to the end of finish/close "
        "(loop + finish), i.e. until everything is written: nbtrack bins histograms and encodes PNGs in its "
        "writer thread, so its finish() waits for that queue; *bytes on disk* = everything the tool wrote "
        "(wandb: its run folder, logs included; trackio: its `$TRACKIO_DIR`, SQLite and media files); *peak RSS* "
        "= VmHWM of the process (+ wandb's service process); *RSS growth* = peak − RSS just before the loop; "
        "*background CPU* = (process CPU − main-thread CPU + service CPU) ÷ wall time over loop + finish."
    )
    md.append("")
    md.append("### Checks (issue 3 item 5)")
    md.append("")
    md.append(bs.checks_markdown(check_rows))
    notes = []
    for (tool, wl), s in summary.items():
        seen = []
        for err in s.get("errors", []):
            first = err.splitlines()[0]
            if first not in seen:
                seen.append(first)
        for first in seen[:3]:
            notes.append(f"- {tool}, workload {wl}: " + ("not supported: " if s.get("unsupported") else "") + first)
    stalls = []
    for (tool, wl), s in summary.items():
        if tool == "empty" or not s.get("writes"):
            continue
        w = sorted(s["writes"], key=lambda w: w["in_calls_s"])[len(s["writes"]) // 2]  # the median repetition
        if w["slow_calls"]:
            stalls.append(
                f"- {tool}, workload {wl}: {w['slow_calls']} of {w['calls']:,} calls took over 10 ms, "
                f"{bs._fmt_seconds(w['in_slow_calls_s'])} together = {w['in_slow_calls_s'] / w['in_calls_s']:.0%} "
                f"of its time inside log calls (slowest {bs._fmt_seconds(w['max_s'])}, first call "
                f"{bs._fmt_seconds(w['first_s'])})"
            )
    if stalls:
        md.append("")
        md.append("Calls over 10 ms (these make the mean differ from the median; repetition with the median total):")
        md.append("")
        md.extend(stalls)
    if notes:
        md.append("")
        md.append("### Problems")
        md.append("")
        md.extend(notes)
    md.append("")
    md.append("<details><summary>Per-repetition numbers</summary>")
    md.append("")
    for (tool, wl), s in summary.items():
        if s.get("median_s_all"):
            line = (
                f"- {tool} {wl}: per-call median [{', '.join(_us(x) for x in s['median_s_all'])}]; "
                f"mean [{', '.join(_us(x) for x in s['mean_s_all'])}]; "
                f"finish [{', '.join(bs._fmt_seconds(x) for x in s['finish_s_all'])}]; "
                f"until on disk [{', '.join(bs._fmt_seconds(x) for x in s['wall_s_all'])}]; "
                f"data generation {bs._fmt_seconds(s['gen_s'])}"
            )
            slow = [(w["slow_calls"], w["in_slow_calls_s"]) for w in s["writes"]]
            if any(k for k, _ in slow):
                line += "; calls over 10 ms [" + ", ".join(f"{k} ({bs._fmt_seconds(t)})" for k, t in slow) + "]"

            if s.get("checks"):
                line += "; nbtrack read + check " + ", ".join(f"{c['read_and_check_s']:.2f} s" for c in s["checks"])
            md.append(line)
    md.append("")
    md.append("</details>")
    return "\n".join(md)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 100 histograms, 50 images")
    add_tool_options(p, ALL_TOOLS)
    p.add_argument("--workloads", default="H,I", help="H (histograms), I (images) or H,I (default)")
    p.add_argument("--hist-steps", type=int, help="steps of workload H (default 1,000; 100 with --quick)")
    p.add_argument("--image-steps", type=int, help="steps of workload I (default 200; 50 with --quick)")
    add_results_options(p)
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)

    tools = chosen_tools(p, args, ALL_TOOLS)
    workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    if not workloads or any(w not in WORKLOADS for w in workloads):
        p.error(f"--workloads: choose from {list(WORKLOADS)}")
    key = "quick_steps" if args.quick else "steps"
    given = {"H": args.hist_steps, "I": args.image_steps}
    steps = {wl: given[wl] or WORKLOADS[wl][key] for wl in workloads}

    def log(msg):
        print(msg, flush=True)

    bs._become_subreaper()
    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    info = machine_info()
    vers = versions([*bs.VERSION_PACKAGES, *EXTRA_VERSION_PACKAGES])
    log(
        "bench_media: " + ", ".join(f"{wl}: {steps[wl]:,} steps" for wl in workloads)
        + f", {args.repeats} repetitions, tools: {', '.join(tools)}  (python {sys.executable})"
    )
    if vers.get("nbtrack") == "not installed":
        log("  note: nbtrack is not installed in this interpreter (pip install -e .); its rows will say why.")

    results = measure(tools, workloads, steps, args.repeats, args.timeout, log)
    elapsed = time.perf_counter() - t_start

    summary = summarize(results)
    check_rows = checks(summary, workloads, steps)
    body = render(args, steps, workloads, args.repeats, summary, check_rows, info, vers, started, elapsed, tools)
    print()
    print(body)
    default = all(steps[wl] == WORKLOADS[wl]["steps"] for wl in workloads) and workloads == list(WORKLOADS)
    section = "quick" if args.quick else ("full" if default else "-".join(f"{w}{steps[w]}" for w in workloads))
    save_results(args, MARKER, section, body, {
        "steps": steps, "results": {f"{t}/{w}": v for (t, w), v in results.items()},
        "summary": {f"{t}/{w}": v for (t, w), v in summary.items()}, "checks": check_rows,
        "machine": info, "versions": vers})
    failed = any(r[3] == "FAIL" for r in check_rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
