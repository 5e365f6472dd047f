"""PNG and APNG codecs: round trips, independent cross-checks (PIL, hand-built files) and hostile input.

PNGs for the decoder are built here from scratch with a plain-Python reference filter written from the PNG
specification, so every colour type, bit depth and filter type is exercised independently of the encoder.
Pillow decodes most of them; 16-bit colour PNGs go through nbtrack's own decoder, checked more strictly.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest

from nbtrack import codecs
from nbtrack.codecs import png
from nbtrack.codecs.png import MAX_PIXELS, decode_apng, decode_png, encode_apng, encode_png, png_size
from nbtrack.codecs.wav import decode_wav

SIG = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


# ------------------------------------------------------------------------------------------------ helpers


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk, parsed independently of the codec."""
    assert data[:8] == SIG
    pos, out = 8, []
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        out.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _assemble(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return SIG + b"".join(_chunk(kind, body) for kind, body in chunks)


def _png(w: int, h: int, depth: int, colour: int, filtered: bytes, *, extra=(), interlace=0, idat=None) -> bytes:
    """A PNG of the given filtered rows (or, with ``idat``, of that literal compressed image data)."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace)
    idat = zlib.compress(filtered) if idat is None else idat
    return _assemble([(b"IHDR", ihdr), *extra, (b"IDAT", idat), (b"IEND", b"")])


def _ref_paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _ref_filter(raw: np.ndarray, bpp: int, types: list[int]) -> bytes:
    """Filter raw row bytes (H, R) with the given per-row types, byte by byte as the PNG spec defines."""
    out, prev = bytearray(), bytes(raw.shape[1])
    for row, kind in zip(raw, types):
        cur = bytes(row)
        out.append(kind)
        for i, x in enumerate(cur):
            a = cur[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, prev[i], (a + prev[i]) // 2, _ref_paeth(a, prev[i], c))[kind]
            out.append((x - pred) % 256)
        prev = cur
    return bytes(out)


def _pack(samples: np.ndarray, depth: int) -> np.ndarray:
    """Sample values (H, W, C) as PNG row bytes (H, R) at the given bit depth."""
    h = samples.shape[0]
    if depth == 16:
        return samples.astype(">u2").view(np.uint8).reshape(h, -1)
    if depth == 8:
        return samples.astype(np.uint8).reshape(h, -1)
    bits = (samples.reshape(h, -1)[:, :, None] >> np.arange(depth - 1, -1, -1)) & 1
    return np.packbits(bits.reshape(h, -1).astype(np.uint8), axis=1)


def _random_image(rng, h: int, w: int, depth: int, colour: int, smooth: bool = False) -> np.ndarray:
    c = CHANNELS[colour]
    if smooth:
        yy, xx = np.mgrid[0:h, 0:w]
        base = (xx * 7 + yy * 3)[:, :, None] + np.arange(c) * 50
        return (base % (1 << depth)).astype(np.uint16 if depth == 16 else np.uint8)
    return rng.integers(0, 1 << depth, (h, w, c), dtype=np.uint16 if depth == 16 else np.uint8)


def _expected(samples: np.ndarray, depth: int, colour: int, palette: np.ndarray | None) -> np.ndarray:
    if palette is not None:
        return palette[samples[:, :, 0]]
    if depth < 8:
        samples = samples.astype(np.uint8) * (255 // ((1 << depth) - 1))
    return samples[:, :, 0] if samples.shape[2] == 1 else samples


def _build(rng, h, w, depth, colour, types, *, smooth=False, trns=False):
    """A PNG built by hand with the given row filter types, and the pixels decode_png must return."""
    samples = _random_image(rng, h, w, depth, colour, smooth)
    extra, palette = [], None
    if colour == 3:
        n = min(256, 1 << depth)
        palette = rng.integers(0, 256, (n, 4 if trns else 3), dtype=np.uint8)
        extra.append((b"PLTE", palette[:, :3].tobytes()))
        if trns:
            extra.append((b"tRNS", palette[:, 3].tobytes()))
    bpp = max(1, CHANNELS[colour] * depth // 8)
    data = _png(w, h, depth, colour, _ref_filter(_pack(samples, depth), bpp, types), extra=extra)
    return data, _expected(samples, depth, colour, palette)


def _gradient(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    r, g, b = xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), (xx + yy) * 255 // max(h + w - 2, 1)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def _with_crc(data: bytes, kind: bytes, edit) -> bytes:
    """Rebuild a PNG after replacing the body of every ``kind`` chunk with ``edit(body)``."""
    return _assemble([(k, edit(b) if k == kind else b) for k, b in _chunks(data)])


# ---------------------------------------------------------------------------------------- PNG round trips

SHAPES = [(1, 1), (1, 17), (17, 1), (13, 29), (64, 64)]
CHANNEL_SPECS = [None, 1, 2, 3, 4]  # None: (H, W)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", CHANNEL_SPECS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("content", ["noise", "gradient"])
def test_png_round_trip(dtype, channels, shape, content):
    rng = np.random.default_rng(zlib.crc32(repr((shape, channels)).encode()))
    full = shape + ((channels,) if channels else ())
    if content == "noise":
        pixels = rng.integers(0, np.iinfo(dtype).max + 1, full, dtype=dtype)
    else:
        ramp = np.add.outer(np.arange(shape[0]), np.arange(shape[1])) * (np.iinfo(dtype).max // 130)
        pixels = np.broadcast_to(ramp.astype(dtype)[..., None], (*shape, channels or 1)).reshape(full).copy()
    data = encode_png(pixels)
    assert png_size(data) == (shape[1], shape[0])
    out = decode_png(data)
    expect = pixels[:, :, 0] if channels == 1 else pixels
    assert out.dtype == dtype and out.shape == expect.shape
    np.testing.assert_array_equal(out, expect)


def test_encode_png_header_and_chunks():
    data = encode_png(np.zeros((3, 5, 4), np.uint16))
    kinds = [k for k, _ in _chunks(data)]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", _chunks(data)[0][1]) == (5, 3, 16, 6, 0, 0, 0)
    for kind, colour in [((3, 5), 0), ((3, 5, 1), 0), ((3, 5, 2), 4), ((3, 5, 3), 2), ((3, 5, 4), 6)]:
        assert _chunks(encode_png(np.zeros(kind, np.uint8)))[0][1][8:10] == bytes([8, colour])


def test_encode_png_16bit_samples_are_big_endian():
    pixels = np.array([[0x0102, 0xFFFE]], np.uint16)
    raw = zlib.decompress(_chunks(encode_png(pixels, compress_level=0))[1][1])
    assert raw == bytes([2, 0x01, 0x02, 0xFF, 0xFE])  # one row, filter Up, big-endian samples


@pytest.mark.parametrize("level", [0, 1, 9])
def test_encode_png_views_and_byte_orders(level):
    rng = np.random.default_rng(1)
    base = rng.integers(0, 65536, (20, 30, 3), dtype=np.uint16)
    for pixels in (base[::2, ::3], base.astype(">u2"), np.asfortranarray(base), base[:, :, ::-1]):
        np.testing.assert_array_equal(decode_png(encode_png(pixels, compress_level=level)), pixels)


@pytest.mark.parametrize(
    ("pixels", "error", "needle"),
    [
        ([[0, 1]], TypeError, "numpy array, got list"),
        (np.zeros((2, 2), np.float32), TypeError, "got float32"),
        (np.zeros((2, 2), np.int16), TypeError, "got int16"),
        (np.zeros((2, 2), bool), TypeError, "got bool"),
        (np.zeros((2, 2, 5), np.uint8), ValueError, "got shape (2, 2, 5)"),
        (np.zeros((2, 2, 3, 1), np.uint8), ValueError, "got shape (2, 2, 3, 1)"),
        (np.zeros(4, np.uint8), ValueError, "got shape (4,)"),
        (np.zeros((0, 4), np.uint8), ValueError, "got shape (0, 4)"),
        (np.zeros((4, 0, 3), np.uint8), ValueError, "got shape (4, 0, 3)"),
    ],
)
def test_encode_png_rejects_bad_pixels(pixels, error, needle):
    with pytest.raises(error, match="pixels") as info:
        encode_png(pixels)
    assert needle in str(info.value)


@pytest.mark.parametrize("level", [-1, 10, 2.0, True])
def test_encode_png_rejects_bad_level(level):
    with pytest.raises((TypeError, ValueError), match="compress_level"):
        encode_png(np.zeros((2, 2), np.uint8), compress_level=level)


# ------------------------------------------------------------------------- decoder: every filter and format

FORMATS = [(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3), (2, 3), (4, 3), (8, 3)]
FORMATS += [(8, 4), (16, 4), (8, 6), (16, 6)]
PATTERNS = ["none", "sub", "up", "average", "paeth", "mixed"]


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize(("depth", "colour"), FORMATS)
def test_decode_filters_and_formats(depth, colour, pattern):
    rng = np.random.default_rng(depth * 10 + colour)
    h, w = 11, 13
    types = rng.integers(0, 5, h).tolist() if pattern == "mixed" else [PATTERNS.index(pattern)] * h
    for smooth in (False, True):
        data, expect = _build(rng, h, w, depth, colour, types, smooth=smooth, trns=smooth)
        out = decode_png(data)
        assert out.dtype == expect.dtype and out.shape == expect.shape
        np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("path", ["rows", "diagonal"])
@pytest.mark.parametrize(
    ("h", "w", "depth", "colour"),
    [(1, 50, 16, 2), (50, 1, 16, 6), (40, 30, 16, 6), (300, 3, 16, 4), (70, 19, 16, 2), (5, 300, 16, 4)],
)
def test_decode_both_average_paeth_paths(monkeypatch, path, h, w, depth, colour):
    """16-bit colour PNGs are decoded by nbtrack: Average/Paeth rows are undone byte by byte or by a diagonal
    sweep; both must be exact."""
    monkeypatch.setattr(png, "_SCALAR_BYTE_COST", 0.0 if path == "rows" else 1.0)
    rng = np.random.default_rng(h * w)
    types = rng.integers(0, 5, h).tolist()
    types[:3] = [4, 3, 4][: len(types[:3])]
    data, expect = _build(rng, h, w, depth, colour, types, smooth=bool(h % 2))
    np.testing.assert_array_equal(decode_png(data), expect)


def test_decode_ignores_ancillary_and_reads_split_idat():
    pixels = _gradient(9, 10)
    chunks = _chunks(encode_png(pixels))
    idat = chunks[1][1]
    split = [(b"IDAT", idat[i : i + 7]) for i in range(0, len(idat), 7)]
    data = _assemble([chunks[0], (b"tEXt", b"k\x00v"), (b"gAMA", b"\x00\x00\xb1\x8f"), *split, chunks[2]])
    np.testing.assert_array_equal(decode_png(data + b"trailing junk"), pixels)


# ------------------------------------------------------------------------------------ PIL as a cross-check


@pytest.mark.parametrize(
    "pixels",
    [
        np.arange(60, dtype=np.uint8).reshape(6, 10),
        np.arange(120, dtype=np.uint8).reshape(6, 10, 2),
        np.arange(180, dtype=np.uint8).reshape(6, 10, 3),
        np.arange(240, dtype=np.uint8).reshape(6, 10, 4),
        (np.arange(60, dtype=np.uint16) * 1111).reshape(6, 10),
        np.random.default_rng(3).integers(0, 256, (1, 1, 3), dtype=np.uint8),
        np.random.default_rng(4).integers(0, 256, (37, 1, 4), dtype=np.uint8),
        _gradient(200, 300),
    ],
)
def test_pil_reads_what_encode_png_writes(pixels):
    image_mod = pytest.importorskip("PIL.Image")
    image = image_mod.open(io.BytesIO(encode_png(pixels)))
    image.load()
    got = np.asarray(image)
    assert got.shape == pixels.shape
    np.testing.assert_array_equal(got.astype(pixels.dtype), pixels)


def _pil_cases():
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (23, 31, 4), dtype=np.uint8)
    smooth = np.concatenate([_gradient(23, 31), np.full((23, 31, 1), 200, np.uint8)], axis=2)
    wide16 = rng.integers(0, 65536, (7, 41), dtype=np.uint16)
    out = []
    for name, base in (("noise", noise), ("smooth", smooth)):
        for mode in ("1", "L", "LA", "RGB", "RGBA", "P", "I;16"):
            for options in ({}, {"optimize": True}, {"compress_level": 0}, {"compress_level": 9}):
                out.append((name, mode, options, base))
        for bits in (1, 2, 4):
            out.append((name, "P", {"bits": bits}, base))
        out.append((name, "PA", {}, base))
    out.append(("wide16", "I;16", {}, wide16))
    return out


def _pil_png(image_mod, mode: str, options: dict, base: np.ndarray) -> tuple[bytes, np.ndarray]:
    """A PNG written by PIL and the pixels PIL itself reads back, as decode_png must return them."""
    if base.dtype == np.uint16:
        image = image_mod.fromarray(base)
    elif mode == "I;16":
        image = image_mod.fromarray(base[:, :, 0].astype(np.uint16) << 8 | base[:, :, 1])
    elif mode == "PA":  # palette with a tRNS chunk
        image = image_mod.fromarray(base[:, :, :3]).quantize(16)
        options = {"transparency": bytes(range(0, 256, 17))}
    else:
        image = image_mod.fromarray(base).convert(mode)
    if options.get("bits"):
        image = image_mod.fromarray(base[:, :, :3]).quantize(1 << options["bits"])
    buf = io.BytesIO()
    image.save(buf, format="PNG", **options)
    back = image_mod.open(io.BytesIO(buf.getvalue()))
    target = {"1": "L", "P": "RGBA" if "transparency" in back.info else "RGB"}.get(back.mode, back.mode)
    return buf.getvalue(), np.asarray(back.convert(target) if target != back.mode else back)


def test_decode_png_reads_pil_output():
    image_mod = pytest.importorskip("PIL.Image")
    seen: set[tuple[int, int, int]] = set()
    for name, mode, options, base in _pil_cases():
        data, expect = _pil_png(image_mod, mode, options, base)
        ihdr = _chunks(data)[0][1]
        raw = zlib.decompress(b"".join(b for k, b in _chunks(data) if k == b"IDAT"))
        height = struct.unpack(">I", ihdr[4:8])[0]
        seen.update((ihdr[8], ihdr[9], raw[i * len(raw) // height]) for i in range(height))
        out = decode_png(data)
        assert out.shape == expect.shape, (name, mode, options)
        np.testing.assert_array_equal(out, expect.astype(out.dtype), err_msg=f"{name} {mode} {options}")
    assert {f for _, _, f in seen} == {0, 1, 2, 3, 4}  # PIL used every filter type somewhere
    assert {(d, c) for d, c, _ in seen} >= {(1, 0), (8, 0), (16, 0), (8, 2), (8, 3), (1, 3), (2, 3), (4, 3), (8, 4)}


def test_pil_plays_encode_apng():
    image_mod = pytest.importorskip("PIL.Image")
    video = np.random.default_rng(6).integers(0, 256, (5, 12, 9, 3), dtype=np.uint8)
    image = image_mod.open(io.BytesIO(encode_apng(video, fps=20)))
    assert image.format == "PNG" and image.n_frames == 5 and image.is_animated
    for t in range(5):
        image.seek(t)
        assert image.info["duration"] == pytest.approx(50)
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), video[t])


# ----------------------------------------------------------------------------------------- hostile PNGs


def _valid_png(wide: bool = False) -> bytes:
    """An 8-bit RGB PNG (decoded by Pillow) or, ``wide``, a 16-bit RGB one (decoded by nbtrack)."""
    dtype = np.uint16 if wide else np.uint8
    return encode_png(np.random.default_rng(7).integers(0, 256, (6, 7, 3), dtype=dtype))


@pytest.mark.parametrize("wide", [False, True])
def test_png_corrupted_crc_in_each_chunk(wide):
    """A flipped bit in a chunk's type, CRC or body: a ValueError, or (Pillow, which skips some CRCs) the
    same pixels; never different pixels."""
    data = _valid_png(wide)
    pixels = decode_png(data)
    pos = 8
    for _kind, body in _chunks(data):
        for offset in (pos + 4, pos + 8 + len(body), pos + 8 + len(body) // 2):  # type, CRC, body
            bad = bytearray(data)
            bad[offset] ^= 0x20
            if wide:
                with pytest.raises(ValueError):
                    decode_png(bytes(bad))
                continue
            try:
                np.testing.assert_array_equal(decode_png(bytes(bad)), pixels)
            except ValueError:
                pass
        pos += 12 + len(body)
    bad = bytearray(data)
    bad[45] ^= 1  # inside IDAT's body (the IHDR chunk ends at 33, IDAT's body starts at 41)
    with pytest.raises(ValueError, match="CRC mismatch in PNG chunk IDAT" if wide else "corrupt"):
        decode_png(bytes(bad))


@pytest.mark.parametrize("wide", [False, True])
def test_png_truncated_at_every_offset(wide):
    """Cut anywhere: a ValueError, except that Pillow reads a file cut after the last compressed pixel byte
    (it checks neither the zlib checksum, nor the last CRC, nor IEND): then the pixels are all there."""
    data = _valid_png(wide)
    complete = 0
    for end in range(len(data)):
        if wide:
            with pytest.raises(ValueError):
                decode_png(data[:end])
            continue
        try:
            np.testing.assert_array_equal(decode_png(data[:end]), decode_png(data))
            complete += 1
        except ValueError:
            assert complete == 0  # once complete, longer cuts stay complete
    assert complete <= 24
    with pytest.raises(ValueError, match="signature"):
        png_size(data[:5])


@pytest.mark.parametrize(("depth", "colour"), [(8, 6), (16, 6)])
def test_png_absurd_dimensions_rejected_before_allocating(depth, colour):
    tiny_idat = zlib.compress(bytes(1000))
    for w, h in [(1 << 20, 1 << 20), (MAX_PIXELS + 1, 1), (0, 5), (5, 0), (1 << 31, 1)]:
        data = _png(w, h, depth, colour, b"", idat=tiny_idat)
        with pytest.raises(ValueError, match=r"dimensions|pixels|not a PNG"):
            decode_png(data)
    # Within the pixel cap, but the compressed data cannot possibly expand that far: a PNG bomb.
    start = time.perf_counter()
    with pytest.raises(ValueError, match="cannot hold"):
        decode_png(_png(1 << 14, 1 << 14, depth, colour, b"", idat=tiny_idat))
    assert time.perf_counter() - start < 1
    assert png_size(_png(1 << 20, 1 << 20, depth, colour, b"", idat=tiny_idat)) == (1 << 20, 1 << 20)


def test_png_interlaced():
    """Pillow reads interlaced PNGs; nbtrack's own 16-bit colour decoder refuses them."""
    with pytest.raises(ValueError, match="interlaced 16-bit colour PNG not supported"):
        decode_png(_png(4, 4, 16, 2, bytes(100), interlace=1))
    image_mod = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    image_mod.fromarray(_gradient(30, 30)).save(buf, format="PNG", interlace=1)  # ignored by some versions
    np.testing.assert_array_equal(decode_png(buf.getvalue()), _gradient(30, 30))


@pytest.mark.parametrize(
    "data",
    [
        _png(2, 2, 8, 0, bytes([5, 0, 0, 0, 0, 0])),
        _png(2, 2, 8, 0, b"", idat=b"\x78\x9c\xff\xff"),
        _png(2, 2, 3, 0, bytes(6)),
        _png(2, 2, 8, 5, bytes(6)),
        _assemble([(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)), (b"IEND", b"")]),
        _assemble([(b"IDAT", b""), (b"IEND", b"")]),
        _assemble([(b"IH1R", b""), (b"IEND", b"")]),
        b"GIF89a" + bytes(40),
    ],
)
def test_png_malformed(data):
    with pytest.raises(ValueError, match="PNG"):
        decode_png(data)


