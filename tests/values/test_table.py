"""Video, Table, Figure, PRCurve and Embedding: validation, encoding, exact round trips, snapshots."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nbtrack.codecs import decode_apng, decode_png, decode_wav, encode_apng, encode_png, png_size
from nbtrack.values import embedding as embedding_module
from nbtrack.values import video as video_module
from nbtrack.values.audio import Audio
from nbtrack.values.embedding import Embedding, decode_embedding, sprite_grid, sprite_sheet
from nbtrack.values.figure import Figure
from nbtrack.values.image import Image
from nbtrack.values.prcurve import PRCurve, decode_pr_curve
from nbtrack.values.table import Table, decode_table
from nbtrack.values.text import Html, Markdown, Text
from nbtrack.values.video import Video

RNG = np.random.default_rng(1234)


# ------------------------------------------------------------------------------------------------- Video


def _frames(shape=(5, 6, 7, 3)):
    return RNG.integers(0, 256, size=shape, dtype=np.uint8)


def test_video_thwc_uint8_round_trips_exactly():
    frames = _frames()
    video = Video(frames, fps=12, caption="rollout")
    assert video.shape == (5, 6, 7, 3) and video.duration == pytest.approx(5 / 12)
    enc = video.encode()
    assert enc.kind == "video" and list(enc.files) == [".png"]
    assert enc.meta == {"caption": "rollout", "fps": 12.0, "frames": 5, "height": 6, "width": 7, "channels": 3,
                        "format": "apng"}
    decoded, fps = decode_apng(enc.files[".png"])
    assert fps == 12.0 and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, frames)
    assert video.nbytes == frames.nbytes


def test_video_tchw_is_guessed_and_moved():
    frames = _frames((3, 3, 6, 8))
    decoded, _ = decode_apng(Video(frames).encode().files[".png"])
    np.testing.assert_array_equal(decoded, np.moveaxis(frames, 1, -1))


def test_video_dataformats_overrides_the_guess():
    frames = _frames((2, 4, 5, 4))  # guessed THWC (last axis 4); here it is T,C,H,W
    assert Video(frames).shape == (2, 4, 5, 4)
    video = Video(frames, dataformats="TCHW")
    assert video.shape == (2, 5, 4, 4)
    decoded, _ = decode_apng(video.encode().files[".png"])
    np.testing.assert_array_equal(decoded, np.moveaxis(frames, 1, -1))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_video_channels(channels):
    frames = _frames((2, 3, 4, channels))
    decoded, _ = decode_apng(Video(frames, fps=1).encode().files[".png"])
    np.testing.assert_array_equal(decoded, frames)


def test_video_floats_are_scaled_clipped_and_nan_is_zero():
    frames = np.array([0.0, 0.5, 1.0, 1.7, -0.3, np.nan], np.float32).reshape(1, 1, 6, 1)
    decoded, _ = decode_apng(Video(frames).encode().files[".png"])
    assert decoded.ravel().tolist() == [0, 128, 255, 255, 0, 0]


def test_video_bools_and_small_ints():
    bools = np.zeros((2, 2, 2, 1), bool)
    bools[0, 0, 0, 0] = True
    decoded, _ = decode_apng(Video(bools).encode().files[".png"])
    assert decoded.max() == 255 and decoded.sum() == 255
    ints = np.arange(16, dtype=np.int16).reshape(1, 4, 4, 1) * 17
    decoded, _ = decode_apng(Video(ints).encode().files[".png"])
    np.testing.assert_array_equal(decoded, ints.astype(np.uint8))


def test_video_accepts_nested_lists():
    assert Video([[[[0, 0, 0]]]]).shape == (1, 1, 1, 3)


@pytest.mark.parametrize(("data", "kwargs", "error", "match"), [
    (np.zeros((4, 5, 3), np.uint8), {}, ValueError, r"shape \(4, 5, 3\) \(3-D\).*4-D T,H,W,C or T,C,H,W"),
    (np.zeros((2, 4, 4, 2), np.uint8), {}, ValueError, r"2 channels .*use 1 \(grey\), 3 \(RGB\) or 4 \(RGBA\)"),
    (np.zeros((0, 4, 4, 3), np.uint8), {}, ValueError, r"shape \(0, 4, 4, 3\).*empty.*at least one frame"),
    (np.zeros((2, 0, 4, 3), np.uint8), {}, ValueError, r"empty"),
    (np.zeros((2, 8, 8, 8), np.uint8), {}, ValueError, r"cannot tell the channels.*\(2, 8, 8, 8\).*dataformats"),
    (np.zeros((2, 4, 4, 3), np.uint8), {"dataformats": "NCHW"}, ValueError,
     r"dataformats.*'NCHW' is not accepted.*\['THWC', 'TCHW'\]"),
    (np.full((1, 2, 2, 3), 300, np.int32), {}, ValueError, r"dtype int32 must lie in 0\.\.255, found 300\.\.300"),
    (np.full((1, 2, 2, 3), -1, np.int64), {}, ValueError, r"found -1\.\.-1"),
    (np.zeros((1, 2, 2, 3), np.complex64), {}, TypeError, r"complex64"),
    (np.array([["a"]]), {}, TypeError, r"frames of dtype <U1 are not accepted; use uint8, bool or float"),
    ([["a"]], {}, TypeError, r"Video\(\): data must hold numbers, got dtype <U1 from list"),
    (None, {}, TypeError, r"Video\(\): data must be an array-like of numbers, got NoneType"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": 0}, ValueError, r"fps=.*0 is not accepted.*positive.*1000"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": -2.5}, ValueError, r"-2\.5 is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": 1001}, ValueError, r"1001 is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": float("nan")}, ValueError, r"nan is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": "4"}, TypeError, r"fps must be a number, got str"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": True}, TypeError, r"fps must be a number, got bool"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"caption": 3}, TypeError, r"caption must be a str, got int"),
])
def test_video_rejects(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        Video(data, **kwargs)


def test_video_fps_bounds_are_inclusive():
    assert Video(_frames((1, 1, 1, 1)), fps=1000).fps == 1000.0
    assert Video(_frames((1, 1, 1, 1)), fps=0.5).encode().meta["fps"] == 0.5


def test_video_is_a_snapshot():
    frames = _frames((2, 3, 3, 3))
    expected = frames.copy()
    video = Video(frames)
    frames[:] = 0
    decoded, _ = decode_apng(video.encode().files[".png"])
    np.testing.assert_array_equal(decoded, expected)


def test_video_constructor_does_not_encode(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("encode_apng called")

    monkeypatch.setattr(video_module, "encode_apng", boom)
    video = Video(_frames((30, 16, 16, 3)), fps=30)
    with pytest.raises(AssertionError, match="encode_apng called"):
        video.encode()


def test_video_files_are_kept_as_bytes(tmp_path):
    apng = encode_apng(_frames((3, 4, 5, 3)), fps=10)
    gif = b"GIF89a" + (7).to_bytes(2, "little") + (9).to_bytes(2, "little") + b"\x00" * 20
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 40
    cases = {"a.png": (apng, ".png", "apng", (5, 4)), "b.GIF": (gif, ".gif", "gif", (7, 9)),
             "c.mp4": (mp4, ".mp4", "mp4", (None, None)), "d.webm": (webm, ".webm", "webm", (None, None))}
    for name, (data, suffix, fmt, (width, height)) in cases.items():
        (tmp_path / name).write_bytes(data)
        enc = Video(tmp_path / name, caption=name).encode()
        assert enc.files == {suffix: data}
        assert enc.meta["format"] == fmt and enc.meta["source"] == "file" and enc.meta["caption"] == name
        assert (enc.meta["width"], enc.meta["height"]) == (width, height)
    assert Video(str(tmp_path / "a.png")).nbytes == len(apng)


def test_video_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Video\(\): data='.*missing\.mp4' does not exist"):
        Video(tmp_path / "missing.mp4")
    (tmp_path / "clip.avi").write_bytes(b"RIFF")
    with pytest.raises(ValueError, match=r"suffix '\.avi'.*\.mp4, \.webm, \.gif, \.png"):
        Video(tmp_path / "clip.avi")
    (tmp_path / "fake.gif").write_bytes(b"not a gif")
    with pytest.raises(ValueError, match=r"does not start like a gif file"):
        Video(tmp_path / "fake.gif")
    (tmp_path / "still.png").write_bytes(encode_png(np.zeros((2, 2), np.uint8)))
    with pytest.raises(ValueError, match=r"does not start like a apng file"):
        Video(tmp_path / "still.png")


# ------------------------------------------------------------------------------------------------- Table


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


# ------------------------------------------------------------------------------------------------ Figure


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_figure_matplotlib_png_and_svg(plt):
    fig, ax = plt.subplots(figsize=(3, 2), dpi=80)
    ax.plot([0, 1, 2], [3, 1, 2], label="loss 📉")
    ax.set_title("training")
    figure = Figure(fig, caption="curve")
    enc = figure.encode()
    assert enc.kind == "figure" and list(enc.files) == [".png", ".svg"]
    png, svg = enc.files[".png"], enc.files[".svg"]
    width, height = png_size(png)
    assert enc.meta == {"caption": "curve", "library": "matplotlib", "width": width, "height": height,
                        "format": "png"}
    assert 0.5 * 3 * 80 < width < 1.5 * 3 * 80 and 0.5 * 2 * 80 < height < 1.5 * 2 * 80  # tight bbox, figure's dpi
    assert decode_png(png).shape[:2] == (height, width)
    assert b"<svg" in svg[:1000] and figure.nbytes == len(png) + len(svg)


def test_figure_is_rendered_in_the_constructor(plt):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.plot([0, 1])
    figure = Figure(fig)
    before = figure.encode().files
    ax.plot([1, 0], linewidth=8)
    fig.set_size_inches(6, 6)
    assert figure.encode().files == before


def test_figure_bokeh_json():
    pytest.importorskip("bokeh")
    import bokeh
    from bokeh.layouts import column
    from bokeh.plotting import figure as bokeh_figure

    plot = bokeh_figure(title="loss", width=300, height=200)
    plot.line([0, 1, 2], [3.0, 1.0, 2.0])
    for make in (lambda: plot, lambda: column(plot)):  # logging leaves the figure usable in a layout
        fig = make()
        enc = Figure(fig, caption="interactive").encode()
        assert list(enc.files) == [".bokeh.json"]
        item = json.loads(enc.files[".bokeh.json"])
        assert set(item) >= {"doc", "root_id"} and item["doc"]["roots"]
        assert enc.meta == {"caption": "interactive", "library": "bokeh", "bokeh_version": bokeh.__version__,
                            "format": "bokeh-json"}
        assert fig.document is None


def test_figure_bokeh_non_model_is_rejected():
    pytest.importorskip("bokeh")
    from bokeh.document import Document

    with pytest.raises(TypeError, match=r"Document is not a Bokeh model; pass a matplotlib Figure"):
        Figure(Document())


@pytest.mark.parametrize("fig", [None, 3, "plot.png", np.zeros((3, 3))])
def test_figure_rejects_other_objects(fig):
    with pytest.raises(TypeError, match=r"is not accepted; pass a matplotlib Figure .* or a Bokeh figure or layout"):
        Figure(fig)


def test_figure_axes_hint_and_caption(plt):
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match=r"Axes \(an Axes: pass ax\.figure\) is not accepted"):
        Figure(ax)
    with pytest.raises(TypeError, match=r"caption must be a str, got int"):
        Figure(fig, caption=1)


# ----------------------------------------------------------------------------------------------- PRCurve


def reference_curve(labels, predictions, num_thresholds, weights=None):
    """TensorBoard's definition, computed with plain loops."""
    n = len(labels)
    weights = [1.0] * n if weights is None else list(weights)
    out = {key: [] for key in ("thresholds", "tp", "fp", "tn", "fn", "precision", "recall")}
    buckets = [math.floor(p * (num_thresholds - 1)) for p in predictions]
    total_pos = sum(w for w, y in zip(weights, labels) if y)
    total_neg = sum(w for w, y in zip(weights, labels) if not y)
    for i in range(num_thresholds):
        tp = sum(w for w, y, b in zip(weights, labels, buckets) if y and b >= i)
        fp = sum(w for w, y, b in zip(weights, labels, buckets) if not y and b >= i)
        out["thresholds"].append(i / (num_thresholds - 1))
        out["tp"].append(tp)
        out["fp"].append(fp)
        out["tn"].append(total_neg - fp)
        out["fn"].append(total_pos - tp)
        out["precision"].append(tp / max(1e-7, tp + fp))
        out["recall"].append(tp / max(1e-7, tp + total_pos - tp))
    return {key: np.array(value, dtype=np.float64) for key, value in out.items()}


