"""The ``nbtrack`` command: ``ls``, ``report``, ``export``, ``import-tb``, ``rm`` and ``demo``.

Exit codes: 0 when it worked; 2 for a usage error (bad arguments, a logdir that is missing or
not a folder, a bad regular expression, a run that is not there); 1 for a failure (writing
failed, no runs to report or export, a run refused, an unexpected error). Errors are one line
on stderr, ``nbtrack <command>: <message>``; ``NBTRACK_DEBUG=1`` shows the traceback of an
unexpected one (141, quietly, when stdout is closed early, as in ``nbtrack ls nbruns | head``).
Colour only on a terminal without ``NO_COLOR``; progress bars only when stderr is a terminal
(``--quiet`` turns them off).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nbtrack._version import __version__

from ._common import FAILURE, CliError
from .create import run_demo, run_import_tb
from .ls import run_ls
from .publish import run_export, run_report
from .rm import run_rm

EXIT_CODES = """exit codes:
  0  it worked
  1  a failure: writing failed, no runs to report or export, a run refused, an unexpected error
  2  a usage error: bad arguments, a logdir missing or not a folder, a bad regular expression,
     a run that is not there"""


def _command(commands: argparse._SubParsersAction, name: str, summary: str, description: str,
             examples: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` shows its description and examples with their lines kept."""
    return commands.add_parser(name, help=summary, description=description,
                               epilog="Examples:\n" + examples.strip("\n") + "\n\n" + EXIT_CODES,
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_ls(commands: argparse._SubParsersAction) -> None:
    ls = _command(commands, "ls", "list the runs in a logdir",
                  "List the runs under LOGDIR: id, name, status, age (since created), duration (created to the "
                  "last\nheartbeat) and summary columns. Damaged runs are skipped with a warning on stderr.",
                  "  nbtrack ls nbruns\n"
                  "  nbtrack ls nbruns --summary train/loss --summary val/acc --sort train/loss\n"
                  "  nbtrack ls nbruns --runs '^lr=' --json | jq '.[].summary'")
    ls.add_argument("logdir", help="folder holding runs (e.g. nbruns)")
    ls.add_argument("--summary", action="append", metavar="KEY",
                    help="a summary column to show (repeatable; e.g. train/loss); default: the first --max-metrics")
    ls.add_argument("--max-metrics", type=int, default=4, metavar="N",
                    help="summary columns shown when no --summary is given (default 4)")
    ls.add_argument("--runs", metavar="REGEX", help="only runs whose name or id matches this regular expression")
    ls.add_argument("--sort", default="created", metavar="KEY",
                    help="created (default), name, status, or a summary key (missing values last)")
    ls.add_argument("--reverse", action="store_true", help="reverse the order")
    ls.add_argument("--json", action="store_true",
                    help="a JSON array of runs (times in ISO 8601 UTC, NaN and infinities as null)")
    ls.set_defaults(func=run_ls)


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = _command(commands, "report", "write one HTML file of a logdir's runs",
                      "Write a self-contained HTML report of the runs under LOGDIR (charts, config and summary\n"
                      "tables): one file that opens offline in any browser. A damaged run is left out with a\n"
                      "warning on stderr. Exit 1 when LOGDIR holds no (matching) runs.",
                      "  nbtrack report nbruns -o report.html\n"
                      "  nbtrack report nbruns -o sweep.html --runs '^lr=' --tags 'loss' --title 'LR sweep'")
    report.add_argument("logdir", help="folder holding runs (e.g. nbruns)")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    report.add_argument("--runs", metavar="REGEX", help="only runs whose name matches this regular expression")
    report.add_argument("--tags", metavar="REGEX", help="only charts whose tag matches this regular expression")
    report.add_argument("--title", help="the report's title (default: the logdir's name)")
    report.add_argument("--full-resolution", action="store_true",
                        help="every point of every series (a larger file); default: reduced, spikes kept")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.set_defaults(func=run_report)


def _add_export(commands: argparse._SubParsersAction) -> None:
    export = _command(commands, "export", "write the runs' scalars as Parquet or CSV files",
                      "Write the scalars of the runs under LOGDIR into DIR as Parquet or CSV files, with the\n"
                      "runs' config and summary. Runs that cannot be read are skipped with a warning on stderr.\n"
                      "Exit 1 when LOGDIR holds no (matching) runs or DIR holds an export (see --overwrite).",
                      "  nbtrack export nbruns -o exported\n"
                      "  nbtrack export nbruns -o csv --format csv --runs '^lr=' --tags '^train/' --overwrite")
    export.add_argument("logdir", help="folder holding runs (e.g. nbruns)")
    export.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write into")
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="file format (default parquet)")
    export.add_argument("--runs", metavar="REGEX", help="only runs whose name matches this regular expression")
    export.add_argument("--tags", metavar="REGEX", help="only tags matching this regular expression")
    export.add_argument("--overwrite", action="store_true", help="replace an export already in DIR")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(func=run_export)


