"""nbtrack/tensorboard/events: framing, the message definitions, decode() and its fast path.

Files are written in the tests by tensorboardX (and built from our own Event messages for TF2
tensors), decoded, and compared with what was written; the fast path is compared with the protobuf
path; the fixture files of ../shared are checked against their MANIFEST.json.
"""

from __future__ import annotations

import io
import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from nbtrack.tensorboard.events import (
    EventFileTail,
    decode,
    decode_file,
    frame,
    graph_def_scopes,
    keras_layers,
    masked_crc,
    proto,
    scan,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "tfevents"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "tfevents"
COLUMNS = ("scalar_tag", "scalar_step", "scalar_time", "scalar_value", "scalar_record")


def events_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("events.out.tfevents.*") if p.is_file())


def scalar_event(tag: str, value: float, step: int, wall_time: float = 1.0e9) -> bytes:
    ev = proto.Event(wall_time=wall_time, step=step)
    ev.summary.value.add(tag=tag, simple_value=value)
    return ev.SerializeToString()


def tensor_event(tag: str, plugin: str, tensor: proto.TensorProto, step: int = 1) -> bytes:
    ev = proto.Event(wall_time=1.7e9, step=step)
    v = ev.summary.value.add(tag=tag)
    v.tensor.CopyFrom(tensor)
    v.metadata.plugin_data.plugin_name = plugin
    return ev.SerializeToString()


def tensor(dtype: int, dims: tuple[int, ...] = (), **fields) -> proto.TensorProto:
    t = proto.TensorProto(dtype=dtype, **fields)
    for d in dims:
        t.tensor_shape.dim.add(size=d)
    return t


def decode_bytes(buf: bytes, fast: bool = True):
    s = scan(buf, final=True)
    return decode(buf, s.starts, s.lengths, fast=fast, min_fast=0)  # the fast path even for a few records


def scalars(out) -> list[tuple[str, int, float]]:
    return [(out.scalar_tags[t], s, v) for t, s, v in
            zip(out.scalar_tag.tolist(), out.scalar_step.tolist(), out.scalar_value.tolist())]


def same_columns(a, b) -> bool:
    return a.scalar_tags == b.scalar_tags and all(
        np.array_equal(getattr(a, c), getattr(b, c), equal_nan=c in ("scalar_value", "scalar_time"))
        for c in COLUMNS)


# -- framing --------------------------------------------------------------------------------------

def test_masked_crc_known_values():
    # the masked CRC32C of the 8 length bytes, as every TFRecord writer computes it
    assert masked_crc(b"") == 0xA282EAD8
    assert masked_crc(struct.pack("<Q", 24)) == 0x224B7FA3  # the header of a 24-byte file_version record
    assert masked_crc(b"hello") == 0x191C1FBB  # tensorboardX's record_writer.masked_crc32c(b"hello")
    head = (FIXTURES / "tfevents-js" / "events.out.tfevents.1687811641.v2").read_bytes()[:12]
    assert masked_crc(head[:8]) == struct.unpack("<I", head[8:])[0]


def test_torn_tail_waits_unless_final(tmp_path):
    path = tmp_path / "events.out.tfevents.1"
    records = [scalar_event("a", 1.0, i) for i in range(3)]
    data = b"".join(frame(r) for r in records)
    path.write_bytes(data[:-5])
    tail = EventFileTail(path)
    chunk = tail.read_new(final=False)
    assert chunk.payloads() == records[:2] and chunk.damage == [] and tail.skipped_records == 0
    again = tail.read_new(final=True)
    assert again.payloads() == [] and len(again.damage) == 1 and "torn tail" in again.damage[0][2]
    assert tail.offset == len(data) - 5


def test_flipped_payload_byte_skips_that_record_only():
    records = [scalar_event("loss", float(i), i) for i in range(5)]
    data = bytearray(b"".join(frame(r) for r in records))
    at = len(frame(records[0])) * 2 + 20  # inside the third record's payload
    data[at] ^= 0x40
    s = scan(bytes(data), final=True)
    assert s.skipped == 1 and [d[2] for d in s.damage] == ["data CRC mismatch"]
    out = decode_bytes(bytes(data))
    assert out.scalar_step.tolist() == [0, 1, 3, 4] and out.scalar_value.tolist() == [0, 1, 3, 4]