def _decoded(curve: PRCurve):
    enc = curve.encode()
    assert enc.kind == "pr_curve" and list(enc.files) == [".json"]
    return enc, decode_pr_curve(enc.files[".json"])


@pytest.mark.parametrize("num_thresholds", [2, 3, 10, 127, 1000])
def test_prcurve_matches_the_reference(num_thresholds):
    labels = RNG.random(300) < 0.3
    predictions = RNG.random(300)
    predictions[:5] = [0.0, 1.0, 0.5, 1.0, 0.0]
    enc, curve = _decoded(PRCurve(labels, predictions, num_thresholds=num_thresholds))
    expected = reference_curve(labels.tolist(), predictions.tolist(), num_thresholds)
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        np.testing.assert_array_equal(curve[key], expected[key], err_msg=key)
    np.testing.assert_allclose(curve["thresholds"], expected["thresholds"], rtol=0, atol=1e-15)
    assert enc.meta == {"num_thresholds": num_thresholds, "positives": int(labels.sum()),
                        "negatives": int((~labels).sum()), "weighted": False}


def test_prcurve_weighted_matches_the_reference():
    labels = RNG.integers(0, 2, 200)
    predictions = RNG.random(200).astype(np.float32)
    weights = RNG.random(200) * 3
    weights[:10] = 0.0
    _, curve = _decoded(PRCurve(labels, predictions, num_thresholds=50, weights=weights))
    expected = reference_curve(labels.tolist(), predictions.astype(np.float64).tolist(), 50, weights.tolist())
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        np.testing.assert_allclose(curve[key], expected[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_prcurve_known_small_case():
    _, c = _decoded(PRCurve([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], num_thresholds=3))
    assert c["thresholds"].tolist() == [0.0, 0.5, 1.0]
    assert c["tp"].tolist() == [2, 1, 0] and c["fp"].tolist() == [2, 1, 0]
    assert c["tn"].tolist() == [0, 1, 2] and c["fn"].tolist() == [0, 1, 2]
    assert c["precision"].tolist() == [0.5, 0.5, 0.0] and c["recall"].tolist() == [1.0, 0.5, 0.0]


def test_prcurve_perfect_and_one_sided_cases():
    _, c = _decoded(PRCurve(np.array([True, True, False, False]), [1.0, 0.75, 0.25, 0.0], num_thresholds=5))
    # buckets floor(p * 4): positives in 4 and 3, negatives in 1 and 0
    assert c["tp"].tolist() == [2, 2, 2, 2, 1] and c["fp"].tolist() == [2, 1, 0, 0, 0]
    assert c["precision"].tolist() == [0.5, 2 / 3, 1.0, 1.0, 1.0]
    assert c["recall"].tolist() == [1.0, 1.0, 1.0, 1.0, 0.5]
    _, c = _decoded(PRCurve([False, False], [0.3, 0.9], num_thresholds=2))  # no positives
    assert c["precision"].tolist() == [0.0, 0.0] and c["recall"].tolist() == [0.0, 0.0]
    _, c = _decoded(PRCurve([1], [0.0], num_thresholds=2))  # one example, lowest bucket
    assert c["tp"].tolist() == [1, 0] and c["recall"].tolist() == [1.0, 0.0]


def test_prcurve_accepts_2d_arrays_of_matching_shape():
    labels = RNG.random((4, 5)) < 0.5
    predictions = RNG.random((4, 5))
    _, c = _decoded(PRCurve(labels, predictions, num_thresholds=9))
    expected = reference_curve(labels.ravel().tolist(), predictions.ravel().tolist(), 9)
    np.testing.assert_array_equal(c["tp"], expected["tp"])


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (([1, 0], [0.5]), {}, ValueError, r"labels has shape \(2,\) but predictions has shape \(1,\)"),
    (([], []), {}, ValueError, r"predictions is empty \(shape \(0,\)\)"),
    (([1, 0], [0.5, 1.5]), {}, ValueError, r"probabilities in \[0, 1\]; 1 are not \(e\.g\. 1\.5\).*sigmoid"),
    (([1, 0], [-0.1, 0.5]), {}, ValueError, r"e\.g\. -0\.1"),
    (([1, 0], [np.nan, 0.5]), {}, ValueError, r"e\.g\. nan"),
    (([1, 2], [0.1, 0.5]), {}, ValueError, r"bool or 0/1, got dtype int64 with 1 other values \(e\.g\. 2\)"),
    (([1.0, np.nan], [0.1, 0.5]), {}, ValueError, r"labels must be bool or 0/1.*e\.g\. nan"),
    (("ab", [0.1, 0.5]), {}, TypeError, r"labels must be an array-like of numbers, got str"),
    (([1, 0], None), {}, TypeError, r"predictions must be an array-like of numbers, got NoneType"),
    (([1, 0], [0.1, 0.5]), {"weights": [1.0]}, ValueError, r"weights has shape \(1,\) but predictions .* \(2,\)"),
    (([1, 0], [0.1, 0.5]), {"weights": [1.0, -1.0]}, ValueError, r"non-negative; 1 are not \(e\.g\. -1\.0\)"),
    (([1, 0], [0.1, 0.5]), {"weights": [np.inf, 1.0]}, ValueError, r"e\.g\. inf"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 1}, ValueError, r"num_thresholds=.*1 is not accepted; use 2\.\.10000"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 10001}, ValueError, r"10001 is not accepted"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 2.5}, TypeError, r"expected an int, got float"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": True}, TypeError, r"expected an int, got bool"),
])
def test_prcurve_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        PRCurve(*args, **kwargs)


