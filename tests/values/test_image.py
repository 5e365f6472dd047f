"""Image: pixels read back identical through a run (layouts, depths, files, PIL, masks and boxes); bad
input is explained when logged."""

from __future__ import annotations

import json
import math
import warnings
import wave

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png


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


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: nbtrack.Image(np.zeros((2, 2, 2, 2, 3))), ValueError, r"shape \(2, 2, 2, 2, 3\) \(5-D\) is not an image"),
    (lambda: nbtrack.Image(np.zeros((4, 4, 2))), ValueError, r"2-channel image .* needs mode='LA'"),
    (lambda: nbtrack.Image(np.zeros((5, 5, 6))), ValueError, r"cannot tell the channels .* dataformats"),
    (lambda: nbtrack.Image("/no/such/file.png"), FileNotFoundError, r"does not exist"),
    (lambda: nbtrack.Image(np.array([["a"]])), TypeError, r"pixels of dtype <U1 are not accepted"),
    (lambda: nbtrack.Image(np.zeros((4, 4)), mode="RGB"), ValueError, r"mode='RGB'\) needs 3 channels"),
])
def test_bad_image_input_is_explained(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def test_image_out_of_range_int_pixels_are_rejected_at_log_time(tmp_path):
    """int64 pixels of 300 or int16 of -1 pass Image() and only fail in the writer thread,
    where the image is dropped (a warning, then RunWriteError at finish)."""
    with pytest.raises(ValueError, match=r"0\.\.255"):
        nbtrack.Image(np.full((2, 2), 300, np.int64))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        nbtrack.Image(np.full((2, 2), -1, np.int16))


def test_image_from_a_16bit_or_float_pil_image_keeps_its_pixels():
    """PIL modes I;16 / F / I are converted to 8-bit RGB: 1000 becomes 255, 0.5 becomes 0."""
    from PIL import Image as PILImage

    grey16 = np.full((2, 3), 1000, np.uint16)
    got = decode_png(nbtrack.Image(PILImage.fromarray(grey16)).encode().files[".png"])
    np.testing.assert_array_equal(got, grey16)

    half = np.full((2, 3), 0.5, np.float32)
    got = decode_png(nbtrack.Image(PILImage.fromarray(half)).encode().files[".png"])
    np.testing.assert_array_equal(got, np.full((2, 3), 128, np.uint8))


def test_image_file_that_is_a_wav_is_rejected(tmp_path):
    """Any RIFF file (a WAV, an AVI) is accepted as an image and stored as ``.webp``."""
    path = tmp_path / "sound.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(8))
    with pytest.raises(ValueError, match="not a PNG, JPEG, GIF or WebP"):
        nbtrack.Image(str(path))


def test_image_logged_from_a_jpeg_file_reads_back(tmp_path):
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


def test_image_box_with_nan_is_rejected_or_stored_as_strict_json(tmp_path):
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


def test_image_mask_class_ids_must_be_integers():
    """Mask class ids 0.5 / 1.7 / NaN are silently truncated to 0 / 1 / 0 (NaN with a numpy
    RuntimeWarning about an invalid cast) instead of being rejected."""
    for bad in (np.array([[0.5, 1.7], [2.0, 3.0]]), np.array([[np.nan, 1.0], [2.0, 3.0]])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((ValueError, TypeError)):
                nbtrack.Image(np.zeros((2, 2), np.uint8), masks={"m": {"mask_data": bad}})


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


def test_image_pixel_boxes_keep_their_domain(logdir):
    boxes = {"pred": {"box_data": [{"position": {"minX": 1, "maxX": 3, "minY": 0, "maxY": 2}, "domain": "pixel"},
                                   {"position": {"middle": [0.5, 0.5], "width": 0.2, "height": 0.2}}]}}
    r = _roundtrip(logdir, img=nbtrack.Image(np.zeros((4, 5, 3), np.uint8), boxes=boxes))
    stored = r.media("img").iloc[0]["meta"]["boxes"]["pred"]["box_data"]
    assert stored[0]["domain"] == "pixel" and "domain" not in stored[1]