@pytest.mark.parametrize("bad_length", [7, 1 << 40])
def test_bad_length_resyncs_to_the_next_record(bad_length):
    records = [scalar_event("loss", float(i), i) for i in range(4)]
    framed = [frame(r) for r in records]
    broken = bytearray(framed[1])
    broken[:8] = struct.pack("<Q", bad_length)  # the length CRC no longer matches
    data = framed[0] + bytes(broken) + framed[2] + framed[3]
    s = scan(data, final=True)
    assert s.skipped == 1 and s.damage == [(len(framed[0]), len(framed[1]), "length CRC mismatch")]
    assert decode_bytes(data).scalar_step.tolist() == [0, 2, 3]


def test_megabytes_of_damage_are_skipped_quickly():
    import time

    good = [frame(scalar_event("a", 1.0, i)) for i in range(3)]
    junk = bytes(2 << 20) + np.random.default_rng(5).integers(0, 256, 2 << 20, dtype=np.uint8).tobytes()
    data = good[0] + junk + good[1] + good[2]
    t0 = time.perf_counter()
    s = scan(data, final=True)
    assert time.perf_counter() - t0 < 5.0
    assert s.damage == [(len(good[0]), len(junk), "length CRC mismatch")]
    assert decode_bytes(data).scalar_step.tolist() == [0, 1, 2]


def test_huge_length_with_a_valid_crc_is_damage_not_an_allocation():
    head = struct.pack("<Q", 1 << 40)
    data = head + struct.pack("<I", masked_crc(head)) + b"x" * 40 + frame(scalar_event("a", 1.0, 5))
    s = scan(data, final=True)
    assert "over bound" in s.damage[0][2] and s.lengths.tolist() == [len(scalar_event("a", 1.0, 5))]


def test_growing_file_read_in_pieces_gives_the_same_records(tmp_path):
    records = [scalar_event(f"t{i % 3}", i / 7, i) for i in range(200)]
    data = b"".join(frame(r) for r in records)
    path = tmp_path / "events.out.tfevents.2"
    path.write_bytes(b"")
    tail, got = EventFileTail(path), []
    rng = np.random.default_rng(1)
    cuts = [*sorted(rng.choice(len(data), 30, replace=False).tolist()), len(data)]
    written = 0
    for cut in cuts:
        with open(path, "ab") as f:
            f.write(data[written:cut])
        written = cut
        got += tail.read_new(final=False).payloads()
    assert got == records and tail.damage == [] and tail.offset == len(data)


def test_periodic_walk_matches_record_by_record():
    rng = np.random.default_rng(3)
    payloads = []
    for step in range(3000):  # a repeating pattern of lengths, broken now and then
        payloads += [scalar_event(t, 0.5, step) for t in ("loss/train", "acc", "lr")]
        if rng.random() < 0.01:
            payloads.append(b"x" * int(rng.integers(0, 100)))
    data = b"".join(frame(r) for r in payloads)
    expected, p = [], 0
    while p < len(data):
        n = struct.unpack_from("<Q", data, p)[0]
        expected.append(p + 12)
        p += 16 + n
    for cut in (len(data), len(data) - 7):
        s = scan(data[:cut], final=False)
        want = expected if cut == len(data) else expected[:-1]
        assert s.starts.tolist() == want and s.damage == []


# -- tensorboardX-written files -------------------------------------------------------------------

@pytest.fixture
def tbx(tmp_path):
    tensorboardX = pytest.importorskip("tensorboardX")
    return tensorboardX.SummaryWriter(str(tmp_path / "tbx")), tmp_path / "tbx"


def decode_dir(folder: Path) -> list:
    return [decode_file(p) for p in events_in(folder)]


def test_tensorboardx_scalars(tbx):
    w, folder = tbx
    for step in range(50):
        w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("acc", step / 50, step)
    w.close()
    (out,) = decode_dir(folder)
    assert out.file_version == "brain.Event:2" and out.problems == []
    assert out.scalar_tags == ["loss/train", "acc"] and out.fast_records == 100
    got = scalars(out)
    want = [(t, s, float(np.float32(v))) for s in range(50) for t, v in (("loss/train", 1.0 / (s + 1)),
                                                                         ("acc", s / 50))]
    assert got == want