def test_prcurve_is_a_snapshot():
    labels = np.array([1, 0, 1, 0])
    predictions = np.array([0.9, 0.6, 0.4, 0.1])
    weights = np.ones(4)
    curve = PRCurve(labels, predictions, num_thresholds=3, weights=weights)
    before = curve.encode().files
    labels[:] = 0
    predictions[:] = 1.0
    weights[:] = 5.0
    assert curve.encode().files == before
    assert curve.nbytes > 0


def test_prcurve_constructor_does_not_compute(monkeypatch):
    from nbtrack.values import prcurve as prcurve_module

    def boom(*args, **kwargs):
        raise AssertionError("computed")

    monkeypatch.setattr(prcurve_module, "pr_curve", boom)
    curve = PRCurve(RNG.random(10_000) < 0.5, RNG.random(10_000), num_thresholds=10_000)
    with pytest.raises(AssertionError, match="computed"):
        curve.encode()


@pytest.mark.parametrize(("data", "match"), [
    (b"nope", r"not a PR curve's JSON"),
    (b'{"tp": [1]}', r"an object with the lists"),
    (json.dumps({k: [1] for k in ("thresholds", "tp", "fp", "tn", "fn", "precision")} | {"recall": ["x"]}).encode(),
     r"must hold numbers"),
    (json.dumps({k: [1] for k in ("thresholds", "tp", "fp", "tn", "fn", "precision")} | {"recall": [1, 2]}).encode(),
     r"of one length"),
])
def test_decode_pr_curve_rejects_malformed_input(data, match):
    with pytest.raises(ValueError, match=match):
        decode_pr_curve(data)


