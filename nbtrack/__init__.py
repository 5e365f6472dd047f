"""nbtrack: watch machine-learning training from inside a Jupyter notebook.

>>> import nbtrack, tempfile
>>> run = nbtrack.init(project="demo", config={"lr": 0.1}, dir=tempfile.mkdtemp())
>>> for step in range(10):
...     nbtrack.log({"train/loss": 1 / (step + 1)})
>>> nbtrack.finish()
>>> nbtrack.open(run.logdir).run(run.id).history()["train/loss"].iloc[-1]
np.float64(0.1)
"""

from __future__ import annotations

from typing import Any

from nbtrack import screens as _screens
from nbtrack.record import current as _current
from nbtrack.record.artifact import Artifact
from nbtrack.record.config import Config
from nbtrack.record.create import init
from nbtrack.record.details import AlertLevel
from nbtrack.record.login import login  # wandb.login(), a no-op
from nbtrack.record.run import Run
from nbtrack.record.summary import Summary
from nbtrack.store.artifacts import ArtifactCorruptedError, ArtifactError, ArtifactNotFoundError
from nbtrack.store.export import ExportResult, export_logdir
from nbtrack.store.logdir import Logdir, open
from nbtrack.store.reader import NBTRACK_RUNS, RunReader
from nbtrack.store.sources import register_run_source
from nbtrack.tensorboard.reader import MIXED_RUNS, TENSORBOARD_RUNS

from ._version import __version__
from .errors import FormatError, NbtrackError, RunNotFoundError, RunWriteError, UnsupportedFormatError
from .tensorboard import SummaryWriter
from .values import Audio, Embedding, Figure, Histogram, Html, Image, Markdown, PRCurve, Table, Text, Value, Video
from .values.graph import ModelGraph

register_run_source(MIXED_RUNS)  # the kinds of run a logdir is searched for, in this order
register_run_source(NBTRACK_RUNS)
register_run_source(TENSORBOARD_RUNS)


def _dashboard_show(source: Any, **options: Any) -> Any:
    from nbtrack.dashboard import show  # imports bokeh and anywidget only when a screen is made

    return show(source, **options)


_screens.register_show(_dashboard_show)  # what Run.show(), RunReader.show() and Logdir.show() call


def report(source: Any, path: Any = None, *, runs: Any = None, tags: Any = None, title: str | None = None,
           full_resolution: bool = False, media_per_tag: int | None = None,
           settings: dict[str, Any] | None = None, progress: bool | None = None,
           environment: bool | str = True) -> Any:
    """Runs as one self-contained HTML file that opens offline (see :func:`nbtrack.reports.report`).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with init(dir=d, name="r") as r:
    ...     r.log({"loss": 0.5})
    >>> report(d, f"{d}/report.html").name
    'report.html'
    """
    from nbtrack.reports import report as write_report  # imports bokeh's files only when a report is made

    return write_report(source, path, runs=runs, tags=tags, title=title, full_resolution=full_resolution,
                        media_per_tag=media_per_tag, settings=settings, progress=progress,
                        environment=environment)


_screens.register_report(report)  # what Run.to_html(), RunReader.to_html(), Logdir.to_html() and .save() call

__all__ = [
    "Audio", "Config", "Embedding", "ExportResult", "Figure", "FormatError", "Histogram", "Html", "Image", "Logdir",
    "Markdown", "ModelGraph", "NbtrackError", "PRCurve", "Run", "RunNotFoundError", "RunReader", "RunWriteError",
    "Summary", "SummaryWriter", "Table", "Text", "UnsupportedFormatError", "Value", "Video",
    "__version__", "config", "define_metric", "export_logdir", "finish", "import_tensorboard", "init",
    "load_ipython_extension", "log", "login", "open", "report", "run", "summary", "track",
    "unload_ipython_extension", "unwatch", "watch",
]


def import_tensorboard(tbdir: Any, logdir: Any, runs: str | None = None, progress: bool | None = None) -> list[str]:
    """Convert a TensorBoard logdir into nbtrack runs (see :func:`nbtrack.tensorboard.importer.import_tensorboard`).

    >>> import tempfile
    >>> import_tensorboard(tempfile.mkdtemp(), tempfile.mkdtemp(), progress=False)
    []
    """
    from nbtrack.tensorboard.importer import import_tensorboard as convert  # protobuf only when used

    return convert(tbdir, logdir, runs=runs, progress=progress)


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """Log metrics to the current run (see :meth:`Run.log`)."""
    _current.require("nbtrack.log()").log(data, step=step, commit=commit)


