"""``nbtrack.Image``: pixels stored losslessly as PNG."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nbtrack.codecs import encode_png, image_size

from ._base import Encoded, Value, as_array, check_caption, existing_file, to_uint8

MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
LAYOUTS = ("HW", "HWC", "CHW", "NHWC", "NCHW")
_FILE_SUFFIXES = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg", b"GIF8": ".gif"}
_PIL_ARRAY_MODES = ("I;16", "I;16B", "I;16L", "I", "F")  # kept as their own dtype, not squeezed to RGB


class Image(Value):
    """An image: a numpy array, a PIL image, a torch/jax tensor or a file path.

    Arrays are ``HW`` (grey), ``HWC`` or ``CHW`` (guessed: channels last when the last
    axis has 1 to 4 entries, else first; pass ``dataformats=`` to say), or a batch
    ``NHWC``/``NCHW`` drawn as a grid. ``uint8`` and ``uint16`` pixels are kept; bools
    become 0/255; floats are read as [0, 1] and scaled to 0..255, values outside clipped
    and NaN stored as 0. One channel is grey, two need ``mode="LA"``, three are RGB, four
    RGBA. Stored as PNG, so pixels read back identical. Image files (PNG, JPEG, GIF, WebP)
    are kept as they are, after checking their header: a file declaring more pixels than
    it can hold or than nbtrack decodes (a decompression bomb) is refused.

    >>> import numpy as np, nbtrack
    >>> img = nbtrack.Image(np.zeros((8, 8, 3), np.uint8), caption="black")
    >>> img.shape
    (8, 8, 3)
    """

    KIND = "image"

    def __init__(self, data: Any, caption: str | None = None, mode: str | None = None,
                 masks: dict[str, Any] | None = None, boxes: dict[str, Any] | None = None,
                 dataformats: str | None = None) -> None:
        self.caption = check_caption(caption, "Image()")
        self.mode = _check_mode(mode)
        self._file: bytes | None = None
        self._suffix = ".png"
        if isinstance(data, (str, os.PathLike)):
            self._file, self._suffix = _read_image_file(data)
            self._pixels = None
        else:
            self._pixels = _to_hwc(_image_array(data), dataformats, self.mode)
        self.masks = _check_masks(masks, self.shape) if masks else None
        self.boxes = _check_boxes(boxes) if boxes else None

    @classmethod
    def from_bytes(cls, data: bytes, caption: str | None = None) -> Image:
        """An image from the bytes of a PNG, JPEG, GIF or WebP file, stored as they are (not decoded).

        >>> from nbtrack.codecs import encode_png
        >>> import numpy as np
        >>> Image.from_bytes(encode_png(np.zeros((2, 3), np.uint8))).nbytes > 0
        True
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Image.from_bytes(data=...): expected bytes, got {type(data).__name__}")
        data = bytes(data)
        suffix = _file_suffix(data)
        if suffix is None:
            raise ValueError("Image.from_bytes(): the data is not a PNG, JPEG, GIF or WebP file")
        try:
            image_size(data)  # the header only: a decompression bomb is refused here
        except ValueError as exc:
            raise ValueError(f"Image.from_bytes(): refused: {exc}") from None
        image = cls.__new__(cls)
        image.caption = check_caption(caption, "Image.from_bytes()")
        image.mode, image.masks, image.boxes = None, None, None
        image._file, image._suffix, image._pixels = data, suffix, None
        return image

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._pixels.shape) if self._pixels is not None else ()

    @property
    def nbytes(self) -> int:
        return len(self._file) if self._file is not None else int(self._pixels.nbytes)

    def encode(self) -> Encoded:
        meta: dict[str, Any] = {"caption": self.caption}
        if self._file is not None:
            return Encoded(self.KIND, {**meta, "format": self._suffix[1:], "source": "file"},
                           {self._suffix: self._file})
        pixels = _to_storable(self._pixels)
        meta.update(height=pixels.shape[0], width=pixels.shape[1],
                    channels=1 if pixels.ndim == 2 else pixels.shape[2], format="png",
                    mode=self.mode or _default_mode(pixels))
        files = {".png": encode_png(pixels)}
        if self.masks:
            meta["masks"] = {}
            for i, (name, mask) in enumerate(self.masks.items()):
                files[f".mask{i}.png"] = encode_png(mask["mask_data"])
                meta["masks"][name] = {"file": f".mask{i}.png", "class_labels": mask.get("class_labels", {})}
        if self.boxes:
            meta["boxes"] = self.boxes
        return Encoded(self.KIND, meta, files)