# --------------------------------------------------------------------------------------------- Embedding


def _decode(emb: Embedding):
    enc = emb.encode()
    assert enc.kind == "embedding" and next(iter(enc.files)) == ".vectors.f32"
    return enc, decode_embedding(enc.meta, enc.files.__getitem__)


def test_embedding_vectors_round_trip_as_float32():
    vectors = RNG.normal(size=(17, 5))
    enc, out = _decode(Embedding(vectors))
    assert list(enc.files) == [".vectors.f32"]
    assert enc.files[".vectors.f32"] == vectors.astype("<f4").tobytes()
    assert enc.meta == {"shape": [17, 5], "dtype": "float32", "byteorder": "little", "metadata": None,
                        "metadata_header": None}
    assert out["vectors"].dtype == np.float32 and out["vectors"].shape == (17, 5)
    np.testing.assert_array_equal(out["vectors"], vectors.astype(np.float32))
    assert out["metadata"] is None and out["header"] is None and out["sprite"] is None


def test_embedding_integer_vectors_and_single_point():
    _, out = _decode(Embedding([[1, 2, 3]]))
    assert out["vectors"].tolist() == [[1.0, 2.0, 3.0]]


def test_embedding_labels_round_trip():
    labels = ["cat", "猫", "🐈 emoji", None, 3, 2.5, float("nan"), True, np.int64(7), np.str_("np")]
    enc, out = _decode(Embedding(np.zeros((10, 2)), metadata=labels))
    assert list(enc.files) == [".vectors.f32", ".metadata.json"]
    assert json.loads(enc.files[".metadata.json"])["header"] is None
    got = out["metadata"]
    assert got[:6] == labels[:6] and math.isnan(got[6]) and got[7:] == [True, 7, "np"]
    assert type(got[8]) is int and out["header"] is None


