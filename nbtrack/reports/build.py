"""``nbtrack.report()``: one self-contained HTML file of runs, for sharing.

The file holds the dashboard's static output (the same JS module as the notebook, BokehJS
once, the data as compact columns), a header saying what it shows and what was reduced, and
each run's notes, config and summary. Long series are reduced with the notebook's M4 rule to
about a chart's width (``snapshot.REPORT``) unless ``full_resolution=True``; media tags keep
their newest steps and evenly spaced older ones (``snapshot.pick_steps``).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from nbtrack._version import __version__
from nbtrack.dashboard.snapshot import FULL, REPORT, Resolution, snapshot_of
from nbtrack.dashboard.static_output import static_bundle
from nbtrack.dashboard.track import compile_filter

from .document import Header, report_page, run_details_html
from .sources import Gathered, gather


def report(source: Any, path: str | os.PathLike[str] | None = None, *, runs: Any = None, tags: Any = None,
           title: str | None = None, full_resolution: bool = False, media_per_tag: int | None = None,
           settings: dict[str, Any] | None = None, progress: bool | None = None,
           environment: bool | str = True) -> str | Path:
    """Runs as one self-contained HTML file that opens offline in any browser.

    ``source``: a logdir path, a ``Logdir``, a ``Run``, a ``RunReader`` or a list of them.
    ``runs``/``tags``: regular expressions searched in run names, ids and paths, and in tag
    names. Returns the HTML text when ``path`` is None, else writes the file and returns its
    path. Series are reduced to about a chart's width (the header says how) unless
    ``full_resolution``; ``media_per_tag`` steps of each image, audio, ... tag are kept (default
    20: the newest half and evenly spaced older ones). Runs that cannot be read are left out, each
    named in a ``RuntimeWarning`` and in the header. ``progress``: a progress bar while reading
    (None: only when stderr is a terminal). ``environment``: what the run details say of where each
    run ran: True (the default) keeps what is safe to share (OS, Python and package versions, the git
    commit, branch and dirty flag) and leaves out the host, paths, command line and git remote;
    ``"full"`` keeps everything recorded; False leaves the environment out.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="baseline") as run:
    ...     for step in range(100):
    ...         run.log({"loss": 1 / (step + 1)})
    >>> page = nbtrack.report(d, title="Loss study")
    >>> page.startswith("<!doctype html>"), "Loss study" in page
    (True, True)
    >>> nbtrack.report(d, f"{d}/report.html").name
    'report.html'
    """
    resolution = _resolution(full_resolution, media_per_tag)
    if environment not in (True, False, "full"):
        raise ValueError(f"report(environment=...) takes True, False or 'full', got {environment!r}")
    gathered = gather(source, compile_filter(runs, "report(runs=...)"))
    wanted = compile_filter(tags, "report(tags=...)")
    if not gathered.readers:
        raise ValueError(_nothing_to_report(source, gathered, runs))
    _read(gathered, progress)
    for problem in gathered.problems:
        warnings.warn(f"nbtrack.report: left out: {problem}", RuntimeWarning, stacklevel=2)
    text = render(gathered, resolution, wanted, title, settings, environment)
    if path is None:
        return text
    target = Path(path).expanduser()
    _write(target, text)
    return target


def _resolution(full_resolution: bool, media_per_tag: int | None) -> Resolution:
    if media_per_tag is not None and (isinstance(media_per_tag, bool) or not isinstance(media_per_tag, int)
                                      or media_per_tag < 0):
        raise ValueError(f"report(media_per_tag=...) takes a whole number of steps >= 0, got {media_per_tag!r}")
    base = FULL if full_resolution else REPORT
    return Resolution(base.max_points, base.budget, media_per_tag if media_per_tag is not None else
                      base.media_per_tag, base.compact, base.exact_values)


def _nothing_to_report(source: Any, gathered: Gathered, runs: Any) -> str:
    where = ", ".join(repr(str(root)) for root in gathered.roots) or type(source).__name__
    if runs is not None:
        return f"nbtrack.report(): no run in {where} matches runs={runs!r}"
    skipped = f" ({len(gathered.problems)} could not be read: {gathered.problems[0]})" if gathered.problems else ""
    return f"nbtrack.report(): no runs in {where}{skipped}"


def _read(gathered: Gathered, progress: bool | None) -> None:
    """Read every run's stored data (the long part, with a progress bar on a terminal); a run that fails
    to read is left out and named in ``gathered.problems``."""
    readers = gathered.readers
    bar = _bar(len(readers), progress)
    kept = []
    for reader in readers:
        try:
            reader.refresh_manifests()
            reader.catch_up()
            kept.append(reader)
        except Exception as exc:  # one bad run costs only itself
            gathered.problems.append(f"run {reader.name!r} ({reader.path}): {exc}")
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    gathered.readers = kept
    if not kept:
        raise ValueError(f"nbtrack.report(): no run could be read: {'; '.join(gathered.problems[:3])}")


def _bar(total: int, progress: bool | None) -> Any:
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="reading runs", unit="run", leave=False)


def render(gathered: Gathered, resolution: Resolution, tags: Any, title: str | None,
           settings: dict[str, Any] | None = None, environment: bool | str = True) -> str:
    """The report's HTML from runs already read."""
    readers = gathered.readers
    snapshot = snapshot_of(readers, max_points=resolution.max_points, max_per_tag=resolution.media_per_tag,
                           catch_up=False, budget=resolution.budget, tags=tags)
    for info in snapshot["runs"]:
        shareable_details(info, environment)
    name = title or _default_title(gathered)
    bundle = static_bundle(snapshot, run_name=name, status=f"{len(readers)} runs", settings=settings,
                           picture=False, compact=resolution.compact, exact_values=resolution.exact_values)
    header = Header(title=name, runs=readers, version=__version__, made=time.time(),
                    reduced=reduction_note(snapshot, resolution), problems=gathered.problems)
    return report_page(header, bundle["text/html"], run_details_html(readers))


