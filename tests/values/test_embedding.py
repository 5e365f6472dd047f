"""Embedding: vectors, labels, metadata and sprites; input errors, decoding and run round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nbtrack
from nbtrack.values import embedding as embedding_module
from nbtrack.values.embedding import Embedding, decode_embedding, sprite_grid, sprite_sheet

RNG = np.random.default_rng(1234)


def _decode(emb: Embedding):
    enc = emb.encode()
    assert enc.kind == "embedding" and next(iter(enc.files)) == ".vectors.f32"
    return enc, decode_embedding(enc.meta, enc.files.__getitem__)


def test_embedding_vectors_round_trip_as_float32():
    vectors = RNG.normal(size=(17, 5))
    enc, out = _decode(Embedding(vectors))
    assert list(enc.files) == [".vectors.f32", ".pca.f32"]
    assert enc.files[".vectors.f32"] == vectors.astype("<f4").tobytes()
    pca = enc.meta.pop("pca")
    assert enc.meta == {"shape": [17, 5], "dtype": "float32", "byteorder": "little", "metadata": None,
                        "metadata_header": None}
    assert pca["components"] == 3 and len(pca["explained_variance_ratio"]) == 3
    assert out["vectors"].dtype == np.float32 and out["vectors"].shape == (17, 5)
    np.testing.assert_array_equal(out["vectors"], vectors.astype(np.float32))
    assert out["metadata"] is None and out["header"] is None and out["sprite"] is None


def test_embedding_integer_vectors_and_single_point():
    _, out = _decode(Embedding([[1, 2, 3]]))
    assert out["vectors"].tolist() == [[1.0, 2.0, 3.0]]


def test_embedding_labels_round_trip():
    labels = ["cat", "猫", "🐈 emoji", None, 3, 2.5, float("nan"), True, np.int64(7), np.str_("np")]
    enc, out = _decode(Embedding(np.zeros((10, 2)), metadata=labels))
    assert list(enc.files) == [".vectors.f32", ".pca.f32", ".metadata.json"]
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


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_embedding_round_trip(logdir):
    vectors = RNG.normal(size=(20, 5)).astype(np.float32)
    labels = [f"item {i} 😀" for i in range(20)]
    thumbs = RNG.integers(0, 256, (20, 6, 6, 3), dtype=np.uint8)
    r = _log_and_read(logdir, emb=nbtrack.Embedding(vectors, metadata=labels, images=thumbs))
    value = r.media("emb", decode=True).value[0]
    np.testing.assert_array_equal(value["vectors"], vectors)
    assert value["metadata"] == labels and value["sprite"] is not None