def _check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise ValueError(f"Image(mode=...): {mode!r} is not accepted; use one of {list(MODES)}")
    return mode


def _image_array(data: Any) -> np.ndarray:
    if type(data).__module__.split(".", 1)[0] == "PIL":
        if data.mode in _PIL_ARRAY_MODES:
            return np.array(data)
        if data.mode not in MODES:
            data = data.convert("RGBA" if "A" in data.mode or data.mode == "P" else "RGB")
        return np.array(data)
    return np.array(as_array(data, "data", "Image()"), copy=True)


def _to_hwc(pixels: np.ndarray, layout: str | None, mode: str | None) -> np.ndarray:
    """Reorder to HW or HWC (a batch becomes one grid); checks shape, channels and dtype."""
    if pixels.dtype.kind not in "biuf":
        raise TypeError(f"Image(): pixels of dtype {pixels.dtype} are not accepted; use uint8, uint16, bool or float")
    layout = layout or _guess_layout(pixels.shape)
    if layout not in LAYOUTS or len(layout) != pixels.ndim:
        raise ValueError(f"Image(dataformats=...): {layout!r} does not fit an array of shape {pixels.shape}; "
                         f"use one of {LAYOUTS} with as many letters as the array has axes")
    if layout.startswith("N"):
        pixels = _grid(pixels if layout == "NHWC" else np.moveaxis(pixels, 1, -1))
    elif layout == "CHW":
        pixels = np.moveaxis(pixels, 0, -1)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels not in (1, 2, 3, 4):
        raise ValueError(f"Image(): {channels} channels (shape {pixels.shape} as {layout}) are not accepted; "
                         "use 1 (grey), 2 (grey+alpha with mode='LA'), 3 (RGB) or 4 (RGBA)")
    if channels == 2 and mode != "LA":
        raise ValueError(f"Image(): a 2-channel image (shape {pixels.shape}) needs mode='LA' (grey + alpha)")
    if mode is not None and MODES[mode] != channels:
        raise ValueError(f"Image(mode={mode!r}) needs {MODES[mode]} channels, the image has {channels}")
    if min(pixels.shape[:2]) == 0:
        raise ValueError(f"Image(): an empty image (shape {pixels.shape}) cannot be stored")
    if pixels.dtype.kind in "iu" and pixels.dtype not in (np.uint8, np.uint16):
        low, high = int(pixels.min()), int(pixels.max())
        if low < 0 or high > 255:
            raise ValueError(f"Image(): integer pixels of dtype {pixels.dtype} must lie in 0..255, found "
                             f"{low}..{high}; use uint16 for 16-bit images")
    return pixels


