#!/usr/bin/env python
"""Scalar logging benchmark: nbtrack against two baselines and four peers, then each call shape.

Every tool runs in its own fresh subprocess (``_worker.py``), all in the same
run, repeated ``--repeats`` times (median reported), in a rotating order so
slow drift of a noisy machine spreads over all tools.  Each write is followed
by a read-back in another fresh subprocess with the tool's own reader.

    python benchmarks/bench_scalars.py              # full run, updates RESULTS.md
    python benchmarks/bench_scalars.py --quick      # 10,000 steps smoke run
    python benchmarks/bench_scalars.py --tools lists,nbtrack,wandb
    python benchmarks/bench_scalars.py --shapes step,onekey   # or --shapes none

The call shapes (issue 18: ``log(d, step=i)``, ``commit=False`` pairs, one key per
call, ...) each run against their own floor (``_shapes.py``).

See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import _shapes  # the call shapes of issue 18 item 1; stdlib-only at import
import _worker  # this folder is on sys.path when the script runs; stdlib-only at import
from _common import (  # tools, machine, versions, results files: shared by every benchmark script
    add_results_options,
    add_tool_options,
    chosen_tools,
    code_state,
    machine_info,
    save_results,
    versions,
    write_results_md,  # noqa: F401  (still importable from here, as before)
)

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "_worker.py")

BASELINES = ["lists", "jsonl"]
PEERS = ["tensorboardX", "torch", "wandb", "trackio"]
ALL_TOOLS = [*BASELINES, "nbtrack", *PEERS]
READER_NAMES = {tool: list(readers) for tool, readers in _worker.READERS.items()}
READABLE = set(READER_NAMES)
SCALARS_PER_STEP = 4

# limits from issue 10 item 7
MAX_NBTRACK_OVER_LISTS = 3.0
MIN_PEER_OVER_NBTRACK = 10.0
MIN_PEER_READ_OVER_NBTRACK = 20.0
MAX_BIG_READ_S = 1.0
# limits from issue 18 items 1 and 4
MAX_SHAPE_OVER_FLOOR = 3.0
MIN_TRACKIO_STEP_OVER_NBTRACK = 20.0
SHAPE_PEERS = {"trackio": ["step"], "wandb": ["step", "commit"]}  # plain: wandb, trackio in the main table;
# one key per call: tensorboardX and torch in the main table (their loop is that shape)

VERSION_PACKAGES = [
    "nbtrack",
    "tensorboardX",
    "torch",
    "tensorboard",
    "tbparse",
    "wandb",
    "trackio",
    "pandas",
    "numpy",
    "pyarrow",
    "protobuf",
    "psutil",
]

NULL_PROXY = "http://127.0.0.1:9"  # discard port on loopback: any stray HTTP fails at once


# --------------------------------------------------------------------------
# subprocess plumbing
# --------------------------------------------------------------------------


def tool_env(workdir: str) -> dict:
    """Environment for one worker: everything local, offline, quiet, in workdir."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("WANDB_", "TRACKIO_")) or k in ("HF_TOKEN", "SPACE_ID", "SYSTEM"):
            del env[k]
    tmp = os.path.join(workdir, "tmp")
    home = os.path.join(workdir, "home")
    for d in (tmp, home):
        os.makedirs(d, exist_ok=True)
    env.update(
        {
            "HOME": home,
            "TMPDIR": tmp,
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "PYTHONUNBUFFERED": "1",
            # wandb: offline, silent, no console capture, no git/code/stats, no error reporting
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_QUIET": "true",
            "WANDB_CONSOLE": "off",
            "WANDB_DISABLE_GIT": "true",
            "WANDB_DISABLE_CODE": "true",
            "WANDB_ERROR_REPORTING": "false",
            "WANDB_X_DISABLE_STATS": "true",
            "WANDB_X_DISABLE_META": "true",
            "WANDB_BASE_URL": NULL_PROXY,
            "WANDB_DIR": os.path.join(workdir, "wandb_dir"),
            "WANDB_CONFIG_DIR": os.path.join(home, "wandb_config"),
            "WANDB_CACHE_DIR": os.path.join(home, "wandb_cache"),
            "WANDB_DATA_DIR": os.path.join(home, "wandb_data"),
            "WANDB_ARTIFACT_DIR": os.path.join(home, "wandb_artifacts"),
            # trackio: local SQLite under workdir, no Hub, no analytics
            "TRACKIO_DIR": os.path.join(workdir, "trackio"),
            "HF_HOME": os.path.join(home, "hf"),
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "DO_NOT_TRACK": "1",
            # belt and braces: HTTP clients that honour proxies fail fast, locally
            "HTTP_PROXY": NULL_PROXY,
            "HTTPS_PROXY": NULL_PROXY,
            "http_proxy": NULL_PROXY,
            "https_proxy": NULL_PROXY,
            "ALL_PROXY": NULL_PROXY,
            "NO_PROXY": "",
            "no_proxy": "",
        }
    )
    return env


