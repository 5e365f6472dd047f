"""A live view attaches to a run without pausing its logging: the writer's lock is held only to flush
and note where the stored data ends, and every point reaches the view exactly once."""

from __future__ import annotations

import threading
import time

import numpy as np

import nbtrack
from nbtrack.dashboard.protocol import decode_append
from nbtrack.dashboard.widget import Dashboard
from nbtrack.store.reader import RunReader


def test_the_writers_lock_is_free_while_the_run_is_read(logdir, monkeypatch):
    run = nbtrack.init(flush_interval=0.05)
    for step in range(20_000):
        run.log({"a": float(step), "b": -float(step)})
    lock_free_during_read: list[bool] = []
    real_catch_up = RunReader.catch_up

    def catch_up_and_probe(self, until=None):
        probe: list[bool] = []
        thread = threading.Thread(target=lambda: probe.append(_try_lock(run._writer._lock)))
        thread.start()
        real_catch_up(self, until)
        thread.join()
        lock_free_during_read.append(probe[0])

    monkeypatch.setattr(RunReader, "catch_up", catch_up_and_probe)
    dash = run.show()
    assert lock_free_during_read and all(lock_free_during_read)
    assert dash.snapshot["series"][0]["n"] == 20_000
    run.finish()


def _try_lock(lock) -> bool:
    acquired = lock.acquire(timeout=2.0)
    if acquired:
        lock.release()
    return acquired


def test_points_logged_by_another_thread_while_the_view_is_built_arrive_once(logdir, monkeypatch):
    received: list[np.ndarray] = []
    lock = threading.Lock()

    def record(self, msg, buffers=None):
        if msg.get("kind") == "append":
            with lock:
                received.append(decode_append(msg, buffers)[(self._run.id, "x")][0])

    monkeypatch.setattr(Dashboard, "send", record)
    run = nbtrack.init(flush_interval=0.01)
    for _ in range(50_000):
        run.log({"x": 1.0})
    stop = threading.Event()

    def keep_logging():
        while not stop.is_set():
            run.log({"x": 1.0})
            time.sleep(0.0001)

    logger = threading.Thread(target=keep_logging)
    logger.start()
    time.sleep(0.05)
    dash = run.show()
    time.sleep(0.1)
    stop.set()
    logger.join()
    logged = run.step
    run.finish()
    with lock:
        steps = np.concatenate([np.frombuffer(dash.snapshot["series"][0]["steps"]), *received])
    np.testing.assert_array_equal(np.sort(steps), np.arange(logged, dtype=float))


def test_a_detached_sink_gets_nothing_more(logdir):
    run = nbtrack.init(flush_interval=10)
    got: list[int] = []

    class Counter:
        def write(self, batch):
            got.append(len(batch))

        def close(self):
            pass

    sink = Counter()
    position = run.attach(sink)
    assert position is not None and position.writer_id == run.writer_id
    run.log({"a": 1.0})
    run.flush()
    run.detach(sink)
    run.log({"a": 2.0})
    run.finish()
    assert got == [1]


def test_attach_after_finish_is_a_clear_error(logdir):
    run = nbtrack.init()
    run.finish()
    try:
        run.attach(object())
    except RuntimeError as error:
        assert "finished" in str(error)
    else:
        raise AssertionError("attach() after finish() must raise")
