"""The live dashboard widget (anywidget): the data path from ``log()`` to the browser.

``Dashboard(run)`` starts from a snapshot of everything the run has stored, taken under
the writer's lock, and from then on receives only new points as sequence-numbered
binary ``append`` messages (``live.LiveFeed``), at most about ten a second. Its
JavaScript (``js/src/index.js``) keeps the data in one store per model, so late and
second views show the same points. This module is imported only when a dashboard is
made, so ``import nbtrack`` needs neither anywidget nor the JS bundle.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets
import traitlets

from ._detail import SERVER as DETAIL_SERVER
from ._protocol import json_safe
from ._snapshot import snapshot_of
from ._static import StaticDashboard
from .live import LiveFeed

if TYPE_CHECKING:
    from .recorder import Run

BUNDLE = Path(__file__).parent / "static" / "widget.js"


def _bokehjs(name: str) -> str:
    """A BokehJS file of the installed bokeh package (found without importing bokeh)."""
    spec = importlib.util.find_spec("bokeh")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the live dashboard draws with BokehJS: pip install bokeh")
    return (Path(spec.submodule_search_locations[0]) / "server" / "static" / "js" / name).read_text()


class BokehLoader(anywidget.AnyWidget):
    """Carries BokehJS to the page once per kernel; every dashboard references it.

    Its model is created in the page even when it is never displayed, and its
    ``initialize()`` injects the two scripts once per page (measured in
    ``docs/dev/bokeh-loader-prototype``).
    """

    _esm = BUNDLE
    _uid = traitlets.Unicode("").tag(sync=True)
    bokeh_core = traitlets.Unicode("").tag(sync=True)
    bokeh_api = traitlets.Unicode("").tag(sync=True)
    _instance: BokehLoader | None = None

    @classmethod
    def instance(cls) -> BokehLoader:
        if cls._instance is None or cls._instance.comm is None:
            cls._instance = cls(_uid=uuid.uuid4().hex, bokeh_core=_bokehjs("bokeh.min.js"),
                                bokeh_api=_bokehjs("bokeh-api.min.js"))
            cls._instance.on_msg(cls._instance._on_message)
        return cls._instance

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Zoom-detail requests from static outputs of this kernel (``_detail.py``); answered at once."""
        if isinstance(content, dict) and content.get("kind") == "detail":
            reply, buffers = DETAIL_SERVER.handle(content)
            self.send(reply, buffers=buffers)


class Dashboard(anywidget.AnyWidget):
    """A run's live view. Make one with ``run.show()``.

    While the run is live its output is this widget. When the run finishes (``run.finish()``
    in the kernel), every place it was displayed is replaced by a static output that needs
    neither the kernel nor widget state (``_static.py``), drawn with the view's last settings.

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
        if run.dir is not None:
            from .reader import RunReader

            self.detail_token = DETAIL_SERVER.register([RunReader(run.dir)], live=True)
            self.on_msg(self._on_message)
        self._feed = LiveFeed(self._send_append, run=run.id, max_rate=max_rate, on_close=self._run_finished)
        writer = run._writer
        with writer._lock:  # no flush can run between the snapshot and attaching the feed
            writer.flush()
            self.snapshot = _snapshot_of(run, seq=0)
            writer.add_sink(self._feed)

    def _send_append(self, message: dict[str, Any], buffers: list[memoryview]) -> None:
        self.send(message, buffers=buffers)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Zoom-detail requests (``_detail.py``): the browser keeps long histories reduced."""
        if isinstance(content, dict) and content.get("kind") == "detail":
            self._run.flush()  # what was logged is on disk before it is read
            reply, buffers = DETAIL_SERVER.handle({**content, "token": self.detail_token})
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
        """This dashboard's data, from the run's files, as a static output (see ``_static.py``)."""
        snapshot = _snapshot_of(self._run, seq=self._feed.seq)
        return StaticDashboard(snapshot, run_name=self.run_name, status=self._run.status,
                               config=self.config, settings=self.settings)

    def _finalize(self) -> None:
        """Replace every displayed view by the static output, then close the widget."""
        if self._display_ids:
            from IPython.display import update_display

            bundle = self.static().bundle()
            for display_id in self._display_ids:
                update_display(bundle, raw=True, display_id=display_id)
            self._display_ids.clear()
        self.close()  # no output uses the widget now: saved widget state need not carry it

    def close(self) -> None:
        self._run._writer.remove_sink(self._feed)
        if self.detail_token:
            DETAIL_SERVER.forget(self.detail_token)
        super().close()


def _snapshot_of(run: Run, seq: int) -> dict[str, Any]:
    """Everything the run has stored as bytes (moved into binary buffers): per series, and per value
    (``snapshot["media"][i]["data"][j]``: ipywidgets moves bytes out of lists inside dicts too)."""
    if run.dir is None:
        return {"seq": seq, "runs": [{"id": run.id, "name": run.name}], "series": [], "media": []}
    from .reader import RunReader

    snapshot = snapshot_of([RunReader(run.dir)], seq=seq)
    snapshot["runs"] = [{**info, "id": run.id, "name": run.name} for info in snapshot["runs"][:1]] or \
        [{"id": run.id, "name": run.name}]
    return snapshot