def test_embedding_labels_with_a_header_and_numpy_labels():
    _, out = _decode(Embedding(np.zeros((3, 2)), metadata=np.array([0, 1, 1]), metadata_header=["class"]))
    assert out["metadata"] == [0, 1, 1] and out["header"] == ["class"]


def test_embedding_metadata_rows_with_header():
    rows = [["a", 1, True], ("b", 2.5, None), ["中", -1, False]]
    enc, out = _decode(Embedding(np.ones((3, 4)), metadata=rows, metadata_header=["name", "score", "ok"]))
    assert out["header"] == ["name", "score", "ok"]
    assert out["metadata"] == [["a", 1, True], ["b", 2.5, None], ["中", -1, False]]
    assert enc.meta["metadata"] == "rows" and enc.meta["metadata_header"] == ["name", "score", "ok"]


def test_embedding_metadata_from_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"word": ["x", "ÿ", None], 2: [1, 2, 3]})
    _, out = _decode(Embedding(np.zeros((3, 2)), metadata=frame))
    assert out["header"] == ["word", "2"]
    assert out["metadata"] == [["x", 1], ["ÿ", 2], [None, 3]]
    _, out = _decode(Embedding(np.zeros((2, 2)), metadata=pd.Series(["p", "q"])))
    assert out["metadata"] == ["p", "q"]


