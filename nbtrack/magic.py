"""``%load_ext nbtrack``: ``%track`` (a live view of a logdir) and ``%%track`` (a cell as a run).

A thin layer over ``nbtrack.track()`` and ``nbtrack.init()`` (from their rooms: the face imports this
module for ``%load_ext``, so it never imports the face): the line is split as a shell
would (quoted paths with spaces, any characters), parsed with argparse (``%track --help``),
and every problem is one clear line in the cell output, never a traceback.

    %track --logdir runs                 # every run under runs/, live
    %track runs --runs "lr=0\\.1" --tags loss
    %track --logdir_spec base:runs/a,new:runs/b
    %%track --project demo --config '{"lr": 0.1}'
    for step in range(100):
        nbtrack.log({"loss": 1 / (step + 1)})
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from nbtrack.dashboard.track import LogdirError, compile_filter, parse_logdirs, stop_all, track
from nbtrack.errors import NbtrackError
from nbtrack.record.create import init

_LOADED: set[int] = set()  # ids of shells the magics are registered in


class _Stop(Exception):
    """argparse finished (``--help``) or refused the line; the text is already decided."""

    def __init__(self, message: str, error: bool) -> None:
        super().__init__(message)
        self.error = error


class _Parser(argparse.ArgumentParser):
    """argparse that never exits the kernel: errors and ``--help`` become ``_Stop``."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _Stop(f"{self.prog}: {message}\n{self.format_usage().strip()}", error=True)

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        raise _Stop(message or "", error=bool(status))

    def print_help(self, file: Any = None) -> None:
        raise _Stop(self.format_help(), error=False)


def track_parser() -> _Parser:
    parser = _Parser(prog="%track", description="A live dashboard of every run under a logdir, in this output: "
                     "no server, no port. Runs that appear later join; finished, failed and crashed runs change "
                     "status.")
    parser.add_argument("path", nargs="*", help="logdir(s), as with --logdir")
    parser.add_argument("--logdir", action="append", default=[], metavar="DIR",
                        help="a folder of runs (may be repeated; project sub-folders are searched too)")
    parser.add_argument("--logdir_spec", "--logdir-spec", metavar="NAME:DIR,...",
                        help="named logdirs, as TensorBoard's: base:runs/a,new:runs/b")
    parser.add_argument("--runs", metavar="REGEX", help="show only runs whose name, id or path matches")
    parser.add_argument("--tags", metavar="REGEX", help="show only metrics and values whose name matches")
    parser.add_argument("--reload", type=float, default=1.0, metavar="SECONDS",
                        help="seconds between looks at the logdir (default 1)")
    parser.add_argument("--height", type=int, default=0, metavar="PX", help="height of the output (0: automatic)")
    parser.add_argument("--export", metavar="FILE", help="also write a report of these runs (one offline HTML file, as "
                        "`nbtrack report`) each time the magic runs")
    return parser


def cell_parser() -> _Parser:
    parser = _Parser(prog="%%track", description="Run this cell as an nbtrack run: shown live, finished when the "
                     "cell ends, recorded as failed when it raises or is interrupted.")
    parser.add_argument("--project", default=None)
    parser.add_argument("--name", default=None)
    parser.add_argument("--config", default=None, metavar="JSON", help="the run's config as a JSON object")
    parser.add_argument("--dir", default=None, metavar="DIR", help="the logdir (default: $NBTRACK_DIR or ./runs)")
    return parser


def split_line(line: str) -> list[str]:
    """The magic's line split as a shell would (on Windows, backslashes are kept).

    >>> split_line('--logdir "my runs/实验 1" --tags loss')
    ['--logdir', 'my runs/实验 1', '--tags', 'loss']
    """
    if os.name == "nt":  # posix rules would eat the backslashes of C:\\runs
        return [part[1:-1] if len(part) > 1 and part[0] == part[-1] and part[0] in "\"'" else part
                for part in shlex.split(line, posix=False)]
    return shlex.split(line)


def _say(message: str, error: bool = True) -> None:
    print(message.rstrip("\n"), file=sys.stderr if error else sys.stdout)


