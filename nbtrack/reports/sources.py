"""What a report covers: run readers gathered from logdirs, runs, readers or lists of them, filtered.

Every reader is new and the report's own (a live view's readers are never moved on by a
report), so reporting a logdir that is being written is as safe as reading it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.store.logdir import Logdir
from nbtrack.store.reader import RunReader


@dataclass
class Gathered:
    """The readers a report shows, the logdirs they came from and what could not be read."""

    readers: list[RunReader] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    relative: dict[int, str] = field(default_factory=dict)  # id(reader) -> its path under its logdir


def gather(source: Any, runs: re.Pattern[str] | None = None) -> Gathered:
    """The readers of ``source`` whose name, id or path under their logdir ``runs`` matches.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for name in ("base", "wide"):
    ...     with nbtrack.init(dir=d, name=name) as run:
    ...         run.log({"loss": 1.0})
    >>> [r.name for r in gather(d, re.compile("wi")).readers]
    ['wide']
    """
    gathered = Gathered()
    _add(gathered, source)
    if runs is not None:
        gathered.readers = [r for r in gathered.readers if any(
            runs.search(text) for text in (r.name, r.id, gathered.relative.get(id(r), "")))]
    return gathered


def _add(gathered: Gathered, source: Any) -> None:
    """Add the readers of one source (recursing into lists)."""
    from nbtrack.record.run import Run  # a Run is reported from its folder, as stored now

    if isinstance(source, (str, os.PathLike)):
        source = Logdir(source)  # FileNotFoundError names a missing folder
    if isinstance(source, Logdir):
        _add_logdir(gathered, source)
    elif isinstance(source, RunReader):
        gathered.readers.append(source)
    elif isinstance(source, Run):
        gathered.readers.append(_reader_of_run(source))
    elif isinstance(source, (list, tuple)):
        for item in source:
            _add(gathered, item)
    else:
        raise TypeError(f"nbtrack.report(source=...) takes a logdir path, a Logdir, a Run, a RunReader or a list "
                        f"of them, got {type(source).__name__}")


def _add_logdir(gathered: Gathered, logdir: Logdir) -> None:
    fresh = Logdir(logdir.path, logdir.stale_after)  # its own readers: a report never moves a view's on
    readers = fresh.select()
    gathered.roots.append(fresh.path)
    gathered.problems.extend(p for p in fresh.problems if p not in gathered.problems)
    for reader in readers:
        try:
            gathered.relative[id(reader)] = reader.path.relative_to(fresh.path).as_posix()
        except ValueError:
            pass
    gathered.readers.extend(readers)


def _reader_of_run(run: Any) -> RunReader:
    """A reader of a ``Run``'s folder, after what it logged so far reached the disk."""
    if run.dir is None:
        raise ValueError(f"nbtrack.report(): run {run.name!r} keeps no folder (it was made with dir=False), "
                         "so there is nothing stored to report")
    if not run.finished:
        run.flush()
    return RunReader(run.dir)