@pytest.mark.parametrize(("channels", "n"), [(None, 1), (None, 5), (3, 7), (4, 9), (1, 4)])
def test_embedding_sprite_round_trip(channels, n):
    shape = (n, 6, 4) if channels is None else (n, 6, 4, channels)
    thumbs = RNG.integers(0, 256, size=shape, dtype=np.uint8)
    enc, out = _decode(Embedding(RNG.normal(size=(n, 3)), images=thumbs))
    rows, cols = sprite_grid(n)
    assert enc.meta["thumbnail"] == [6, 4] and enc.meta["sprite_grid"] == [rows, cols]
    assert rows * cols >= n and cols == math.ceil(math.sqrt(n))
    sprite = out["sprite"]
    assert sprite.shape[:2] == (rows * 6, cols * 4)
    flat = thumbs[..., 0] if channels == 1 else thumbs
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        tile = sprite[r * 6:(r + 1) * 6, c * 4:(c + 1) * 4]
        if i < n:
            np.testing.assert_array_equal(tile, flat[i])
        else:
            assert not tile.any()


def test_embedding_float_and_bool_thumbnails():
    floats = np.array([0.0, 0.5, 1.0, 2.0]).reshape(4, 1, 1)
    _, out = _decode(Embedding(np.zeros((4, 1)), images=floats))
    assert out["sprite"].ravel().tolist() == [0, 128, 255, 255]
    sheet, grid = sprite_sheet(np.ones((2, 1, 1), bool).astype(np.uint8))
    assert grid == (1, 2) and sheet.tolist() == [[1, 1]]