def _guess_layout(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return "HW"
    if len(shape) == 3:
        if shape[-1] <= 4:
            return "HWC"
        if shape[0] <= 4:
            return "CHW"
        raise ValueError(f"Image(): cannot tell the channels of an array of shape {shape}; "
                         "pass dataformats='HWC' or 'CHW'")
    if len(shape) == 4:
        return "NHWC" if shape[-1] <= 4 else "NCHW"
    raise ValueError(f"Image(): an array of shape {shape} ({len(shape)}-D) is not an image; "
                     "accepted are HW, HWC, CHW and batches NHWC/NCHW")


def _grid(batch: np.ndarray) -> np.ndarray:
    """Tile ``N,H,W,C`` images into one image, about square, with a 2-pixel gap."""
    n, h, w, c = batch.shape
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    pad = 2
    out = np.zeros((rows * (h + pad) - pad, cols * (w + pad) - pad, c), dtype=batch.dtype)
    for i in range(n):
        r, q = divmod(i, cols)
        out[r * (h + pad): r * (h + pad) + h, q * (w + pad): q * (w + pad) + w] = batch[i]
    return out


def _to_storable(pixels: np.ndarray) -> np.ndarray:
    """uint8/uint16 kept; bool to 0/255; floats in [0, 1] scaled; other ints checked."""
    if pixels.dtype == np.uint16:
        return np.ascontiguousarray(pixels)
    return to_uint8(pixels, "Image()")  # other integers were range-checked when logged


def _default_mode(pixels: np.ndarray) -> str:
    return {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[1 if pixels.ndim == 2 else pixels.shape[2]]


def _read_image_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    data = existing_file(path, "data", "Image()").read_bytes()
    suffix = _file_suffix(data)
    if suffix is None:
        raise ValueError(f"Image(): {str(path)!r} is not a PNG, JPEG, GIF or WebP file")
    try:
        image_size(data)  # the header only: a decompression bomb is refused here, damage shows when read
    except ValueError as exc:
        raise ValueError(f"Image(): {str(path)!r} refused: {exc}") from None
    return data, suffix


def _file_suffix(data: bytes) -> str | None:
    for magic, suffix in _FILE_SUFFIXES.items():
        if data.startswith(magic):
            return suffix
    return ".webp" if data.startswith(b"RIFF") and data[8:12] == b"WEBP" else None


def _check_masks(masks: dict[str, Any], shape: tuple[int, ...]) -> dict[str, Any]:
    out = {}
    for name, mask in masks.items():
        if not isinstance(mask, dict) or "mask_data" not in mask:
            raise TypeError(f"Image(masks=...): mask {name!r} must be a dict with 'mask_data' (a 2-D array "
                            "of class ids) and optional 'class_labels'")
        data = np.asarray(mask["mask_data"])
        if data.dtype.kind not in "biu":
            raise TypeError(f"Image(masks=...): mask {name!r} holds {data.dtype}; class ids must be integers "
                            "(or bool)")
        if data.ndim != 2 or (shape and data.shape != tuple(shape[:2])):
            raise ValueError(f"Image(masks=...): mask {name!r} has shape {data.shape}; it must be 2-D and "
                             f"match the image's height and width {tuple(shape[:2])}")
        if data.size and (data.min() < 0 or data.max() > 255):
            raise ValueError(f"Image(masks=...): mask {name!r} class ids must lie in 0..255")
        labels = {str(int(k)): str(v) for k, v in (mask.get("class_labels") or {}).items()}
        out[name] = {"mask_data": data.astype(np.uint8), "class_labels": labels}
    return out


def _check_boxes(boxes: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, group in boxes.items():
        items = group.get("box_data") if isinstance(group, dict) else None
        if not isinstance(items, list):
            raise TypeError(f"Image(boxes=...): {name!r} must be a dict with 'box_data' (a list of boxes)")
        clean = []
        for box in items:
            pos = box.get("position", {}) if isinstance(box, dict) else {}
            if not {"minX", "maxX", "minY", "maxY"} <= set(pos) and not {"middle", "width", "height"} <= set(pos):
                raise ValueError(f"Image(boxes=...): each box in {name!r} needs a 'position' with "
                                 "minX/maxX/minY/maxY or middle/width/height")
            numbers = [float(x) for k, v in pos.items() for x in (v if k == "middle" else [v])]
            numbers += [float(x) for x in (box.get("scores") or {}).values()]
            if not all(np.isfinite(numbers)):
                raise ValueError(f"Image(boxes=...): a box in {name!r} has a non-finite position or score")
            clean.append({"position": {k: (list(map(float, v)) if k == "middle" else float(v))
                                       for k, v in pos.items()},
                          "class_id": int(box.get("class_id", 0)),
                          "box_caption": str(box.get("box_caption", "")),
                          "scores": {str(k): float(v) for k, v in (box.get("scores") or {}).items()},
                          **({"domain": "pixel"} if box.get("domain") == "pixel" else {})})
        labels = {str(int(k)): str(v) for k, v in (group.get("class_labels") or {}).items()}
        out[name] = {"box_data": clean, "class_labels": labels}
    return out
