"""Decoding image files (PNG, JPEG, GIF, WebP) and animated PNGs with Pillow, bounded.

The declared size is checked before any pixel is decoded: at most :data:`MAX_PIXELS` pixels (Pillow's own
decompression-bomb limit applies too), and a PNG must be large enough to hold the image it declares (deflate
expands at most ~1032:1), so a small file claiming a huge image is refused at once instead of allocated.
Whatever Pillow raises about a damaged file becomes a :class:`ValueError` that names the format and the
problem. 16-bit colour PNGs are decoded by :mod:`nbtrack.codecs.png` instead: Pillow reads them as 8 bits.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
from PIL import Image as PILImage

__all__ = ["FORMATS", "MAX_PIXELS", "decode_apng", "decode_image", "image_size"]

MAX_PIXELS = 1 << 28
"""Largest width * height (times frames, for APNG) that the decoders accept."""

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
"""The file formats :func:`decode_image` reads."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_DEFLATE_RATIO = 1032  # deflate cannot expand its input by more than ~1032:1
_KEPT_MODES = ("L", "LA", "RGB", "RGBA")
_SIXTEEN_BIT_GREY = ("I;16", "I;16B", "I;16L", "I")  # 16-bit grey PNG ("I" in older Pillow versions)
# Everything Pillow may raise on a damaged or hostile file.
_DAMAGE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error,
           PILImage.DecompressionBombError)


def decode_image(data: bytes | bytearray | memoryview, formats: tuple[str, ...] = FORMATS) -> np.ndarray:
    """Decode a PNG, JPEG, GIF or WebP file to a pixel array (the first frame of an animation).

    Returns ``(H, W)`` for grey, ``(H, W, 2)`` grey + alpha, ``(H, W, 3)`` RGB, ``(H, W, 4)`` RGBA, as
    ``uint8``; a 16-bit grey PNG decodes to ``uint16``. 1-, 2- and 4-bit grey is scaled to 0..255; palette
    images become RGB, or RGBA when they have transparency; CMYK and other modes become RGB.

    Raises :class:`ValueError` for a file that is not one of ``formats``, declares too many pixels for the
    limit or for its own size, or is truncated or corrupt; :class:`TypeError` when ``data`` is not bytes.

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.full((4, 6, 3), 200, np.uint8)).save(buf, format="JPEG")
    >>> pixels = decode_image(buf.getvalue())
    >>> pixels.shape, pixels.dtype, bool(abs(int(pixels[0, 0, 0]) - 200) <= 2)
    ((4, 6, 3), dtype('uint8'), True)
    """
    with _opened(data, formats) as image:
        return _guarded(image, _pixels)