@pytest.mark.parametrize(("vectors", "kwargs", "error", "match"), [
    (np.zeros(5), {}, ValueError, r"vectors of shape \(5,\) are not accepted; use 2-D"),
    (np.zeros((0, 3)), {}, ValueError, r"shape \(0, 3\).*N >= 1 and D >= 1"),
    (np.zeros((3, 0)), {}, ValueError, r"shape \(3, 0\)"),
    (np.array([[1.0, np.nan]]), {}, ValueError, r"must be finite; 1 entries are NaN.*first at index \(0, 1\)"),
    (np.array([[1e40]]), {}, ValueError, r"beyond float32's range"),
    ("vectors", {}, TypeError, r"vectors must be an array-like of numbers, got str"),
    (np.zeros((3, 2)), {"metadata": ["a", "b"]}, ValueError, r"metadata has 2 entries but vectors has 3 rows"),
    (np.zeros((2, 2)), {"metadata": "ab"}, TypeError, r"expected a list, numpy array, pandas .* got str"),
    (np.zeros((2, 2)), {"metadata": [[1, 2], [3, 4]]}, ValueError, r"rows have 2 cells; pass metadata_header="),
    (np.zeros((2, 2)), {"metadata": [[1, 2], [3]], "metadata_header": ["a", "b"]}, ValueError,
     r"row 1 has 1 cells, row 0 has 2"),
    (np.zeros((2, 2)), {"metadata": [[], []]}, ValueError, r"at least one"),
    (np.zeros((2, 2)), {"metadata": ["a", ["b"]]}, TypeError, r"entry 1 differs from entry 0"),
    (np.zeros((2, 2)), {"metadata": [["a"], "b"]}, TypeError, r"entry 1 differs from entry 0"),
    (np.zeros((2, 2)), {"metadata": ["a", {"b": 1}]}, TypeError, r"the cell in row 1 is a dict; accepted are None"),
    (np.zeros((2, 2)), {"metadata": [[1, 2], [3, 4]], "metadata_header": ["a"]}, ValueError,
     r"1 names for metadata rows of 2 cells"),
    (np.zeros((2, 2)), {"metadata": [[1, 2], [3, 4]], "metadata_header": "ab"}, TypeError,
     r"metadata_header=.*expected a list of str, got str"),
    (np.zeros((2, 2)), {"metadata": [[1, 2], [3, 4]], "metadata_header": ["a", 1]}, TypeError,
     r"names must be str, got \['str', 'int'\]"),
    (np.zeros((2, 2)), {"metadata_header": ["a"]}, TypeError, r"metadata_header=...\) needs metadata="),
    (np.zeros((2, 2)), {"images": np.zeros((3, 4, 4), np.uint8)}, ValueError,
     r"3 thumbnails of 4x4 pixels for 2 points"),
    (np.zeros((2, 2)), {"images": np.zeros((2, 4), np.uint8)}, ValueError, r"thumbnails of shape \(2, 4\)"),
    (np.zeros((2, 2)), {"images": np.zeros((2, 4, 4, 2), np.uint8)}, ValueError, r"with C in 1, 3, 4"),
    (np.zeros((2, 2)), {"images": np.zeros((2, 0, 4), np.uint8)}, ValueError, r"non-empty thumbnail"),
    (np.zeros((2, 2)), {"images": np.full((2, 2, 2), 256, np.int32)}, ValueError, r"must lie in 0\.\.255"),
])
def test_embedding_rejects(vectors, kwargs, error, match):
    with pytest.raises(error, match=match):
        Embedding(vectors, **kwargs)


