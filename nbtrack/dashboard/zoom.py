"""Zoom detail for static dashboards, served by the kernel while it is running and idle.

A static output of stored runs (``Logdir.show()``) carries long series reduced (``snapshot.py``).
When the kernel that made it is still there, the output's JavaScript asks for the points of
a zoomed range through the page's BokehJS loader model (one per kernel, never displayed, so
a reopened notebook shows no broken widget): ``{"kind": "detail", "token", "req", "run",
"key", "x0", "x1", "width"}``. The kernel answers with every point of that step range when
there are at most ``FULL_RESOLUTION`` of them, else with the range reduced to ``width``
buckets (M4), as ``{"kind": "detail", "req", "n", "full"}`` plus steps, values and times
buffers. Nothing from the request is evaluated; unknown tokens, runs or keys get an error
reply.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.store.reader import RunReader

from .m4 import joined, reduce_m4

FULL_RESOLUTION = 100_000  # a zoomed range up to this many points arrives complete
MAX_BUCKETS = 16_384
_CACHED_SERIES = 4


class DetailServer:
    """Stored runs that static outputs of this kernel may ask zoom detail about.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r") as run:
    ...     for i in range(10): run.log({"x": float(i)})
    >>> server = DetailServer()
    >>> token = server.register([nbtrack.open(d).run("r")])
    >>> reply, buffers = server.handle({"kind": "detail", "token": token, "req": 1, "run": run.id,
    ...                                 "key": "x", "x0": 2, "x1": 4, "width": 100})
    >>> reply["n"], reply["full"], np.frombuffer(buffers[1]).tolist()
    (5, True, [1.0, 2.0, 3.0, 4.0, 5.0])
    """

    def __init__(self) -> None:
        self._readers: dict[str, dict[str, RunReader | Path]] = {}
        self._live: set[str] = set()  # tokens of runs still being written: never cached
        self._series: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, readers: list[RunReader], live: bool = False) -> str:
        """Allow detail requests about these runs; returns the token a dashboard carries.
        ``live``: the runs are still growing, so their points are read anew for every request."""
        token = uuid.uuid4().hex
        with self._lock:
            self._readers[token] = {r.id: r for r in readers}
            if live:
                self._live.add(token)
        return token

    def register_folders(self, folders: dict[str, Path]) -> str:
        """Like :meth:`register` for runs given as ``{run id: folder}``, each read afresh for every
        request and not kept (a watcher's own readers keep no history)."""
        token = uuid.uuid4().hex
        with self._lock:
            self._readers[token] = dict(folders)
            self._live.add(token)
        return token

    def extend(self, token: str, folders: dict[str, Path]) -> None:
        """Add runs (as folders) to a registered token, e.g. runs a watcher found later."""
        with self._lock:
            if token in self._readers:
                self._readers[token].update(folders)

    def forget(self, token: str) -> None:
        with self._lock:
            self._readers.pop(token, None)
            self._live.discard(token)

    def handle(self, message: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        """The reply (and its buffers) to one detail request."""
        req = message.get("req")
        try:
            steps, values, times = self._series_for(message)
            x0, x1 = float(message["x0"]), float(message["x1"])
            width = int(message.get("width", 1024))
            if not (math.isfinite(x0) and math.isfinite(x1) and x1 >= x0 and 1 <= width <= MAX_BUCKETS):
                raise ValueError(f"need finite x0 <= x1 and 1 <= width <= {MAX_BUCKETS}, "
                                 f"got x0={x0}, x1={x1}, width={width}")
        except (KeyError, TypeError, ValueError) as error:
            return {"kind": "detail", "v": 1, "req": req, "error": str(error)}, []
        lo, hi = int(np.searchsorted(steps, x0, side="left")), int(np.searchsorted(steps, x1, side="right"))
        lo, hi = max(lo - 1, 0), min(hi + 1, len(steps))  # one point past each edge: lines reach them
        s, v, t = steps[lo:hi], values[lo:hi], times[lo:hi]
        total = len(s)
        full = total <= FULL_RESOLUTION
        if not full:
            s, v, t = reduce_m4(s, v, t, buckets=width)
        reply = {"kind": "detail", "v": 1, "req": req, "run": message["run"], "key": message["key"],
                 "x0": x0, "x1": x1, "n": len(s), "total": total, "full": full}
        return reply, [np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in (s, v, t)]

    def _series_for(self, message: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        token, run, key = str(message["token"]), str(message["run"]), str(message["key"])
        with self._lock:
            readers = self._readers.get(token)
            if readers is None or run not in readers:
                raise KeyError(f"no stored run {run!r} behind this output (token {token[:8]})")
            live = token in self._live
            cached = None if live else self._series.get((run, key))
            if cached is not None:
                self._series.move_to_end((run, key))
                return cached
            source = readers[run]
        reader = RunReader(source) if isinstance(source, Path) else source
        reader.catch_up()
        names, pieces = reader.tag_pieces()  # one tag's points, not the whole run, are joined
        if key not in names:
            raise KeyError(f"run {run!r} has no scalar {key!r}")
        series = joined(pieces[names.index(key)]) if pieces[names.index(key)] else (np.zeros(0),) * 3
        if live:
            return series
        with self._lock:
            self._series[(run, key)] = series
            while len(self._series) > _CACHED_SERIES:
                self._series.popitem(last=False)
        return series


SERVER = DetailServer()