def _cell_key(shell: Any, line: str) -> str:
    """Where this magic runs: the front end's cell id when it sends one (re-running the cell replaces
    its view), else the line itself."""
    try:
        parent = shell.kernel.get_parent()
        cell = (parent.get("metadata") or {}).get("cellId")
        if cell:
            return f"cell:{cell}"
    except Exception:  # not in a kernel (a plain IPython shell, tests)
        pass
    return f"line:{line.strip()}"


def track_magic(shell: Any, line: str) -> Any:
    """``%track``: parse, make the view, display it; any problem is one line of text."""
    try:
        args = track_parser().parse_args(split_line(line))
        logdirs = [*args.path, *args.logdir]
        runs, tags = compile_filter(args.runs, "--runs"), compile_filter(args.tags, "--tags")
        view = track(logdirs or None, runs=runs, tags=tags, reload=args.reload,
                             logdir_spec=args.logdir_spec, height=args.height, key=_cell_key(shell, line))
    except _Stop as stop:
        _say(str(stop), error=stop.error)
        return None
    except ValueError as exc:  # a shell line that does not split (an open quote)
        _say(f"%track: {exc}")
        return None
    except (LogdirError, TypeError, NbtrackError, OSError) as exc:
        _say(f"%track: {exc}")
        return None
    from IPython.display import display

    display(view)
    if args.export:
        _export(parse_logdirs(logdirs or None, args.logdir_spec), args.export, runs, tags)
    return None


def _export(logdirs: list[tuple[str | None, Path]], target: str, runs: Any, tags: Any) -> None:
    """``%track --export FILE``: a report of what the view shows, written once each time the magic runs."""
    import warnings

    from nbtrack.reports import report

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            path = report([folder for _, folder in logdirs if folder.is_dir()], target, runs=runs, tags=tags,
                          progress=False)
        except (OSError, ValueError) as exc:
            _say(f"%track --export: no report written to {target!r}: {exc}")
            return
    for warning in caught:
        _say(f"%track --export: {warning.message}")
    size = Path(path).stat().st_size / 1e6
    _say(f"%track: wrote the report {path} ({size:.1f} MB, {time.perf_counter() - started:.1f} s)", error=False)


def track_cell_magic(shell: Any, line: str, cell: str) -> Any:
    """``%%track``: the cell body runs with a new current run, shown live; failed if it raises."""
    try:
        args = cell_parser().parse_args(split_line(line))
        config = json.loads(args.config) if args.config else None
        if config is not None and not isinstance(config, dict):
            raise _Stop(f"%%track --config takes a JSON object, got {args.config!r}", error=True)
        run = init(project=args.project, name=args.name, config=config, dir=args.dir)
    except _Stop as stop:
        _say(str(stop), error=stop.error)
        return None
    except json.JSONDecodeError as exc:
        _say(f"%%track --config: not valid JSON ({exc})")
        return None
    except (ValueError, TypeError, NbtrackError, OSError) as exc:
        _say(f"%%track: {exc}")
        return None
    from IPython.display import display

    display(run.show())
    code = shell.transform_cell(cell)  # magics and shell escapes inside the cell keep working
    try:
        shell.ex(code)  # IPython runs the user's own cell in the user namespace
    except BaseException:
        run.finish(exit_code=1)  # recorded as failed; the error still shows, as without the magic
        raise
    run.finish()
    return None


def load(shell: Any) -> None:
    """Register the magics in ``shell`` (loading twice registers them once)."""
    shell.register_magic_function(lambda line: track_magic(shell, line), "line", "track")
    shell.register_magic_function(lambda line, cell: track_cell_magic(shell, line, cell), "cell", "track")
    _LOADED.add(id(shell))


def unload(shell: Any) -> None:
    """Remove the magics and turn every live ``%track`` output into its static form."""
    magics = shell.magics_manager.magics
    for kind in ("line", "cell"):
        magics[kind].pop("track", None)
    _LOADED.discard(id(shell))
    stop_all()