def finish(exit_code: int = 0, quiet: bool | None = None) -> None:
    """Finish the current run, if any (see :meth:`Run.finish`)."""
    run = _current.current()
    if run is not None:
        run.finish(exit_code=exit_code)


def define_metric(name: str, summary: str | None = None, goal: str | None = None, **kwargs: Any) -> None:
    """Define how a metric of the current run is summarised (see :meth:`Run.define_metric`)."""
    _current.require("nbtrack.define_metric()").define_metric(name, summary=summary, goal=goal, **kwargs)


def watch(models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False) -> None:
    """Histograms of a torch model's gradients/parameters in the current run (see :meth:`Run.watch`)."""
    _current.require("nbtrack.watch()").watch(models, criterion=criterion, log=log, log_freq=log_freq, idx=idx,
                                              log_graph=log_graph)


def unwatch(models: Any = None) -> None:
    """Remove the current run's watch hooks from ``models`` (None: all) (see :meth:`Run.unwatch`)."""
    _current.require("nbtrack.unwatch()").unwatch(models)


__all__ += [  # files, artifacts, alerts (issue 22)
    "AlertLevel", "Artifact", "ArtifactCorruptedError", "ArtifactError", "ArtifactNotFoundError", "alert",
    "log_artifact", "save", "use_artifact",
]


def save(glob_str: Any, base_path: Any = None, policy: str = "live") -> list[str]:
    """Copy files into the current run's folder (see :meth:`Run.save`)."""
    return _current.require("nbtrack.save()").save(glob_str, base_path=base_path, policy=policy)


def log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,
                 aliases: list[str] | None = None) -> Artifact:
    """Store an artifact from the current run (see :meth:`Run.log_artifact`)."""
    return _current.require("nbtrack.log_artifact()").log_artifact(artifact_or_path, name=name, type=type,
                                                                   aliases=aliases)


def use_artifact(artifact_or_name: Any, type: str | None = None) -> Artifact:
    """A stored artifact version, used by the current run (see :meth:`Run.use_artifact`)."""
    return _current.require("nbtrack.use_artifact()").use_artifact(artifact_or_name, type=type)


def alert(title: str, text: str, level: str = "INFO", wait_duration: Any = None) -> None:
    """Record and print an alert on the current run (see :meth:`Run.alert`)."""
    _current.require("nbtrack.alert()").alert(title, text, level=level, wait_duration=wait_duration)


class _CurrentProxy:
    """``nbtrack.config`` / ``nbtrack.summary``: the current run's, with a clear error before init."""

    def __init__(self, attribute: str) -> None:
        object.__setattr__(self, "_attribute", attribute)

    def _target(self) -> Any:
        name = self._attribute
        return getattr(_current.require(f"using nbtrack.{name}"), name)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):  # introspection (doctest, IPython) must not need a run
            raise AttributeError(key)
        return getattr(self._target(), key)

    def __setattr__(self, key: str, value: Any) -> None:
        setattr(self._target(), key, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Any:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __repr__(self) -> str:
        run = _current.current()
        return repr(getattr(run, self._attribute)) if run else f"<nbtrack.{self._attribute}: no current run>"


config: Any = _CurrentProxy("config")
summary: Any = _CurrentProxy("summary")


def track(logdir: Any = None, runs: str | None = None, tags: str | None = None, reload: float = 1.0,
          **kwargs: Any) -> Any:
    """A live dashboard of every run under ``logdir``, updating as runs are written (no server, no port).

    The function behind ``%track``; see :func:`nbtrack.dashboard.track.track` for the options.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="a") as run:
    ...     run.log({"loss": 1.0})
    >>> view = nbtrack.track(d, reload=60)
    >>> len(view.snapshot["runs"])
    1
    >>> view.close()
    """
    from nbtrack.dashboard.track import track as _track  # imports anywidget: only when a view is made

    return _track(logdir, runs=runs, tags=tags, reload=reload, **kwargs)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbtrack``: registers ``%track`` and ``%%track`` (``nbtrack/magic.py``)."""
    from nbtrack.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext nbtrack``: removes the magics and turns every ``%track`` output static."""
    from nbtrack.magic import unload

    unload(ipython)


INTEGRATIONS = ("keras", "lightning", "transformers")  # nbtrack.keras.TrackCallback, ...: imported when first used


def __getattr__(name: str) -> Any:
    if name == "run":
        return _current.current()
    if name in INTEGRATIONS:  # the module only: it imports its framework when its class is used
        import importlib

        return importlib.import_module(f"nbtrack.{name}")
    raise AttributeError(f"module 'nbtrack' has no attribute {name!r}")
