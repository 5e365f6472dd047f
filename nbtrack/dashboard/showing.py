"""``show()``: the one entry that turns a run, a reader or a logdir into a screen for the cell output.

``Run.show()``, ``RunReader.show()`` and ``Logdir.show()`` hand off to it (the package's
one upward hook, as pandas' ``DataFrame.plot``), so the data classes never build screens
themselves. A run that is still logging gets the live widget; everything stored gets the
static output, which needs neither the kernel nor widget state.
"""

from __future__ import annotations

from typing import Any

from nbtrack.record.run import Run
from nbtrack.store.logdir import Logdir
from nbtrack.store.reader import RunReader

from .snapshot import STATIC_POINTS, named_as, snapshot_of
from .static_output import StaticDashboard


def show(source: Any, *, runs: Any = None, settings: dict[str, Any] | None = None,
         max_rate: float = 10.0) -> Any:
    """A dashboard of ``source``: a ``Run``, a ``RunReader``, a ``Logdir`` or a list of readers.

    A live run gets a ``Dashboard`` widget that updates as ``log()`` is called (at most
    ``max_rate`` messages a second); a finished run, readers and logdirs get a
    ``StaticDashboard`` of what is stored now, several runs overlaid. ``runs`` picks runs
    of a logdir by id or name; ``settings`` are the view's starting controls.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r") as run:
    ...     run.log({"loss": 0.5})
    >>> show(nbtrack.open(d)), show(run)
    (<nbtrack.StaticDashboard 'r': 1 series>, <nbtrack.StaticDashboard 'r': 1 series>)
    """
    if isinstance(source, Run):
        return _show_run(source, max_rate)
    if isinstance(source, Logdir):
        readers = source.select(runs)
        if not readers:
            raise ValueError(f"Logdir.show(): no runs under {str(source.path)!r} to show")
        return show_readers(readers, settings)
    if isinstance(source, RunReader):
        return show_readers([source], settings)
    if isinstance(source, (list, tuple)) and source and all(isinstance(r, RunReader) for r in source):
        return show_readers(list(source), settings)
    raise TypeError(f"nbtrack.dashboard.show(source=...) takes a Run, a RunReader, a Logdir or a list of "
                    f"RunReaders, got {type(source).__name__}")


def show_readers(readers: list[RunReader], settings: dict[str, Any] | None = None) -> StaticDashboard:
    """The static output overlaying stored runs (one colour per run)."""
    for reader in readers:
        reader.refresh_manifests()
    name = readers[0].name if len(readers) == 1 else f"{len(readers)} runs"
    statuses = sorted({r.status for r in readers})
    config = readers[0].config if len(readers) == 1 else {}
    return StaticDashboard(snapshot_of(readers, budget=STATIC_POINTS), run_name=name, status=", ".join(statuses),
                           config=config, settings=settings, readers=readers)


def _show_run(run: Run, max_rate: float) -> Any:
    """The live widget of a run that is logging; the static output of a finished one."""
    if run.finished:
        readers = [RunReader(run.dir)] if run.dir is not None else []
        snapshot = snapshot_of(readers, budget=STATIC_POINTS)
        snapshot["runs"] = named_as(run, snapshot["runs"])
        return StaticDashboard(snapshot, run_name=run.name, status=run.status, config=run.config.as_dict(),
                               readers=readers)
    from .widget import Dashboard  # imports anywidget: only when a live view is made

    return Dashboard(run, max_rate=max_rate)
