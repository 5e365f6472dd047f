"""What every value type shares: a ``KIND``, a snapshot taken in ``log()``, ``encode()`` later.

A value type's constructor runs in the training thread: it validates its input and
keeps a private copy (cheap: a memcpy), so that later changes to the caller's array do
not change what was logged. ``encode()`` runs in the writer thread and turns the copy
into bytes (PNG, WAV, JSON, ...) or, for histograms, into typed columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


@dataclass
class Encoded:
    """A value ready for storage: files to write (suffix -> bytes) and JSON metadata.

    The first file is the main one (its path goes into the record); ``text`` is a small
    payload kept in the record itself; ``arrays`` are typed columns (histograms).
    """

    kind: str
    meta: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    text: str | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class Value:
    """Base class of nbtrack's value types (``Image``, ``Histogram``, ``Audio``, ...)."""

    KIND: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Value]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("KIND"):
            raise TypeError(f"value type {cls.__name__} must define KIND")
        Value.registry[cls.KIND] = cls

    @property
    def nbytes(self) -> int:
        """Memory this value holds until it is encoded (for the writer's bound)."""
        return 256

    def frozen(self) -> Value:
        """The value as it is now, for ``log()``: later changes to ``self`` must not show.

        Most types copy their data when created and never change, so this is ``self``.
        """
        return self

    def encode(self) -> Encoded:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<nbtrack.{type(self).__name__}>"


def as_array(data: Any, argument: str, where: str) -> np.ndarray:
    """A numpy view or copy of an array-like or a torch/jax/tf tensor (duck-typed)."""
    if isinstance(data, np.ndarray):
        return data
    module = type(data).__module__.split(".", 1)[0]
    if module == "torch":
        return data.detach().cpu().numpy()
    if module in ("jax", "jaxlib", "tensorflow", "cupy") and hasattr(data, "__array__"):
        return np.asarray(data)
    if isinstance(data, (str, bytes, dict)) or data is None:
        raise TypeError(f"{where}: {argument} must be an array-like of numbers, got {type(data).__name__}")
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: {argument} must be an array-like of numbers, got {type(data).__name__} "
                        f"({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {argument} must hold numbers, got dtype {array.dtype} "
                        f"from {type(data).__name__}")
    return array


def existing_file(path: str | os.PathLike[str], argument: str, where: str) -> Path:
    """A path that must exist and be a regular file."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"{where}: {argument}={str(path)!r} does not exist or is not a file")
    return p


def check_caption(caption: Any, where: str) -> str | None:
    if caption is not None and not isinstance(caption, str):
        raise TypeError(f"{where}: caption must be a str, got {type(caption).__name__}")
    return caption if caption is None else check_unicode(caption, f"{where}: caption")


def check_unicode(text: str, what: str) -> str:
    """``text`` if it encodes as UTF-8; lone surrogates cannot be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds lone surrogates ({text[:40]!r}) and is not valid Unicode") from None
    return text


def to_uint8(pixels: np.ndarray, where: str) -> np.ndarray:
    """Pixels as contiguous ``uint8``: bools to 0/255, floats in [0, 1] scaled (clipped, NaN to 0).

    Integer pixels must already have been checked to lie in 0..255.

    >>> to_uint8(np.array([0.0, 0.5, 2.0, np.nan]), "example").tolist()
    [0, 128, 255, 0]
    """
    if pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels)
    if pixels.dtype == np.bool_:
        return pixels.astype(np.uint8) * np.uint8(255)
    if pixels.dtype.kind == "f":
        scaled = np.nan_to_num(pixels.astype(np.float64), nan=0.0) * 255.0
        return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if pixels.dtype.kind in "iu":
        return np.clip(pixels, 0, 255).astype(np.uint8)
    raise TypeError(f"{where}: pixels of dtype {pixels.dtype} are not accepted; use uint8, bool or float")