def _kill_group(pgid: int, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so a killed worker's service child is reaped here."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def _reap_orphans(wait_s: float = 2.0) -> None:
    """Collect exited descendants adopted as subreaper (no zombies left behind)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def run_worker(args: list[str], workdir: str, timeout: float, label: str, worker: str = WORKER) -> dict:
    """Run ``worker args... out.json`` (default ``_worker.py``) in its own session; return its JSON."""
    out_json = os.path.join(workdir, f"result-{label}.json")
    stdout_path = os.path.join(workdir, f"stdout-{label}.txt")
    stderr_path = os.path.join(workdir, f"stderr-{label}.txt")
    cmd = [sys.executable, worker, *args, out_json]
    t0 = time.perf_counter()
    with open(stdout_path, "wb") as so, open(stderr_path, "wb") as se:
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            env=tool_env(workdir),
            stdout=so,
            stderr=se,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            return {"error": f"timed out after {timeout:.0f} s (killed)", "subprocess_s": time.perf_counter() - t0}
        finally:
            # anything the worker left behind in its session (e.g. a service process)
            _kill_group(proc.pid)
            if proc.returncode is not None:
                _reap_orphans()
    elapsed = time.perf_counter() - t0
    res = None
    if os.path.exists(out_json):
        with open(out_json) as f:
            res = json.load(f)
    if res is None:
        with open(stderr_path, errors="replace") as f:
            tail = f.read()[-2000:]
        res = {"error": f"worker exited with {rc} and no result; stderr tail:\n{tail}"}
    res["subprocess_s"] = elapsed
    return res


# --------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------


def measure(tools, steps, repeats, timeout, log):
    """Write + read each tool `repeats` times; return {tool: [rep results]}."""
    order = ["empty", *tools]
    results = {t: [] for t in order}
    base = tempfile.mkdtemp(prefix="nbtrack-bench-")
    try:
        for rep in range(repeats):
            k = rep % len(order)
            rotated = order[k:] + order[:k]
            for tool in rotated:
                workdir = os.path.join(base, f"{tool}-{rep}")
                os.makedirs(workdir)
                w = run_worker(["write", tool, str(steps), workdir], workdir, timeout, "write")
                entry = {"write": w}
                if "error" in w:
                    log(f"  [{rep + 1}/{repeats}] {tool:13s} write FAILED: {w['error'].splitlines()[0]}")
                else:
                    ns = w["loop_s"] / (steps * SCALARS_PER_STEP) * 1e9
                    msg = (
                        f"  [{rep + 1}/{repeats}] {tool:13s} {ns:9.1f} ns/scalar  finish {w['finish_s'] * 1e3:8.1f} ms"
                    )
                    entry["reads"] = {}
                    for k_r, name in enumerate(READER_NAMES.get(tool, [])):
                        r = run_worker(["read", tool, str(steps), workdir, name], workdir, timeout, f"read{k_r}")
                        entry["reads"][name] = r
                        if "error" in r:
                            msg += f"  read[{name}] FAILED: {r['error'].splitlines()[0]}"
                        else:
                            msg += f"  read[{name}] {r['read_s']:.3f} s"
                    log(msg)
                results[tool].append(entry)
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def measure_big(steps, repeats, timeout, log):
    base = tempfile.mkdtemp(prefix="nbtrack-bench-big-")
    try:
        w = run_worker(["big-write", str(steps), base], base, timeout, "big-write")
        if "error" in w:
            log(f"  big write FAILED: {w['error'].splitlines()[0]}")
            return {"write": w, "reads": []}
        log(
            f"  big write: {steps:,} steps in {w['loop_s']:.1f} s + finish {w['finish_s']:.2f} s, "
            f"{w['disk_bytes'] / 1e6:.1f} MB"
        )
        reads = []
        for rep in range(repeats):
            r = run_worker(["big-read", str(steps), base], base, timeout, f"big-read-{rep}")
            reads.append(r)
            if "error" in r:
                log(f"  big read [{rep + 1}/{repeats}] FAILED: {r['error'].splitlines()[0]}")
            else:
                log(f"  big read [{rep + 1}/{repeats}] {r['read_s']:.3f} s ({r['rows']:,} values, {r['dtype']})")
        return {"write": w, "reads": reads}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def shape_impls(shape, tools):
    """Who runs a shape: the two floors, nbtrack, and the peers that have arguments for it."""
    impls = ["floor", "bare"]
    if "nbtrack" in tools:
        impls.append("nbtrack")
    impls += [peer for peer, shapes in SHAPE_PEERS.items() if peer in tools and shape in shapes]
    return impls


def measure_shapes(shapes, tools, steps, repeats, timeout, log):
    """Each call shape with each of its implementations, ``repeats`` times in rotating order."""
    results = {shape: {impl: [] for impl in shape_impls(shape, tools)} for shape in shapes}
    base = tempfile.mkdtemp(prefix="nbtrack-bench-shapes-")
    try:
        for rep in range(repeats):
            for shape in shapes:
                order = list(results[shape])
                k = rep % len(order)
                for impl in order[k:] + order[:k]:
                    workdir = os.path.join(base, f"{shape}-{impl}-{rep}")
                    os.makedirs(workdir)
                    w = run_worker(["shape-write", shape, impl, str(steps), workdir], workdir, timeout, "shape")
                    results[shape][impl].append(w)
                    if "error" in w:
                        log(f"  [{rep + 1}/{repeats}] {shape:9s} {impl:8s} FAILED: {w['error'].splitlines()[0]}")
                    else:
                        ns = w["loop_s"] / (steps * _shapes.SCALARS.get(shape, 4)) * 1e9
                        log(f"  [{rep + 1}/{repeats}] {shape:9s} {impl:8s} {ns:9.1f} ns/scalar"
                            + ("  (read back: verified)" if w.get("verified") else ""))
                    shutil.rmtree(workdir, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def summarize_shapes(results, steps):
    """Per shape and implementation: median and best ns per scalar, and the repetitions."""
    out = {}
    for shape, impls in results.items():
        scalars = steps * _shapes.SCALARS.get(shape, 4)
        out[shape] = {}
        for impl, runs in impls.items():
            ok = [r["loop_s"] / scalars * 1e9 for r in runs if "error" not in r]
            errors = [r["error"] for r in runs if "error" in r]
            out[shape][impl] = {"median": _median(ok), "best": min(ok) if ok else None, "all": ok,
                                "errors": errors}
    return out


def shape_checks(shapes):
    """Each shape within MAX_SHAPE_OVER_FLOOR of its floor; trackio's step= against nbtrack's."""
    out = []
    for shape, impls in shapes.items():
        nb, floor = impls.get("nbtrack", {}).get("median"), impls["floor"].get("median")
        name = f"nbtrack {_shapes.SHAPE_TEXT[shape]} ÷ its floor (per scalar)"
        if nb and floor:
            r = nb / floor
            out.append((name, f"{r:.2f}×", f"≤ {MAX_SHAPE_OVER_FLOOR:g}", "PASS" if r <= MAX_SHAPE_OVER_FLOOR else "FAIL"))
        else:
            err = (impls.get("nbtrack", {}).get("errors") or impls["floor"]["errors"] or ["not run"])[0]
            out.append((name, "n/a", f"≤ {MAX_SHAPE_OVER_FLOOR:g}", f"NOT RUN ({err.splitlines()[0]})"))
    step = shapes.get("step", {})
    nb, peer = step.get("nbtrack", {}).get("median"), step.get("trackio", {}).get("median")
    name = "trackio `log(d, step=i)` ÷ nbtrack `log(d, step=i)` (per scalar)"
    if nb and peer:
        r = peer / nb
        out.append((name, f"{r:.1f}×", f"≥ {MIN_TRACKIO_STEP_OVER_NBTRACK:g}",
                    "PASS" if r >= MIN_TRACKIO_STEP_OVER_NBTRACK else "FAIL"))
    elif "step" in shapes:
        err = (step.get("trackio", {}).get("errors") or ["trackio not selected"])[0]
        out.append((name, "n/a", f"≥ {MIN_TRACKIO_STEP_OVER_NBTRACK:g}", f"NOT RUN ({err.splitlines()[0]})"))
    return out


def shapes_markdown(shapes, summary):
    """One row per call shape: the floors, nbtrack, its ratios, the peers."""
    lists = summary.get("lists", {}).get("ns_per_scalar")
    head = ("| call shape | floor: append `(data, step, commit)` | bare floor: append `data` | nbtrack | "
            "÷ floor | ÷ bare floor | ÷ lists | peers (same shape) |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for shape, impls in shapes.items():
        def ns(impl, impls=impls):
            return impls.get(impl, {}).get("median")

        nb, floor, bare = ns("nbtrack"), ns("floor"), ns("bare")
        peers = [f"{p} {ns(p):,.0f} ({ns(p) / nb:.0f}× nbtrack)" for p in SHAPE_PEERS if ns(p) and nb]
        if shape == "plain":
            peers += [f"{p} {summary[p]['ns_per_scalar']:,.0f} (main table)" for p in ("wandb", "trackio")
                      if summary.get(p, {}).get("ns_per_scalar")]
        if shape == "onekey":
            peers += [f"{p} `add_scalar` {summary[p]['ns_per_scalar']:,.0f} (main table)" for p in ("tensorboardX", "torch")
                      if summary.get(p, {}).get("ns_per_scalar")]
        lines.append(
            f"| {_shapes.SHAPE_TEXT[shape]} | {_fmt(floor, ',.0f')} | {_fmt(bare, ',.0f')} | {_fmt(nb, ',.0f')} | "
            f"{'–' if not (nb and floor) else f'{nb / floor:.2f}×'} | {'–' if not (nb and bare) else f'{nb / bare:.2f}×'} | "
            f"{'–' if not (nb and lists) else f'{nb / lists:.2f}×'} | {'; '.join(peers) or '–'} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(results, steps):
    """Per tool medians over successful repetitions."""
    n_scalars = steps * SCALARS_PER_STEP
    summary = {}
    for tool, entries in results.items():
        writes = [e["write"] for e in entries if "error" not in e["write"]]
        errors = [e["write"]["error"] for e in entries if "error" in e["write"]]
        s = {"ok_reps": len(writes), "reps": len(entries), "errors": errors}
        if writes:
            s["ns_per_scalar"] = _median([w["loop_s"] / n_scalars * 1e9 for w in writes])
            s["ns_per_scalar_all"] = [w["loop_s"] / n_scalars * 1e9 for w in writes]
            s["finish_s"] = _median([w["finish_s"] for w in writes])
            s["disk_bytes"] = _median([w.get("disk_bytes") for w in writes])
            s["peak_rss_kib"] = _median([w["peak_rss_kib"] for w in writes])
            s["rss_growth_kib"] = _median([w["maxrss_kib"] - (w.get("rss_before_loop_kib") or 0) for w in writes])
            s["child_peak_rss_kib"] = _median([w["child_peak_rss_kib"] for w in writes])
            s["bg_cpu_share"] = _median([w["bg_cpu_share"] for w in writes])
            s["child_cpu_s"] = _median([w["child_cpu_s"] for w in writes])
        # readers: median per reader, then the fastest verified reader
        per_reader = {}
        for e in entries:
            for name, rr in e.get("reads", {}).items():
                slot = per_reader.setdefault(name, {"times": [], "imports": [], "errors": []})
                if "error" in rr:
                    slot["errors"].append(rr["error"])
                else:
                    slot["times"].append(rr["read_s"])
                    slot["imports"].append(rr["import_s"])
        readers = {}
        for name, slot in per_reader.items():
            readers[name] = {
                "read_s": _median(slot["times"]),
                "import_s": _median(slot["imports"]),
                "n": len(slot["times"]),
                "errors": slot["errors"],
            }
            for err in slot["errors"]:
                s["errors"].append(f"read[{name}]: {err}")
        s["readers"] = readers
        timed = {k: v for k, v in readers.items() if v["read_s"] is not None}
        if timed:
            best = min(timed, key=lambda k: timed[k]["read_s"])
            s["read_s"] = timed[best]["read_s"]
            s["reader"] = best
        summary[tool] = s
    return summary


def checks(summary, big, tools):
    """The issue's ratio checks: list of (name, value_text, limit_text, status)."""
    out = []
    nb = summary.get("nbtrack", {})
    nb_ok = nb.get("ns_per_scalar") is not None
    why = (nb.get("errors") or ["nbtrack not selected"])[0].splitlines()[0] if not nb_ok else ""

    lists = summary.get("lists", {}).get("ns_per_scalar")
    if nb_ok and lists:
        r = nb["ns_per_scalar"] / lists
        out.append(
            (
                "nbtrack log() ÷ lists baseline (per scalar)",
                f"{r:.2f}×",
                f"≤ {MAX_NBTRACK_OVER_LISTS:g}",
                "PASS" if r <= MAX_NBTRACK_OVER_LISTS else "FAIL",
            )
        )
    else:
        out.append(
            (
                "nbtrack log() ÷ lists baseline (per scalar)",
                "n/a",
                f"≤ {MAX_NBTRACK_OVER_LISTS:g}",
                "NOT RUN" + (f" ({why})" if why else " (lists not run)"),
            )
        )

    peer_costs = {t: summary[t]["ns_per_scalar"] for t in PEERS if summary.get(t, {}).get("ns_per_scalar")}
    if nb_ok and peer_costs:
        cheapest = min(peer_costs, key=peer_costs.get)
        r = peer_costs[cheapest] / nb["ns_per_scalar"]
        out.append(
            (
                f"cheapest peer ({cheapest}) log() ÷ nbtrack (per scalar)",
                f"{r:.1f}×",
                f"≥ {MIN_PEER_OVER_NBTRACK:g}",
                "PASS" if r >= MIN_PEER_OVER_NBTRACK else "FAIL",
            )
        )
    else:
        out.append(
            (
                "cheapest peer log() ÷ nbtrack (per scalar)",
                "n/a",
                f"≥ {MIN_PEER_OVER_NBTRACK:g}",
                "NOT RUN" + (f" ({why})" if why else " (no peer ran)"),
            )
        )

    peer_reads = {t: summary[t]["read_s"] for t in PEERS if summary.get(t, {}).get("read_s")}
    if nb_ok and nb.get("read_s") and peer_reads:
        fastest = min(peer_reads, key=peer_reads.get)
        r = peer_reads[fastest] / nb["read_s"]
        out.append(
            (
                f"fastest peer reader ({fastest}, {summary[fastest]['reader']}) ÷ nbtrack history()",
                f"{r:.1f}×",
                f"≥ {MIN_PEER_READ_OVER_NBTRACK:g}",
                "PASS" if r >= MIN_PEER_READ_OVER_NBTRACK else "FAIL",
            )
        )
    else:
        reason = why or ("nbtrack read failed" if not nb.get("read_s") else "no peer reader ran")
        out.append(
            (
                "fastest peer reader ÷ nbtrack history()",
                "n/a",
                f"≥ {MIN_PEER_READ_OVER_NBTRACK:g}",
                f"NOT RUN ({reason})",
            )
        )

    if big is not None:
        reads = [r["read_s"] for r in big.get("reads", []) if "error" not in r]
        steps = big.get("steps")
        name = f'nbtrack scalars("x") → numpy, {steps:,} steps'
        if reads:
            t = statistics.median(reads)
            out.append((name, f"{t:.3f} s", f"< {MAX_BIG_READ_S:g} s", "PASS" if t < MAX_BIG_READ_S else "FAIL"))
        else:
            errs = ([big["write"]["error"]] if "error" in big.get("write", {}) else []) + [
                r["error"] for r in big.get("reads", []) if "error" in r
            ]
            out.append(
                (
                    name,
                    "n/a",
                    f"< {MAX_BIG_READ_S:g} s",
                    "NOT RUN (" + (errs[0].splitlines()[0] if errs else "no result") + ")",
                )
            )
    return out


def _fmt(v, spec, scale=1.0, none="–"):
    return none if v is None else format(v * scale, spec)


def _fmt_seconds(t):
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 0.01:
        return f"{t * 1e3:.0f} ms"
    return f"{t * 1e3:.2f} ms"


def table_markdown(summary, tools):
    lists = summary.get("lists", {}).get("ns_per_scalar")
    empty = summary.get("empty", {}).get("ns_per_scalar")
    head = (
        "| tool | log() ns/scalar | minus dict-only loop | ÷ lists | finish/close | bytes on disk | "
        "peak RSS | RSS growth | background CPU | read-back (verified) | reader |"
    )
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for tool in ["empty", *tools]:
        s = summary.get(tool)
        if not s:
            continue
        label = "empty loop (dict only)" if tool == "empty" else tool
        if s.get("ns_per_scalar") is None:
            err = (s.get("errors") or ["no result"])[0].splitlines()[0]
            if len(err) > 90:
                err = err[:87] + "..."
            lines.append(f"| {label} | not run: {err} |" + " |" * 9)
            continue
        ns = s["ns_per_scalar"]
        over = None if (empty is None or tool == "empty") else ns - empty
        ratio = None if (not lists or tool == "empty") else ns / lists
        disk = s.get("disk_bytes")
        read = s.get("read_s")
        reader = s.get("reader", "n/a" if tool not in READABLE else "failed")
        if tool in ("tensorboardX", "torch") and len(s.get("readers", {})) > 1:
            reader += " (" + ", ".join(f"{k} {_fmt(v['read_s'], '.2f')} s" for k, v in s["readers"].items()) + ")"
        finish = "–" if tool in ("empty", "lists") else _fmt_seconds(s["finish_s"])
        rss = f"{s['peak_rss_kib'] / 1024:.0f} MiB"
        if s.get("child_peak_rss_kib"):
            rss += f" (incl. {s['child_peak_rss_kib'] / 1024:.0f} MiB service)"
        bg = f"{max(0.0, s['bg_cpu_share']) * 100:.1f} %"  # tiny negatives are clock noise
        if s.get("child_cpu_s"):
            bg += f" (incl. service {s['child_cpu_s']:.1f} s CPU)"
        lines.append(
            f"| {label} | {ns:.0f} | {_fmt(over, '.0f')} | {_fmt(ratio, '.2f')}{'' if ratio is None else '×'} | "
            f"{finish} | {'–' if disk is None else f'{disk / 1e6:.2f} MB'} | {rss} | "
            f"{max(0, s['rss_growth_kib']) / 1024:.0f} MiB | {bg} | "
            f"{'–' if read is None else f'{read:.3f} s'} | {reader} |"
        )
    return "\n".join(lines)


def checks_markdown(rows):
    lines = ["| check | measured | limit | result |", "|---|---|---|---|"]
    for name, val, lim, status in rows:
        lines.append(f"| {name} | {val} | {lim} | **{status}** |")
    return "\n".join(lines)


def render(args, steps, repeats, summary, big, check_rows, info, vers, started, elapsed, tools,
           shapes=None, shape_rows=()):
    md = []
    title = "quick smoke run" if args.quick else "full run"
    md.append(f"## Scalar logging ({title}): {steps:,} steps × {SCALARS_PER_STEP} scalars")
    md.append("")
    cmdline = " ".join(["python benchmarks/bench_scalars.py", *args.argv])
    md.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC by `{cmdline}`, {elapsed:.0f} s in all. "
        f"Median of {repeats} repetitions; every write and every read ran in its own fresh subprocess."
    )
    md.append("")
    md.append("**Machine:** " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    md.append("")
    md.append("**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items()) + f"; repo: {code_state()}")
    md.append("")
    md.append(table_markdown(summary, tools))
    md.append("")
    md.append(
        "Columns: *log() ns/scalar* = loop time ÷ (steps × 4), the loop building its dict of 4 floats "
        "every step for every tool (baselines too); *minus dict-only loop* subtracts the empty loop; "
        "*finish/close* = `finish()`/`close()`/file close; *bytes on disk* = everything the tool "
        "wrote; *peak RSS* = peak RSS of the process (VmHWM, the per-process ru_maxrss; + VmHWM of wandb's service process); "
        "*RSS growth* = peak RSS − RSS just before the loop; *background CPU* = (process CPU − "
        "main-thread CPU + service-process CPU) ÷ wall time over loop + finish; *read-back* = time "
        "to read everything into a pandas DataFrame with the tool's own reader in a fresh process "
        "(imports excluded), checked for row count and column sums."
    )
    md.append("")
    md.append("### Checks (issue 10 item 7)")
    md.append("")
    md.append(checks_markdown(check_rows))
    if big is not None and "error" not in big.get("write", {}):
        w = big["write"]
        md.append("")
        md.append(
            f"Big run: {w['steps']:,} steps of one scalar written with nbtrack in {w['loop_s']:.1f} s "
            f"({w['loop_s'] / w['steps'] * 1e9:.0f} ns/step incl. dict) + finish {w['finish_s']:.2f} s, "
            f"{w['disk_bytes'] / 1e6:.1f} MB on disk; read times, each in a fresh process, the first "
            "right after the write: "
            + ", ".join(f"{r['read_s']:.3f} s" for r in big["reads"] if "error" not in r)
            + "."
        )
    if shapes:
        md.append("")
        md.append(f"### Call shapes (issue 18): {steps:,} steps, ns per scalar, median of {repeats}")
        md.append("")
        md.append(shapes_markdown(shapes, summary))
        md.append("")
        md.append(
            "Each shape's loop builds the same dicts for every implementation and calls `log` the same way "
            "(`benchmarks/_shapes.py`), each in its own fresh subprocess; nbtrack's rows are read back and "
            "checked. *floor* is a method with `log()`'s signature that appends its arguments to a list (the "
            "floor issue 18 holds each shape against: one-key calls cost more than one four-key call even "
            "there); *bare floor* appends only `data` (no tuple per call, so less garbage-collector work: a "
            "stricter floor). *÷ lists* is against the main table's lists baseline.")
        md.append("")
        md.append("#### Checks (issue 18 items 1 and 4)")
        md.append("")
        md.append(checks_markdown(shape_rows))
    notes = []
    for tool, s in summary.items():
        seen = []
        for err in s.get("errors", []):
            first = err.splitlines()[0]
            if first not in seen:
                seen.append(first)
        for first in seen[:3]:
            notes.append(f"- {tool}: {first}")
    if notes:
        md.append("")
        md.append("### Problems")
        md.append("")
        md.extend(notes)
    md.append("")
    md.append("<details><summary>Per-repetition numbers</summary>")
    md.append("")
    for tool, s in summary.items():
        if s.get("ns_per_scalar_all"):
            reps = ", ".join(f"{x:.0f}" for x in s["ns_per_scalar_all"])
            rd = "; ".join(
                f"{k} {_fmt(v['read_s'], '.3f')} s (n={v['n']}, imports {_fmt(v['import_s'], '.2f')} s)"
                for k, v in s.get("readers", {}).items()
            )
            md.append(f"- {tool}: ns/scalar [{reps}]" + (f"; read-back median {rd}" if rd else ""))
    for shape, impls in (shapes or {}).items():
        md.append(f"- shape {shape}: " + "; ".join(
            f"{impl} [{', '.join(f'{x:.0f}' for x in v['all'])}]" + (f" ({len(v['errors'])} failed)" if v["errors"] else "")
            for impl, v in impls.items()))
    md.append("")
    md.append("</details>")
    return "\n".join(md)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 10,000 steps, 1,000,000-step big run")
    add_tool_options(p, ALL_TOOLS)
    p.add_argument("--steps", type=int, help="steps per run (default 100,000; 10,000 with --quick)")
    p.add_argument(
        "--big-steps",
        type=int,
        help="steps of the single-scalar nbtrack run (default 10,000,000; 1,000,000 with --quick; 0 to skip)",
    )
    p.add_argument("--shapes", default=",".join(_shapes.SHAPES),
                   help=f"call shapes to measure (issue 18), comma-separated subset of {','.join(_shapes.SHAPES)}, "
                        "or 'none' (default: all)")
    add_results_options(p)
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)

    tools = chosen_tools(p, args, ALL_TOOLS)
    steps = args.steps or (10_000 if args.quick else 100_000)
    big_steps = args.big_steps if args.big_steps is not None else (1_000_000 if args.quick else 10_000_000)
    if "nbtrack" not in tools:
        big_steps = 0

    def log(msg):
        print(msg, flush=True)

    _become_subreaper()
    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    info = machine_info()
    vers = versions(VERSION_PACKAGES)
    log(
        f"bench_scalars: {steps:,} steps × {SCALARS_PER_STEP} scalars, {args.repeats} repetitions, "
        f"tools: {', '.join(tools)}  (python {sys.executable})"
    )
    if vers.get("nbtrack") == "not installed":
        log("  note: nbtrack is not installed in this interpreter (pip install -e .); its rows will say why.")

    shape_names = [] if args.shapes == "none" else [x.strip() for x in args.shapes.split(",") if x.strip()]
    unknown = [x for x in shape_names if x not in _shapes.SHAPES]
    if unknown:
        p.error(f"unknown shape(s) {unknown}; choose from {_shapes.SHAPES}")
    results = measure(tools, steps, args.repeats, args.timeout, log)
    shape_results = None
    if shape_names:
        log(f"call shapes: {', '.join(shape_names)}")
        shape_results = measure_shapes(shape_names, tools, steps, args.repeats, args.timeout, log)
    big = None
    if big_steps:
        log(f"big run: nbtrack, {big_steps:,} steps of one scalar, read into numpy")
        big = measure_big(big_steps, args.repeats, max(args.timeout, 600.0), log)
        big["steps"] = big_steps
    elapsed = time.perf_counter() - t_start

    summary = summarize(results, steps)
    check_rows = checks(summary, big, tools)
    shapes = summarize_shapes(shape_results, steps) if shape_results else None
    shape_rows = shape_checks(shapes) if shapes else []
    body = render(args, steps, args.repeats, summary, big, check_rows, info, vers, started, elapsed, tools,
                  shapes, shape_rows)
    print()
    print(body)
    section = "quick" if args.quick else ("full" if steps == 100_000 else f"steps-{steps}")
    save_results(args, "bench_scalars", section, body, {
        "steps": steps, "results": results, "summary": summary, "big": big, "checks": check_rows,
        "shapes": shapes, "shape_results": shape_results, "shape_checks": shape_rows,
        "machine": info, "versions": vers})
    failed = any(r[3] == "FAIL" for r in [*check_rows, *shape_rows])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
