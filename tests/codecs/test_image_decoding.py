"""Image files decoded with Pillow, bounded: bombs and truncated files are refused or skipped quickly and
clearly; JPEG and WebP files logged as images read back as pixels and show in the no-matplotlib PNG."""

from __future__ import annotations

import io
import struct
import sys
import time
import zlib

import numpy as np
import pytest
from PIL import Image as PILImage

import nbtrack
from nbtrack.codecs import decode_image, decode_png, image_size
from nbtrack.dashboard.png_fallback import render_png
from nbtrack.dashboard.snapshot import snapshot_of


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width: int = 16384, height: int = 16384) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` RGBA pixels, with a tiny IDAT (no pixels allocated)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(bytes(4096)))
            + _chunk(b"IEND", b""))


def _photo() -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:64]
    return np.stack([xx * 4, yy * 5, (xx + yy) * 2], axis=-1).astype(np.uint8)


def _saved(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(pixels).save(buf, format=fmt, **options)
    return buf.getvalue()


def _truncated_jpeg() -> bytes:
    data = _saved(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8), "JPEG", quality=90)
    return data[: len(data) // 2]


def _read(tmp_path, name: str):
    logdir = nbtrack.open(tmp_path)
    return logdir.run(name)


# ---------------------------------------------------------------------------------------------- the codec


def test_png_bomb_refused_before_decoding_within_a_second():
    start = time.perf_counter()
    for call in (decode_image, decode_png, image_size):
        with pytest.raises(ValueError, match=r"16384x16384.*cannot hold them.*refused before decoding"):
            call(_png_bomb())
    assert time.perf_counter() - start < 1


def test_too_many_pixels_refused_for_every_format():
    huge_gif = bytearray(_saved(np.zeros((2, 2), np.uint8), "GIF"))
    huge_gif[6:10] = struct.pack("<HH", 65535, 65535)  # logical screen; the frame's own size stays 2x2
    huge_gif[huge_gif.index(b",") + 5: huge_gif.index(b",") + 9] = struct.pack("<HH", 65535, 65535)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="pixels"):
        decode_image(bytes(huge_gif))
    assert time.perf_counter() - start < 1


def test_truncated_jpeg_is_a_clear_value_error():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="truncated JPEG image"):
        decode_image(_truncated_jpeg())
    assert time.perf_counter() - start < 1


def test_not_an_image_and_not_bytes():
    with pytest.raises(ValueError, match="not a PNG/JPEG/GIF/WEBP file"):
        decode_image(b"hello, world")
    with pytest.raises(TypeError, match="bytes"):
        decode_image("a.png")


@pytest.mark.parametrize(("fmt", "options", "tolerance"),
                         [("JPEG", {"quality": 95}, 8), ("WEBP", {"lossless": True}, 0), ("WEBP", {}, 12),
                          ("PNG", {}, 0)])
def test_formats_decode_to_pixels(fmt, options, tolerance):
    pixels = _photo()
    out = decode_image(_saved(pixels, fmt, **options))
    assert out.shape == pixels.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - pixels).mean() <= max(tolerance / 4, 0)
    assert np.abs(out.astype(int) - pixels).max() <= tolerance or tolerance > 0


def test_gif_and_modes():
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    np.testing.assert_array_equal(decode_image(_saved(grey, "GIF")), np.repeat(grey[..., None], 3, axis=2))
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[1, 1] = (255, 0, 0, 0)
    webp = decode_image(_saved(rgba, "WEBP", lossless=True))
    assert webp.shape == (4, 4, 4) and webp[1, 1, 3] == 0
    cmyk = PILImage.new("CMYK", (3, 2), (0, 255, 255, 0))
    buf = io.BytesIO()
    cmyk.save(buf, format="JPEG")
    out = decode_image(buf.getvalue())
    assert out.shape == (2, 3, 3) and out[0, 0, 0] > 200 and out[0, 0, 1] < 60


# ---------------------------------------------------------------------------------- logged as image files


def test_png_bomb_file_refused_when_logged(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_bomb())
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"Image\(\): .*bomb\.png.* refused: .*16384x16384"):
        nbtrack.Image(str(path))
    assert time.perf_counter() - start < 1


def test_png_bomb_already_stored_is_skipped_when_read(tmp_path):
    """A bomb that reached the run folder (an older nbtrack, a file swapped afterwards) is skipped on
    reading, with a damage note, quickly."""
    path = tmp_path / "ok.png"
    path.write_bytes(_saved(_photo(), "PNG"))
    with nbtrack.init(dir=tmp_path / "logs", name="r") as run:
        run.log({"pic": nbtrack.Image(str(path))})
    stored = next((tmp_path / "logs").rglob("*.png"))
    stored.write_bytes(_png_bomb())
    start = time.perf_counter()
    reader = _read(tmp_path / "logs", "r")
    assert reader.images("pic").image[0] is None
    assert time.perf_counter() - start < 1
    # a file swapped after its record was written fails its checksum (format 1.1) before it is decoded
    assert any("cannot hold" in d.reason or "checksum mismatch" in d.reason for d in reader.damage)


def test_truncated_jpeg_file_is_skipped_with_a_clear_message(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(_truncated_jpeg())
    with nbtrack.init(dir=tmp_path / "logs", name="r") as run:
        run.log({"photo": nbtrack.Image(str(path))}, step=0)
        run.log({"photo": nbtrack.Image(_photo())}, step=1)
    start = time.perf_counter()
    reader = _read(tmp_path / "logs", "r")
    images = reader.images("photo").image.tolist()
    assert time.perf_counter() - start < 1
    assert images[0] is None and images[1].shape == (48, 64, 3)
    messages = [d.reason for d in reader.damage]
    assert any("image at step 0 could not be decoded: truncated JPEG image" in m for m in messages), messages


@pytest.mark.parametrize(("suffix", "fmt", "options", "tolerance"),
                         [(".jpg", "JPEG", {"quality": 95}, 8), (".webp", "WEBP", {"lossless": True}, 0),
                          (".gif", "GIF", {}, 0)])
def test_image_files_read_back_as_pixels(tmp_path, suffix, fmt, options, tolerance):
    pixels = _photo() if fmt != "GIF" else np.repeat(_photo()[..., :1], 3, axis=2)  # a GIF of grey levels
    path = tmp_path / f"a{suffix}"
    path.write_bytes(_saved(pixels, fmt, **options))
    with nbtrack.init(dir=tmp_path / "logs", name="r") as run:
        run.log({"photo": nbtrack.Image(str(path))})
    reader = _read(tmp_path / "logs", "r")
    got = reader.images("photo").image[0]
    assert isinstance(got, np.ndarray) and got.dtype == np.uint8 and got.shape == pixels.shape
    assert np.abs(got.astype(int) - pixels).mean() <= tolerance / 4
    assert reader.damage == []


# ------------------------------------------------------------------------------ the PNG without matplotlib


def test_fallback_without_matplotlib_draws_lines_text_and_a_jpeg_image(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    red = np.zeros((40, 40, 3), np.uint8)
    red[..., 0] = 220
    path = tmp_path / "red.jpg"
    path.write_bytes(_saved(red, "JPEG", quality=95))
    with nbtrack.init(dir=tmp_path / "logs", name="r") as run:
        for step in range(50):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
        run.log({"photo": nbtrack.Image(str(path))}, step=49)
    snap = snapshot_of([nbtrack.open(tmp_path / "logs").run("r")])
    pixels = decode_png(render_png(snap))
    assert pixels.shape[1] >= 2 * 300, "a chart panel and an image panel"
    chart, tile = pixels[:, : pixels.shape[1] // 2], pixels[:, pixels.shape[1] // 2:]
    blue = (chart[..., 2].astype(int) - chart[..., 0] > 80).sum()
    dark = (chart.max(axis=-1) < 100).sum()  # title and tick labels are black / dark grey text
    assert blue > 100, "the loss line in the first run's colour"
    assert dark > 50, "text is drawn"
    reds = (tile[..., 0] > 180) & (tile[..., 1] < 60) & (tile[..., 2] < 60)
    assert reds.sum() > 1000, "the JPEG image is decoded and pasted"
    assert (tile.max(axis=-1) < 100).sum() > 50, "the image's title"


def test_fallback_without_matplotlib_log_axis_and_gaps(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    steps = np.arange(100.0)
    values = np.exp(-steps / 10)
    values[40:45] = np.nan
    series = [{"run": run, "key": "loss", "steps": steps.tobytes(), "values": (values * k).tobytes(),
               "times": steps.tobytes()} for k, run in ((1, "a"), (2, "b"))]
    snap = {"seq": 0, "runs": [{"id": "a", "name": "a"}, {"id": "b", "name": "b"}], "series": series}
    pixels = decode_png(render_png(snap, {"logY": True}))
    assert pixels.shape == (200, 320, 3)
    orange = (pixels[..., 0].astype(int) - pixels[..., 2] > 120).sum()
    assert orange > 100, "the second run's line"
