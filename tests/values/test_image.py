"""Value types through a real run: what is logged reads back equal; bad input is explained."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nbtrack
from nbtrack.values import histogram as histogram_module
from nbtrack.values import image as image_module


def _roundtrip(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


RNG = np.random.default_rng(7)


@pytest.mark.parametrize("pixels", [
    RNG.integers(0, 256, (17, 23, 3), dtype=np.uint8),
    RNG.integers(0, 256, (9, 5, 4), dtype=np.uint8),
    RNG.integers(0, 256, (6, 7), dtype=np.uint8),
    RNG.integers(0, 65536, (5, 4, 3), dtype=np.uint16),
])
def test_image_pixels_read_back_identical(logdir, pixels):
    r = _roundtrip(logdir, img=nbtrack.Image(pixels, caption="训练 sample 😀"))
    row = r.images("img").iloc[0]
    assert row["caption"] == "训练 sample 😀"
    np.testing.assert_array_equal(row["image"], pixels)


def test_image_layouts_scaling_and_grey(logdir):
    chw = RNG.integers(0, 256, (3, 8, 6), dtype=np.uint8)
    floats = np.array([[0.0, 0.5, 1.0, 1.7, -0.2, np.nan]])
    r = _roundtrip(logdir, chw=nbtrack.Image(chw), one=nbtrack.Image(chw[:1].transpose(1, 2, 0)),
                   f=nbtrack.Image(floats), b=nbtrack.Image(np.array([[True, False]])),
                   forced=nbtrack.Image(np.zeros((4, 4, 4), np.uint8) + 9, dataformats="CHW"))
    np.testing.assert_array_equal(r.images("chw").image[0], chw.transpose(1, 2, 0))
    assert r.images("one").image[0].shape == (8, 6)  # one channel is stored grey
    np.testing.assert_array_equal(r.images("f").image[0], [[0, 128, 255, 255, 0, 0]])  # clipped, NaN -> 0
    np.testing.assert_array_equal(r.images("b").image[0], [[255, 0]])
    assert r.images("forced").image[0].shape == (4, 4, 4)


def test_image_batches_form_a_grid_and_lists_a_gallery(logdir):
    batch = RNG.integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    r = _roundtrip(logdir, grid=nbtrack.Image(batch), gallery=[nbtrack.Image(b) for b in batch])
    grid = r.images("grid").image[0]
    assert grid.shape == (2 * 4 + 2, 3 * 4 + 2 * 2, 3)
    np.testing.assert_array_equal(grid[:4, 6:10], batch[1])
    gallery = r.images("gallery")
    assert gallery["index"].tolist() == [0, 1, 2, 3, 4]
    for i in range(5):
        np.testing.assert_array_equal(gallery.image[i], batch[i])


def test_image_from_files_and_pil(logdir, tmp_path):
    from nbtrack.codecs import encode_png

    png = tmp_path / "x.png"
    pixels = RNG.integers(0, 256, (3, 3, 3), dtype=np.uint8)
    png.write_bytes(encode_png(pixels))
    r = _roundtrip(logdir, file=nbtrack.Image(png))
    np.testing.assert_array_equal(r.images("file").image[0], pixels)
    assert r.images("file").path[0].endswith(".png")
    PIL = pytest.importorskip("PIL.Image")
    r2 = _roundtrip(logdir, pil=nbtrack.Image(PIL.fromarray(pixels)))
    np.testing.assert_array_equal(r2.images("pil").image[0], pixels)


def test_image_masks_and_boxes_are_kept(logdir):
    mask = np.zeros((4, 5), np.uint8)
    mask[1:3, 2:4] = 2
    boxes = {"pred": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.6},
                                    "class_id": 2, "box_caption": "<b>cat</b>", "scores": {"p": 0.9}}],
                      "class_labels": {2: "cat"}}}
    r = _roundtrip(logdir, img=nbtrack.Image(np.zeros((4, 5, 3), np.uint8),
                                             masks={"seg": {"mask_data": mask, "class_labels": {2: "cat"}}},
                                             boxes=boxes))
    media = r.media("img").iloc[0]
    assert media["meta"]["boxes"]["pred"]["box_data"][0]["box_caption"] == "<b>cat</b>"
    assert media["meta"]["masks"]["seg"]["class_labels"] == {"2": "cat"}
    from nbtrack.codecs import decode_png

    mask_path = r.path / media["meta"]["files"][".mask0.png"]
    np.testing.assert_array_equal(decode_png(mask_path.read_bytes()), mask)


def test_histogram_counts_and_edges_and_non_finite(logdir):
    values = RNG.normal(size=10_000).astype(np.float32)
    values[:3] = [np.nan, np.inf, -np.inf]
    counts, edges = np.histogram(RNG.normal(size=100), bins=7)
    r = _roundtrip(logdir, h=nbtrack.Histogram(values, bins=50),
                   given=nbtrack.Histogram(np_histogram=(counts, edges)),
                   tf=nbtrack.Histogram(values, bins="tensorflow"))
    h = r.histograms("h").iloc[0]
    finite = values[np.isfinite(values)]
    ref_counts, ref_edges = np.histogram(finite, bins=np.linspace(float(finite.min()), float(finite.max()), 51))
    np.testing.assert_array_equal(h["edges"], ref_edges)
    np.testing.assert_array_equal(h["counts"], ref_counts)
    assert (h["nan"], h["posinf"], h["neginf"], h["count"]) == (1, 1, 1, len(finite))
    g = r.histograms("given").iloc[0]
    np.testing.assert_array_equal(g["edges"], edges)  # the original edges, exactly
    np.testing.assert_array_equal(g["counts"], counts)
    assert r.histograms("tf").counts[0].sum() == len(finite)


def test_histogram_is_binned_off_the_training_thread(logdir, monkeypatch):
    seen = []
    real = histogram_module._bin_values
    monkeypatch.setattr(histogram_module, "_bin_values",
                        lambda v, b: seen.append(threading.current_thread()) or real(v, b))
    real_png = image_module.encode_png
    monkeypatch.setattr(image_module, "encode_png",
                        lambda p: seen.append(threading.current_thread()) or real_png(p))
    run = nbtrack.init()
    run.log({"h": nbtrack.Histogram(np.arange(1000.0)), "i": nbtrack.Image(np.zeros((2, 2), np.uint8))})
    assert seen == []  # nothing binned or encoded in log()
    run.finish()
    assert len(seen) == 2


def test_logged_arrays_are_snapshots(logdir):
    arr = np.zeros((2, 2), np.uint8)
    values = np.ones(10)
    run = nbtrack.init()
    run.log({"i": nbtrack.Image(arr), "h": nbtrack.Histogram(values)})
    arr[:] = 255
    values[:] = 5
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    assert r.images("i").image[0].max() == 0 and r.histograms("h")["max"][0] == 1.0


def test_audio_round_trip_at_16_bit(logdir):
    ints = RNG.integers(-32768, 32768, (800, 2), dtype=np.int16)
    floats = np.sin(np.linspace(0, 20, 1600)).astype(np.float32)
    r = _roundtrip(logdir, a=nbtrack.Audio(ints, sample_rate=8000, caption="stereo"),
                   f=nbtrack.Audio(floats, sample_rate=16000))
    samples, rate = r.media("a", decode=True).value[0]
    np.testing.assert_array_equal(samples, ints)
    assert rate == 8000 and r.media("a").meta[0]["caption"] == "stereo"
    samples, rate = r.media("f", decode=True).value[0]
    np.testing.assert_array_equal(samples, np.round(floats.astype(np.float64) * 32767).astype(np.int16))


def test_text_markdown_html_identical(logdir):
    text = "Loss 📉 下降了 — <script>alert(1)</script>\n\ttabs & \"quotes\""
    r = _roundtrip(logdir, t=nbtrack.Text(text), m=nbtrack.Markdown("# 标题 **bold** 😀"),
                   h=nbtrack.Html("<b>bold</b><script>x()</script>"))
    assert r.texts("t").text[0] == text
    assert r.texts("m").kind[0] == "markdown" and r.texts("m").text[0] == "# 标题 **bold** 😀"
    assert r.texts("h").kind[0] == "html" and r.texts("h").text[0] == "<b>bold</b><script>x()</script>"


def test_history_shows_which_steps_hold_media(logdir):
    run = nbtrack.init()
    for step in range(4):
        data = {"loss": float(step)}
        if step % 2:
            data["img"] = nbtrack.Image(np.zeros((2, 2), np.uint8))
        run.log(data)
    run.finish()
    h = nbtrack.open(logdir).run(run.id).history()
    assert h["img"].isna().tolist() == [True, False, True, False]
    assert h["img"][1].startswith("media/img/")


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: nbtrack.Image(np.zeros((2, 2, 2, 2, 3))), ValueError, r"shape \(2, 2, 2, 2, 3\) \(5-D\) is not an image"),
    (lambda: nbtrack.Image(np.zeros((4, 4, 2))), ValueError, r"2-channel image .* needs mode='LA'"),
    (lambda: nbtrack.Image(np.zeros((5, 5, 6))), ValueError, r"cannot tell the channels .* dataformats"),
    (lambda: nbtrack.Image("/no/such/file.png"), FileNotFoundError, r"does not exist"),
    (lambda: nbtrack.Image(np.array([["a"]])), TypeError, r"pixels of dtype <U1 are not accepted"),
    (lambda: nbtrack.Image(np.zeros((4, 4)), mode="RGB"), ValueError, r"mode='RGB'\) needs 3 channels"),
    (lambda: nbtrack.Histogram("abc"), TypeError, r"values must be an array-like of numbers, got str"),
    (lambda: nbtrack.Histogram([]), ValueError, r"values is empty"),
    (lambda: nbtrack.Histogram([1.0], bins=0), ValueError, r"0 bins are not accepted; use 1..512"),
    (lambda: nbtrack.Histogram([1.0], bins=513), ValueError, r"513 bins"),
    (lambda: nbtrack.Histogram(), TypeError, r"exactly one of values= or np_histogram="),
    (lambda: nbtrack.Histogram(np_histogram=([1, 2], [0, 1])), ValueError, r"2 counts need 3 edges"),
    (lambda: nbtrack.Audio(np.array([0.5, 1.5]), sample_rate=8000), ValueError, r"\[-1, 1\], found 0.5..1.5"),
    (lambda: nbtrack.Audio(np.zeros(10), sample_rate=0), ValueError, r"sample_rate=...\): 0 is not accepted"),
    (lambda: nbtrack.Audio(np.zeros(10, np.int32), sample_rate=8000), TypeError, r"dtype int32"),
    (lambda: nbtrack.Text(42), TypeError, r"text must be a str, got int"),
])
def test_bad_input_is_explained(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_nothing_lost_when_finish_follows_a_burst(logdir):
    run = nbtrack.init()
    for step in range(1000):
        run.log({"img": nbtrack.Image(np.full((8, 8, 3), step % 256, np.uint8)), "x": float(step)})
    run.finish()
    images = nbtrack.open(logdir).run(run.id).images("img")
    assert len(images) == 1000 and images["step"].tolist() == list(range(1000))
    assert [int(i[0, 0, 0]) for i in images.image] == [s % 256 for s in range(1000)]


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_memory_stays_bounded_with_10000_large_images(logdir):
    from nbtrack.record import run as recorder

    run = nbtrack.init()
    base = np.add.outer(np.arange(256), np.arange(256)).astype(np.uint8)
    rss_before, peak_queue, peak_rss = _rss_bytes(), 0, 0
    for step in range(10_000):
        img = np.stack([base + step % 7, base, base], axis=-1)  # 196 KB each, 1.9 GB in all
        run.log({"big": nbtrack.Image(img)})
        peak_queue = max(peak_queue, run._collector.media_bytes)
        if step % 500 == 0:
            peak_rss = max(peak_rss, _rss_bytes())
    run.finish()
    assert peak_queue <= recorder.MAX_MEDIA_BYTES + img.nbytes
    assert peak_rss - rss_before < 2 * recorder.MAX_MEDIA_BYTES + 128 * 2**20  # far below the 1.9 GB logged
    assert len(nbtrack.open(logdir).run(run.id).media("big")) == 10_000


def test_media_tags_map_to_safe_files_inside_the_run(logdir):
    tags = ["a/b", "with space", "../../escape", "..", "训练/图像 😀", "x\\y"]
    run = nbtrack.init()
    run.log({tag: nbtrack.Image(np.zeros((2, 2), np.uint8)) for tag in tags})
    run.finish()
    root = run.dir.resolve()
    files = [p.resolve() for p in (run.dir / "media").rglob("*") if p.is_file()]
    assert len(files) == len(tags)
    assert all(str(p).startswith(str(root / "media")) for p in files)
    assert all(p.parent.parent == root / "media" for p in files)  # exactly one folder per tag
    assert len({p.parent for p in files}) == len(tags)
    r = nbtrack.open(logdir).run(run.id)
    assert set(r.media_tags()) == set(tags)
    assert all(len(r.images(tag)) == 1 for tag in tags)


def test_a_hostile_media_path_is_never_opened(logdir):
    run = nbtrack.init()
    run.log({"img": nbtrack.Image(np.zeros((2, 2), np.uint8))})
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    row = r._media_rows("img")[0]
    row["path"] = "../../../../etc/passwd"
    assert r._media.decode(row) is None
    assert any("escapes the run folder" in d.reason for d in r.damage)


def test_device_binning_matches_numpy_binning():
    """The CUDA path (torch ops on the tensor's device), exercised with a CPU tensor."""
    torch = pytest.importorskip("torch")
    t = torch.randn(50_000, generator=torch.Generator().manual_seed(0))
    t[:3] = torch.tensor([float("nan"), float("inf"), float("-inf")])
    on_device = histogram_module._bin_on_device(t, 64)
    reference = histogram_module._bin_values(t.numpy().astype(np.float64), 64)
    np.testing.assert_array_equal(on_device["counts"], reference.arrays["counts"])
    np.testing.assert_allclose(on_device["edges"], reference.arrays["edges"])
    assert (on_device["nan"], on_device["posinf"], on_device["neginf"]) == (1, 1, 1)
