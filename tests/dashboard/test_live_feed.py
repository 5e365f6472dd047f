"""The kernel side of the live view: the coalescing feed, and a dashboard's stored snapshot followed by live
deltas (scalars and media, nothing lost or sent twice)."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.protocol import (
    decode_append,
    decode_media,
)
from nbtrack.store.batches import MediaItem, ScalarBatch


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


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def _f64(data) -> list[float]:
    return np.frombuffer(data, dtype="<f8").tolist()


def test_an_odd_value_is_skipped_once_and_never_breaks_the_feed():
    sent = []
    feed = LiveFeed(lambda m, b: sent.append(decode_media(m, b)), run="r", max_rate=1e6)
    odd = MediaItem("odd", 1, 0.0, object())  # no kind, no files: cannot travel
    with pytest.warns(RuntimeWarning, match="live view skips 'odd' at step 1"):
        feed.write_media([odd, MediaItem("t", 1, 0.0, nbtrack.Text("ok").encode())])
    feed.write_media([odd])  # reported once only; nothing to send
    feed.flush()
    assert [[e["key"] for e in m] for m in sent] == [["t"]] and feed.media_sent == 1


def _log_media(run, steps) -> None:
    for step in steps:
        row = {"loss": 1.0 / (step + 1)}
        if step % 10 == 0:
            row["samples"] = nbtrack.Image(_pixels(step), caption=f"step {step}")
            row["gallery"] = [nbtrack.Image(_pixels(step, i)) for i in range(2)]
        if step % 5 == 0:
            row["weights"] = nbtrack.Histogram(np.arange(50.0) * (step + 1), bins=10)
        if step == 42:
            row["note"] = nbtrack.Markdown("**half way**")
        run.log(row)


def _expected(steps) -> set[tuple[str, int, int | None]]:
    out = set()
    for step in steps:
        if step % 10 == 0:
            out |= {("samples", step, None), ("gallery", step, 0), ("gallery", step, 1)}
        if step % 5 == 0:
            out.add(("weights", step, None))
        if step == 42:
            out.add(("note", step, None))
    return out


def _check_entries(entries, reader) -> None:
    """Every entry carries exactly what was logged (and stored)."""
    histograms = reader.histograms("weights").set_index("step")
    for e in entries:
        if e["key"] in ("samples", "gallery"):
            assert np.array_equal(decode_png(bytes(e["data"][0])), _pixels(e["step"], e["index"] or 0))
        elif e["key"] == "weights":
            assert _f64(e["data"][0]) == histograms.loc[e["step"], "edges"].tolist()
            assert _f64(e["data"][1]) == histograms.loc[e["step"], "counts"].tolist()
            assert e["meta"]["count"] == 50
        else:
            assert e["kind"] == "markdown" and e["data"] == [] and e["meta"]["text"] == "**half way**"


def test_a_live_feed_receives_every_value_exactly_once_with_its_bytes(logdir, read):
    run = nbtrack.init(flush_interval=0.02)
    messages = []
    feed = LiveFeed(lambda msg, buffers: messages.append((msg, [bytes(b) for b in buffers])), run=run.id,
                    max_rate=50.0)
    run.attach(feed)
    _log_media(run, range(100))
    run.finish()
    assert [m["seq"] for m, _ in messages] == list(range(1, len(messages) + 1))  # one counter, both kinds
    entries = [e for m, b in messages if m["kind"] == "media" for e in decode_media(m, b)]
    keys = [(e["key"], e["step"], e["index"]) for e in entries]
    assert len(keys) == len(set(keys)) and set(keys) == _expected(range(100))
    assert all(e["run"] == run.id for e in entries) and feed.media_sent == len(entries)
    losses = [v for m, b in messages if m["kind"] == "append" for v in decode_append(m, b)[(run.id, "loss")][1]]
    assert len(losses) == 100
    assert feed.bytes_sent >= sum(len(d) for e in entries for d in e["data"]) + 100 * 24
    _check_entries(entries, read(run))


def test_a_dashboard_starts_from_stored_values_and_gets_only_later_ones_live(logdir, read):
    from ipywidgets.widgets.widget import _remove_buffers

    run = nbtrack.init(flush_interval=0.02)
    _log_media(run, range(50))
    dash = run.show()
    snap = dash.snapshot
    received = list(snap["media"])
    seqs = []

    def send(msg, buffers=None):
        seqs.append(msg["seq"])
        if msg["kind"] == "media":
            received.extend(decode_media(msg, buffers))

    dash.send = send
    _log_media(run, range(50, 100))
    run.finish()
    assert {(e["key"], e["step"], e["index"]) for e in snap["media"]} == _expected(range(50))
    keys = [(e["key"], e["step"], e["index"]) for e in received]
    assert len(keys) == len(set(keys)) and set(keys) == _expected(range(100))
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > snap["seq"]
    _check_entries(received, read(run))
    # in widget state each value's bytes travel as binary buffers, at snapshot.media[i].data[j]
    state, paths, _ = _remove_buffers({"snapshot": snap})
    image_paths = [p for p in paths if p[1] == "media"]
    assert len(image_paths) == sum(len(e["data"]) for e in snap["media"])
    assert all(p[3] == "data" and state["snapshot"]["media"][p[2]]["data"][p[4]] is None for p in image_paths)


def test_a_dashboard_of_a_run_without_media_has_an_empty_media_list(logdir):
    run = nbtrack.init()
    run.log({"x": 1.0})
    assert run.show().snapshot["media"] == []
    run.finish()


def test_feed_sends_an_images_mask_pixels_inline(logdir):
    import base64

    run = nbtrack.init(flush_interval=0.05)
    items = []
    feed = LiveFeed(lambda msg, buffers: items.extend(decode_media(msg, buffers) if msg["kind"] == "media" else []),
                    run=run.id, max_rate=100.0)
    run.attach(feed)
    mask = np.eye(5, dtype=np.uint8) * 3
    run.log({"img": nbtrack.Image(np.zeros((5, 5), np.uint8), masks={"m": {"mask_data": mask}})})
    run.finish()
    (item,) = items
    np.testing.assert_array_equal(decode_png(base64.b64decode(item["meta"]["masks"]["m"]["png"])), mask)