def test_tensorboardx_histograms(tbx):
    w, folder = tbx
    w.add_histogram_raw("raw", min=-1.0, max=3.0, num=10, sum=7.0, sum_squares=20.0,
                        bucket_limits=[0.0, 1.5, 3.0], bucket_counts=[2, 5, 3], global_step=4)
    w.add_histogram("normal", np.random.default_rng(0).normal(size=1000), 5)
    w.close()
    (out,) = decode_dir(folder)
    raw, normal = out.values
    assert (raw.kind, raw.tag, raw.step) == ("histogram", "raw", 4)
    assert raw.data["edges"].tolist() == [-1.0, 0.0, 1.5, 3.0] and raw.data["counts"].tolist() == [2, 5, 3]
    assert (raw.data["min"], raw.data["max"], raw.data["num"], raw.data["sum"]) == (-1.0, 3.0, 10, 7.0)
    assert normal.data["counts"].sum() == 1000 and len(normal.data["edges"]) == len(normal.data["counts"]) + 1


def test_tensorboardx_images_one_and_several(tbx):
    w, folder = tbx
    w.add_image("one", np.zeros((3, 8, 5), dtype=np.uint8), 1)
    w.add_images("many", np.ones((4, 3, 6, 7), dtype=np.float32) * 0.5, 2)
    w.close()
    (out,) = decode_dir(folder)
    one, many = out.values
    assert one.kind == "image" and len(one.data["images"]) == 1
    img = one.data["images"][0]
    assert (img["format"], img["width"], img["height"]) == ("png", 5, 8)
    assert img["data"].startswith(b"\x89PNG")
    # tensorboardX tiles several images into one grid image
    assert many.kind == "image" and many.data["images"][0]["format"] == "png"


def test_tensorboardx_audio(tbx):
    pytest.importorskip("soundfile", reason="tensorboardX's add_audio needs soundfile")
    w, folder = tbx
    w.add_audio("beep", np.sin(np.linspace(0, 100, 8000)).astype(np.float32), 3, sample_rate=8000)
    w.close()
    (out,) = decode_dir(folder)
    (clip,) = out.values[0].data["clips"]
    assert out.values[0].kind == "audio" and clip["format"] == "wav" and clip["sample_rate"] == 8000
    assert clip["channels"] == 1
    with wave.open(io.BytesIO(clip["data"])) as wav:
        assert wav.getnframes() == 8000


def wav_bytes(frames: int, rate: int, channels: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * frames * channels)
    return out.getvalue()


def test_audio_legacy_and_tf2():
    ev = proto.Event(wall_time=1.0, step=2)
    v = ev.summary.value.add(tag="legacy")
    v.audio.encoded_audio_string = wav_bytes(100, 16000, 2)
    v.audio.sample_rate, v.audio.num_channels, v.audio.content_type = 16000.0, 2, "audio/wav"
    t = tensor(proto.DT_STRING, (2, 2), string_val=[wav_bytes(10, 8000, 1), b"label a",
                                                     wav_bytes(20, 22050, 1), b"label b"])
    out = decode_bytes(frame(ev.SerializeToString()) + frame(tensor_event("tf2", "audio", t)))
    legacy, tf2 = out.values
    assert [(c["format"], c["sample_rate"], c["channels"]) for c in legacy.data["clips"]] == [("wav", 16000, 2)]
    assert [(c["sample_rate"], c["channels"]) for c in tf2.data["clips"]] == [(8000, 1), (22050, 1)]


def test_tensorboardx_text(tbx):
    w, folder = tbx
    w.add_text("notes", "hello **world**", 0)
    w.close()
    (out,) = decode_dir(folder)
    assert [(v.kind, v.tag, v.data) for v in out.values] == [("text", "notes/text_summary",
                                                               {"text": "hello **world**"})]


def test_tensorboardx_pr_curve(tbx):
    w, folder = tbx
    n = 5
    tp, fp, tn, fn = (np.arange(n, dtype=float) + k for k in range(4))
    prec, rec = np.linspace(1, 0.5, n), np.linspace(0, 1, n)
    w.add_pr_curve_raw("pr", tp, fp, tn, fn, prec, rec, 2, num_thresholds=n)
    w.close()
    (out,) = decode_dir(folder)
    (v,) = out.values
    assert v.kind == "pr_curve" and v.data["thresholds"] == n
    assert np.allclose(v.data["tp"], tp) and np.allclose(v.data["recall"], rec.astype(np.float32))


def test_tensorboardx_hparams(tbx):
    w, folder = tbx
    w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True}, {"hparam/acc": 0.9}, name="trial")
    w.close()
    found = [v for out in decode_dir(folder) for v in out.values if v.kind == "hparams"]
    data = {next(iter(v.data)): next(iter(v.data.values())) for v in found}
    assert data["session_start"]["hparams"] == {"lr": 0.1, "opt": "adam", "bn": True}
    assert {h["name"] for h in data["experiment"]["hparams"]} == {"lr", "opt", "bn"}
    assert [m["tag"] for m in data["experiment"]["metrics"]] == ["hparam/acc"]
    assert data["session_end"]["status"] == "success"
    metric = [s for out in decode_dir(folder) for s in scalars(out)]
    assert metric == [("hparam/acc", 0, float(np.float32(0.9)))]


