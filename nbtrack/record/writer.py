"""The background thread that drains a run's buffers and hands batches to its sinks.

Every ``flush_interval`` seconds (and on ``flush()``/``finish()``), the writer takes
what ``log()`` buffered, folds it into the summary and passes one batch to each sink
(storage, and later live widgets). A sink that fails keeps its batches, bounded, and
retries them on the next flush; the first failure warns at once, and ``close()``
reports what could not be written. Nothing here ever raises into the training loop.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nbtrack.store.batches import MediaItem, ScalarBatch, meta_json
from nbtrack.store.folder import StoredPosition

from .collector import MAX_STEP, Collector
from .summary import Summary

MAX_RETRY_ROWS = 4_000_000  # rows a failing sink may hold for retry (about 110 MB)


class Sink(Protocol):
    """Where batches go: ``StorageSink`` on disk, live widgets in the browser."""

    name: str

    def write(self, batch: ScalarBatch) -> None: ...

    def close(self) -> None: ...


class StateSink(Protocol):
    """A sink that also records the run's state (heartbeat, config, summary)."""

    def write_state(self, state: dict[str, Any]) -> None: ...


@dataclass
class _SinkSlot:
    sink: Any
    pending: deque[ScalarBatch] = field(default_factory=deque)
    pending_rows: int = 0
    lost_rows: int = 0
    first_error: BaseException | None = None
    warned: bool = False


