"""The principal components stored with an embedding (format 2.4) and computed for older ones when read."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.embeddings import embedding_parts
from nbtrack.values.embedding import Embedding, principal_components, projection, read_pca

RNG = np.random.default_rng(3)


def _numpy_pca(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """numpy's PCA, straight from the definition: the SVD of the centred vectors."""
    x = vectors.astype(np.float64) - vectors.astype(np.float64).mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :k] * s[:k], (s * s / np.sum(s * s))[:k]


@pytest.mark.parametrize("shape", [(200, 7), (5, 40), (1000, 3), (50, 2), (30, 1)])
def test_stored_pca_equals_numpys_within_float32_one_row_per_vector(shape):
    vectors = RNG.normal(size=shape) * np.linspace(3, 1, shape[1])
    enc = Embedding(vectors).encode()
    coords, ratio = read_pca(enc.meta, enc.files.get)
    k = min(3, shape[1])
    want, want_ratio = _numpy_pca(vectors.astype(np.float32), k)
    assert coords.dtype == np.float32 and coords.shape == (shape[0], k)
    assert enc.meta["pca"]["components"] == k and len(enc.files[".pca.f32"]) == shape[0] * k * 4
    for c in range(k):  # the same up to each component's sign, which nbtrack fixes
        got = coords[:, c].astype(np.float64)
        sign = np.sign(got @ want[:, c]) or 1.0
        np.testing.assert_allclose(got, sign * want[:, c], rtol=1e-4, atol=1e-4 * np.abs(want).max())
    np.testing.assert_allclose(ratio, want_ratio, rtol=1e-5)


def test_pca_is_deterministic_in_sign_and_handles_no_variance():
    vectors = RNG.normal(size=(100, 6))
    a, _ = principal_components(vectors)
    b, _ = principal_components(vectors[::-1])
    np.testing.assert_allclose(a[::-1], b, atol=1e-5)  # the same picture whatever the order of the points
    flat, ratio = principal_components(np.ones((10, 4)))
    assert flat.shape == (10, 3) and not flat.any() and ratio == [0.0, 0.0, 0.0]
    one, ratio = principal_components(np.ones((1, 5)))
    assert one.shape == (1, 3) and ratio == [0.0, 0.0, 0.0]


def test_old_embeddings_without_pca_get_it_when_read():
    vectors = RNG.normal(size=(64, 9))
    enc = Embedding(vectors, metadata=[f"p{i}" for i in range(64)]).encode()
    stored = read_pca(enc.meta, enc.files.get)
    old_meta = {k: v for k, v in enc.meta.items() if k != "pca"}
    old_files = {k: v for k, v in enc.files.items() if k != ".pca.f32"}  # as a 2.3 writer stored it
    assert read_pca(old_meta, old_files.get) is None
    coords, ratio = projection(old_meta, old_files.get)
    np.testing.assert_allclose(ratio, stored[1], rtol=1e-6)
    np.testing.assert_allclose(coords, stored[0], atol=1e-5)
    view, (sent, labels, sprite) = embedding_parts(old_meta, old_files.get)
    assert view["points"] == 64 and view["components"] == 3 and len(sent) == 64 * 3 * 4 and sprite == b""
    assert json.loads(labels)["columns"][0][:2] == ["p0", "p1"]
    np.testing.assert_allclose(np.frombuffer(sent, "<f4").reshape(64, 3), stored[0], atol=1e-5)


def test_a_stored_pca_that_does_not_match_is_recomputed():
    enc = Embedding(RNG.normal(size=(10, 4))).encode()
    bad = dict(enc.files)
    bad[".pca.f32"] = bad[".pca.f32"][:-4]
    assert read_pca(enc.meta, bad.get) is None
    assert projection(enc.meta, bad.get)[0].shape == (10, 3)


def test_a_big_embedding_sends_a_uniform_sample_and_says_so():
    enc = Embedding(RNG.normal(size=(1001, 4)), metadata=list(range(1001)),
                    images=np.zeros((1001, 2, 2), np.uint8)).encode()
    view, (coords, labels, sprite) = embedding_parts(enc.meta, enc.files.get, max_points=100)
    assert view["stride"] == 11 and view["points"] == 91 and view["total"] == 1001
    assert len(coords) == 91 * 3 * 4 and sprite.startswith(b"\x89PNG")
    assert json.loads(labels) == {"header": None, "columns": [list(range(0, 1001, 11))]}


def test_an_embedding_travels_beyond_the_other_cap_with_its_coordinates(tmp_path):
    from nbtrack.dashboard.protocol import MAX_OTHER_BYTES, decode_media, encode_media
    from nbtrack.dashboard.snapshot import media_of

    n = 100_000
    with nbtrack.init(dir=tmp_path, name="r") as run:
        run.log({"emb": Embedding(RNG.normal(size=(n, 8)).astype(np.float32), metadata=[str(i) for i in range(n)])})
    (entry,) = media_of(nbtrack.open(tmp_path).run("r"))
    assert len(entry["data"][0]) == n * 3 * 4 > MAX_OTHER_BYTES
    assert entry["meta"]["view"]["points"] == n and "files" not in entry["meta"]
    (back,) = decode_media(*encode_media(1, [entry]))
    assert [len(b) for b in back["data"]] == [len(b) for b in entry["data"]]


def test_a_live_view_gets_the_same_projection_as_a_snapshot():
    from nbtrack.dashboard.feed import LiveFeed
    from nbtrack.dashboard.protocol import decode_media
    from nbtrack.store.batches import MediaItem

    sent = []
    feed = LiveFeed(lambda m, b: sent.append(decode_media(m, b)), run="r", max_rate=1e6)
    enc = Embedding(RNG.normal(size=(30, 6)), metadata=[f"p{i}" for i in range(30)],
                    images=np.zeros((30, 3, 3), np.uint8)).encode()
    feed.write_media([MediaItem("emb", 2, 0.0, enc)])
    feed.flush()
    ((entry,),) = sent
    assert entry["kind"] == "embedding" and entry["meta"]["view"]["points"] == 30
    coords, labels, sprite = entry["data"]
    assert coords == enc.files[".pca.f32"] and json.loads(labels)["columns"][0][29] == "p29"
    assert sprite == enc.files[".sprite.png"]
