"""``LiveFeed``: the writer's sink that feeds a live widget with new points and values, coalesced.

The writer thread hands it every batch it drains, and every list of encoded values
(images, histograms, audio, text, ...). It keeps what was not sent yet and sends the
points as one ``append`` message, then the values as one ``media`` message (see
``protocol.py``; each value exactly once), at most ``max_rate`` times a second however
fast training logs, so the IOPub rate limit is never near. What the rate limit holds
back is sent by a one-shot timer when the interval is over, so the view catches up with
the last step even when logging stops. It is a best-effort sink: a failing send, or a
value that cannot travel, is reported once and never stops training or storage.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nbtrack.store.batches import ScalarBatch

from .embeddings import embedding_parts
from .protocol import (
    FIGURE_FORMATS,
    PROTOCOL_VERSION,
    MediaEntry,
    Series,
    encode_append,
    encode_media,
    figure_file,
    inline_overlays,
    inline_table_cells,
    media_entry,
)

if TYPE_CHECKING:
    from nbtrack.store.batches import MediaItem

Send = Callable[[dict[str, Any], list[memoryview]], None]


class LiveFeed:
    """Coalesces one run's scalar batches and values into sequence-numbered ``append``/``media`` messages.

    >>> sent = []
    >>> feed = LiveFeed(lambda msg, buffers: sent.append(msg), run="r1", max_rate=10.0)
    >>> import numpy as np
    >>> from nbtrack.store.batches import ScalarBatch
    >>> feed.write(ScalarBatch(["loss"], np.zeros(2, np.int32), np.arange(2), np.zeros(2), np.ones(2)))
    >>> sent[0]["seq"], sent[0]["series"]
    (1, [{'run': 'r1', 'key': 'loss', 'n': 2}])
    >>> from nbtrack.store.batches import MediaItem
    >>> from nbtrack import Text
    >>> feed.write_media([MediaItem("note", 2, 0.0, Text("hi").encode())])  # held back by the rate
    >>> feed.flush()  # sends what is pending now
    >>> sent[1]["kind"], sent[1]["seq"], sent[1]["items"][0]["meta"]["text"]
    ('media', 2, 'hi')
    """

    name = "live view"
    critical = False

    def __init__(self, send: Send, run: str, max_rate: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_close: Callable[[], None] | None = None,
                 info: Callable[[], dict[str, Any]] | None = None,
                 on_state: Callable[[], None] | None = None) -> None:
        if max_rate <= 0:
            raise ValueError(f"LiveFeed(max_rate=...) must be > 0 messages per second, got {max_rate}")
        self._send = send
        self.run = run
        self.interval = 1.0 / max_rate
        self._clock = clock
        self._pending: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._pending_media: list[MediaEntry] = []
        self._last_sent = -float("inf")
        self._lock = threading.Lock()
        self.seq = 0
        self.points_sent = 0
        self.media_sent = 0
        self.media_error: BaseException | None = None  # the first value that could not be sent
        self.bytes_sent = 0
        self.cpu_seconds = 0.0  # thread CPU time spent in this sink: the dashboard's kernel-side work
        self._on_close = on_close
        self._on_state = on_state  # called on the writer thread each time the run's state is written
        self._timer: threading.Timer | None = None  # sends points held back by the rate limit
        self.timer_error: BaseException | None = None
        # the run's table entry as the view holds it (id, name, step metrics): when ``info()`` differs at a
        # flush, a ``runs`` message goes first, so a define_metric made after show() reaches the charts
        self._info = info
        self.info_sent: dict[str, Any] | None = None

    def write(self, batch: ScalarBatch) -> None:
        """Keep the batch's points; send if the last message is older than the interval."""
        started = time.thread_time()
        with self._lock:
            for key, (steps, values, times) in batch.series().items():
                self._pending.setdefault(key, []).append((steps, values, times))
            self._send_or_schedule_locked()
            self.cpu_seconds += time.thread_time() - started

    def write_media(self, items: list[MediaItem]) -> None:
        """Keep encoded values (images, audio, text, ...) for the next message; same rate as points."""
        started = time.thread_time()
        entries = [entry for entry in map(self._entry, items) if entry is not None]
        with self._lock:
            self._pending_media.extend(entries)
            if entries:
                self._send_or_schedule_locked()
            self.cpu_seconds += time.thread_time() - started

    write_histograms = write_media  # the writer hands histograms over separately; they travel alike

    def _entry(self, item: MediaItem) -> MediaEntry | None:
        """The item as it travels, or None (reported once) when it cannot travel: never raises."""
        try:
            encoded = item.encoded
            if encoded.kind == "embedding":
                view, parts = embedding_parts(encoded.meta, encoded.files.get)
                return media_entry(self.run, item.tag, item.step, item.index, encoded.kind,
                                   {**encoded.meta, "view": view}, parts=parts)
            main = next(iter(encoded.files.values()), None)
            meta = encoded.meta
            if encoded.kind == "table" and main is not None:
                main = inline_table_cells(main, encoded.files.get)  # image cells travel inside the table
            elif encoded.kind == "figure":
                ext = figure_file({name: len(data) for name, data in encoded.files.items()})
                main = encoded.files[ext] if ext else None
                meta = {**meta, "format": FIGURE_FORMATS[ext]} if ext else meta
            elif encoded.kind == "image" and ("masks" in meta or "boxes" in meta):
                meta = inline_overlays(meta, encoded.files.get)  # mask pixels travel inside the meta
            return media_entry(self.run, item.tag, item.step, item.index, encoded.kind, meta,
                               main=main, text=encoded.text,
                               edges=encoded.arrays.get("edges"), counts=encoded.arrays.get("counts"))
        except Exception as error:  # a best-effort sink: the value stays stored, only the view misses it
            if self.media_error is None:
                self.media_error = error
                warnings.warn(f"nbtrack: the live view skips {getattr(item, 'tag', '?')!r} at step "
                              f"{getattr(item, 'step', '?')}: {error!r}", RuntimeWarning, stacklevel=2)
            return None

    def write_state(self, state: dict[str, Any]) -> None:
        """The writer stored the run's state (heartbeat, a change): let the view look at the run's details."""
        if self._on_state is not None:
            self._on_state()

    def send_runs(self, runs: list[dict[str, Any]]) -> None:
        """Send run-table entries (merged into the browser's, by id) as a ``runs`` message, in sequence."""
        with self._lock:
            self.seq += 1
            self._send({"kind": "runs", "v": PROTOCOL_VERSION, "seq": self.seq, "runs": runs}, [])

    def _send_or_schedule_locked(self) -> None:
        wait = self.interval - (self._clock() - self._last_sent)
        if wait <= 0:
            self._flush_locked()
        elif self._timer is None:  # held back: a one-shot timer sends it when the interval is over
            self._timer = threading.Timer(wait, self._on_timer)
            self._timer.daemon = True
            self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.flush()
        except Exception as error:  # a best-effort sink: training goes on; reported once
            if self.timer_error is None:
                self.timer_error = error
                warnings.warn(f"nbtrack: the live view could not be updated: {error!r}", RuntimeWarning,
                              stacklevel=1)

    def flush(self) -> None:
        """Send what is pending now, whatever the rate (at finish, or on a timer)."""
        started = time.thread_time()
        with self._lock:
            self._flush_locked()
            self.cpu_seconds += time.thread_time() - started

    def close(self) -> None:
        """Send what is pending; called when the run finishes."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.flush()
        if self._on_close is not None:
            self._on_close()

    def _flush_locked(self) -> None:
        """Send the pending points as one ``append`` message, then the pending values as one ``media``."""
        media, self._pending_media = self._pending_media, []  # taken first: whatever happens, sent once
        if self._info is not None:
            self._send_info_locked()
        if self._pending:
            series: Series = {}
            for key, parts in self._pending.items():
                series[(self.run, key)] = tuple(np.concatenate(cols) for cols in zip(*parts))  # type: ignore[assignment]
            self._pending = {}
            self.seq += 1
            message, buffers = encode_append(self.seq, series)
            self._last_sent = self._clock()
            self.points_sent += sum(len(v[1]) for v in series.values())
            self.bytes_sent += sum(b.nbytes for b in buffers)
            self._send(dict(message), buffers)
        if media:
            self.seq += 1
            media_message, media_buffers = encode_media(self.seq, media)
            self._last_sent = self._clock()
            self.media_sent += len(media)
            self.bytes_sent += sum(b.nbytes for b in media_buffers)
            self._send(dict(media_message), media_buffers)

    def _send_info_locked(self) -> None:
        """A ``runs`` message with the run's entry when it changed since the last one (or the snapshot)."""
        try:
            info = self._info() if self._info is not None else None
        except Exception as error:  # a best-effort sink: points still go out
            if self.media_error is None:
                self.media_error = error
                warnings.warn(f"nbtrack: the live view could not read the run's info: {error!r}", RuntimeWarning,
                              stacklevel=2)
            return
        if info is None or info == self.info_sent:
            return
        self.info_sent = info
        self.seq += 1
        self._send({"kind": "runs", "v": PROTOCOL_VERSION, "seq": self.seq, "runs": [info]}, [])
