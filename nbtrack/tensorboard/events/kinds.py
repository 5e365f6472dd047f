"""One ``Summary.Value`` at a time: what kind of value it is, and its data (histograms, images, ...).

Every function here raises ``ValueError`` for a value it cannot decode; ``decode.py`` turns that
into a line in ``problems``. Sizes come from the bytes present, never from a claimed shape alone.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

import nbtrack.tensorboard.events.proto as proto  # by full name: no cycle through __init__

from .plugins import custom_scalars, hparams, keras_model

MAX_ELEMENTS = 1 << 24  # a tensor filled from fewer values than its shape claims is bounded by this

_NUMERIC = {
    proto.DT_FLOAT: ("<f4", "float_val"), proto.DT_DOUBLE: ("<f8", "double_val"),
    proto.DT_INT32: ("<i4", "int_val"), proto.DT_UINT8: ("u1", "int_val"), proto.DT_INT16: ("<i2", "int_val"),
    proto.DT_INT8: ("i1", "int_val"), proto.DT_UINT16: ("<u2", "int_val"), proto.DT_INT64: ("<i8", "int64_val"),
    proto.DT_BOOL: ("?", "bool_val"), proto.DT_HALF: ("<f2", "half_val"),
    proto.DT_BFLOAT16: ("<u2", "half_val"), proto.DT_UINT32: ("<u4", "uint32_val"),
    proto.DT_UINT64: ("<u8", "uint64_val"),
}
# source width of a scalar whose value sits as raw little-endian bytes in the record (fast path)
RAW_WIDTH = {proto.DT_FLOAT: 4, proto.DT_DOUBLE: 8}


def shape(tensor: Any) -> tuple[int, ...]:
    dims = tuple(d.size for d in tensor.tensor_shape.dim)
    if any(d < 0 for d in dims):
        raise ValueError(f"tensor shape {list(dims)} has an unknown dimension")
    return dims


def _count(dims: tuple[int, ...]) -> int:
    return math.prod(dims)


def strings(tensor: Any) -> tuple[list[bytes], tuple[int, ...]]:
    """A DT_STRING tensor's elements (flat) and shape."""
    if tensor.dtype != proto.DT_STRING:
        raise ValueError(f"expected a string tensor, got dtype {tensor.dtype}")
    dims, vals = shape(tensor), list(tensor.string_val)
    if len(vals) != _count(dims):
        raise ValueError(f"string tensor of shape {list(dims)} holds {len(vals)} strings")
    return vals, dims


def numbers(tensor: Any) -> np.ndarray:
    """A numeric tensor as an array of its shape (``tensor_content`` or the typed field)."""
    if tensor.dtype not in _NUMERIC:
        raise ValueError(f"unsupported tensor dtype {tensor.dtype}")
    code, name = _NUMERIC[tensor.dtype]
    dims = shape(tensor)
    n = _count(dims)
    if tensor.tensor_content:
        raw = tensor.tensor_content
        if len(raw) != n * np.dtype(code).itemsize:
            raise ValueError(f"tensor_content of {len(raw)} bytes for shape {list(dims)}")
        arr = np.frombuffer(raw, dtype=code)
    else:
        arr = _typed(getattr(tensor, name), code, n)
    if tensor.dtype == proto.DT_BFLOAT16:
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    return arr.reshape(dims)


def _typed(field: Any, code: str, n: int) -> np.ndarray:
    if code == "<f2":
        vals = half_bits(field)
    elif code == "<u2":  # bfloat16 bit patterns (half_val) or uint16 (int_val), held in int32s
        vals = np.array(field, dtype=np.int64).astype(np.uint16)
    else:
        vals = np.array(field, dtype=code) if len(field) else np.zeros(0, code)
    if len(vals) == n:
        return vals
    if len(vals) <= 1 and n <= MAX_ELEMENTS:  # TensorFlow's convention: the last value repeats
        return np.full(n, vals[0] if len(vals) else 0, dtype=vals.dtype)
    raise ValueError(f"{len(vals)} values for {n} elements")


def half_bits(field: Any) -> np.ndarray:
    """float16 values from ``half_val``: their bit patterns held in int32s."""
    return np.array(field, dtype=np.int64).astype(np.uint16).view(np.float16)


def scalar(tensor: Any) -> float:
    arr = numbers(tensor)
    if arr.size != 1:
        raise ValueError(f"scalar tensor of shape {list(arr.shape)}")
    return float(arr.reshape(-1)[0])


# -- histograms ---------------------------------------------------------------------------------

def histogram_proto(h: Any) -> dict[str, Any]:
    """Legacy ``HistogramProto``: ``bucket_limit`` are right edges, the first left edge is ``min``."""
    limits, counts = np.array(h.bucket_limit, dtype=np.float64), np.array(h.bucket, dtype=np.float64)
    if len(limits) != len(counts):
        raise ValueError(f"histogram with {len(limits)} bucket limits and {len(counts)} counts")
    return {"edges": np.concatenate([[h.min], limits]), "counts": counts, "min": h.min, "max": h.max,
            "num": h.num, "sum": h.sum, "sum_squares": h.sum_squares}


def histogram_tensor(tensor: Any) -> dict[str, Any]:
    """TF2 histogram: a ``[k, 3]`` tensor of (left edge, right edge, count)."""
    arr = numbers(tensor).astype(np.float64)
    if arr.size == 0:
        return {"edges": np.zeros(0), "counts": np.zeros(0), "num": 0.0}
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"histogram tensor of shape {list(arr.shape)} (expected [k, 3])")
    counts = arr[:, 2].copy()
    return {"edges": np.concatenate([arr[:, 0], arr[-1:, 1]]), "counts": counts, "num": float(counts.sum())}