def image_size(data: bytes | bytearray | memoryview, formats: tuple[str, ...] = FORMATS) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header alone, after the same checks as
    :func:`decode_image` makes before decoding (format, pixel limit, PNG size plausibility).

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.zeros((5, 7), np.uint8)).save(buf, format="GIF")
    >>> image_size(buf.getvalue())
    (7, 5)
    """
    with _opened(data, formats) as image:
        return image.size


def decode_apng(data: bytes | bytearray | memoryview) -> tuple[np.ndarray, float]:
    """Decode an animated PNG with a constant frame rate, as written by :func:`nbtrack.codecs.encode_apng`.

    Returns ``(frames, fps)``: frames ``(T, H, W, C)`` (C = 1 for grey), fps ``1 / delay``. Frames are
    composed as a browser shows them (sub-regions, blending). Raises :class:`ValueError` when the file is no
    APNG, declares more than :data:`MAX_PIXELS` pixels in all, has fewer frames than it declares, frames of
    different or zero delay, or is damaged.

    >>> from nbtrack.codecs import encode_apng
    >>> frames, fps = decode_apng(encode_apng(np.zeros((3, 2, 2), np.uint8), fps=25))
    >>> frames.shape, fps
    ((3, 2, 2, 1), 25.0)
    """
    with _opened(data, ("PNG",)) as image:
        count = _frame_count(image)
        frames, delays = [], set()
        for index in range(count):
            _seek(image, index, count)
            frames.append(_guarded(image, _pixels))
            delays.add(image.info.get("duration"))
    video = np.stack(frames)
    return (video if video.ndim == 4 else video[..., None]), _fps(delays)


@contextmanager
def _opened(data: object, formats: tuple[str, ...]) -> Iterator[PILImage.Image]:
    """The image, opened lazily (header only) and checked against the size limits."""
    raw = _as_bytes(data)
    if raw.startswith(_PNG_SIGNATURE) and len(raw) >= 24:  # before Pillow parses anything
        _check_size("PNG", *struct.unpack_from(">II", raw, 16), len(raw))
    try:
        image = PILImage.open(io.BytesIO(raw), formats=list(formats))
    except PILImage.DecompressionBombError as exc:
        raise ValueError(f"image refused before decoding, too many pixels: {exc}") from None
    except PILImage.UnidentifiedImageError:
        raise ValueError(f"not a {'/'.join(formats)} file ({len(raw)} bytes)") from None
    except _DAMAGE as exc:
        raise ValueError(f"corrupt or truncated image file ({len(raw)} bytes): {exc}") from None
    with image:
        _check_size(image.format, *image.size, len(raw))
        yield image


def _as_bytes(data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return bytes(data)


def _check_size(kind: str | None, width: int, height: int, nbytes: int) -> None:
    """Refuse an image over :data:`MAX_PIXELS`, or a PNG too small to hold the image it declares."""
    if width * height > MAX_PIXELS:
        raise ValueError(f"{kind} image of {width}x{height} = {width * height} pixels is over the limit "
                         f"of {MAX_PIXELS} pixels; refused before decoding")
    least = height * (math.ceil(width / 8) + 1)  # 1 bit per pixel and a filter byte per row, at the least
    if kind == "PNG" and least > nbytes * _MAX_DEFLATE_RATIO + 1024:
        raise ValueError(f"PNG declares {width}x{height} pixels but its {nbytes} bytes cannot hold them "
                         "(a decompression bomb or a truncated file); refused before decoding")


def _guarded(image: PILImage.Image, read: object) -> np.ndarray:
    """``read(image)``, with Pillow's errors about damaged data as :class:`ValueError`."""
    try:
        return read(image)  # type: ignore[operator]
    except MemoryError:
        width, height = image.size
        raise ValueError(f"not enough memory to decode a {width}x{height} {image.format} image") from None
    except _DAMAGE as exc:
        kind = "truncated" if "truncated" in str(exc) else "corrupt"
        raise ValueError(f"{kind} {image.format} image: {exc}") from None


def _pixels(image: PILImage.Image) -> np.ndarray:
    """The current frame as an array, in one of the layouts :func:`decode_image` documents."""
    image.load()
    if image.mode in _KEPT_MODES:
        return np.asarray(image)
    if image.mode in _SIXTEEN_BIT_GREY and image.format == "PNG":
        return np.asarray(image).astype(np.uint16)
    if image.mode == "1":
        return np.asarray(image.convert("L"))
    alpha = "A" in image.mode or "a" in image.mode or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if alpha else "RGB"))


def _frame_count(image: PILImage.Image) -> int:
    """The number of frames an APNG declares, after checking it is one and fits :data:`MAX_PIXELS`."""
    if "duration" not in image.info:
        raise ValueError("not an animated PNG: no acTL and fcTL chunks")
    if image.info.get("default_image"):
        raise ValueError("APNG whose default image is not its first frame is not supported")
    count = int(getattr(image, "n_frames", 1))
    width, height = image.size
    if count * width * height > MAX_PIXELS:
        raise ValueError(f"APNG declares {count} frames of {width}x{height}: over {MAX_PIXELS} pixels in all")
    return count


def _seek(image: PILImage.Image, index: int, count: int) -> None:
    try:
        image.seek(index)
    except _DAMAGE as exc:
        raise ValueError(f"APNG declares {count} frames; frame {index} is missing or damaged: {exc}") from None


def _fps(delays: set[float | None]) -> float:
    """Frames per second from the one frame delay (milliseconds) every frame shares."""
    if len(delays) != 1:
        raise ValueError(f"APNG frames have different delays {sorted(delays, key=str)}; only constant frame "
                         "rates are supported")
    delay = delays.pop()
    if not delay:
        raise ValueError("APNG frame delay is 0 (as fast as possible): no frame rate")
    # Pillow gives num / den * 1000 ms of 16-bit num and den: recover den / num exactly.
    return float(Fraction(1000 / delay).limit_denominator(65535))