def test_tensorboardx_custom_scalars(tbx):
    w, folder = tbx
    w.add_custom_scalars({"Train": {"loss": ["Multiline", ["loss/.*"]],
                                    "band": ["Margin", ["mid", "lo", "hi"]]}})
    w.close()
    (out,) = decode_dir(folder)
    (v,) = out.values
    (cat,) = v.data["layout"]["categories"]
    assert v.kind == "custom_scalars" and cat["title"] == "Train"
    charts = {c["title"]: c for c in cat["charts"]}
    assert charts["loss"]["multiline"] == ["loss/.*"]
    assert charts["band"]["margin"] == [{"value": "mid", "lower": "lo", "upper": "hi"}]


def test_tensorboardx_graph(tbx):
    torch = pytest.importorskip("torch")
    w, folder = tbx
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    w.add_graph(model, torch.zeros(2, 3))
    w.close()
    (out,) = decode_dir(folder)
    graphs = {v.data["format"]: v for v in out.values if v.kind == "graph"}
    assert set(graphs) >= {"graph_def", "run_metadata"}
    scopes = graph_def_scopes(graphs["graph_def"].data["data"])
    assert sum(scopes.values()) > 3 and "Sequential" in scopes


# -- TF2-style tensors built with our own messages ------------------------------------------------

def test_tf2_scalar_tensors_of_every_type():
    half = int(np.array([0.5], dtype=np.float16).view(np.uint16)[0])
    cases = [
        (tensor(proto.DT_FLOAT, float_val=[1.25]), 1.25),
        (tensor(proto.DT_FLOAT, tensor_content=struct.pack("<f", 2.5)), 2.5),
        (tensor(proto.DT_DOUBLE, double_val=[0.1]), 0.1),
        (tensor(proto.DT_DOUBLE, tensor_content=struct.pack("<d", -3.5)), -3.5),
        (tensor(proto.DT_HALF, half_val=[half]), 0.5),
        (tensor(proto.DT_INT32, int_val=[-7]), -7.0),
        (tensor(proto.DT_INT64, int64_val=[1 << 40]), float(1 << 40)),
        (tensor(proto.DT_INT64, tensor_content=struct.pack("<q", 9)), 9.0),
        (tensor(proto.DT_BOOL, bool_val=[True]), 1.0),
    ]
    buf = b"".join(frame(tensor_event(f"s{i}", "scalars", t, step=i)) for i, (t, _) in enumerate(cases))
    for fast in (True, False):
        out = decode_bytes(buf, fast=fast)
        assert out.problems == [] and out.scalar_value.tolist() == [v for _, v in cases]
        assert out.fast_records == (4 if fast else 0)  # the float32/float64 ones
        assert out.scalar_step.tolist() == list(range(len(cases)))


def test_tf2_histogram_tensor():
    rows = np.array([[0.0, 1.0, 3.0], [1.0, 2.5, 4.0], [2.5, 4.0, 1.0]])
    t = tensor(proto.DT_DOUBLE, (3, 3), tensor_content=rows.tobytes())
    (v,) = decode_bytes(frame(tensor_event("w", "histograms", t))).values
    assert v.kind == "histogram" and v.data["edges"].tolist() == [0.0, 1.0, 2.5, 4.0]
    assert v.data["counts"].tolist() == [3.0, 4.0, 1.0] and v.data["num"] == 8.0


def test_tf2_image_tensor_several_per_step():
    png = (FIXTURES / "tensorboardxVison").rglob("events*").__next__()
    image = decode_file(png).values[0].data["images"][0]["data"]
    t = tensor(proto.DT_STRING, (4,), string_val=[b"28", b"14", image, b"\xff\xd8\xff rest"])
    (v,) = decode_bytes(frame(tensor_event("img", "images", t))).values
    assert [(i["format"], i["width"], i["height"]) for i in v.data["images"]] == [("png", 28, 14),
                                                                                   ("jpeg", 28, 14)]