class Writer:
    """Owns the flush thread of one run."""

    def __init__(self, collector: Collector, summary: Summary, sinks: list[Any],
                 state: Callable[[], dict[str, Any]], *, flush_interval: float = 1.0,
                 heartbeat_interval: float = 5.0, label: str = "run") -> None:
        self.collector = collector
        self.summary = summary
        self.slots = [_SinkSlot(s) for s in sinks]
        self.state = state
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.label = label
        self.state_dirty = True
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._drained = threading.Condition()
        self._stop = False
        self._last_heartbeat = 0.0
        self.lost: list[str] = []
        self._thread = threading.Thread(target=self._loop, name=f"nbtrack-writer-{label}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add_sink(self, sink: Any) -> None:
        """Attach another sink to a running writer; it gets batches from now on."""
        with self._lock:
            self.slots.append(_SinkSlot(sink))

    def attach(self, sink: Any) -> StoredPosition | None:
        """Flush, note where the stored data ends, and add ``sink``, with no flush in between.

        Holds the lock only for that: the caller reads the stored data up to the returned
        position afterwards, while logging and flushing go on.
        """
        with self._lock:
            self.flush()
            position = next((slot.sink.position() for slot in self.slots if hasattr(slot.sink, "position")), None)
            self.slots.append(_SinkSlot(sink))
        return position

    def remove_sink(self, sink: Any) -> None:
        with self._lock:
            self.slots = [slot for slot in self.slots if slot.sink is not sink]

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        """Ask for an early flush (called when the buffer grows large)."""
        self._wake.set()

    def wait_for_media_room(self, limit: int, timeout: float = 60.0) -> bool:
        """Block the caller while queued values hold more than ``limit`` bytes (backpressure)."""
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._drained:
            while self.collector.media_bytes > limit and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._drained.wait(min(left, 0.05))
        return True

    def wait_for_room(self, limit: int, timeout: float = 10.0) -> bool:
        """Block the caller until fewer than ``limit`` calls are buffered (backpressure)."""
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._drained:
            while self.collector.pending() >= limit and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._drained.wait(min(left, 0.05))
        return True

    def _loop(self) -> None:
        while not self._stop:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._stop:
                break
            self.flush()

    def flush(self, final: bool = False, state: bool = True) -> None:
        """Drain the buffers and write to every sink now (any thread)."""
        with self._lock:
            try:
                batch = self.collector.drain()
            except Exception as exc:  # a bug in columnarising must not kill the thread
                self.lost.append(f"records could not be converted: {type(exc).__name__}: {exc}")
                warnings.warn(f"nbtrack: {self.label}: {self.lost[-1]}", RuntimeWarning, stacklevel=2)
                batch = None
            with self._drained:
                self._drained.notify_all()
            if batch is not None and len(batch):
                batch = self._screen(batch)
            if batch is not None and len(batch):
                self.summary.absorb(batch.columns())
                for slot in self.slots:
                    self._enqueue(slot, "write", batch, len(batch))
            self._drain_media()
            for slot in self.slots:
                self._send(slot)
            now = time.monotonic()
            if not state:
                return
            if final or self.state_dirty or now - self._last_heartbeat >= self.heartbeat_interval:
                self._write_state()
                self._last_heartbeat = now

    def _screen(self, batch: ScalarBatch) -> ScalarBatch | None:
        """Drop, alone and reported, the records no sink could store; the rest of the flush goes on."""
        try:
            keep, reasons = unstorable_rows(batch)
        except Exception as exc:  # a batch too malformed to look at: nothing of it can be trusted
            keep, reasons = None, [f"{len(batch)} records were malformed ({type(exc).__name__}: {exc})"]
        for reason in reasons:
            self.lost.append(f"records could not be stored and were dropped: {reason}")
            warnings.warn(f"nbtrack: {self.label}: {self.lost[-1]}", RuntimeWarning, stacklevel=3)
        if keep is None:
            return None if reasons else batch
        return kept_rows(batch, keep)

    def _drain_media(self) -> None:
        """Encode queued value types (PNG, WAV, binning, ...) here, off the training thread.

        Each value is dropped before its bytes are released to the waiting producer, so that
        its buffer is back in the pool (``values/buffers.py``) when the producer copies the
        next one: a value kept alive until the end of the batch made most copies miss the pool.
        """
        media: list[MediaItem] = []
        histograms: list[MediaItem] = []
        queued = self.collector.drain_media()
        queued.reverse()
        while queued:
            step, t, tag, value, index = queued.pop()
            nbytes = value.nbytes
            try:
                item = MediaItem(tag, step, t, value.encode(), index)
                if not item.is_histogram:  # histograms go to typed columns, not JSON
                    meta_json(item.encoded.meta)  # refuse here, alone, what could never be stored
            except Exception as exc:
                self.lost.append(f"{tag!r} at step {step}: {type(value).__name__} could not be encoded: {exc}")
                warnings.warn(f"nbtrack: {self.label}: {self.lost[-1]}", RuntimeWarning, stacklevel=2)
                item = None
            finally:
                del value
                self.collector.release_media(nbytes)
                with self._drained:
                    self._drained.notify_all()
            if item is not None:
                (histograms if item.is_histogram else media).append(item)
        for slot in self.slots:
            for method, items in (("write_media", media), ("write_histograms", histograms)):
                if items and hasattr(slot.sink, method):
                    self._enqueue(slot, method, list(items), len(items))

    def _enqueue(self, slot: _SinkSlot, method: str, batch: Any, rows: int) -> None:
        slot.pending.append((method, batch, rows))  # never merged: a failed entry retries alone
        slot.pending_rows += rows
        while slot.pending_rows > MAX_RETRY_ROWS and len(slot.pending) > 1:
            _, _, dropped = slot.pending.popleft()
            slot.pending_rows -= dropped
            slot.lost_rows += dropped

    def _send(self, slot: _SinkSlot) -> None:
        while slot.pending:
            method, batch, rows = slot.pending[0]
            try:
                getattr(slot.sink, method)(batch)
            except Exception as exc:
                self._report(slot, exc)
                if getattr(slot.sink, "critical", False):
                    return  # kept for the next flush
                slot.lost_rows += rows  # a best-effort view: retrying would only grow memory
            slot.pending.popleft()
            slot.pending_rows -= rows

    def _write_state(self) -> None:
        self.state_dirty = False
        state = self.state()
        for slot in self.slots:
            if hasattr(slot.sink, "write_state"):
                try:
                    slot.sink.write_state(state)
                except Exception as exc:
                    self._report(slot, exc)

    def _report(self, slot: _SinkSlot, exc: BaseException) -> None:
        if slot.first_error is None:
            slot.first_error = exc
        if not slot.warned:
            slot.warned = True
            name = getattr(slot.sink, "name", "sink")
            warnings.warn(
                f"nbtrack: {self.label}: writing to {name} failed: {type(exc).__name__}: {exc}. "
                "Training continues; records are kept in memory (bounded) and retried, and "
                "finish() will raise if they cannot be written.",
                RuntimeWarning, stacklevel=2,
            )

    def close(self, timeout: float = 60.0) -> list[str]:
        """Stop the thread, flush everything, close sinks; return problems that remain."""
        self._stop = True
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.flush(state=False)
        problems = list(self.lost)
        for slot in self.slots:
            if not slot.pending:
                try:
                    slot.sink.close()  # the end-of-stream marker lands before the final state
                except Exception as exc:
                    self._report(slot, exc)
                    slot.first_error = slot.first_error or exc
            problems.extend(_describe_loss(slot))
        with self._lock:
            self._write_state()
        return problems


def _describe_loss(slot: _SinkSlot) -> list[str]:
    """What a critical sink (storage) failed to keep; best-effort sinks report nothing."""
    if slot.first_error is None or not getattr(slot.sink, "critical", False):
        return []
    name = getattr(slot.sink, "name", "sink")
    if not slot.pending and not slot.lost_rows:
        warnings.warn(f"nbtrack: {name} recovered after an error ({slot.first_error}); "
                      "no record was lost", RuntimeWarning, stacklevel=3)
        return []
    rows = slot.pending_rows + slot.lost_rows
    return [f"{name}: {rows} records could not be written "
            f"(first error: {type(slot.first_error).__name__}: {slot.first_error})"]


def unstorable_rows(batch: ScalarBatch) -> tuple[np.ndarray | None, list[str]]:
    """Which rows of ``batch`` can be stored (None: all of them, or none when reasons are given), and why not.

    Cheap vectorised checks of what the storage format needs: columns of one length, tag
    ids that name a tag, tag names that are valid UTF-8 text, steps within 0..int64.
    """
    n = len(batch.values)
    lengths = {len(batch.tag_index), len(batch.steps), len(batch.times), n}
    if len(lengths) != 1:
        return None, [f"a flush of {n} records had columns of different lengths {sorted(lengths)}"]
    tags = np.asarray(batch.tag_index)
    steps = np.asarray(batch.steps)
    if steps.dtype.kind not in "iu" or tags.dtype.kind not in "iu":
        return None, [f"a flush of {n} records had steps or tag ids of types {steps.dtype}, {tags.dtype}"]
    bad_names = [i for i, name in enumerate(batch.names) if not _storable_name(name)]
    if not n or (not bad_names and 0 <= tags.min() and tags.max() < len(batch.names)
                 and 0 <= steps.min() and steps.max() <= MAX_STEP):
        return None, []
    ok = (tags >= 0) & (tags < len(batch.names)) & (steps >= 0) & (steps <= MAX_STEP)
    if bad_names:
        ok &= ~np.isin(tags, bad_names)
    reasons = [f"{int((~ok).sum())} records with an invalid tag name, tag id or step"]
    if bad_names:
        reasons[0] += f" (tag names {[_show(batch.names[i]) for i in bad_names][:5]})"
    return ok, reasons


def kept_rows(batch: ScalarBatch, keep: np.ndarray) -> ScalarBatch:
    """``batch`` with only the rows ``keep`` marks, and only the tag names those rows use."""
    tags = np.asarray(batch.tag_index)[keep]
    used = np.unique(tags)
    lut = np.full(len(batch.names), -1, dtype=np.int32)
    lut[used] = np.arange(len(used), dtype=np.int32)
    return ScalarBatch([batch.names[i] for i in used], lut[tags], batch.steps[keep], batch.times[keep],
                       batch.values[keep])


def _storable_name(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _show(name: object) -> str:
    return repr(name)[:60]
