"""The live dashboard widget (anywidget): the data path from ``log()`` to the browser.

``Dashboard(run)`` starts from a snapshot of everything the run has stored, taken under
the writer's lock, and from then on receives only new points as sequence-numbered
binary ``append`` messages (``live.LiveFeed``), at most about ten a second. Its
JavaScript (``js/src/index.js``) keeps the data in one store per model, so late and
second views show the same points. This module is imported only when a dashboard is
made, so ``import nbtrack`` needs neither anywidget nor the JS bundle.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import traitlets

from .live import LiveFeed

if TYPE_CHECKING:
    from .recorder import Run

BUNDLE = Path(__file__).parent / "static" / "widget.js"


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

    def __init__(self, run: Run, max_rate: float = 10.0, **kwargs: Any) -> None:
        super().__init__(_uid=uuid.uuid4().hex, run_name=run.name, status=run.status, **kwargs)
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
