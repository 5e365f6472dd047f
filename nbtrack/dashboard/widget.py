"""The live dashboard widget (anywidget): the data path from ``log()`` to the browser.

``Dashboard(run)`` attaches a live feed to the run (``Run.attach``), which returns where
the stored data ended at that moment; it then reads the run up to there with one
incremental reader, outside the writer's lock, so logging never waits while the view is
built. From then on the view receives only new points as sequence-numbered binary
``append`` messages (``feed.LiveFeed``), at most about ten a second. Its JavaScript
(``js/src/index.js``) keeps the data in one store per model, so late and second views
show the same points. This module is imported only when a live dashboard is made, so
``import nbtrack`` needs neither anywidget nor the JS bundle.
"""

from __future__ import annotations

import uuid
from typing import Any

import anywidget
import ipywidgets
import traitlets

from nbtrack.record.run import Run
from nbtrack.store.details import read_details
from nbtrack.store.reader import RunReader

from .assets import BUNDLE
from .details import details_info
from .feed import LiveFeed
from .loader import BokehLoader
from .protocol import json_safe
from .snapshot import STATIC_POINTS, named_as, snapshot_of, step_metrics_of
from .static_output import StaticDashboard
from .zoom import SERVER as ZOOM_SERVER


def in_marimo(widget: ipywidgets.Widget) -> bool:
    """Whether the widget's comm is marimo's (``marimo._plugins.ui._impl.comm.MarimoComm``)."""
    comm = widget.comm
    return comm is not None and type(comm).__module__.split(".")[0] == "marimo"


