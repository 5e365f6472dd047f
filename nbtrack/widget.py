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
import numpy as np
import traitlets

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
    bokeh_core = traitlets.Unicode("").tag(sync=True)
    bokeh_api = traitlets.Unicode("").tag(sync=True)
    _instance: BokehLoader | None = None

    @classmethod
    def instance(cls) -> BokehLoader:
        if cls._instance is None or cls._instance.comm is None:
            cls._instance = cls(bokeh_core=_bokehjs("bokeh.min.js"), bokeh_api=_bokehjs("bokeh-api.min.js"))
        return cls._instance


class Dashboard(anywidget.AnyWidget):
    """A run's live view. Make one with ``run.show()``.

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
    snapshot = traitlets.Dict().tag(sync=True)  # bytes values travel as binary buffers
    loader = traitlets.Instance(BokehLoader).tag(sync=True, **ipywidgets.widget_serialization)

    def __init__(self, run: Run, max_rate: float = 10.0, **kwargs: Any) -> None:
        super().__init__(_uid=uuid.uuid4().hex, run_name=run.name, status=run.status,
                         loader=BokehLoader.instance(), **kwargs)
        self._run = run
        self._feed = LiveFeed(self._send_append, run=run.id, max_rate=max_rate, on_close=self._run_finished)
        writer = run._writer
        with writer._lock:  # no flush can run between the snapshot and attaching the feed
            writer.flush()
            self.snapshot = _snapshot_of(run, seq=0)
            writer.add_sink(self._feed)

    def _send_append(self, message: dict[str, Any], buffers: list[memoryview]) -> None:
        self.send(message, buffers=buffers)

    def _run_finished(self) -> None:
        self.status = self._run.status

    def close(self) -> None:
        self._run._writer.remove_sink(self._feed)
        super().close()


def _snapshot_of(run: Run, seq: int) -> dict[str, Any]:
    """Everything the run has stored, per series, as bytes (moved into binary buffers)."""
    series = []
    if run.dir is not None:
        from .reader import RunReader

        reader = RunReader(run.dir)
        cols, names = reader._columns(), reader.scalar_tags()
        for tag_id, key in enumerate(names):
            rows = np.flatnonzero(cols.tag == tag_id)
            series.append({"run": run.id, "key": key,
                           "steps": cols.step[rows].astype(np.float64).tobytes(),
                           "values": cols.value[rows].astype(np.float64).tobytes(),
                           "times": cols.time[rows].astype(np.float64).tobytes()})
    return {"seq": seq, "series": series}