@pytest.mark.parametrize(
    "data",
    [
        _png(2, 2, 8, 0, bytes([0, 0, 0])),  # image data one row short: Pillow leaves the row black
        _png(2, 1, 8, 3, bytes([0, 0, 2]), extra=[(b"PLTE", bytes(6))]),  # palette index out of range
        _png(2, 1, 8, 3, bytes(3), extra=[(b"PLTE", bytes(6)), (b"tRNS", bytes(3))]),  # tRNS over the palette
        _png(2, 1, 8, 0, bytes(3), extra=[(b"ABCD", b"")]),  # unknown critical chunk
        _png(2, 2, 8, 3, bytes(6)),  # palette image without PLTE (read as grey)
    ],
)
def test_png_malformed_but_read_by_pillow(data):
    """Defects Pillow tolerates: the image decodes, at its declared size."""
    assert decode_png(data).shape[:2] == struct.unpack(">II", data[16:24])[::-1]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (_png(2, 2, 16, 2, bytes([5]) + bytes(12) + bytes([0]) + bytes(12)), "filter type 5"),
        (_png(2, 2, 16, 2, bytes([0]) + bytes(12)), "too short"),
        (_png(2, 2, 16, 2, b"", idat=b"\x78\x9c\xff\xff"), "corrupt PNG image data"),
        (_png(2, 1, 16, 2, bytes(13), extra=[(b"ABCD", b"")]), "critical"),
        (_assemble([(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 16, 2, 0, 0, 0)), (b"IEND", b"")]), "no IDAT"),
        (_assemble([(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 16, 2, 0, 0, 0)), (b"IH1R", b"")]), "chunk type"),
    ],
)
def test_png_malformed_16bit_colour(data, needle):
    with pytest.raises(ValueError, match=needle):
        decode_png(data)