class Dashboard(anywidget.AnyWidget):
    """A run's live view. Make one with ``run.show()``.

    While the run is live its output is this widget. When the run finishes (``run.finish()``
    in the kernel), every place it was displayed is replaced by a static output that needs
    neither the kernel nor widget state (``static_output.py``), drawn with the view's last settings.

    >>> import nbtrack, tempfile
    >>> run = nbtrack.init(dir=tempfile.mkdtemp())
    >>> run.log({"loss": 1.0})
    >>> dash = run.show()
    >>> dash.snapshot["series"][0]["key"], dash.snapshot["seq"]
    ('loss', 0)
    >>> run.finish()
    """

    _esm = BUNDLE
    _uid = traitlets.Unicode("").tag(sync=True)
    run_name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("running").tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)  # the view's controls, written by the browser
    snapshot = traitlets.Dict().tag(sync=True)  # bytes values travel as binary buffers
    loader = traitlets.Instance(BokehLoader).tag(sync=True, **ipywidgets.widget_serialization)
    detail_token = traitlets.Unicode("").tag(sync=True)  # zoom detail of history the browser holds reduced

    def __init__(self, run: Run, max_rate: float = 10.0, **kwargs: Any) -> None:
        super().__init__(_uid=uuid.uuid4().hex, run_name=run.name, status=run.status,
                         config=json_safe(run.config.as_dict()), loader=BokehLoader.instance(), **kwargs)
        self._run = run
        self._display_ids: list[str] = []
        self._reader = RunReader(run.dir) if run.dir is not None else None  # the one reader of this view
        if self._reader is not None:
            self.detail_token = ZOOM_SERVER.register([self._reader], live=True)
            self.on_msg(self._on_message)
        self._details_sent: Any = None  # the run-details panel's data last sent (details.py)
        self._details_cache: dict[Any, Any] = {}  # JSON lines files parsed, by path (read_details)
        self._feed = LiveFeed(self._send_append, run=run.id, max_rate=max_rate, on_close=self._run_finished,
                              info=self._live_info, on_state=self._details_changed)
        self._feed.info_sent = self._live_info()  # what the snapshot carries; later changes go as `runs`
        position = run.attach(self._feed, on_finish=self._finalize)
        if self._reader is not None:
            self._reader.catch_up(until=position)  # outside the writer's lock: logging goes on meanwhile
        self.snapshot = self._snapshot(seq=0)
        self._details_sent = details_info(read_details(run.dir)) if run.dir is not None else None

    def _live_info(self) -> dict[str, Any]:
        """The run's table entry that changes while it logs without a file telling the view: its name and
        its ``define_metric`` step metrics (the charts of such a metric use it as x)."""
        return {"id": self._run.id, "name": self._run.name,
                "metrics": step_metrics_of(self._run.summary.definitions())}

    def _snapshot(self, seq: int, budget: int | None = None) -> dict[str, Any]:
        """What the reader holds, as bytes (moved into binary buffers): per series, and per value
        (``snapshot["media"][i]["data"][j]``: ipywidgets moves bytes out of lists inside dicts too)."""
        if self._reader is None:
            return {"seq": seq, "runs": named_as(self._run, []), "series": [], "media": []}
        snapshot = snapshot_of([self._reader], seq=seq, catch_up=False, budget=budget)
        snapshot["runs"] = [{**info, **self._live_info()} for info in named_as(self._run, snapshot["runs"])]
        return snapshot

    def _details_changed(self) -> None:
        """On the writer thread, when the run's state is written: send the details panel's data if it changed
        (a new alert, a saved file, an artifact). Reads only the small files beside the data."""
        if self._run.dir is None:
            return
        details = details_info(read_details(self._run.dir, self._details_cache))
        if details is not None and _without_environment(details) != _without_environment(self._details_sent):
            self._details_sent = details  # the environment alone (written once, at init) sends nothing
            self._feed.send_runs([{"id": self._run.id, "name": self._run.name, "details": json_safe(details)}])

    def _send_append(self, message: dict[str, Any], buffers: list[memoryview]) -> None:
        self.send(message, buffers=buffers)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Zoom-detail requests (``zoom.py``): the browser keeps long histories reduced."""
        if isinstance(content, dict) and content.get("kind") == "detail":
            self._run.flush()  # what was logged is on disk before it is read
            reply, buffers = ZOOM_SERVER.handle({**content, "token": self.detail_token})
            self.send(reply, buffers=buffers)

    def _run_finished(self) -> None:
        self.status = self._run.status

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Display with a display id of its own, so that finishing the run can replace this output."""
        from IPython.display import display

        if self.comm is None:  # closed when its run finished: the static output stands in for it
            display(self.static())
            return
        display_id = uuid.uuid4().hex
        self._display_ids.append(display_id)
        bundle = self._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True, display_id=display_id)

    def static(self) -> StaticDashboard:
        """This dashboard's data, from the run's files, as a static output (see ``static_output.py``)."""
        if self._reader is not None:
            self._reader.catch_up()
        snapshot = self._snapshot(seq=self._feed.seq, budget=STATIC_POINTS)
        return StaticDashboard(snapshot, run_name=self.run_name, status=self._run.status,
                               config=self.config, settings=self.settings)

    def _display_(self) -> Any:
        """marimo's display hook (Jupyter never calls it): the widget while it is open, else the static output.

        A widget closed before display (its run finished first) would show marimo's "Model not found"."""
        if self.comm is None:
            return self.static()
        import marimo  # only marimo calls _display_

        return marimo.ui.anywidget(self)

    def _finalize(self) -> None:
        """Replace every displayed view by the static output, then close the widget.

        In marimo the widget stays open, its status "finished": marimo has no display ids to replace
        outputs by, and closing the widget would leave the cell output empty."""
        if in_marimo(self):
            return
        if self._display_ids:
            from IPython.display import update_display

            bundle = self.static().bundle()
            for display_id in self._display_ids:
                update_display(bundle, raw=True, display_id=display_id)
            self._display_ids.clear()
        self.close()  # no output uses the widget now: saved widget state need not carry it

    def close(self) -> None:
        self._run.detach(self._feed)
        if self.detail_token:
            ZOOM_SERVER.forget(self.detail_token)
        super().close()


def _without_environment(details: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (details or {}).items() if k != "environment"}
