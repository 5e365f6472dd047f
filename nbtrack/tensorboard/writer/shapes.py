"""What ``torch.utils.tensorboard`` accepts, converted as it converts, raising where it raises.

Only the checks and reorderings that must happen on the caller's thread live here (torch
does them there too); encoding (PNG, WAV, binning) happens in nbtrack's writer thread.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class TensorShapeError(ValueError, AssertionError):
    """A tensor of the wrong shape: a ``ValueError`` that torch's writer raises as ``AssertionError``.

    Both ``except ValueError`` and ``except AssertionError`` (code written against torch) catch it.
    """


def make_np(x: Any, argument: str = "tensor", where: str = "SummaryWriter") -> np.ndarray:
    """``x`` as a numpy array, as ``torch.utils.tensorboard._convert_np.make_np`` does.

    numpy arrays and scalars, Python numbers and torch tensors are accepted (a number becomes a
    1-element array); anything else (a list, a dict, a str) raises ``NotImplementedError``,
    as torch's writer does.

    >>> make_np(0.5).tolist(), make_np(np.zeros((2, 2))).shape
    ([0.5], (2, 2))
    """
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (bool, int, float, np.generic)):
        return np.array([x])
    if type(x).__module__.split(".", 1)[0] == "torch" and hasattr(x, "detach"):
        tensor = x.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        return tensor.numpy()
    raise NotImplementedError(f"{where}: {argument} must be a numpy array or a torch tensor "
                              f"(as torch's SummaryWriter requires), got {type(x).__name__}")


def scalar_of(value: Any, where: str = "add_scalar") -> float:
    """A scalar value: a number, or an array/tensor of exactly one element (any shape).

    >>> scalar_of(np.array([[2.5]]))
    2.5
    """
    if isinstance(value, str):
        raise TypeError(f"{where}: scalar_value must be a number or a 1-element tensor, got str {value!r}")
    array = make_np(value, "scalar_value", where)
    if array.size != 1:
        raise TensorShapeError(f"{where}: scalar_value must have exactly one element (torch: 'scalar should "
                               f"be 0D'), got shape {tuple(array.shape)}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: scalar_value must be a number, got dtype {array.dtype}")
    return float(array.reshape(-1)[0])


def step_of(global_step: Any, where: str) -> int:
    """TensorBoard's step: ``global_step``, 0 when None; an int (also a numpy int or 1-element tensor)."""
    if global_step is None:
        return 0
    if global_step.__class__ is int:
        step = global_step
    elif isinstance(global_step, bool):
        raise TypeError(f"{where}: global_step must be an int, got bool {global_step!r}")
    elif hasattr(global_step, "__index__"):
        step = int(global_step.__index__())
    elif isinstance(global_step, float) and global_step.is_integer():
        step = int(global_step)  # torch stores steps as int64: 3.0 is step 3
    elif hasattr(global_step, "item") and getattr(global_step, "numel", lambda: 1)() == 1:
        return step_of(global_step.item(), where)
    else:
        raise TypeError(f"{where}: global_step must be an int, got {type(global_step).__name__} {global_step!r}")
    if step < 0:
        raise ValueError(f"{where}: global_step must be >= 0 (nbtrack stores steps 0..2**62), got {step}")
    return step


def _check_format(dataformats: Any, ndim: int, shape: tuple[int, ...], where: str, letters: str) -> str:
    if not isinstance(dataformats, str):
        raise TypeError(f"{where}: dataformats must be a str such as 'CHW', got {type(dataformats).__name__}")
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set(letters):
        raise TensorShapeError(f"{where}: dataformats={dataformats!r} is not accepted; use distinct letters "
                               f"of {letters!r}: for example CHW, HWC, HW, NCHW or NHWC")
    if ndim != len(fmt):
        raise TensorShapeError(f"{where}: an image of shape {shape} does not fit dataformats={dataformats!r}: "
                               f"it has {ndim} axes, the format {len(fmt)}")
    return fmt


def to_hwc(image: np.ndarray, dataformats: Any, where: str = "add_image") -> np.ndarray:
    """``image`` as ``H, W`` or ``H, W, C`` like torch's ``convert_to_HWC`` (a batch becomes its grid).

    >>> to_hwc(np.zeros((3, 32, 32)), "CHW").shape, to_hwc(np.zeros((16, 3, 32, 32)), "NCHW").shape
    ((32, 32, 3), (64, 256, 3))
    """
    fmt = _check_format(dataformats, image.ndim, tuple(image.shape), where, "NCHW")
    if len(fmt) == 4:
        nchw = image.transpose([fmt.index(c) for c in "NCHW"])
        return make_grid(nchw)
    if len(fmt) == 3:
        if "N" in fmt:
            raise TensorShapeError(f"{where}: dataformats={dataformats!r}: a single image has no N axis; "
                                   "use add_images for a batch")
        return _channels(image.transpose([fmt.index(c) for c in "HWC"]), where)
    if len(fmt) == 2 and set(fmt) == {"H", "W"}:
        return image.transpose([fmt.index(c) for c in "HW"])
    raise TensorShapeError(f"{where}: dataformats={dataformats!r} is not accepted; use CHW, HWC, HW, NCHW or NHWC")