def test_tf2_text_rows_and_session_log():
    t = tensor(proto.DT_STRING, (2, 2), string_val=[b"a", b"b", b"c", b"d"])
    log = proto.Event(step=9, session_log=proto.SessionLog(status=1)).SerializeToString()
    out = decode_bytes(frame(tensor_event("t", "text", t)) + frame(log))
    assert out.values[0].data == {"rows": [["a", "b"], ["c", "d"]]} and out.session_logs == [(1, 9, 1)]


def test_hostile_values_become_problems_not_exceptions():
    bad = [
        tensor(proto.DT_FLOAT, (1 << 40,), float_val=[1.0, 2.0]),  # shape far over the values present
        tensor(proto.DT_DOUBLE, (2, 3), tensor_content=b"\0" * 8),  # content shorter than the shape
        tensor(proto.DT_STRING, (3,), string_val=[b"1"]),  # image tensor missing strings
    ]
    plugins = ["histograms", "histograms", "images"]
    buf = b"".join(frame(tensor_event(f"x{i}", p, t)) for i, (p, t) in enumerate(zip(plugins, bad)))
    buf += frame(b"\xff\xff\xff garbage")
    out = decode_bytes(buf)
    assert out.values == [] and len(out.problems) == 4 and "x0" in out.problems[0]
    with pytest.raises(ValueError, match="nested too deeply"):
        keras_layers("[" * 100000 + "]" * 100000)


def test_fuzzed_records_decode_without_exceptions_and_paths_agree():
    path = next((FIXTURES / "TensorBoard-Tutorial" / "logs").rglob("events*"))
    payloads = EventFileTail(path).read_new(final=True).payloads()
    payloads += [scalar_event(f"t{i % 3}", i / 3, i) for i in range(100)]
    rng = np.random.default_rng(11)
    for _ in range(40):
        mutated = []
        for p in payloads:
            b = bytearray(p)
            if b and rng.random() < 0.3:
                for at in rng.integers(0, len(b), int(rng.integers(1, 4))):
                    b[at] = int(rng.integers(0, 256))
            mutated.append(bytes(b))
        buf = b"".join(frame(p) for p in mutated)
        fast, slow = decode_bytes(buf), decode_bytes(buf, fast=False)
        assert same_columns(fast, slow) and len(fast.values) == len(slow.values)
        assert not any(p.startswith("fast path skipped") for p in fast.problems)


def test_tag_plugins_carry_over_between_chunks():
    first = tensor_event("loss", "scalars", tensor(proto.DT_FLOAT, float_val=[1.0]), step=0)
    later = []
    for step in range(1, 40):  # TF2 writers may send a tag's metadata with its first value only
        ev = proto.Event(wall_time=1.0, step=step)
        ev.summary.value.add(tag="loss").tensor.CopyFrom(tensor(proto.DT_FLOAT, float_val=[step / 2]))
        later.append(ev.SerializeToString())
    plugins: dict[str, str] = {}
    one, two = frame(first), b"".join(frame(r) for r in later)
    for buf in (one, two):
        s = scan(buf)
        out = decode(buf, s.starts, s.lengths, tag_plugins=plugins)
    assert plugins == {"loss": "scalars"} and out.scalar_step.tolist() == list(range(1, 40))
    alone = decode_bytes(two)
    assert len(alone.scalar_value) == 0 and alone.unknown_plugins == {"": 39}


def test_unknown_plugins_are_counted():
    t = tensor(proto.DT_FLOAT, float_val=[1.0])
    out = decode_bytes(frame(tensor_event("m", "mesh", t)) + frame(tensor_event("m", "mesh", t)))
    assert out.unknown_plugins == {"mesh": 2} and out.problems == []


def test_keras_layers_tree():
    cfg = {"class_name": "Functional", "config": {"name": "outer", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in"}},
        {"class_name": "Sequential", "config": {"name": "inner", "layers": [
            {"class_name": "Dense", "config": {"name": "d"}}]}}]}}
    assert keras_layers(json.dumps(cfg)) == [
        {"name": "in", "class_name": "InputLayer", "children": []},
        {"name": "inner", "class_name": "Sequential",
         "children": [{"name": "d", "class_name": "Dense", "children": []}]}]


# -- fast path == protobuf path -------------------------------------------------------------------

@pytest.mark.parametrize("path", events_in(FIXTURES), ids=lambda p: p.parent.name)
def test_fast_path_matches_protobuf_on_fixtures(path):
    fast, slow = decode_file(path), decode_file(path, fast=False)
    assert same_columns(fast, slow) and len(fast.values) == len(slow.values)
    if len(slow.problems) == 0 and sum(1 for _ in EventFileTail(path).read_new(True).starts) >= 32:
        assert fast.fast_records == len(fast.scalar_value)  # every scalar record of these files is templated