@pytest.mark.parametrize("wide", [False, True])
def test_png_random_damage_only_raises_value_error(wide):
    rng = np.random.default_rng(8)
    image = _gradient(16, 16).astype(np.uint16) * 257 if wide else _gradient(16, 16)
    data = encode_png(image)
    for _ in range(300):  # bytes flipped inside the image data, CRC recomputed: decodes or ValueError

        def damage(body, rng=rng):
            body = bytearray(body)
            body[int(rng.integers(len(body)))] = int(rng.integers(256))
            return bytes(body)

        try:
            out = decode_png(_with_crc(data, b"IDAT", damage))
        except ValueError:
            continue
        assert out.shape == (16, 16, 3)
    for _ in range(300):
        junk = SIG + rng.integers(0, 256, int(rng.integers(0, 80)), dtype=np.uint8).tobytes()
        with pytest.raises(ValueError):
            decode_png(junk)


def test_png_decoders_need_bytes():
    with pytest.raises(TypeError, match="bytes"):
        decode_png("not bytes")
    arr = np.frombuffer(_valid_png(), np.uint8)
    assert decode_png(memoryview(arr)).shape == (6, 7, 3)
    assert decode_png(bytearray(_valid_png())).shape == (6, 7, 3)


# ------------------------------------------------------------------------------------------------- APNG