SHARED_ENVIRONMENT = ("os", "python", "nbtrack_version", "packages")  # what a report keeps by default
SHARED_GIT = ("commit", "branch", "dirty")


def shareable_details(info: dict[str, Any], environment: bool | str) -> None:
    """Trim a run-table entry's environment for a report that leaves this machine (in place).

    >>> info = {"details": {"environment": {"host": "lab-7", "cwd": "/home/ana", "python": "3.11",
    ...         "git": {"commit": "abc", "remote": "git@host:ana/x"}}}}
    >>> shareable_details(info, True); info["details"]["environment"]
    {'python': '3.11', 'git': {'commit': 'abc'}}
    >>> shareable_details(info, False); "environment" in info["details"]
    False
    """
    details = info.get("details")
    if not isinstance(details, dict) or "environment" not in details or environment == "full":
        return
    if environment is False:
        del details["environment"]
        return
    env = details["environment"]
    kept = {k: env[k] for k in SHARED_ENVIRONMENT if k in env}
    if isinstance(env.get("git"), dict):
        kept["git"] = {k: env["git"][k] for k in SHARED_GIT if k in env["git"]}
    details["environment"] = kept


def _default_title(gathered: Gathered) -> str:
    if len(gathered.readers) == 1:
        return f"nbtrack report: {gathered.readers[0].name}"
    if len(gathered.roots) == 1:
        return f"nbtrack report: {gathered.roots[0].resolve().name}"
    return f"nbtrack report: {len(gathered.readers)} runs"


def reduction_note(snapshot: dict[str, Any], resolution: Resolution) -> str:
    """What the header says was reduced and how."""
    series = snapshot["series"]
    reduced = [s for s in series if s.get("n", 0) > len(s["values"]) // 8]
    parts = []
    if reduced:
        most = max(s["n"] for s in reduced)
        kept = max(len(s["values"]) // 8 for s in reduced)
        parts.append(f"{len(reduced)} of {len(series)} series are reduced (up to {most:,} points each) to about "
                     f"{kept:,} points: the first, last, smallest and largest value of each step range, so every "
                     "spike stays; smoothing on them is approximate.")
    elif series:
        parts.append(f"All {len(series)} series keep every point.")
    if resolution.compact and series:
        parts.append(("Values are exact" if resolution.exact_values else
                      "Values are stored as float32 (about 7 significant digits)") + ", wall times to the millisecond.")
    if resolution.media_per_tag is not None and snapshot.get("media"):
        parts.append(f"Images, audio and other values: at most {resolution.media_per_tag} steps per tag (the newest "
                     "half and evenly spaced older ones).")
    if reduced:
        parts.append("nbtrack.report(..., full_resolution=True) keeps everything.")
    return " ".join(parts)


def _write(target: Path, text: str) -> None:
    """Write through a temporary sibling, so a failed write never leaves a half report in place."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
