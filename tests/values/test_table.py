"""Table: cells of every type (media cells included) round trip exactly; validation, snapshots, decoding."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.codecs import decode_png, decode_wav
from nbtrack.values.audio import Audio
from nbtrack.values.image import Image
from nbtrack.values.table import Table, decode_table
from nbtrack.values.text import Html, Markdown, Text
from nbtrack.values.video import Video

RNG = np.random.default_rng(1234)




def _round_trip(table: Table):
    enc = table.encode()
    assert enc.kind == "table" and next(iter(enc.files)) == ".json"
    return enc, decode_table(enc.files[".json"], enc.files.__getitem__)


def test_table_scalars_round_trip_exactly():
    rows = [
        [1, 0.1, "plain", True, None],
        [2**70, float("nan"), "emoji 🎉📉 and 中文字符", False, None],
        [-3, float("inf"), 'quotes " \\ and\nnewline\t', None, None],
        [None, float("-inf"), "", True, None],
        [0, -0.0, "\u0000 nul", False, None],
    ]
    table = Table(columns=["i", "x", "s", "b", "empty"], data=rows)
    assert table.types == ["number", "number", "str", "bool", None]
    enc, (columns, decoded) = _round_trip(table)
    assert columns == ["i", "x", "s", "b", "empty"]
    assert enc.meta == {"rows": 5, "columns": columns, "types": ["number", "number", "str", "bool", "none"]}
    body = json.loads(enc.files[".json"])
    assert body["types"] == ["number", "number", "str", "bool", "none"]
    assert "🎉" in enc.files[".json"].decode("utf-8")  # ensure_ascii=False
    for got, want in zip(decoded, rows):
        for g, w in zip(got, want):
            assert type(g) is type(w)
            assert g == w or (isinstance(w, float) and math.isnan(w) and math.isnan(g))
    assert math.copysign(1, decoded[4][1]) == -1.0


def test_table_numpy_scalars_become_python():
    table = Table(columns=["f", "i", "b", "s"],
                  data=[[np.float32(1.5), np.int64(7), np.bool_(True), np.str_("x")]])
    _, (_, rows) = _round_trip(table)
    assert rows == [[1.5, 7, True, "x"]]
    assert [type(v) for v in table.data[0]] == [float, int, bool, str]


def test_table_add_data_and_add_row():
    table = Table(columns=["a", "b"])
    table.add_data(1, "x")
    table.add_row(2.5, None)
    table.add_data(None, "y")
    assert len(table) == 3 and table.types == ["number", "str"]
    assert _round_trip(table)[1] == (["a", "b"], [[1, "x"], [2.5, None], [None, "y"]])


def test_table_media_cells_round_trip():
    pixels = RNG.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    grey = RNG.integers(0, 256, size=(3, 2), dtype=np.uint8)
    samples = RNG.integers(-32768, 32767, size=50, dtype=np.int16)
    table = Table(columns=["img", "sound", "note", "label"])
    table.add_data(Image(pixels, caption="猫"), Audio(samples, sample_rate=8000), Text("plain 📉"), "a")
    table.add_data(Image(grey), None, Markdown("**bold**"), "b")
    table.add_data(None, Audio(samples[:10], sample_rate=16000), Html("<b>x</b>"), "c")
    assert table.types == ["image", "audio", "text", "str"]
    enc, (_, rows) = _round_trip(table)
    assert list(enc.files) == [".json", ".cell-0-0.png", ".cell-0-1.wav", ".cell-1-0.png", ".cell-2-1.wav"]
    body = json.loads(enc.files[".json"])
    image_cell = body["rows"][0][0]
    assert image_cell["_media"] == "image" and image_cell["file"] == ".cell-0-0.png"
    assert image_cell["meta"]["caption"] == "猫" and image_cell["meta"]["width"] == 5
    assert body["rows"][1][2] == {"_media": "markdown", "meta": {"caption": None, "length": 8}, "text": "**bold**"}
    np.testing.assert_array_equal(rows[0][0], pixels)
    np.testing.assert_array_equal(rows[1][0], grey)
    np.testing.assert_array_equal(rows[0][1][0], samples)
    assert rows[0][1][1] == 8000 and rows[2][1][1] == 16000
    assert [row[2] for row in rows] == ["plain 📉", "**bold**", "<b>x</b>"]
    assert [row[3] for row in rows] == ["a", "b", "c"]
    assert rows[1][1] is None and rows[2][0] is None
    assert table.nbytes > pixels.nbytes + samples.nbytes


def test_table_image_with_masks_keeps_every_file():
    mask = np.zeros((4, 4), np.uint8)
    mask[1, 1] = 3
    table = Table(columns=["img"], data=[[Image(np.zeros((4, 4, 3), np.uint8), masks={"m": {"mask_data": mask}})]])
    enc = table.encode()
    cell = json.loads(enc.files[".json"])["rows"][0][0]
    assert cell["files"] == {".png": ".cell-0-0.png", ".mask0.png": ".cell-0-0.mask0.png"}
    np.testing.assert_array_equal(decode_png(enc.files[".cell-0-0.mask0.png"]), mask)


def test_table_from_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({0: [1, 2, 3], "x": [0.5, np.nan, 2.0], "s": ["中", None, "😀"], "b": [True, False, True]})
    table = Table(dataframe=frame)
    assert table.columns == ["0", "x", "s", "b"] and table.types == ["number", "number", "str", "bool"]
    columns, rows = _round_trip(table)[1]
    assert columns == table.columns
    assert rows[0] == [1, 0.5, "中", True] and rows[2] == [3, 2.0, "😀", True]
    assert rows[1][0] == 2 and math.isnan(rows[1][1]) and rows[1][2] is None and rows[1][3] is False


def test_table_from_polars_dataframe():
    pl = pytest.importorskip("polars")
    table = Table(dataframe=pl.DataFrame({"a": [1, None], "s": ["x", "ü"]}))
    assert _round_trip(table)[1] == (["a", "s"], [[1, "x"], [None, "ü"]])


def test_table_from_numpy_rows_and_default_column_names():
    table = Table(data=np.arange(6).reshape(2, 3))
    assert table.columns == ["0", "1", "2"] and table.data == [[0, 1, 2], [3, 4, 5]]


def test_table_ragged_row_names_row_and_columns():
    with pytest.raises(ValueError, match=r"row 3 has 2 cells; the table has 3 columns \['a', 'b', 'c'\]"):
        Table(columns=["a", "b", "c"], data=[[1, 2, 3]] * 3 + [[1, 2]])
    table = Table(columns=["a"])
    with pytest.raises(ValueError, match=r"row 0 has 2 cells; the table has 1 columns \['a'\]"):
        table.add_data(1, 2)


@pytest.mark.parametrize(("rows", "match"), [
    ([[1], ["x"]], r"column 'a' holds number cells, but row 1 has a str cell \(str\)"),
    ([[True], [1]], r"column 'a' holds bool cells, but row 1 has a number cell \(int\)"),
    ([[1.5], [np.bool_(False)]], r"column 'a' holds number cells, but row 1 has a bool cell \(bool_?\)"),
    ([["s"], [None], [Text("t")]], r"column 'a' holds str cells, but row 2 has a text cell \(Text\)"),
])
def test_table_column_mixing_types_is_a_type_error(rows, match):
    with pytest.raises(TypeError, match=match):
        Table(columns=["a"], data=rows)


def test_table_mixing_image_and_audio():
    table = Table(columns=["media"], data=[[Image(np.zeros((2, 2), np.uint8))]])
    with pytest.raises(TypeError, match=r"column 'media' holds image cells, but row 1 has a audio cell \(Audio\)"):
        table.add_data(Audio(np.zeros(4, np.int16), sample_rate=8000))


@pytest.mark.parametrize("cell", [{"a": 1}, [1, 2], (1,), object(), 1 + 2j, np.complex64(1), b"bytes",
                                  np.datetime64("2024-01-01"), np.zeros(3)])
def test_table_unsupported_cell(cell):
    with pytest.raises(TypeError, match=r"the cell in column 'y', row 1 is a \w+, which a table cannot hold; "
                                        r"accepted are None, bool, int, float, str"):
        Table(columns=["x", "y"], data=[[1, 2], [3, cell]])


def test_table_unsupported_value_type_cell():
    video = Video(np.zeros((1, 2, 2, 3), np.uint8))
    with pytest.raises(TypeError, match=r"column 'v', row 0 is a Video.*nbtrack\.Image, nbtrack\.Audio"):
        Table(columns=["v"], data=[[video]])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({}, TypeError, r"pass columns=\[names\], data=\[rows\] or dataframe="),
    ({"columns": "abc"}, TypeError, r"columns=.*expected a list of str, got str"),
    ({"columns": ["a", 2]}, TypeError, r"column 1 is a int \(2\); names must be str"),
    ({"columns": ["a", "b", "a"]}, ValueError, r"must be unique; repeated: \['a'\]"),
    ({"columns": ["a"], "data": "rows"}, TypeError, r"data=.*expected a list of rows.*got str"),
    ({"columns": ["a"], "data": 5}, TypeError, r"got int"),
    ({"columns": ["a"], "data": [5]}, TypeError, r"row 0 must be a list or tuple of cells, got int"),
    ({"columns": ["a"], "data": np.zeros(3)}, ValueError, r"must be 2-D.*shape \(3,\)"),
    ({"columns": ["a"], "dataframe": object()}, TypeError, r"pass dataframe= alone"),
    ({"dataframe": [[1, 2]]}, TypeError, r"dataframe=.*expected a pandas \(or polars\) DataFrame, got list"),
])
def test_table_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        Table(**kwargs)


def test_table_failed_row_leaves_the_table_unchanged():
    table = Table(columns=["a", "b"], data=[[None, "x"]])
    with pytest.raises(TypeError):
        table.add_data(1, 2)  # column b holds str
    assert len(table) == 1 and table.types == [None, "str"]
    table.add_data(True, "y")
    assert table.types == ["bool", "str"]


def test_table_is_a_snapshot_of_the_callers_rows():
    rows = [[1, "a"], [2, "b"]]
    table = Table(columns=["n", "s"], data=rows)
    rows[0][0] = 99
    rows.append([3, "c"])
    assert _round_trip(table)[1] == (["n", "s"], [[1, "a"], [2, "b"]])
    pixels = np.zeros((2, 2), np.uint8)
    table = Table(columns=["img"], data=[[Image(pixels)]])
    pixels[:] = 255
    assert _round_trip(table)[1][1][0][0].max() == 0


def test_table_constructor_does_not_encode_cells():
    image = Image(np.zeros((3, 3, 3), np.uint8))

    def boom():
        raise AssertionError("cell encoded")

    image.encode = boom
    table = Table(columns=["img"], data=[[image]])
    table.add_data(image)
    with pytest.raises(AssertionError, match="cell encoded"):
        table.encode()


@pytest.mark.parametrize(("data", "match"), [
    (b"\xff\xfe", r"not a table's JSON"),
    (b"[1, 2]", r"an object with 'columns' and 'rows' lists"),
    (b'{"columns": [1], "rows": []}', r"column names must be strings"),
    (b'{"columns": ["a"], "rows": [[1, 2]]}', r"row 0 is not a list of 1 cells"),
    (b'{"columns": ["a"], "rows": [[[1]]]}', r"unexpected cell of type list"),
    (b'{"columns": ["a"], "rows": [[{"_media": "image", "file": "../../etc/passwd"}]]}', r"bad media cell"),
    (b'{"columns": ["a"], "rows": [[{"_media": "video", "file": ".cell-0-0.png"}]]}', r"bad media cell 'video'"),
    (b'{"columns": ["a"], "rows": [[{"_media": "text"}]]}', r"a text cell has no 'text' string"),
])
def test_decode_table_rejects_malformed_input(data, match):
    def read_file(suffix):
        raise AssertionError("must not read")

    with pytest.raises(ValueError, match=match):
        decode_table(data, read_file)




def test_audio_cells_decode_like_decode_wav():
    samples = np.linspace(-1, 1, 9)
    enc = Table(columns=["a"], data=[[Audio(samples, sample_rate=100)]]).encode()
    _, rows = decode_table(enc.files[".json"], enc.files.__getitem__)
    expected = decode_wav(enc.files[".cell-0-0.wav"])
    np.testing.assert_array_equal(rows[0][0][0], expected[0])
    assert rows[0][0][1] == 100


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_table_cells_read_back_identical(logdir):
    img = RNG.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    table = nbtrack.Table(columns=["id", "text", "score", "ok", "picture"],
                          data=[[1, "猫 🐱", 0.25, True, nbtrack.Image(img)],
                                [2, "<script>x()</script>", math.nan, False, None],
                                [3, None, 1e300, None, nbtrack.Image(img[::-1])]])
    r = _log_and_read(logdir, preds=table)
    got = r.tables("preds").table[0]
    assert list(got.columns) == ["id", "text", "score", "ok", "picture"]
    assert got["id"].tolist() == [1, 2, 3] and got["text"].tolist() == ["猫 🐱", "<script>x()</script>", None]
    assert got["score"][0] == 0.25 and math.isnan(got["score"][1]) and got["score"][2] == 1e300
    np.testing.assert_array_equal(got["picture"][0], img)
    np.testing.assert_array_equal(got["picture"][2], img[::-1])
    assert got["picture"][1] is None


def test_table_from_a_dataframe(logdir):
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    got = _log_and_read(logdir, t=nbtrack.Table(dataframe=df)).tables("t").table[0]
    pd.testing.assert_frame_equal(got, df, check_dtype=False, check_column_type=False)


def test_ragged_table_row_is_explained():
    with pytest.raises(ValueError, match=r"row 1 has 2 cells"):
        nbtrack.Table(columns=["a", "b", "c"], data=[[1, 2, 3], [1, 2]])


def test_rows_added_after_logging_a_table_are_not_logged(logdir):
    table = nbtrack.Table(columns=["a"], data=[[1]])
    run = nbtrack.init()
    run.log({"t": table})
    table.add_data(2)
    run.finish()
    assert nbtrack.open(logdir).run(run.id).tables("t").table[0]["a"].tolist() == [1]


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def test_table_with_a_lone_surrogate_is_rejected_at_log_time():
    """Table cells / column names with lone surrogates pass Table(); encode() then fails in the
    writer thread and the table is dropped."""
    with pytest.raises(ValueError):
        nbtrack.Table(columns=["a"], data=[["\ud800"]])
    with pytest.raises(ValueError):
        nbtrack.Table(columns=["\ud800"], data=[[1]])


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
