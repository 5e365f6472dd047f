"""The comm wire format: scalar appends and media messages, their round trips and malformed input."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png, encode_png
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.protocol import (
    MAX_OTHER_BYTES,
    decode_append,
    decode_media,
    encode_append,
    encode_media,
    media_entry,
)
from nbtrack.dashboard.snapshot import media_of
from nbtrack.store.batches import MediaItem


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


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def _entry(value: nbtrack.Value, key: str = "k", step: int = 3, index: int | None = None) -> dict:
    """What the live feed makes of a value logged at ``step``."""
    return LiveFeed(lambda m, b: None, run="r1")._entry(MediaItem(key, step, 0.0, value.encode(), index))


def _f64(data) -> list[float]:
    return np.frombuffer(data, dtype="<f8").tolist()


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


def test_encode_png_is_what_images_travel_as():
    """The image buffer is the stored PNG itself: the browser decodes it natively."""
    pixels = _pixels(3)
    assert _entry(nbtrack.Image(pixels))["data"][0] == encode_png(pixels)


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
