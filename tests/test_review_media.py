"""Adversarial review of value types, media storage and media reading.

Tests named ``test_bug_*`` demonstrate defects (they fail until the defect is fixed);
the others pin behaviour that was checked and found correct.
"""

from __future__ import annotations

import glob
import json
import math
import os
import warnings
import wave

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.codecs import decode_png, decode_wav
from nbtrack.record.convert import split_metrics
from nbtrack.store import format as fmt
from nbtrack.values import Encoded, Value

RNG = np.random.default_rng(7)
IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


# -- helpers --------------------------------------------------------------------------------------

def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def _finish_quietly(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            run.finish()
        except nbtrack.errors.RunWriteError:
            pass


def _craft_media(run, rows):
    """Append a hand-made media record (tag, kind, path, meta string, text) through the run's sink,
    as a damaged or hostile run folder could hold it."""
    run.flush()
    sink = run._writer.slots[0].sink

    def arrays(local):
        return [pa.array([local[r[0]] for r in rows], pa.int32()), pa.array([0] * len(rows), pa.int64()),
                pa.array([0.0] * len(rows), pa.float64()), pa.array([r[1] for r in rows], pa.string()),
                pa.array([r[2] for r in rows], pa.string()), pa.array([r[3] for r in rows], pa.string()),
                pa.array([r[4] for r in rows], pa.string())]

    with run._writer._lock:
        sink._append(fmt.KIND_MEDIA, [r[0] for r in rows], arrays)


# ================================================================================================
# Bugs
# ================================================================================================

# -- Image --------------------------------------------------------------------------------------

def test_bug_image_out_of_range_int_pixels_rejected_at_log_time(tmp_path):
    """int64 pixels of 300 or int16 of -1 pass Image() and only fail in the writer thread,
    where the image is dropped (a warning, then RunWriteError at finish)."""
    with pytest.raises(ValueError, match=r"0\.\.255"):
        nbtrack.Image(np.full((2, 2), 300, np.int64))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        nbtrack.Image(np.full((2, 2), -1, np.int16))


def test_bug_image_from_16bit_or_float_pil_image_keeps_pixels():
    """PIL modes I;16 / F / I are converted to 8-bit RGB: 1000 becomes 255, 0.5 becomes 0."""
    from PIL import Image as PILImage

    grey16 = np.full((2, 3), 1000, np.uint16)
    got = decode_png(nbtrack.Image(PILImage.fromarray(grey16)).encode().files[".png"])
    np.testing.assert_array_equal(got, grey16)

    half = np.full((2, 3), 0.5, np.float32)
    got = decode_png(nbtrack.Image(PILImage.fromarray(half)).encode().files[".png"])
    np.testing.assert_array_equal(got, np.full((2, 3), 128, np.uint8))


def test_bug_image_file_that_is_a_wav_is_rejected(tmp_path):
    """Any RIFF file (a WAV, an AVI) is accepted as an image and stored as ``.webp``."""
    path = tmp_path / "sound.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(8))
    with pytest.raises(ValueError, match="not a PNG, JPEG, GIF or WebP"):
        nbtrack.Image(str(path))


def test_bug_image_logged_from_jpeg_file_reads_back(tmp_path):
    """``images()`` gives None for a present, valid JPEG (no damage note): indistinguishable from a
    missing file. Table cells give the bytes of non-PNG image files; images() should too."""
    from PIL import Image as PILImage

    path = tmp_path / "a.jpg"
    PILImage.new("RGB", (4, 3), (200, 10, 10)).save(path)
    run = _run(tmp_path)
    run.log({"photo": nbtrack.Image(str(path))})
    run.finish()
    r = _reader(tmp_path, run)
    value = r.images("photo").image[0]
    assert value is not None
    assert r.damage == []


def test_bug_image_box_with_nan_is_rejected_or_meta_is_strict_json(tmp_path):
    """A box coordinate of NaN is accepted and written into the record's ``meta`` as the bare token
    ``NaN``, which is not JSON (FORMAT.md: meta is a JSON object; JSON.parse in a browser throws)."""
    boxes = {"pred": {"box_data": [{"position": {"minX": math.nan, "maxX": 1, "minY": 0, "maxY": 1}}]}}
    try:
        image = nbtrack.Image(np.zeros((4, 4), np.uint8), boxes=boxes)
    except ValueError:
        return  # rejecting non-finite coordinates is a fine fix
    run = _run(tmp_path)
    run.log({"img": image})
    run.finish()
    meta = _reader(tmp_path, run).media("img")["meta"][0]
    json.dumps(meta, allow_nan=False)  # ValueError: the stored meta held NaN


def test_bug_image_mask_class_ids_must_be_integers():
    """Mask class ids 0.5 / 1.7 / NaN are silently truncated to 0 / 1 / 0 (NaN with a numpy
    RuntimeWarning about an invalid cast) instead of being rejected."""
    for bad in (np.array([[0.5, 1.7], [2.0, 3.0]]), np.array([[np.nan, 1.0], [2.0, 3.0]])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((ValueError, TypeError)):
                nbtrack.Image(np.zeros((2, 2), np.uint8), masks={"m": {"mask_data": bad}})


# -- Histogram ----------------------------------------------------------------------------------

def test_bug_histogram_values_outside_explicit_edges_do_not_vanish(tmp_path):
    """With ``bins=[0, 1, 2]``, values -5, 5 and 100 are in no bin and in no field: ``count`` says 4
    (FORMAT.md: "number of finite values binned") while the counts sum to 1."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([0.5, 5.0, -5.0, 100.0], bins=[0, 1, 2])})
    run.finish()
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    outside = sum(float(row.get(k, 0) or 0) for k in ("underflow", "overflow", "below", "above", "outside"))
    assert row["counts"].sum() + outside == 4
    assert row["count"] == row["counts"].sum() + outside


def test_bug_histogram_of_huge_finite_values_is_stored(tmp_path):
    """[1e308, -1e308]: ``high - low`` overflows, the edges are NaN and np.histogram raises in the
    writer thread; legal finite data is dropped and finish() raises RunWriteError."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([1e308, -1e308])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.finish()  # raises RunWriteError today
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    assert row["counts"].sum() == 2
    assert np.isfinite(row["edges"]).all()


def test_bug_histogram_of_one_large_value_has_increasing_edges():
    """A single value (or all values equal) >= 2**53: ``low - 0.5 == low``, so all 65 edges are equal,
    breaking FORMAT.md's "strictly increasing" edges."""
    for value in (1e17, 1e308):
        edges = nbtrack.Histogram([value, value]).encode().arrays["edges"]
        assert (np.diff(edges) > 0).all(), (value, edges[:3])


def test_bug_histogram_of_int32_keeps_values_exact():
    """int32/uint32 data is copied as float32: 16777217 is stored with max 16777216."""
    enc = nbtrack.Histogram(np.array([16777217, 0], np.int32)).encode()
    assert enc.meta["max"] == 16777217.0
    assert enc.meta["sum"] == 16777217.0


# -- Audio --------------------------------------------------------------------------------------

def test_bug_audio_too_many_channels_rejected_at_log_time():
    """(20, 9) samples pass Audio() (not transposed: 20 > 8) and fail in the writer thread
    ("1 <= C <= 8"), where the value is dropped."""
    with pytest.raises(ValueError):
        nbtrack.Audio(np.zeros((20, 9)), sample_rate=8000)


# -- strings that cannot be stored ----------------------------------------------------------------

def test_bug_caption_with_lone_surrogate_rejected_at_log_time():
    """Text() rejects lone surrogates, but captions of Image/Audio/Video/Figure do not: the record's
    meta cannot be encoded as UTF-8 and storage fails for the whole flush (see the poison test)."""
    with pytest.raises(ValueError):
        nbtrack.Image(IMG, caption="bad \ud800")
    with pytest.raises(ValueError):
        nbtrack.Audio(np.zeros(4), sample_rate=8000, caption="\udfff")


def test_bug_media_tag_with_lone_surrogate_rejected_at_log_time(tmp_path):
    """A media key with a lone surrogate passes check_key; mkdir of its folder then fails in the
    writer, and every media record of the run is lost."""
    run = _run(tmp_path)
    try:
        with pytest.raises(ValueError):
            run.log({"x\ud800": nbtrack.Image(IMG)})
    finally:
        _finish_quietly(run)


def test_bug_table_with_lone_surrogate_rejected_at_log_time():
    """Table cells / column names with lone surrogates pass Table(); encode() then fails in the
    writer thread and the table is dropped."""
    with pytest.raises(ValueError):
        nbtrack.Table(columns=["a"], data=[["\ud800"]])
    with pytest.raises(ValueError):
        nbtrack.Table(columns=["\ud800"], data=[[1]])


# -- writer / storage ---------------------------------------------------------------------------

class _Unstorable(Value):
    """A value whose encoding cannot be turned into a record (meta with a tuple key)."""

    KIND = "review_unstorable"

    def encode(self) -> Encoded:
        return Encoded(self.KIND, {(1, 2): "tuple key"})


def test_bug_one_unstorable_value_does_not_block_other_media(tmp_path):
    """write_media fails for the whole merged batch; _enqueue keeps merging later media into the
    failing entry, so every later image is lost too, and each retry rewrites the files of all items
    under new names (orphans)."""
    run = _run(tmp_path)
    run.log({"good": nbtrack.Image(IMG), "bad": _Unstorable()})
    run.flush()
    run.log({"good": nbtrack.Image(IMG)})
    run.flush()
    run.log({"good": nbtrack.Image(IMG)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(nbtrack.errors.RunWriteError):
            run.finish()  # the bad value must be reported
        r = _reader(tmp_path, run)
        steps = r.media("good")["step"].tolist() if "good" in r.media_tags() else []
    assert steps == [0, 1, 2]
    files = glob.glob(os.path.join(run.dir, "media", "good", "*"))
    assert len(files) == 3, sorted(map(os.path.basename, files))


def test_bug_failed_histogram_write_does_not_duplicate_media_records(tmp_path):
    """write_media appends the media rows, then the histogram rows; when the second append fails
    (data file replaced), the retry appends the media rows again: duplicated records, silently."""
    run = _run(tmp_path)
    run.log({"img": nbtrack.Image(IMG), "h": nbtrack.Histogram([1.0])})
    run.flush()
    hfile = glob.glob(os.path.join(run.dir, "data", "*.histograms.arrows"))[0]
    os.rename(hfile, hfile + ".moved")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.log({"img": nbtrack.Image(IMG), "h": nbtrack.Histogram([2.0])})
        run.flush()  # the histogram append fails: stream file is gone
        os.rename(hfile + ".moved", hfile)
        run.finish()
    r = _reader(tmp_path, run)
    assert r.media("img")["step"].tolist() == [0, 1]
    assert r.histograms("h")["step"].tolist() == [0, 1]


# -- log() key handling ---------------------------------------------------------------------------

def test_bug_duplicate_flattened_key_is_an_error():
    """{"a/b": 1, "a": {"b": 2}} flattens two values onto one key; the first is silently dropped."""
    with pytest.raises(ValueError):
        split_metrics({"a/b": 1.0, "a": {"b": 2.0}})


# -- reader: tags used by several kinds -----------------------------------------------------------

def test_bug_history_keeps_scalar_of_a_tag_also_used_for_media(tmp_path):
    """_with_media_columns assigns ``out[tag] = marks``, replacing the scalar column of the same name."""
    run = _run(tmp_path)
    run.log({"x": 1.0})                    # step 0: scalar
    run.log({"x": nbtrack.Image(IMG)})     # step 1: image under the same name
    run.finish()
    r = _reader(tmp_path, run)
    assert r.scalars("x")["value"].tolist() == [1.0]
    hist = r.history()
    assert hist.loc[hist["_step"] == 0, "x"].tolist() == [1.0]


def test_bug_history_keeps_image_steps_of_a_tag_also_used_for_histograms(tmp_path):
    """The histogram marks overwrite the media marks of the same tag, and the image's step vanishes
    from history() entirely."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Image(IMG)})            # step 0
    run.log({"h": nbtrack.Histogram([1, 2, 3])})  # step 1
    run.finish()
    hist = _reader(tmp_path, run).history()
    assert hist["_step"].tolist() == [0, 1]


def test_bug_images_of_a_mixed_gallery_hold_only_images(tmp_path):
    """images() checks only the first row's kind: the audio of a gallery shows up as an 'image'
    (a (samples, rate) tuple) in the image column."""
    run = _run(tmp_path)
    run.log({"g": [nbtrack.Image(IMG), nbtrack.Audio(np.zeros(10), sample_rate=100)]})
    run.finish()
    frame = _reader(tmp_path, run).images("g")
    assert all(isinstance(v, np.ndarray) for v in frame["image"]), frame["image"].map(type).tolist()


def test_bug_images_of_a_tag_that_started_as_audio(tmp_path):
    """media_tags() reports the LAST row's kind ('image'), images() checks the FIRST row's kind and
    raises KeyError with a message listing the tag as an image tag."""
    run = _run(tmp_path)
    run.log({"t": nbtrack.Audio(np.zeros(10), sample_rate=100)})
    run.log({"t": nbtrack.Image(IMG)})
    run.finish()
    r = _reader(tmp_path, run)
    assert r.media_tags()["t"] == "image"
    frame = r.images("t")  # KeyError today
    assert frame["step"].tolist() == [1]


# -- reader: damaged or hostile records -------------------------------------------------------------

@pytest.mark.parametrize("meta", ["[1, 2]", "null", "7"])
def test_bug_reader_survives_meta_that_is_not_an_object(tmp_path, meta):
    """meta must be a JSON object; when it is valid JSON of another type, MediaRecords._add_media
    crashes with AttributeError in every reader method (scalars and history included). The items the
    tail already returned are then lost: the next call succeeds without them, with no damage note."""
    run = _run(tmp_path)
    run.log({"loss": 1.0})
    _craft_media(run, [("bad", "image", None, meta, None), ("note", "text", None, "{}", "hello")])
    run.log({"loss": 2.0})
    run.finish()
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert r.scalars("loss")["value"].tolist() == [1.0, 2.0]
        assert r.texts("note")["text"].tolist() == ["hello"]


def _log_every_kind(run):
    fig = pytest.importorskip("matplotlib.figure").Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    run.log({"image": nbtrack.Image(IMG), "audio": nbtrack.Audio(np.zeros(10), sample_rate=10),
             "video": nbtrack.Video(np.zeros((2, 2, 2, 3), np.uint8)),
             "table": nbtrack.Table(columns=["a", "pic"], data=[[1, nbtrack.Image(IMG)]]),
             "pr": nbtrack.PRCurve([1, 0], [0.2, 0.7]), "emb": nbtrack.Embedding(np.eye(2)),
             "fig": nbtrack.Figure(fig)})


@pytest.mark.parametrize("tag", ["image", "audio", "video", "table", "pr", "emb"])
def test_bug_reader_survives_corrupt_media_file(tmp_path, tag):
    """A media file overwritten with garbage makes images()/media(decode=True)/tables() raise
    (ValueError / JSONDecodeError) instead of giving None and a damage note."""
    run = _run(tmp_path)
    _log_every_kind(run)
    run.finish()
    r = _reader(tmp_path, run)
    path = r.media(tag)["path"][0]
    (run.dir / path).write_bytes(b"garbage")
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = r.media(tag, decode=True)["value"].tolist()
    assert values == [None]
    assert any(path in str(d) for d in r.damage)


def test_bug_reader_survives_deleted_table_cell_file(tmp_path):
    """A deleted image-cell file of a table: read() returns None and decode_png(None) raises TypeError."""
    run = _run(tmp_path)
    run.log({"table": nbtrack.Table(columns=["a", "pic"], data=[[1, nbtrack.Image(IMG)]])})
    run.finish()
    r = _reader(tmp_path, run)
    cell = r.media("table")["meta"][0]["files"][".cell-0-1.png"]
    os.remove(run.dir / cell)
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = r.tables("table")  # TypeError today
    value = tables["table"][0]
    assert value is None or value["pic"][0] is None
    assert r.damage


@pytest.mark.parametrize("kind,path,meta", [
    ("image", "media/a\x00b.png", "{}"),                 # ValueError: embedded null byte
    ("figure", None, '{"files": [".png"]}'),           # AttributeError: list has no items
    ("figure", None, '{"files": {".png": 5}}'),        # TypeError: Path / int
    ("table", "media/t.json", '{"files": {".cell-0-0.png": "../../../../etc/passwd"}}'),  # TypeError
])
def test_bug_reader_survives_malformed_paths(tmp_path, kind, path, meta):
    run = _run(tmp_path)
    if kind == "table":
        (run.dir / "media").mkdir()
        body = {"columns": ["a"], "types": ["image"],
                "rows": [[{"_media": "image", "file": ".cell-0-0.png", "meta": {}}]]}
        (run.dir / "media" / "t.json").write_text(json.dumps(body))
    _craft_media(run, [("m", kind, path, meta, None)])
    run.finish()
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.media("m", decode=True)
    assert r.damage


# ================================================================================================
# Checked and fine
# ================================================================================================

def test_image_edge_round_trips(tmp_path):
    u16 = RNG.integers(0, 65536, (3, 5, 4), dtype=np.uint16)
    la16 = RNG.integers(0, 65536, (3, 5, 2), dtype=np.uint16)
    grey = RNG.integers(0, 256, (3, 5, 1), dtype=np.uint8)
    chw1 = RNG.integers(0, 256, (1, 6, 7), dtype=np.uint8)
    nchw1 = RNG.integers(0, 256, (1, 3, 6, 7), dtype=np.uint8)
    big = RNG.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    floats = np.array([[np.nan, np.inf], [-np.inf, 0.5]])
    run = _run(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy overflow warning on +/-inf in to_uint8 (harmless)
        run.log({"u16": nbtrack.Image(u16), "la16": nbtrack.Image(la16, mode="LA"),
                 "one": nbtrack.Image(np.full((1, 1), 9, np.uint8)), "grey": nbtrack.Image(grey),
                 "chw1": nbtrack.Image(chw1), "nchw1": nbtrack.Image(nchw1), "big": nbtrack.Image(big),
                 "f": nbtrack.Image(floats), "b": nbtrack.Image(np.array([[True, False]]))})
        run.finish()
    r = _reader(tmp_path, run)
    got = {tag: r.images(tag).image[0] for tag in r.media_tags()}
    np.testing.assert_array_equal(got["u16"], u16)
    assert got["u16"].dtype == np.uint16
    np.testing.assert_array_equal(got["la16"], la16)
    np.testing.assert_array_equal(got["one"], [[9]])
    np.testing.assert_array_equal(got["grey"], grey[:, :, 0])
    np.testing.assert_array_equal(got["chw1"], chw1[0])
    np.testing.assert_array_equal(got["nchw1"], np.moveaxis(nchw1[0], 0, -1))
    np.testing.assert_array_equal(got["big"], big)
    np.testing.assert_array_equal(got["f"], [[0, 255], [0, 128]])
    np.testing.assert_array_equal(got["b"], [[255, 0]])


def test_image_bad_inputs_are_explained():
    with pytest.raises(TypeError, match="complex"):
        nbtrack.Image(np.zeros((2, 2), complex))
    with pytest.raises(ValueError, match="0-D"):
        nbtrack.Image(np.zeros(()))
    with pytest.raises(ValueError, match="empty"):
        nbtrack.Image(np.zeros((0, 3), np.uint8))
    with pytest.raises(ValueError, match="mode='LA'"):
        nbtrack.Image(np.zeros((2, 2, 2), np.uint8))


def test_histogram_edge_cases():
    enc = nbtrack.Histogram([np.nan, np.nan, np.inf, -np.inf]).encode()
    assert (enc.meta["nan"], enc.meta["posinf"], enc.meta["neginf"], enc.meta["count"]) == (2, 1, 1, 0)
    assert enc.arrays["counts"].sum() == 0 and enc.meta["min"] is None
    enc = nbtrack.Histogram([3.0, 3.0, 3.0]).encode()
    assert enc.arrays["counts"].sum() == 3 and (np.diff(enc.arrays["edges"]) > 0).all()
    enc = nbtrack.Histogram(np.array([True, False, True]), bins=2).encode()
    assert enc.arrays["counts"].tolist() == [1.0, 2.0]
    enc = nbtrack.Histogram(np.arange(1000, dtype=np.int64), bins=512).encode()
    assert len(enc.arrays["counts"]) == 512 and enc.arrays["counts"].sum() == 1000
    data = np.concatenate([np.linspace(0, 1e-6, 100_000), [1e9]])
    enc = nbtrack.Histogram(data, bins="auto").encode()
    assert len(enc.arrays["counts"]) <= 512 and enc.arrays["counts"].sum() == len(data)
    enc = nbtrack.Histogram(np_histogram=([0.5, 1.5], [0, 1, 2])).encode()
    assert enc.arrays["counts"].tolist() == [0.5, 1.5] and enc.meta["count"] == 2.0
    with pytest.raises(ValueError):
        nbtrack.Histogram([1.0], bins=513)
    with pytest.raises(ValueError):
        nbtrack.Histogram([])
    with pytest.raises(ValueError):
        nbtrack.Histogram(np_histogram=([1.0], [0, np.inf]))


def test_histogram_round_trip_through_a_run(tmp_path):
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([1.0, 2.0, np.nan, np.inf], bins=4)})
    run.finish()
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    assert row["counts"].sum() == 2 and row["nan"] == 1 and row["posinf"] == 1 and row["count"] == 2


def test_table_edge_cases():
    t = nbtrack.Table(columns=["_step", "_media", "none"], data=[[1, "x", None], [2, "y", None]])
    cols, rows = nbtrack.values.table.decode_table(t.encode().files[".json"], lambda s: b"")
    assert cols == ["_step", "_media", "none"] and rows == [[1, "x", None], [2, "y", None]]
    with pytest.raises(ValueError, match="unique"):
        nbtrack.Table(columns=["a", "a"], data=[])
    t = nbtrack.Table(columns=["a", "b", "c"], data=[[np.int64(2**62), np.float32(0.5), np.str_("s")]])
    assert t.data == [[2**62, 0.5, "s"]]
    with pytest.raises(TypeError, match="Table"):
        nbtrack.Table(columns=["a"], data=[[nbtrack.Table(columns=["b"], data=[[1]])]])
    with pytest.raises(TypeError, match="ndarray"):
        nbtrack.Table(columns=["a"], data=[[np.array(3.0)]])
    assert nbtrack.Table(dataframe=pd.DataFrame({1: [1], (2, 3): [2]})).columns == ["1", "(2, 3)"]
    t = nbtrack.Table(dataframe=pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}))
    assert t.data == [[1], [None]]
    long = "x" * 2_000_000
    cols, rows = nbtrack.values.table.decode_table(
        nbtrack.Table(columns=["s"], data=[[long]]).encode().files[".json"], lambda s: b"")
    assert rows[0][0] == long


def test_table_rows_added_after_log_are_not_logged_and_html_is_verbatim(tmp_path):
    t = nbtrack.Table(columns=["html"], data=[["<script>alert(1)</script>"]])
    run = _run(tmp_path)
    run.log({"t": t, "h": nbtrack.Html("<img src=x onerror=alert(1)>")})
    t.add_data("later")
    run.finish()
    r = _reader(tmp_path, run)
    assert r.tables("t")["table"][0]["html"].tolist() == ["<script>alert(1)</script>"]
    assert r.texts("h")["text"].tolist() == ["<img src=x onerror=alert(1)>"]


def test_audio_round_trips(tmp_path):
    stereo = np.stack([np.linspace(-1, 1, 100), np.linspace(1, -1, 100)])
    samples, rate = decode_wav(nbtrack.Audio(stereo, sample_rate=8000).encode().files[".wav"])
    assert samples.shape == (100, 2) and rate == 8000
    ext = np.array([-32768, 32767, 0], np.int16)
    samples, _ = decode_wav(nbtrack.Audio(ext, sample_rate=8000).encode().files[".wav"])
    np.testing.assert_array_equal(samples, ext)
    path = tmp_path / "a.wav"
    frames = np.array([[1, 2], [3, 4], [-5, -6]], np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(frames.tobytes())
    audio = nbtrack.Audio(str(path))
    assert audio.sample_rate == 22050
    samples, _ = decode_wav(audio.encode().files[".wav"])
    np.testing.assert_array_equal(samples, frames)
    bogus = tmp_path / "b.wav"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(ValueError, match="WAV"):
        nbtrack.Audio(str(bogus))
    with pytest.raises(ValueError):
        nbtrack.Audio(np.array([0.0, np.nan]), sample_rate=8000)


def test_video_files(tmp_path):
    from PIL import Image as PILImage

    gif = tmp_path / "a.gif"
    PILImage.new("RGB", (5, 7)).save(gif)
    meta = nbtrack.Video(str(gif)).encode().meta
    assert (meta["width"], meta["height"], meta["format"]) == (5, 7, "gif")
    still = tmp_path / "a.png"
    PILImage.new("RGB", (5, 7)).save(still)
    with pytest.raises(ValueError, match="apng"):
        nbtrack.Video(str(still))


def test_reader_confines_paths_and_reports_missing_files(tmp_path):
    run = _run(tmp_path)
    run.log({"gone": nbtrack.Image(IMG)})
    (run.dir / "media").mkdir(exist_ok=True)
    os.symlink("/etc/passwd", run.dir / "media" / "link.png")
    _craft_media(run, [("rel", "image", "../../../../etc/passwd", "{}", None),
                       ("abs", "image", "/etc/passwd", "{}", None),
                       ("sym", "image", "media/link.png", "{}", None),
                       ("pr", "pr_curve", "/etc/passwd", "{}", None),
                       ("badjson", "image", None, "not json", None)])
    run.finish()
    r = _reader(tmp_path, run)
    os.remove(run.dir / r.media("gone")["path"][0])
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tag in ("gone", "rel", "abs", "sym", "pr", "badjson"):
            assert r.media(tag, decode=True)["value"].tolist() == [None], tag
    reasons = [d.reason for d in r.damage]
    assert sum("escapes" in x for x in reasons) == 4
    assert any("unreadable" in x for x in reasons)


def test_failing_encode_is_reported_and_other_values_kept(tmp_path):
    class Boom(Value):
        KIND = "review_boom"

        def encode(self):
            raise RuntimeError("kaboom")

    run = _run(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.log({"a": nbtrack.Image(IMG), "b": Boom(), "c": nbtrack.Image(IMG)})
        with pytest.raises(nbtrack.errors.RunWriteError, match="kaboom"):
            run.finish()
    assert run._collector.media_bytes == 0
    assert set(_reader(tmp_path, run).media_tags()) == {"a", "c"}


def test_media_steps_commit_nesting_and_queue_accounting(tmp_path):
    run = _run(tmp_path)
    run.log({"val": {"img": nbtrack.Image(IMG)}, "loss": 0.5}, step=10, commit=False)
    run.log({"val": {"img": nbtrack.Image(IMG[::-1])}}, commit=False)
    assert run.step == 10
    run.log({"g": [nbtrack.Image(IMG), nbtrack.Image(IMG)]})
    assert run.step == 11
    with pytest.raises(TypeError):
        run.log({"empty": []})
    run.finish()
    assert run._collector.media_bytes == 0
    r = _reader(tmp_path, run)
    imgs = r.images("val/img")
    assert imgs["step"].tolist() == [10, 10] and imgs["path"].nunique() == 2
    assert r.images("g")["index"].tolist() == [0, 1]
    assert r.scalars("loss")["step"].tolist() == [10]


def test_resumed_run_media_files_are_unique(tmp_path):
    run = nbtrack.init(dir=tmp_path / "runs", id="res1")
    run.log({"img": nbtrack.Image(IMG)}, step=0)
    run.finish()
    run2 = nbtrack.init(dir=tmp_path / "runs", id="res1", resume="allow")
    run2.log({"img": nbtrack.Image(IMG[::-1])}, step=0 if run2.step == 0 else run2.step)
    run2.finish()
    frame = nbtrack.open(tmp_path / "runs").run("res1").images("img")
    assert len(frame) == 2 and frame["path"].nunique() == 2
    assert not np.array_equal(frame["image"][0], frame["image"][1])


def test_history_with_only_media(tmp_path):
    run = _run(tmp_path)
    run.log({"img": nbtrack.Image(IMG)})
    run.log({"img": nbtrack.Image(IMG)})
    run.finish()
    hist = _reader(tmp_path, run).history()
    assert hist["_step"].tolist() == [0, 1] and hist["img"].notna().all()