# -- images and audio ---------------------------------------------------------------------------

def image_format(data: bytes) -> str:
    """The encoding of an image, from its magic bytes.

    >>> image_format(b"\\x89PNG\\r\\n\\x1a\\n...."), image_format(b"GIF89a"), image_format(b"??")
    ('png', 'gif', 'unknown')
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "unknown"


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    if image_format(data) == "png" and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack_from(">II", data, 16)
        return w, h
    return None, None


def image(data: bytes, width: int | None = None, height: int | None = None) -> dict[str, Any]:
    if not width or not height:
        width, height = _png_size(data)
    return {"data": data, "format": image_format(data), "width": width or None, "height": height or None}


def image_proto(img: Any) -> dict[str, Any]:
    return {"images": [image(img.encoded_image_string, img.width, img.height)]}


def image_tensor(tensor: Any) -> dict[str, Any]:
    """TF2 images: a string tensor ``[width, height, image, image, ...]``."""
    vals, dims = strings(tensor)
    if len(dims) != 1 or len(vals) < 2:
        raise ValueError(f"image tensor of shape {list(dims)} (expected [2 + k])")
    try:
        w, h = int(vals[0]), int(vals[1])
    except ValueError:
        raise ValueError("image tensor's width/height are not numbers") from None
    return {"images": [image(v, w, h) for v in vals[2:]]}


def audio_format(data: bytes, content_type: str = "") -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3"):
        return "mp3"
    return {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3"}.get(content_type, "unknown")


def clip(data: bytes, sample_rate: float | None = None, channels: int | None = None,
         content_type: str = "") -> dict[str, Any]:
    fmt = audio_format(data, content_type)
    if fmt == "wav" and len(data) >= 28 and data[12:16] == b"fmt ":
        channels = channels or struct.unpack_from("<H", data, 22)[0]
        sample_rate = sample_rate or float(struct.unpack_from("<I", data, 24)[0])
    return {"data": data, "format": fmt, "sample_rate": sample_rate or None, "channels": channels or None}


def audio_proto(a: Any) -> dict[str, Any]:
    return {"clips": [clip(a.encoded_audio_string, a.sample_rate, a.num_channels, a.content_type)]}


def audio_tensor(tensor: Any) -> dict[str, Any]:
    """TF2 audio: a string tensor ``[k, 2]`` (encoded clip, label) or ``[k]``."""
    vals, dims = strings(tensor)
    if len(dims) == 2:
        vals = vals[::dims[1]] if dims[1] else []
    elif len(dims) > 2:
        raise ValueError(f"audio tensor of shape {list(dims)}")
    return {"clips": [clip(v) for v in vals]}


# -- text, PR curves ----------------------------------------------------------------------------

def text_tensor(tensor: Any) -> dict[str, Any]:
    vals, dims = strings(tensor)
    texts = [v.decode("utf-8", errors="replace") for v in vals]
    if len(texts) == 1 and len(dims) <= 1:
        return {"text": texts[0]}
    if len(dims) == 1:
        return {"rows": [[t] for t in texts]}
    if len(dims) == 2:
        return {"rows": [texts[i:i + dims[1]] for i in range(0, len(texts), dims[1])] if dims[1] else []}
    raise ValueError(f"text tensor of shape {list(dims)} (at most 2-D)")


PR_ROWS = ("tp", "fp", "tn", "fn", "precision", "recall")


def pr_curve_tensor(tensor: Any) -> dict[str, Any]:
    arr = numbers(tensor).astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] != 6:
        raise ValueError(f"PR curve tensor of shape {list(arr.shape)} (expected [6, n])")
    return {"thresholds": int(arr.shape[1]), **{k: arr[i].copy() for i, k in enumerate(PR_ROWS)}}


# -- one Summary.Value -------------------------------------------------------------------------

_TENSOR_KINDS = {
    "histograms": ("histogram", histogram_tensor), "images": ("image", image_tensor),
    "audio": ("audio", audio_tensor), "text": ("text", text_tensor),
    "pr_curves": ("pr_curve", pr_curve_tensor), "custom_scalars": ("custom_scalars", custom_scalars),
    "graph_keras_model": ("graph", keras_model),
}


def classify(v: Any, plugins: Any) -> tuple[str, Any] | None:
    """``("scalar", float)``, ``(kind, data)``, ``("unknown", plugin)`` or ``None`` (no value)."""
    which = v.WhichOneof("value")
    plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else ""
    if plugin:
        plugins[v.tag] = plugin
    if plugin == "hparams":  # the data is in the metadata; the value is a placeholder or absent
        return "hparams", hparams(v.metadata.plugin_data.content)
    if which == "simple_value":
        return "scalar", float(v.simple_value)
    if which == "histo":
        return "histogram", histogram_proto(v.histo)
    if which == "image":
        return "image", image_proto(v.image)
    if which == "audio":
        return "audio", audio_proto(v.audio)
    if which != "tensor":
        return None if which is None else ("unknown", which)
    return _tensor(v, plugin or plugins.get(v.tag, ""))


def _tensor(v: Any, plugin: str) -> tuple[str, Any]:
    if plugin == "scalars":
        return "scalar", scalar(v.tensor)
    if plugin in ("graph_run_metadata", "graph_run_metadata_graph"):
        vals, _ = strings(v.tensor)
        return "graph", {"format": "run_metadata", "data": vals[0] if vals else b""}
    if plugin in _TENSOR_KINDS:
        kind, fn = _TENSOR_KINDS[plugin]
        return kind, fn(v.tensor)
    return "unknown", plugin