@pytest.mark.parametrize("shape", [(3, 5, 7), (4, 5, 7, 1), (2, 6, 4, 3), (5, 3, 3, 4), (1, 1, 1, 3)])
@pytest.mark.parametrize("fps", [30, 24.0, 29.97, 0.5, 1000, 1 / 3])
def test_apng_round_trip(shape, fps):
    video = np.random.default_rng(len(shape)).integers(0, 256, shape, dtype=np.uint8)
    frames, got_fps = decode_apng(encode_apng(video, fps))
    expect = video if video.ndim == 4 else video[..., None]
    assert frames.dtype == np.uint8 and frames.shape == expect.shape
    np.testing.assert_array_equal(frames, expect)
    assert got_fps == pytest.approx(fps, rel=1e-6)


def test_apng_structure():
    video = np.random.default_rng(9).integers(0, 256, (4, 6, 5, 4), dtype=np.uint8)
    data = encode_apng(video, 30, loop=3)
    chunks = _chunks(data)
    kinds = [k for k, _ in chunks]
    assert kinds == [b"IHDR", b"acTL", b"fcTL", b"IDAT"] + [b"fcTL", b"fdAT"] * 3 + [b"IEND"]
    assert struct.unpack(">II", chunks[1][1]) == (4, 3)  # num_frames, num_plays
    seqs = [struct.unpack(">I", b[:4])[0] for k, b in chunks if k in (b"fcTL", b"fdAT")]
    assert seqs == list(range(7))
    for kind, body in chunks:
        if kind == b"fcTL":
            assert struct.unpack(">IIIIIHHBB", body)[1:] == (5, 6, 0, 0, 1, 30, 0, 0)
    # The first frame is the default image: a plain PNG decoder shows it.
    np.testing.assert_array_equal(decode_png(data), video[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"fps": 0}, ValueError, "fps"),
        ({"fps": -5}, ValueError, "fps"),
        ({"fps": float("nan")}, ValueError, "fps"),
        ({"fps": float("inf")}, ValueError, "fps"),
        ({"fps": 1e6}, ValueError, "fps"),
        ({"fps": "30"}, TypeError, "fps"),
        ({"fps": 30, "loop": -1}, ValueError, "loop"),
        ({"fps": 30, "frames": np.zeros((0, 2, 2, 3), np.uint8)}, ValueError, "at least one frame"),
        ({"fps": 30, "frames": np.zeros((2, 2, 2, 2), np.uint8)}, ValueError, "got shape"),
        ({"fps": 30, "frames": np.zeros((2, 2), np.uint8)}, ValueError, "got shape"),
        ({"fps": 30, "frames": np.zeros((2, 2, 2, 3), np.float32)}, TypeError, "uint8"),
        ({"fps": 30, "frames": np.zeros((2, 0, 2, 3), np.uint8)}, ValueError, "height and width"),
    ],
)
def test_encode_apng_rejects(kwargs, error, needle):
    kwargs = {"frames": np.zeros((2, 2, 2, 3), np.uint8), **kwargs}
    with pytest.raises(error, match=needle):
        encode_apng(kwargs.pop("frames"), **kwargs)


