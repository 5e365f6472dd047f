"""What every ``nbtrack`` subcommand shares: one-line errors, warnings on stderr, colour and progress
decisions, argument checks, and the formatting of times, numbers, tables and JSON."""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, TextIO

USAGE = 2  # exit code of a usage error: bad arguments, a missing logdir, a bad regular expression
FAILURE = 1  # exit code of a failure: writing failed, nothing to report, a run refused


class CliError(Exception):
    """An expected failure of a subcommand: printed as one line ``nbtrack <cmd>: <message>``, exit ``code``."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(" ".join(str(message).split()))  # one line, whatever the message held
        self.code = code


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Stop the subcommand with a one-line message and exit ``code`` (2: usage, 1: failure)."""
    raise CliError(message, code)


def warn(command: str, message: str) -> None:
    """One warning line on stderr (stdout stays clean for pipes)."""
    print(f"nbtrack {command}: " + " ".join(str(message).split()), file=sys.stderr)


@contextmanager
def warnings_to_stderr(command: str) -> Iterator[None]:
    """Python warnings raised inside, each printed as one line ``nbtrack <cmd>: warning: ...`` (no file:line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for item in caught:
                text = str(item.message)
                if text not in seen:
                    seen.add(text)
                    warn(command, f"warning: {text}")


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and not when ``NO_COLOR`` is set to anything but "" (no-color.org)."""
    stream = sys.stdout if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def progress_option(quiet: bool) -> bool | None:
    """The ``progress=`` to pass to long work: False with ``--quiet`` or when stderr is not a terminal,
    else None (the work's own default: a tqdm bar on the terminal)."""
    if quiet or not sys.stderr.isatty():
        return False
    return None


def existing_logdir(path: str) -> Path:
    """``path`` as a Path when it is a folder; a usage error (exit 2) naming it otherwise."""
    folder = Path(path).expanduser()
    if not folder.exists():
        fail(f"logdir {path!r} does not exist")
    if not folder.is_dir():
        fail(f"logdir {path!r} is not a folder")
    return folder


def compile_regex(option: str, pattern: str | None) -> re.Pattern[str] | None:
    """``pattern`` compiled, or a usage error naming the option, what was given and why it is refused."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        fail(f"{option} {pattern!r} is not a valid regular expression ({exc}); "
             "use Python's re syntax, e.g. 'lr=0\\.1' or '^baseline'")


def span(seconds: float | None, parts: int = 2) -> str:
    """A duration in its largest units: ``45s``, ``1m 20s``, ``2h 5m``, ``3d 4h`` ("-" when unknown).

    >>> span(80), span(45.2), span(7500), span(3 * 86400 + 4 * 3600 + 5), span(None)
    ('1m 20s', '45s', '2h 5m', '3d 4h', '-')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    rest = round(seconds)
    pieces: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size or (unit == "s" and not pieces):
            pieces.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(pieces[:parts])


def age(seconds: float | None) -> str:
    """How long ago, in one unit: ``3m``, ``2h``, ``5d`` (``now`` under a second).

    >>> age(20), age(200), age(7300), age(5 * 86400 + 60), age(0.2)
    ('20s', '3m', '2h', '5d', 'now')
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 1:
        return "now"
    return span(seconds, parts=1)


def iso_utc(timestamp: float | None) -> str | None:
    """A Unix time as ISO 8601 UTC (``2026-01-02T03:04:05.678Z``), or None.

    >>> iso_utc(0.5)
    '1970-01-01T00:00:00.500Z'
    """
    if timestamp is None or not isinstance(timestamp, (int, float)) or not math.isfinite(timestamp):
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """``value`` with NaN and infinities as None, numpy scalars and arrays as Python values, tuples as
    lists, and anything else JSON cannot hold as its ``str``: valid JSON (RFC 8259) whatever was stored.

    >>> jsonable({"a": float("nan"), "b": [1, float("inf")], "c": {"d": (2.5,)}})
    {'a': None, 'b': [1, None], 'c': {'d': [2.5]}}
    """
    stack: list[tuple[Any, Any, Any]] = []
    root: list[Any] = [None]
    stack.append((value, root, 0))
    while stack:  # without recursion: a deeply nested config cannot raise RecursionError
        item, parent, key = stack.pop()
        if hasattr(item, "tolist") and not isinstance(item, (str, bytes)):
            item = item.tolist()
        if isinstance(item, dict):
            out: Any = {}
            for k, v in item.items():
                out[str(k)] = None
                stack.append((v, out, str(k)))
        elif isinstance(item, (list, tuple)):
            out = [None] * len(item)
            stack.extend((v, out, i) for i, v in enumerate(item))
        elif isinstance(item, float):
            out = item if math.isfinite(item) else None
        elif item is None or isinstance(item, (bool, int, str)):
            out = item
        else:
            out = str(item)
        parent[key] = out
    return root[0]


def cell(value: Any, width: int = 40) -> str:
    """A value as a table cell: floats with 4 significant digits, missing as "-", long text cut.

    >>> cell(0.123456), cell(float("nan")), cell(None), cell(12), cell("x" * 50, 10)
    ('0.1235', '-', '-', '12', 'xxxxxxxxx…')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool],
          styles: Sequence[Sequence[str]] | None = None) -> str:
    """Columns padded to their widest cell (right-aligned where ``right``), two spaces apart.

    ``styles`` holds an ANSI SGR code (e.g. "32") or "" per cell; colour wraps the padded text,
    so the columns stay aligned on the terminal.
    """
    widths = [max([len(h)] + [len(r[j]) for r in rows]) for j, h in enumerate(headers)]

    def line(cells: Sequence[str], codes: Sequence[str]) -> str:
        padded = []
        for j, text in enumerate(cells):
            text = text.rjust(widths[j]) if right[j] else text.ljust(widths[j])
            padded.append(f"\x1b[{codes[j]}m{text}\x1b[0m" if codes[j] else text)
        return "  ".join(padded).rstrip()

    bold = ["1" if styles is not None else ""] * len(headers)
    out = [line(headers, bold)]
    for i, row in enumerate(rows):
        out.append(line(row, styles[i] if styles is not None else [""] * len(headers)))
    return "\n".join(out)
