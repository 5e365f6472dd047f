"""The kernel side of the live view: protocol codecs and the coalescing feed."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.protocol import decode_append, encode_append
from nbtrack.store.batches import ScalarBatch


def test_append_round_trip_and_copies():
    steps = np.arange(5, dtype=np.int64)
    values = np.array([0.5, np.nan, np.inf, -1.0, 2.0 ** 60])
    msg, buffers = encode_append(3, {("r", "a/b 损失"): (steps, values, np.ones(5))})
    values[0] = 99.0  # the message holds a copy
    assert msg == {"kind": "append", "v": 1, "seq": 3, "series": [{"run": "r", "key": "a/b 损失", "n": 5}]}
    decoded = decode_append(msg, [bytes(b) for b in buffers])
    got_steps, got_values, _ = decoded[("r", "a/b 损失")]
    np.testing.assert_array_equal(got_steps, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(got_values, [0.5, np.nan, np.inf, -1.0, 2.0 ** 60])


def test_decode_rejects_malformed_messages():
    msg, buffers = encode_append(1, {("r", "a"): (np.arange(2), np.ones(2), np.ones(2))})
    with pytest.raises(ValueError, match="needs 3 buffers, got 2"):
        decode_append(msg, buffers[:2])
    with pytest.raises(ValueError, match="not an append message"):
        decode_append({**msg, "v": 99}, buffers)
    with pytest.raises(ValueError, match="differ in length"):
        encode_append(1, {("r", "a"): (np.arange(2), np.ones(3), np.ones(2))})


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _batch(names, start, n):
    k = len(names)
    return ScalarBatch(list(names), np.tile(np.arange(k, dtype=np.int32), n),
                       np.repeat(np.arange(start, start + n), k), np.zeros(n * k),
                       np.repeat(np.arange(start, start + n, dtype=np.float64), k) * 0.5, period=k)


def test_feed_coalesces_to_the_rate_and_loses_nothing():
    clock, sent = FakeClock(), []
    feed = LiveFeed(lambda msg, bufs: sent.append(decode_append(msg, bufs) | {"seq": msg["seq"]}),
                    run="r", max_rate=10.0, clock=clock)
    for i in range(1000):  # 1000 writes within 1 simulated second
        feed.write(_batch(["loss", "acc"], i * 5, 5))
        clock.t += 0.001
    feed.flush()
    assert 10 <= len(sent) <= 12  # about 10 a second, not 1000
    assert [m["seq"] for m in sent] == list(range(1, len(sent) + 1))
    steps = np.concatenate([m[("r", "loss")][0] for m in sent])
    np.testing.assert_array_equal(steps, np.arange(5000))  # every point exactly once, in order
    values = np.concatenate([m[("r", "acc")][1] for m in sent])
    np.testing.assert_array_equal(values, np.arange(5000) * 0.5)


def test_feed_on_a_real_run_receives_exactly_what_was_logged(logdir):
    run = nbtrack.init(flush_interval=0.05)
    received: dict[str, list[np.ndarray]] = {}
    messages = []

    def send(msg, buffers):
        messages.append(msg["seq"])
        for (_, key), (_steps, values, _) in decode_append(msg, buffers).items():
            received.setdefault(key, []).append(values)

    feed = LiveFeed(send, run=run.id, max_rate=10.0)
    run.attach(feed)
    for step in range(20_000):
        run.log({"a": float(step), "b": -float(step), "c": 1.0, "d": step * 0.5})
    run.log({"late/tag": 7.0})  # a tag first logged mid-run
    run.finish()
    assert messages == list(range(1, len(messages) + 1))
    np.testing.assert_array_equal(np.concatenate(received["a"]), np.arange(20_000, dtype=float))
    np.testing.assert_array_equal(np.concatenate(received["d"]), np.arange(20_000) * 0.5)
    assert np.concatenate(received["late/tag"]).tolist() == [7.0]
    assert len(messages) < 200  # far below the 1000 messages/s IOPub limit


def test_a_failing_feed_never_stops_storage(logdir):
    def broken(msg, buffers):
        raise RuntimeError("comm closed")

    run = nbtrack.init()
    run.attach(LiveFeed(broken, run=run.id))
    with pytest.warns(RuntimeWarning, match="live view failed: RuntimeError: comm closed"):
        for i in range(100):
            run.log({"x": float(i)})
        run.flush()
    assert run._writer.slots[1].pending_rows == 0  # nothing kept for a sink that cannot take it
    run.finish()  # best-effort sink: no RunWriteError
    assert len(nbtrack.open(logdir).run(run.id).scalars("x")) == 100


def test_dashboard_snapshot_then_deltas_without_gaps_or_duplicates(logdir):
    """run.show() after some steps: the snapshot holds them, deltas bring only what follows."""
    from nbtrack.dashboard.protocol import decode_append

    run = nbtrack.init(flush_interval=0.05)
    for step in range(300):
        run.log({"a": float(step)})
    dash = run.show()
    snap = dash.snapshot
    assert snap["seq"] == 0 and snap["series"][0]["key"] == "a"
    received = [np.frombuffer(snap["series"][0]["values"])]
    dash.send = lambda msg, buffers=None: received.append(decode_append(msg, buffers)[(run.id, "a")][1])
    for step in range(300, 5000):
        run.log({"a": float(step)})
    run.finish()
    np.testing.assert_array_equal(np.concatenate(received), np.arange(5000, dtype=float))
    assert dash.status == "finished"


def test_dashboards_share_one_bokehjs_loader(logdir):
    """BokehJS travels once per kernel, in the loader's state, not in every dashboard's."""
    from nbtrack.dashboard.widget import BokehLoader

    run = nbtrack.init()
    first, second = run.show(), run.show()
    assert first.loader is second.loader is BokehLoader.instance()
    assert "Bokeh" in first.loader.bokeh_core and len(first.loader.bokeh_core) > 500_000
    assert first.loader.bokeh_api and "bokeh_core" not in first.trait_names()
    run.finish()


def test_points_held_back_by_the_rate_limit_are_sent_when_logging_stops(logdir):
    """log, flush, log, flush: the second point must reach the view without waiting for finish()."""
    import time

    run = nbtrack.init(flush_interval=3600)
    sent = []
    feed = LiveFeed(lambda msg, buffers: sent.append(decode_append(msg, buffers)), run=run.id, max_rate=10.0)
    run.attach(feed)
    run.log({"x": 1.0})
    run.flush()
    run.log({"x": 2.0})
    run.flush()  # within 0.1 s of the first message: held back
    deadline = time.monotonic() + 5
    while sum(len(m[(run.id, "x")][1]) for m in sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [v for m in sent for v in m[(run.id, "x")][1].tolist()] == [1.0, 2.0]
    run.finish()


def test_a_failing_timer_send_warns_once_and_never_raises():
    import time

    calls = []

    def broken(msg, buffers):
        calls.append(msg["seq"])
        if len(calls) > 1:
            raise RuntimeError("comm closed")

    feed = LiveFeed(broken, run="r", max_rate=20.0)
    feed.write(_batch(["x"], 0, 1))
    with pytest.warns(RuntimeWarning, match="live view could not be updated"):
        feed.write(_batch(["x"], 1, 1))  # held back, then sent by the timer, which fails
        deadline = time.monotonic() + 5
        while feed.timer_error is None and time.monotonic() < deadline:
            time.sleep(0.01)
    assert isinstance(feed.timer_error, RuntimeError)