def _edit_chunks(chunks, mutate):
    return _assemble([(k, mutate(k, b)) for k, b in chunks])


def test_decode_apng_rejects_unsupported_and_broken():
    video = np.random.default_rng(10).integers(0, 256, (3, 4, 4, 4), dtype=np.uint8)
    chunks = _chunks(encode_apng(video, 10))
    with pytest.raises(ValueError, match="not an animated PNG"):
        decode_apng(encode_png(video[0]))

    def seq_plus_one(kind, body):
        return struct.pack(">I", struct.unpack(">I", body[:4])[0] + 1) + body[4:] if kind == b"fdAT" else body

    with pytest.raises(ValueError, match="sequence"):
        decode_apng(_edit_chunks(chunks, seq_plus_one))
    with pytest.raises(ValueError, match="declares 5 frames"):
        decode_apng(_edit_chunks(chunks, lambda k, b: struct.pack(">II", 5, 0) if k == b"acTL" else b))
    with pytest.raises(ValueError, match="frames"):
        decode_apng(_edit_chunks(chunks, lambda k, b: struct.pack(">II", MAX_PIXELS, 0) if k == b"acTL" else b))
    fctl = [i for i, (k, _) in enumerate(chunks) if k == b"fcTL"]
    edits = {
        "different delays": lambda b: b[:20] + struct.pack(">HH", 1, 7) + b[24:] if b[:4] != bytes(4) else b,
        "delay is 0": lambda b: b[:20] + struct.pack(">HH", 0, 10) + b[24:],
    }
    for needle, edit in edits.items():
        changed = [(k, edit(b) if i in fctl else b) for i, (k, b) in enumerate(chunks)]
        with pytest.raises(ValueError, match=needle):
            decode_apng(_assemble(changed))
    without_fdat = [(k, b) for k, b in chunks if k != b"fdAT"]
    with pytest.raises(ValueError):
        decode_apng(_assemble(without_fdat))
    data = _assemble(chunks)
    for end in range(0, len(data), 7):  # a ValueError, or (cut after the last pixel byte) the whole video
        try:
            frames, _ = decode_apng(data[:end])
        except ValueError:
            continue
        assert end > len(data) - 24
        np.testing.assert_array_equal(frames, video)