def _add_import_tb(commands: argparse._SubParsersAction) -> None:
    tb = _command(commands, "import-tb", "convert a TensorBoard logdir into nbtrack runs",
                  "Convert every TensorBoard run (a folder of event files) under TBDIR into an nbtrack run at\n"
                  "the same path under LOGDIR. TBDIR is only read; a run imported before is left alone.",
                  "  nbtrack import-tb logs nbruns\n"
                  "  nbtrack import-tb runs nbruns --runs '^fit/' --quiet")
    tb.add_argument("tbdir", help="TensorBoard logdir (e.g. runs or logs)")
    tb.add_argument("logdir", help="nbtrack logdir to write the runs to (outside TBDIR)")
    tb.add_argument("--runs", metavar="REGEX",
                    help="only runs whose name (path under TBDIR) matches this regular expression")
    tb.add_argument("--quiet", action="store_true", help="no progress bar")
    tb.set_defaults(func=run_import_tb)


def _add_rm(commands: argparse._SubParsersAction) -> None:
    rm = _command(commands, "rm", "move runs to LOGDIR/.trash (or delete them)",
                  "Move runs to LOGDIR/.trash/<time>-<run id>/ (hidden: no longer listed; move a folder back\n"
                  "to restore it), or delete them for good with --purge. Nothing outside LOGDIR is touched.\n"
                  "A running run is refused unless --force.",
                  "  nbtrack rm nbruns 3f2a9c1b\n"
                  "  nbtrack rm nbruns --runs '^debug' --dry-run\n"
                  "  nbtrack rm nbruns old-baseline --purge --yes")
    rm.add_argument("logdir", help="folder holding runs (e.g. nbruns)")
    rm.add_argument("run", nargs="*", metavar="RUN", help="a run id, name, or run folder under LOGDIR")
    rm.add_argument("--runs", metavar="REGEX", help="also every run whose name or id matches this regular expression")
    rm.add_argument("--purge", action="store_true", help="delete for good instead of moving to .trash")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask before --purge (needed without a terminal)")
    rm.add_argument("--force", action="store_true",
                    help="also remove running runs, and run folders holding other runs")
    rm.add_argument("--dry-run", "-n", action="store_true", help="list what would happen; change nothing")
    rm.set_defaults(func=run_rm)


def _add_demo(commands: argparse._SubParsersAction) -> None:
    demo = _command(commands, "demo", "record a few synthetic runs and write their report",
                    "Record a small synthetic sweep (4 runs) into DIR and write its report to DIR/report.html.",
                    "  nbtrack demo\n"
                    "  nbtrack demo --dir /tmp/nbruns --steps 500")
    demo.add_argument("--dir", default="nbruns", help="logdir to write to (default ./nbruns)")
    demo.add_argument("--steps", type=int, default=2000, help="steps per run (default 2000)")
    demo.set_defaults(func=run_demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``nbtrack`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="nbtrack", description="Watch ML training inside Jupyter; "
                                     "list, report, export and remove runs from the shell.",
                                     epilog="Run 'nbtrack <command> --help' for a command's options and examples."
                                     "\n\n" + EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"nbtrack {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_ls, _add_report, _add_export, _add_import_tb, _add_rm, _add_demo):
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nbtrack`` console script: the subcommand's exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    command = args.command
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"nbtrack {command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"nbtrack {command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout closed early (| head): quiet, as a process ended by SIGPIPE
        _silence_stdout()
        return 141
    except Exception as exc:
        if os.environ.get("NBTRACK_DEBUG", "") not in ("", "0"):
            raise
        message = " ".join(str(exc).split()) or "(no message)"
        print(f"nbtrack {command}: {type(exc).__name__}: {message} (run with NBTRACK_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return FAILURE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit-time flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
