"""Logged values (images, histograms, audio, video, text, ...) on their way to the browser:
the ``media`` message, the live feed, the widget's snapshot and the static output's payload."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png, encode_png
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.protocol import MAX_OTHER_BYTES, decode_append, decode_media, encode_media, media_entry
from nbtrack.dashboard.snapshot import media_of, snapshot_of
from nbtrack.store.batches import MediaItem


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def _entry(value: nbtrack.Value, key: str = "k", step: int = 3, index: int | None = None) -> dict:
    """What the live feed makes of a value logged at ``step``."""
    return LiveFeed(lambda m, b: None, run="r1")._entry(MediaItem(key, step, 0.0, value.encode(), index))


def _f64(data) -> list[float]:
    return np.frombuffer(data, dtype="<f8").tolist()


# -- the protocol --------------------------------------------------------------------------------
def test_media_message_round_trips_every_kind():
    rng = np.random.default_rng(0)
    values = {
        "image": nbtrack.Image(_pixels(1), caption="a cat 🐈"),
        "histogram": nbtrack.Histogram(np.r_[rng.normal(size=100), np.nan, np.inf], bins=8),
        "audio": nbtrack.Audio(np.zeros(160), sample_rate=16000),
        "video": nbtrack.Video(np.zeros((2, 4, 4, 3), np.uint8), fps=2),
        "text": nbtrack.Text("plain <b>"),
        "markdown": nbtrack.Markdown("**bold**"),
        "html": nbtrack.Html("<i>x</i>"),
        "table": nbtrack.Table(columns=["a"], data=[[1], [2]]),
    }
    entries = [_entry(v, key=f"tag/{kind}", step=i, index=i % 2 or None) for i, (kind, v) in enumerate(values.items())]
    message, buffers = encode_media(7, entries)
    assert message["kind"] == "media" and message["v"] == 1 and message["seq"] == 7
    assert [h["buffers"] for h in message["items"]] == [1, 2, 1, 1, 0, 0, 0, 1]
    assert len(buffers) == 6
    json.dumps(message, allow_nan=False)  # strict JSON: the histogram's stats and captions included
    back = decode_media(json.loads(json.dumps(message)), [bytes(b) for b in buffers])
    by_kind = {e["kind"]: e for e in back}
    assert [e["key"] for e in back] == [f"tag/{k}" for k in values]
    assert [(e["step"], e["index"]) for e in back] == [(i, i % 2 or None) for i in range(len(values))]
    assert np.array_equal(decode_png(by_kind["image"]["data"][0]), _pixels(1))
    assert by_kind["image"]["meta"]["caption"] == "a cat 🐈" and by_kind["image"]["meta"]["width"] == 5
    encoded = values["histogram"].encode()
    assert _f64(by_kind["histogram"]["data"][0]) == encoded.arrays["edges"].tolist()
    assert _f64(by_kind["histogram"]["data"][1]) == encoded.arrays["counts"].tolist()
    assert by_kind["histogram"]["meta"]["nan"] == 1 and by_kind["histogram"]["meta"]["posinf"] == 1
    assert by_kind["audio"]["data"][0][:4] == b"RIFF" and by_kind["video"]["data"][0][:4] == b"\x89PNG"
    for kind in ("text", "markdown", "html"):
        assert by_kind[kind]["data"] == [] and by_kind[kind]["meta"]["text"] == values[kind].text
    assert json.loads(by_kind["table"]["data"][0])["rows"] == [[1], [2]]


def test_media_entries_are_json_safe_and_large_other_files_travel_as_meta_only():
    entry = media_entry("r", "h", 1, None, "histogram", {"sum": float("inf"), "count": np.int64(4), "index": 3},
                        edges=np.array([0.0, 1.0], np.float32), counts=[4])
    assert entry["meta"] == {"sum": "inf", "count": 4}  # index travels beside meta, not in it
    big = media_entry("r", "e", 1, None, "embedding", {"files": {".a": "media/x"}}, main=b"\0" * (MAX_OTHER_BYTES + 1))
    assert big["data"] == [] and big["meta"] == {}
    assert media_entry("r", "i", 1, 0, "image", {}, main=b"x" * (MAX_OTHER_BYTES + 1))["data"][0][:1] == b"x"


def test_media_codecs_reject_malformed_messages():
    message, buffers = encode_media(1, [_entry(nbtrack.Histogram(np.arange(5.0)))])
    with pytest.raises(ValueError, match="needs 2 buffers, got 1"):
        decode_media(message, buffers[:1])
    with pytest.raises(ValueError, match="not a media message"):
        decode_media({**message, "v": 2}, buffers)
    with pytest.raises(ValueError, match="one more edge than counts"):
        decode_media(message, [buffers[0], buffers[0]])
    with pytest.raises(ValueError, match="has no file"):
        media_entry("r", "img", 1, None, "image", {})
    with pytest.raises(ValueError, match="needs one buffer"):
        encode_media(1, [{"run": "r", "key": "a", "kind": "audio", "step": 0, "index": None, "meta": {}, "data": []}])


def test_an_odd_value_is_skipped_once_and_never_breaks_the_feed():
    sent = []
    feed = LiveFeed(lambda m, b: sent.append(decode_media(m, b)), run="r", max_rate=1e6)
    odd = MediaItem("odd", 1, 0.0, object())  # no kind, no files: cannot travel
    with pytest.warns(RuntimeWarning, match="live view skips 'odd' at step 1"):
        feed.write_media([odd, MediaItem("t", 1, 0.0, nbtrack.Text("ok").encode())])
    feed.write_media([odd])  # reported once only; nothing to send
    feed.flush()
    assert [[e["key"] for e in m] for m in sent] == [["t"]] and feed.media_sent == 1


# -- a real run with a live feed --------------------------------------------------------------------
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


# -- snapshots and the static output ----------------------------------------------------------------
def test_snapshot_keeps_the_most_recent_steps_of_each_tag(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(100))
    run.finish()
    reader = read(run)
    media = media_of(reader, max_per_tag=3)
    got = {(e["key"], e["step"], e["index"]) for e in media}
    assert got == {("samples", s, None) for s in (70, 80, 90)} | {("gallery", s, i) for s in (70, 80, 90)
                                                                   for i in (0, 1)} \
        | {("weights", s, None) for s in (85, 90, 95)} | {("note", 42, None)}
    gallery = [(e["step"], e["index"]) for e in media if e["key"] == "gallery"]
    assert gallery == sorted(gallery)  # step, then index order within a tag
    _check_entries(media, reader)
    assert len(media_of(reader, max_per_tag=None)) == len(_expected(range(100)))
    assert media_of(reader, max_per_tag=0) == []
    assert len(media_of(reader)) == len(_expected(range(100)))  # 100 steps per tag by default


def test_snapshot_leaves_out_a_value_whose_file_is_gone(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(11))
    run.finish()
    reader = read(run)
    victim = reader.images("samples")["path"][0]
    (reader.path / victim).unlink()
    keys = {(e["key"], e["step"]) for e in snapshot_of([reader])["media"]}
    assert ("samples", 0) not in keys and ("samples", 10) in keys
    assert any(victim in d.file and "unreadable" in d.reason for d in reader.damage)


def test_static_payload_carries_media_as_base64(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(30))
    run.finish()
    reader = read(run)
    snap = snapshot_of([reader])
    html = reader.show()._repr_mimebundle_()["text/html"]
    payload = json.loads(re.search(r'data-part="payload">(.*?)</script>', html, re.S).group(1))
    media = payload["snapshot"]["media"]
    assert [{k: v for k, v in m.items() if k != "data"} for m in media] == \
        [{k: v for k, v in m.items() if k != "data"} for m in snap["media"]]
    assert [[base64.b64decode(d) for d in m["data"]] for m in media] == [m["data"] for m in snap["media"]]
    image = next(m for m in media if m["key"] == "samples" and m["step"] == 20)
    assert np.array_equal(decode_png(base64.b64decode(image["data"][0])), _pixels(20))


def test_the_kernel_side_png_also_pictures_the_newest_media(logdir, read):
    from nbtrack.dashboard.png_fallback import render_png

    run = nbtrack.init()
    _log_media(run, range(20))
    run.finish()
    snap = snapshot_of([read(run)])
    assert snap["media"] and render_png(snap) != render_png({**snap, "media": []})


def test_encode_png_is_what_images_travel_as():
    """The image buffer is the stored PNG itself: the browser decodes it natively."""
    pixels = _pixels(3)
    assert _entry(nbtrack.Image(pixels))["data"][0] == encode_png(pixels)


def test_snapshot_media_of_a_tag_stays_within_its_byte_budget():
    from nbtrack.dashboard.snapshot import _within_bytes

    entries = [{"step": s, "index": i, "data": [b"x" * 100]} for s in range(10) for i in (0, 1)]
    kept = _within_bytes(entries, limit=450)
    assert [e["step"] for e in kept] == [8, 8, 9, 9], "newest whole steps within the budget"
    assert _within_bytes(entries[-2:], limit=10) == entries[-2:], "the newest step always stays"


def test_table_image_cells_travel_inside_the_table_live_and_in_snapshots(tmp_path):
    table = nbtrack.Table(columns=["pic", "label"], data=[[nbtrack.Image(np.full((3, 3), 7, np.uint8)), "a"]])
    sent = []
    run = nbtrack.init(dir=tmp_path, name="t")
    run.attach(LiveFeed(lambda msg, bufs: sent.append((msg, bufs)), run=run.id))
    run.log({"preds": table})
    run.finish()
    live = [(m, b) for m, b in sent if m["kind"] == "media"]
    (_message, buffers), = live
    body = json.loads(bytes(buffers[0]))
    assert decode_png(base64.b64decode(body["rows"][0][0]["png"])).max() == 7
    (entry,) = media_of(nbtrack.open(tmp_path).run("t"))
    stored = json.loads(bytes(entry["data"][0]))
    assert stored["rows"][0][0]["png"] == body["rows"][0][0]["png"]


def test_tables_with_nan_cells_travel_as_strict_json(tmp_path):
    sent = []
    run = nbtrack.init(dir=tmp_path, name="nan")
    run.attach(LiveFeed(lambda msg, bufs: sent.append((msg, bufs)), run=run.id))
    run.log({"t": nbtrack.Table(columns=["a"], data=[[float("nan")], [float("inf")], [1.5]])})
    run.finish()
    (_msg, buffers), = [(m, b) for m, b in sent if m["kind"] == "media"]
    text = bytes(buffers[0]).decode()
    assert "NaN" not in text and "Infinity" not in text  # what JavaScript's JSON.parse rejects
    assert json.loads(text)["rows"] == [["nan"], ["inf"], [1.5]]
    (entry,) = media_of(nbtrack.open(tmp_path).run("nan"))
    assert json.loads(bytes(entry["data"][0]))["rows"] == [["nan"], ["inf"], [1.5]]