def test_decode_apng_composes_frames_like_a_browser():
    """Sub-region frames and blending (as Pillow writes them) decode to the full frames."""
    image_mod = pytest.importorskip("PIL.Image")
    video = np.zeros((4, 10, 12, 4), np.uint8)
    video[..., 3] = 255
    for t in range(4):
        video[t, 2 + t : 5 + t, 3:6, 0] = 200  # a small square moving down
    buf = io.BytesIO()
    images = [image_mod.fromarray(f) for f in video]
    images[0].save(buf, format="PNG", save_all=True, append_images=images[1:], duration=40, blend=1)
    frames, fps = decode_apng(buf.getvalue())
    np.testing.assert_array_equal(frames, video)
    assert fps == 25.0


def test_codecs_package_exports():
    assert codecs.encode_png is encode_png and codecs.decode_wav is decode_wav
    assert set(codecs.__all__) == {
        "decode_apng",
        "decode_image",
        "decode_png",
        "decode_wav",
        "encode_apng",
        "encode_png",
        "encode_wav",
        "image_size",
        "png_size",
    }


# ------------------------------------------------------------------------ filter strategies: measurements


def _neighbours(rows: np.ndarray, bpp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    left, up, upleft = np.zeros_like(rows), np.zeros_like(rows), np.zeros_like(rows)
    left[:, bpp:], up[1:], upleft[1:, bpp:] = rows[:, :-bpp], rows[:-1], rows[:-1, :-bpp]
    return left, up, upleft


def _filtered(rows: np.ndarray, bpp: int, kind: int) -> np.ndarray:
    left, up, upleft = _neighbours(rows, bpp)
    a, b, c = (x.astype(np.int16) for x in (left, up, upleft))
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    pred = (np.zeros_like(a), a, b, (a + b) >> 1, paeth)[kind]
    return (rows - pred).astype(np.uint8)


def _strategy(rows: np.ndarray, bpp: int, name: str) -> np.ndarray:
    """Filtered rows (with type bytes) for one strategy: a single filter type, or libpng's adaptive pick."""
    if name == "adaptive":
        candidates = np.stack([_filtered(rows, bpp, k) for k in range(5)])
        best = np.abs(candidates.view(np.int8).astype(np.int16)).sum(axis=2).argmin(axis=0)
        body, types = candidates[best, np.arange(len(rows))], best
    else:
        kind = ["none", "sub", "up", "average", "paeth"].index(name)
        body, types = _filtered(rows, bpp, kind), np.full(len(rows), kind)
    return np.concatenate([types[:, None].astype(np.uint8), body], axis=1)


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_filter_strategies_report():
    """Every strategy decodes exactly; prints encode time and size per strategy (pytest -s shows them)."""
    rng = np.random.default_rng(15)
    lines = []
    for size in (64, 256):
        images = {"noise": rng.integers(0, 256, (size, size, 3), dtype=np.uint8), "gradient": _gradient(size, size)}
        for name, image in images.items():
            rows = image.reshape(size, -1)
            sizes = {}
            for strategy in ("none", "sub", "up", "average", "paeth", "adaptive"):
                filtered = _strategy(rows, 3, strategy)
                data = _png(size, size, 8, 2, filtered.tobytes())
                np.testing.assert_array_equal(decode_png(data), image)
                seconds = _best_of(lambda r=rows, s=strategy: zlib.compress(_strategy(r, 3, s).tobytes(), 6), 5)
                sizes[strategy] = len(data)
                lines.append(f"{size}x{size}x3 {name:8s} {strategy:8s} {len(data):8d} B  {seconds * 1e3:7.2f} ms")
            assert len(encode_png(image)) == sizes["up"]  # encode_png uses Up everywhere
            if name == "gradient":
                assert sizes["up"] * 5 < sizes["none"]
        seconds = _best_of(lambda image=images["noise"]: encode_png(image), 5)
        lines.append(f"encode_png {size}x{size}x3 noise: {seconds * 1e3:.2f} ms")
        seconds = _best_of(lambda image=images["gradient"]: encode_png(image), 5)
        lines.append(f"encode_png {size}x{size}x3 gradient: {seconds * 1e3:.2f} ms")
    print("\n" + "\n".join(lines))