def test_embedding_dataframe_with_header_is_rejected():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"metadata_header is taken from the DataFrame's columns"):
        Embedding(np.zeros((1, 1)), metadata=pd.DataFrame({"a": [1]}), metadata_header=["b"])


def test_embedding_is_a_snapshot():
    vectors = RNG.normal(size=(4, 3))
    images = RNG.integers(0, 256, size=(4, 2, 2, 3), dtype=np.uint8)
    labels = ["a", "b", "c", "d"]
    rows = [[1, "x"], [2, "y"], [3, "z"], [4, "w"]]
    emb = Embedding(vectors, metadata=labels, images=images)
    emb_rows = Embedding(vectors, metadata=rows, metadata_header=["n", "s"])
    before, before_rows = emb.encode().files, emb_rows.encode().files
    vectors[:] = 0
    images[:] = 0
    labels[0] = "changed"
    rows[0][0] = 99
    assert emb.encode().files == before and emb_rows.encode().files == before_rows
    assert emb.shape == (4, 3) and emb.nbytes >= 4 * 3 * 4 + images.nbytes


def test_embedding_constructor_does_not_build_the_sprite(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("encode_png called")

    monkeypatch.setattr(embedding_module, "encode_png", boom)
    emb = Embedding(RNG.normal(size=(100, 8)), images=RNG.integers(0, 256, size=(100, 8, 8), dtype=np.uint8))
    with pytest.raises(AssertionError, match="encode_png called"):
        emb.encode()


@pytest.mark.parametrize(("meta", "files", "match"), [
    ({"shape": [2, 2]}, {}, r"meta must hold shape \[N, D\] and dtype 'float32'"),
    ({"shape": [2, 0], "dtype": "float32"}, {}, r"meta must hold shape"),
    ({"shape": [2, 2], "dtype": "float32"}, {".vectors.f32": b"\x00" * 12}, r"holds 12 bytes, not 2x2 float32"),
    ({"shape": [1, 1], "dtype": "float32", "metadata": "labels"},
     {".vectors.f32": b"\x00" * 4, ".metadata.json": b"{bad"}, r"\.metadata\.json is not JSON"),
    ({"shape": [1, 1], "dtype": "float32", "metadata": "labels"},
     {".vectors.f32": b"\x00" * 4, ".metadata.json": b'{"header": null, "rows": [["a"], ["b"]]}'}, r"must hold 1 rows"),
    ({"shape": [1, 1], "dtype": "float32", "metadata": "rows"},
     {".vectors.f32": b"\x00" * 4, ".metadata.json": b'{"header": ["a", "b"], "rows": [["a"]]}'},
     r"every metadata row must have 2 cells"),
    ({"shape": [1, 1], "dtype": "float32", "metadata": "rows"},
     {".vectors.f32": b"\x00" * 4, ".metadata.json": b'{"header": [1], "rows": [["a"]]}'}, r"list of str"),
])
def test_decode_embedding_rejects_malformed_input(meta, files, match):
    with pytest.raises(ValueError, match=match):
        decode_embedding(meta, files.__getitem__)


def test_audio_cells_decode_like_decode_wav():
    samples = np.linspace(-1, 1, 9)
    enc = Table(columns=["a"], data=[[Audio(samples, sample_rate=100)]]).encode()
    _, rows = decode_table(enc.files[".json"], enc.files.__getitem__)
    expected = decode_wav(enc.files[".cell-0-0.wav"])
    np.testing.assert_array_equal(rows[0][0][0], expected[0])
    assert rows[0][0][1] == 100
