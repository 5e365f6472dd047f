"""The kinds of runs a logdir can hold, and how to read each: a small registry the package fills.

``store/`` reads nbtrack run folders itself; other kinds (TensorBoard event folders, in
``tensorboard/``) sit above ``store/`` and must not be imported by it. So the package's
face (``nbtrack/__init__.py``) registers every kind it ships here, and ``Logdir`` asks
each registered source whether a folder is one of its runs.

>>> from pathlib import Path
>>> import nbtrack  # the package's face registers the kinds it ships
>>> [source.name for source in run_sources()]
['nbtrack+tensorboard', 'nbtrack', 'tensorboard']
>>> source_of(Path("/nonexistent"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunSource:
    """One kind of run: how to recognise its folder and how to open a reader for it.

    ``open(folder, stale_after, root)`` returns an object with ``RunReader``'s reading API
    (``root``: the logdir the folder was found in, which some kinds name runs by) and raises
    :class:`nbtrack.errors.FormatError` for a folder it cannot read. ``nested``: runs of this
    kind may hold further runs in sub-folders (TensorBoard's ``add_scalars`` folders), searched
    except for the sub-folders named in ``own`` (the run's own data).
    """

    name: str
    is_run: Callable[[Path], bool]
    open: Callable[[Path, float | None, Path | None], Any]
    nested: bool = False
    own: frozenset[str] = frozenset()


_SOURCES: dict[str, RunSource] = {}


def register_run_source(source: RunSource) -> None:
    """Add (or replace, by name) a kind of run that logdirs are searched for."""
    _SOURCES[source.name] = source


def run_sources() -> list[RunSource]:
    """The registered kinds of run, in the order they were registered."""
    return list(_SOURCES.values())


def source_of(folder: Path) -> RunSource | None:
    """The first registered kind of run that ``folder`` holds, or None."""
    for source in _SOURCES.values():
        try:
            if source.is_run(folder):
                return source
        except OSError:
            continue
    return None