def _channels(hwc: np.ndarray, where: str) -> np.ndarray:
    c = hwc.shape[2]
    if c == 1:
        return hwc[:, :, 0]
    if c not in (3, 4):
        raise TensorShapeError(f"{where}: an image with {c} channels (H, W, C = {tuple(hwc.shape)}) is not "
                               "accepted; use 1, 3 or 4 channels")
    return hwc


def make_grid(nchw: np.ndarray, ncols: int = 8) -> np.ndarray:
    """A batch ``N, C, H, W`` tiled as torch's writer tiles it: ``min(N, 8)`` columns, no gap."""
    n, c, h, w = nchw.shape
    if c == 1:
        nchw = np.concatenate([nchw, nchw, nchw], axis=1)
    elif c not in (3, 4):
        raise TensorShapeError(f"add_images: a batch of images with {c} channels (N, C, H, W = "
                               f"{tuple(nchw.shape)}) is not accepted; use 1, 3 or 4 channels")
    ncols = min(n, ncols)
    nrows = math.ceil(n / ncols)
    canvas = np.zeros((nchw.shape[1], h * nrows, w * ncols), dtype=nchw.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = nchw[i]
    return canvas.transpose(1, 2, 0)



def pixels(image: np.ndarray, where: str) -> np.ndarray:
    """Pixel values as torch scales them: uint8 kept, everything else read as [0, 1] (times 255, clipped)."""
    if image.dtype == np.uint8:
        return image
    if image.dtype.kind not in "biuf":
        raise TypeError(f"{where}: pixels of dtype {image.dtype} are not accepted; use uint8 or float in [0, 1]")
    if image.dtype.kind == "f" and image.dtype != np.float16:
        return image
    return image.astype(np.float32)


def prepare_video(video: np.ndarray, where: str = "add_video") -> np.ndarray:
    """``N, T, C, H, W`` to frames ``T, H, W, C`` (the N videos tiled per frame, as torch does).

    Integer pixels are 0..255 and floats [0, 1], both as torch reads them.
    """
    if video.ndim != 5:
        raise TensorShapeError(f"{where}: vid_tensor must be 5-D (N, T, C, H, W), got shape {tuple(video.shape)}")
    if video.dtype.kind not in "biuf":
        raise TypeError(f"{where}: pixels of dtype {video.dtype} are not accepted; use uint8 or float in [0, 1]")
    if video.dtype.kind in "iu" and video.dtype != np.uint8:
        video = video.astype(np.float32) / 255.0
    t, c = video.shape[1:3]
    if c == 1:
        video = np.concatenate([video] * 3, axis=2)
    elif c not in (3, 4):
        raise TensorShapeError(f"{where}: {c} channels (N, T, C, H, W = {tuple(video.shape)}) are not accepted; "
                               "use 1, 3 or 4")
    return np.stack([make_grid(video[:, f]) for f in range(t)])


def audio_samples(snd: np.ndarray, where: str = "add_audio") -> np.ndarray:
    """Samples as torch's writer takes them: squeezed to 1-D, clipped to [-1, 1]."""
    samples = snd.squeeze()
    if samples.ndim != 1:
        raise TensorShapeError(f"{where}: snd_tensor must be 1-D after squeezing (torch: 'input tensor should be "
                               f"1 dimensional'), got shape {tuple(snd.shape)}")
    if samples.dtype.kind not in "biuf":
        raise TypeError(f"{where}: samples of dtype {samples.dtype} are not accepted; use float in [-1, 1]")
    return np.clip(samples.astype(np.float32), -1.0, 1.0)


NUMPY_BINS = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")
MAX_BINS = 512


def histogram_bins(values: np.ndarray, bins: Any, max_bins: int | None, where: str = "add_histogram") -> Any:
    """``bins`` as ``nbtrack.Histogram`` takes it: ``"tensorflow"``, a count, or edges (numpy's estimators
    are computed here, as torch computes them; capped at ``max_bins`` or 512 bins)."""
    if isinstance(bins, str):
        if bins == "tensorflow":
            return bins
        if bins not in NUMPY_BINS:
            raise ValueError(f"{where}: bins={bins!r} is not accepted; use 'tensorflow', one of {NUMPY_BINS}, "
                             "an int or a sequence of edges")
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        if not finite.size:
            return 1
        edges = np.histogram_bin_edges(finite.astype(np.float64), bins=bins)
        limit = min(max_bins or MAX_BINS, MAX_BINS)
        if len(edges) - 1 > limit:
            edges = np.linspace(edges[0], edges[-1], limit + 1)
        return edges if len(edges) > 1 and edges[-1] > edges[0] else 1
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return min(int(bins), MAX_BINS) if bins >= 1 else bins
    return bins
