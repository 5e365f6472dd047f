"""What every benchmark script reports the same way: the machine, the versions, the code under test, and
the results files (its own section of ``RESULTS.md``, and optionally every raw number as JSON).

Stdlib only at import; the scripts import it with this folder on ``sys.path`` (as they run from it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_MD = HERE / "RESULTS.md"

RESULTS_HEADER = (
    "# Benchmark results\n\n"
    "Written by the benchmark scripts in this folder; each script replaces only its own "
    "section (between its marker comments). See README.md for how to run them.\n\n"
)


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, OS, Python and the load average now."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "load average at start (1/5/15 min)": load,
    }


def code_state(dirs: tuple[str, ...] = ("nbtrack",)) -> str:
    """The repo commit under test, and which of ``dirs`` have uncommitted changes (best effort)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "no git commit"
    dirty = [d for d in dirs if git("status", "--porcelain", "--", d)]
    return f"commit {head}" + (f" + uncommitted changes in {', '.join(d + '/' for d in dirty)}" if dirty else "")


def versions(packages: list[str]) -> dict[str, str]:
    """``{package: version}`` as installed; nbtrack imported from a source tree says so."""
    out = {}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
            if pkg == "nbtrack":  # importable from a source tree without being installed?
                try:
                    import nbtrack

                    out[pkg] = (f"{getattr(nbtrack, '__version__', '?')} (not pip-installed, imported from "
                                f"{os.path.dirname(nbtrack.__file__)})")
                except Exception:
                    pass
    return out


def write_results_md(section: str, body: str, path: str | Path = RESULTS_MD, prefix: str = "bench_scalars") -> None:
    """Replace the section ``prefix:section`` of RESULTS.md (between its marker comments), or add it."""
    begin = f"<!-- {prefix}:{section}:begin -->"
    end = f"<!-- {prefix}:{section}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = Path(path).read_text() if os.path.exists(path) else RESULTS_HEADER
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        _, post = rest.split(end, 1)
        text = pre + block.rstrip("\n") + post
    else:
        text = text.rstrip("\n") + "\n\n" + block
    Path(path).write_text(text)


def add_tool_options(p: argparse.ArgumentParser, all_tools: list[str]) -> None:
    """``--tools a,b``, ``--repeats N`` and ``--timeout S``: the scripts that measure each tool in subprocesses."""
    p.add_argument("--tools", default=",".join(all_tools),
                   help=f"comma-separated subset of {','.join(all_tools)} (default: all)")
    p.add_argument("--repeats", type=int, default=3, help="repetitions, median reported (default 3)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per subprocess (default 300)")


def chosen_tools(p: argparse.ArgumentParser, args: argparse.Namespace, all_tools: list[str]) -> list[str]:
    """The tools ``--tools`` names (an argparse error for an unknown one)."""
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in all_tools]
    if unknown:
        p.error(f"unknown tool(s) {unknown}; choose from {all_tools}")
    return tools


def add_results_options(p: argparse.ArgumentParser) -> None:
    """``--results FILE``, ``--no-results`` and ``--json FILE``: where :func:`save_results` writes."""
    p.add_argument("--results", default=str(RESULTS_MD), help="Markdown file to update (default benchmarks/RESULTS.md)")
    p.add_argument("--no-results", action="store_true", help="print only, do not touch RESULTS.md")
    p.add_argument("--json", help="also dump all raw measurements to this JSON file")


def save_results(args: argparse.Namespace, prefix: str, section: str, body: str, raw: dict[str, Any]) -> None:
    """The script's section of ``args.results`` (unless ``--no-results``) and ``raw`` as JSON (if ``--json``)."""
    if not args.no_results:
        write_results_md(section, body, args.results, prefix=prefix)
        print(f"\nupdated {os.path.relpath(args.results)} (section '{prefix}:{section}')")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1, default=str)