def test_fast_path_matches_protobuf_on_random_mixes():
    rng = np.random.default_rng(7)
    for trial in range(20):
        records = []
        for i in range(int(rng.integers(1, 300))):
            pick = rng.integers(0, 8)
            step = int(rng.choice([0, 1, 127, 128, 1 << 20, -5, 1 << 62])) + i
            tag = ["a", "loss/train", "x" * int(rng.integers(1, 200))][int(rng.integers(0, 3))]
            value = float(rng.choice([0.0, 1.5, np.nan, np.inf, rng.normal()]))
            if pick <= 2:
                records.append(scalar_event(tag, value, step, wall_time=float(rng.integers(0, 2)) * 1.7e9))
            elif pick == 3:
                t = tensor(proto.DT_FLOAT, tensor_content=struct.pack("<f", value))
                records.append(tensor_event(tag, "scalars", t, step))
            elif pick == 4:
                records.append(tensor_event(tag, "scalars", tensor(proto.DT_DOUBLE, double_val=[value]), step))
            elif pick >= 6:  # a later step field (protobuf: the last one wins; 0 included)
                records.append(scalar_event(tag, value, step) + (b"\x10\x05" if pick == 6 else b"\x10\x00"))
            else:
                ev = proto.Event(wall_time=2.0, step=step)
                ev.summary.value.add(tag=tag, simple_value=value)
                ev.summary.value.add(tag="second", simple_value=1.0)
                records.append(ev.SerializeToString())
        buf = b"".join(frame(r) for r in records)
        fast, slow = decode_bytes(buf), decode_bytes(buf, fast=False)
        assert same_columns(fast, slow), trial


# -- every shared fixture against its manifest ----------------------------------------------------

def test_shared_fixtures_match_manifest():
    if not (SHARED / "MANIFEST.json").exists():
        pytest.skip(f"shared fixtures not found at {SHARED} (they live outside the repository)")
    for entry in json.loads((SHARED / "MANIFEST.json").read_text()):
        out = decode_file(SHARED.parent / entry["path"])
        assert out.problems == [], entry["path"]
        steps: dict[str, list[int]] = {}
        for tag, step, _ in scalars(out):
            steps.setdefault(tag, []).append(step)
        for v in out.values:
            if v.kind != "graph" or v.data["format"] == "keras":  # the manifest counts summary values
                steps.setdefault(v.tag, []).append(v.step)
        want = {tag: (t["n"], t["min_step"], t["max_step"]) for tag, t in entry["tags"].items()}
        got = {tag: (len(s), min(s), max(s)) for tag, s in steps.items()}
        assert got == want, entry["path"]


# -- our definitions against TensorBoard's own reader (test-only use of the tensorboard package) ---

KINDS = ("scalars", "tensors", "histograms", "images", "audio")


@pytest.mark.parametrize("path", events_in(FIXTURES), ids=lambda p: p.parent.name)
def test_agrees_with_tensorboards_event_accumulator(path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from tensorboard.util import tensor_util

    acc = ea_mod.EventAccumulator(str(path), size_guidance=dict.fromkeys(KINDS, 0))
    acc.Reload()
    tags = acc.Tags()
    want = [(t, e.step, float(np.float32(e.value))) for t in tags["scalars"] for e in acc.Scalars(t)]
    want += [(t, e.step, float(tensor_util.make_ndarray(e.tensor_proto).reshape(-1)[0]))
             for t in tags["tensors"] if acc.SummaryMetadata(t).plugin_data.plugin_name == "scalars"
             for e in acc.Tensors(t)]
    out = decode_file(path)
    assert sorted(scalars(out)) == sorted(want)
    hist = {t: [tensor_util.make_ndarray(e.tensor_proto) for e in acc.Tensors(t)] for t in tags["tensors"]
            if acc.SummaryMetadata(t).plugin_data.plugin_name == "histograms"}
    for v in (v for v in out.values if v.kind == "histogram"):
        ref = hist[v.tag].pop(0)
        assert np.array_equal(v.data["counts"], ref[:, 2]) and np.array_equal(v.data["edges"][:-1], ref[:, 0])
    images = {t: [e.encoded_image_string for e in acc.Images(t)] for t in tags["images"]}
    for v in (v for v in out.values if v.kind == "image" and v.tag in images):
        assert v.data["images"][0]["data"] == images[v.tag].pop(0)
