"""``nbtrack.Video``: frames stored as an animated PNG, or a video file kept as it is."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nbtrack.codecs import encode_apng, png_size

from ._base import Encoded, Value, as_array, check_caption, existing_file, to_uint8

LAYOUTS = ("THWC", "TCHW")
MAX_FPS = 1000.0
MIN_FPS = 1 / 65535
_FILE_FORMATS = {".mp4": "mp4", ".webm": "webm", ".gif": "gif", ".png": "apng"}


class Video(Value):
    """A video: frames as an array or tensor, or the path of an ``.mp4``/``.webm``/``.gif``/APNG file.

    Frames are ``T,H,W,C`` or ``T,C,H,W`` (guessed: channels last when the last axis has
    at most 4 entries, else axis 1; pass ``dataformats=`` to say) with 1 (grey), 3 (RGB)
    or 4 (RGBA) channels. ``uint8`` pixels are kept, bools become 0/255, floats are read
    as [0, 1] and scaled to 0..255 (values outside clipped, NaN stored as 0), other
    integers must lie in 0..255. Frames are stored as an animated PNG, which every
    browser plays without plugins, so pixels read back identical. Files are kept as
    they are.

    Parameters
    ----------
    data : array-like, tensor, str or os.PathLike
        The frames, or a video file.
    fps : float
        Frames per second, more than 0 and at most 1000 (ignored for files).
    caption : str, optional
    dataformats : {"THWC", "TCHW"}, optional
        The axes of ``data`` when the guess is wrong.

    Examples
    --------
    >>> import numpy as np
    >>> from nbtrack.values.video import Video
    >>> clip = Video(np.zeros((10, 32, 48, 3), np.uint8), fps=5, caption="rollout")
    >>> clip.shape, clip.duration
    ((10, 32, 48, 3), 2.0)
    >>> clip.encode().meta["frames"]
    10
    """

    KIND = "video"

    def __init__(self, data: Any, fps: float = 4, caption: str | None = None,
                 dataformats: str | None = None) -> None:
        self.caption = check_caption(caption, "Video()")
        self.fps = _check_fps(fps)
        self._file: bytes | None = None
        self._suffix = ".png"
        self._frames: np.ndarray | None = None
        if isinstance(data, (str, os.PathLike)):
            self._file, self._suffix = _read_video_file(data)
        else:
            self._frames = _to_thwc(_frames_array(data), dataformats)

    @property
    def shape(self) -> tuple[int, ...]:
        """``(T, H, W, C)`` of the frames; ``()`` for a file."""
        return tuple(self._frames.shape) if self._frames is not None else ()

    @property
    def duration(self) -> float | None:
        """Seconds the frames play for; ``None`` for a file."""
        return self._frames.shape[0] / self.fps if self._frames is not None else None

    @property
    def nbytes(self) -> int:
        return len(self._file) if self._file is not None else int(self._frames.nbytes)

    def encode(self) -> Encoded:
        meta: dict[str, Any] = {"caption": self.caption}
        if self._file is not None:
            width, height = _file_size(self._file, self._suffix)
            meta.update(fps=None, frames=None, height=height, width=width,
                        format=_FILE_FORMATS[self._suffix], source="file")
            return Encoded(self.KIND, meta, {self._suffix: self._file})
        frames = to_uint8(self._frames, "Video()")
        t, h, w, c = frames.shape
        meta.update(fps=self.fps, frames=t, height=h, width=w, channels=c, format="apng")
        return Encoded(self.KIND, meta, {".png": encode_apng(frames, self.fps)})


def _check_fps(fps: Any) -> float:
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)):
        raise TypeError(f"Video(fps=...): fps must be a number, got {type(fps).__name__}")
    if not MIN_FPS <= float(fps) <= MAX_FPS:  # also rejects NaN
        raise ValueError(f"Video(fps=...): {fps!r} is not accepted; use a positive number of frames per second "
                         f"up to {MAX_FPS:g} (at least 1/65535)")
    return float(fps)


def _frames_array(data: Any) -> np.ndarray:
    frames = np.array(as_array(data, "data", "Video()"), copy=True)
    if frames.dtype.kind not in "biuf":
        raise TypeError(f"Video(): frames of dtype {frames.dtype} are not accepted; use uint8, bool or float")
    return frames


def _to_thwc(frames: np.ndarray, layout: str | None) -> np.ndarray:
    """``frames`` as (T, H, W, C), after checking the layout, shape, channels and pixel range."""
    if frames.ndim != 4:
        raise ValueError(f"Video(): frames of shape {frames.shape} ({frames.ndim}-D) are not accepted; use 4-D "
                         "T,H,W,C or T,C,H,W (for grey frames T,H,W add an axis: frames[..., None])")
    if layout is None:
        layout = _guess_layout(frames.shape)
    elif layout not in LAYOUTS:
        raise ValueError(f"Video(dataformats=...): {layout!r} is not accepted; use one of {list(LAYOUTS)}")
    if layout == "TCHW":
        frames = np.moveaxis(frames, 1, -1)
    t, h, w, c = frames.shape
    if c not in (1, 3, 4):
        raise ValueError(f"Video(): {c} channels (shape {frames.shape} as T,H,W,C) are not accepted; "
                         "use 1 (grey), 3 (RGB) or 4 (RGBA)")
    if min(t, h, w) == 0:
        raise ValueError(f"Video(): frames of shape {frames.shape} (T,H,W,C) are empty; "
                         "a video needs at least one frame of at least 1x1 pixels")
    if frames.dtype.kind in "iu" and frames.dtype != np.uint8:
        low, high = int(frames.min()), int(frames.max())
        if low < 0 or high > 255:
            raise ValueError(f"Video(): integer pixels of dtype {frames.dtype} must lie in 0..255, "
                             f"found {low}..{high}")
    return frames


def _guess_layout(shape: tuple[int, ...]) -> str:
    if shape[-1] <= 4:
        return "THWC"
    if shape[1] <= 4:
        return "TCHW"
    raise ValueError(f"Video(): cannot tell the channels of frames of shape {shape}; neither the last axis nor "
                     "axis 1 has 1 to 4 entries. Pass dataformats='THWC' or 'TCHW'")


def _read_video_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    p = existing_file(path, "data", "Video()")
    suffix = p.suffix.lower()
    if suffix not in _FILE_FORMATS:
        raise ValueError(f"Video(): {str(path)!r} has suffix {p.suffix!r}; accepted video files are "
                         f"{', '.join(_FILE_FORMATS)} (.png must be an animated PNG)")
    data = p.read_bytes()
    if not _looks_like(data, suffix):
        raise ValueError(f"Video(): {str(path)!r} does not start like a {_FILE_FORMATS[suffix]} file")
    return data, suffix


def _looks_like(data: bytes, suffix: str) -> bool:
    """A cheap check of the file's magic bytes (not a full parse)."""
    if suffix == ".gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if suffix == ".webm":
        return data.startswith(b"\x1a\x45\xdf\xa3")
    if suffix == ".mp4":
        return data[4:8] == b"ftyp"
    actl, idat = data.find(b"acTL"), data.find(b"IDAT")
    return data.startswith(b"\x89PNG\r\n\x1a\n") and actl > 0 and (idat < 0 or actl < idat)


def _file_size(data: bytes, suffix: str) -> tuple[int | None, int | None]:
    """``(width, height)`` read from a GIF or PNG header, ``(None, None)`` when unknown."""
    if suffix == ".png":
        try:
            return png_size(data)
        except ValueError:
            return None, None
    if suffix == ".gif" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None, None
