"""``nbtrack.Embedding``: vectors with per-point metadata and thumbnails, for a projector view."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nbtrack.codecs import decode_png, encode_png

from ._base import Encoded, Value, as_array, to_uint8
from .table import NOT_SCALAR, dataframe_rows, plain_scalar

ACCEPTED_CELLS = "None, bool, int, float, str or numpy scalars"


class Embedding(Value):
    """Points in a vector space, with optional metadata and thumbnails, like TensorBoard's projector.

    Parameters
    ----------
    vectors : array-like or tensor
        ``(N, D)`` numbers, N >= 1 points of D >= 1 dimensions, finite as float32 (they
        are stored as float32).
    metadata : list, numpy array or pandas DataFrame, optional
        N labels (scalars or strings), or N rows of cells (lists of equal length), or a
        DataFrame of N rows (its columns become the header).
    images : array-like, optional
        N thumbnails ``(N, H, W)`` or ``(N, H, W, C)`` with C in 1, 3, 4; ``uint8``,
        bool, or floats in [0, 1]. They are tiled row-major into one sprite sheet PNG,
        about square, without gaps.
    metadata_header : list of str, optional
        Column names of the metadata; required when its rows have more than one cell.

    Examples
    --------
    >>> import numpy as np
    >>> from nbtrack.values.embedding import Embedding, decode_embedding
    >>> emb = Embedding(np.eye(3), metadata=["cat", "dog", "猫"])
    >>> enc = emb.encode()
    >>> out = decode_embedding(enc.meta, enc.files.__getitem__)
    >>> out["vectors"].shape, out["metadata"], out["header"]
    ((3, 3), ['cat', 'dog', '猫'], None)
    """

    KIND = "embedding"

    def __init__(self, vectors: Any, metadata: Any = None, images: Any = None,
                 metadata_header: Sequence[str] | None = None) -> None:
        self._vectors = _check_vectors(vectors)
        n = self._vectors.shape[0]
        self._header, self._rows, self._labels = _check_metadata(metadata, metadata_header, n)
        self._images = None if images is None else _check_images(images, n)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self._vectors.shape)

    @property
    def nbytes(self) -> int:
        images = 0 if self._images is None else self._images.nbytes
        return int(self._vectors.nbytes + images + (64 * len(self._rows) if self._rows else 0))

    def encode(self) -> Encoded:
        n, d = self._vectors.shape
        meta: dict[str, Any] = {"shape": [n, d], "dtype": "float32", "byteorder": "little",
                                "metadata": None if self._rows is None else ("labels" if self._labels else "rows"),
                                "metadata_header": self._header}
        files = {".vectors.f32": self._vectors.astype("<f4", copy=False).tobytes()}
        coords, ratio = principal_components(self._vectors)  # format 2.4: the projection is stored with them
        files[".pca.f32"] = coords.astype("<f4", copy=False).tobytes()
        meta["pca"] = {"components": int(coords.shape[1]), "explained_variance_ratio": ratio}
        if self._rows is not None:
            body = {"header": self._header, "rows": self._rows}
            files[".metadata.json"] = json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8")
        if self._images is not None:
            sheet, grid = sprite_sheet(to_uint8(self._images, "Embedding(images=...)"))
            files[".sprite.png"] = encode_png(sheet)
            meta.update(thumbnail=list(self._images.shape[1:3]), sprite_grid=list(grid))
        return Encoded(self.KIND, meta, files)


PCA_COMPONENTS = 3  # principal components stored with an embedding (fewer when it has fewer dimensions)


def principal_components(vectors: np.ndarray, k: int = PCA_COMPONENTS) -> tuple[np.ndarray, list[float]]:
    """The first ``min(k, D)`` principal components of ``(N, D)`` vectors, as float32 ``(N, k)`` coordinates,
    and the share of the variance each explains.

    Computed as the SVD of the centred vectors (in float64; when there are more points than dimensions,
    of their ``D x D`` Gram matrix, whose singular vectors are the same: 100,000 x 64 in 0.1 s, not 2.6 s).
    The sign of each component is fixed so that
    its largest loading (by absolute value) is positive: the same vectors always give the same picture.
    Vectors without variance (or fewer points than components) give zero columns and ratios.

    >>> coords, ratio = principal_components(np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]]))
    >>> coords[:, 0].tolist(), [round(r, 6) for r in ratio]
    ([-2.0, 0.0, 2.0], [1.0, 0.0])
    """
    x = np.asarray(vectors, dtype=np.float64)
    n, d = x.shape
    k = min(k, d)
    x = x - x.mean(axis=0)
    coords = np.zeros((n, k), dtype=np.float64)
    ratio = [0.0] * k
    if n > 1 and np.any(x):
        if n > d:
            _, s2, vt = np.linalg.svd(x.T @ x)
            s = np.sqrt(np.maximum(s2, 0.0))
        else:
            _, s, vt = np.linalg.svd(x, full_matrices=False)
        m = min(k, len(s))
        axes = vt[:m]
        signs = np.sign(axes[np.arange(m), np.argmax(np.abs(axes), axis=1)])
        axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
        coords[:, :m] = x @ axes.T
        total = float(np.sum(s * s))
        ratio[:m] = [float(v * v / total) for v in s[:m]]
    return coords.astype(np.float32), ratio


def read_pca(meta: dict[str, Any], read_file: Callable[[str], bytes | None]) -> tuple[np.ndarray, list[float]] | None:
    """The principal components stored with an embedding (format 2.4), or None when it has none (older
    runs) or they do not match its shape.

    >>> enc = Embedding(np.eye(4)).encode()
    >>> coords, ratio = read_pca(enc.meta, enc.files.get)
    >>> coords.shape, len(ratio)
    ((4, 3), 3)
    """
    pca = meta.get("pca")
    if not isinstance(pca, dict):
        return None
    n, d = _shape_of(meta)
    k = pca.get("components")
    ratio = pca.get("explained_variance_ratio")
    data = read_file(".pca.f32")
    if (not isinstance(k, int) or not 1 <= k <= min(PCA_COMPONENTS, d) or data is None or len(data) != n * k * 4
            or not isinstance(ratio, list) or len(ratio) != k):
        return None
    return np.frombuffer(data, dtype="<f4").astype(np.float32).reshape(n, k), [float(r) for r in ratio]


def projection(meta: dict[str, Any], read_file: Callable[[str], bytes | None]) -> tuple[np.ndarray, list[float]]:
    """The embedding's principal components: stored ones (2.4), else computed from its vectors (older runs).

    >>> enc = Embedding(np.eye(3)).encode()
    >>> del enc.meta["pca"]
    >>> projection(enc.meta, enc.files.get)[0].shape
    (3, 3)
    """
    stored = read_pca(meta, read_file)
    if stored is not None:
        return stored
    n, d = _shape_of(meta)
    data = read_file(".vectors.f32")
    if data is None or len(data) != n * d * 4:
        raise ValueError(f"embedding: .vectors.f32 is missing or does not hold {n}x{d} float32")
    return principal_components(np.frombuffer(data, dtype="<f4").reshape(n, d))


def sprite_grid(n: int) -> tuple[int, int]:
    """``(rows, cols)`` of an about-square grid for ``n`` thumbnails: ``cols = ceil(sqrt(n))``.

    >>> sprite_grid(10)
    (3, 4)
    """
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def sprite_sheet(thumbnails: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Tile ``(N, H, W[, C])`` thumbnails row-major into one image without gaps; empty cells are 0.

    >>> sheet, grid = sprite_sheet(np.ones((3, 2, 2), np.uint8))
    >>> sheet.shape, grid
    ((4, 4), (2, 2))
    """
    n, h, w = thumbnails.shape[:3]
    rows, cols = sprite_grid(n)
    padded = np.zeros((rows * cols, *thumbnails.shape[1:]), dtype=thumbnails.dtype)
    padded[:n] = thumbnails
    grid = padded.reshape(rows, cols, h, w, -1).swapaxes(1, 2).reshape(rows * h, cols * w, -1)
    return (grid[:, :, 0] if thumbnails.ndim == 3 else grid), (rows, cols)


def decode_embedding(meta: dict[str, Any], read_file: Callable[[str], bytes]) -> dict[str, Any]:
    """The vectors, metadata, header and sprite sheet of an embedding written by :meth:`Embedding.encode`.

    ``read_file(suffix)`` returns the bytes of one of its files (``".vectors.f32"``,
    ``".metadata.json"``, ``".sprite.png"``). Returns a dict with ``vectors`` (float32
    ``(N, D)``), ``metadata`` (a list of labels when it was given as labels, of rows
    (lists) otherwise, or ``None``), ``header`` (``list`` or ``None``), ``sprite`` (the sheet as an array,
    or ``None``; thumbnail ``i`` is at grid cell ``divmod(i, cols)``), ``pca`` (float32 ``(N, min(3, D))``:
    the stored principal components, or computed now for an embedding stored before format 2.4) and
    ``explained_variance_ratio``. Malformed input
    raises ``ValueError``.
    """
    n, d = _shape_of(meta)
    data = read_file(".vectors.f32")
    if len(data) != n * d * 4:
        raise ValueError(f"decode_embedding(): .vectors.f32 holds {len(data)} bytes, not {n}x{d} float32")
    vectors = np.frombuffer(data, dtype="<f4").astype(np.float32).reshape(n, d)
    header = rows = sprite = None
    if meta.get("metadata") in ("labels", "rows"):
        header, rows = _read_metadata(read_file(".metadata.json"), n)
        rows = [row[0] for row in rows] if meta["metadata"] == "labels" else rows
    if meta.get("sprite_grid") is not None:
        sprite = decode_png(read_file(".sprite.png"))
    pca = read_pca(meta, read_file) or principal_components(vectors)
    return {"vectors": vectors, "metadata": rows, "header": header, "sprite": sprite, "pca": pca[0],
            "explained_variance_ratio": pca[1]}


def _shape_of(meta: Any) -> tuple[int, int]:
    shape = meta.get("shape") if isinstance(meta, dict) else None
    if (not isinstance(shape, list) or len(shape) != 2 or meta.get("dtype") != "float32"
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in shape)):
        raise ValueError(f"decode_embedding(): meta must hold shape [N, D] and dtype 'float32', got {meta!r:.200}")
    return shape[0], shape[1]


def _read_metadata(data: bytes, n: int) -> tuple[list[str] | None, list[Any]]:
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"decode_embedding(): .metadata.json is not JSON ({exc})") from None
    rows = body.get("rows") if isinstance(body, dict) else None
    header = body.get("header") if isinstance(body, dict) else None
    if not isinstance(rows, list) or len(rows) != n or not all(isinstance(row, list) for row in rows):
        raise ValueError(f"decode_embedding(): .metadata.json must hold {n} rows (lists)")
    if header is not None and not (isinstance(header, list) and all(isinstance(h, str) for h in header)):
        raise ValueError("decode_embedding(): the metadata header must be a list of str")
    width = len(header) if header is not None else 1
    if any(len(row) != width for row in rows):
        raise ValueError(f"decode_embedding(): every metadata row must have {width} cells")
    return header, rows


def _check_vectors(vectors: Any) -> np.ndarray:
    array = as_array(vectors, "vectors", "Embedding()")
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(f"Embedding(): vectors of shape {array.shape} are not accepted; use 2-D (N points, "
                         "D dimensions) with N >= 1 and D >= 1")
    with np.errstate(over="ignore"):  # values beyond float32's range become inf, reported below
        out = np.array(array, dtype=np.float32, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        raise ValueError(f"Embedding(): vectors must be finite; {int(bad.sum())} entries are NaN, infinite or beyond "
                         f"float32's range (first at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
    return out


def _check_metadata(metadata: Any, header: Any, n: int) -> tuple[list[str] | None, list[list[Any]] | None, bool]:
    """The header and rows (lists of cells) of the metadata, checked against ``n`` points, and whether
    the metadata was given as one label per point (not as rows)."""
    if metadata is None:
        if header is not None:
            raise TypeError("Embedding(metadata_header=...) needs metadata=")
        return None, None, False
    if hasattr(metadata, "columns"):
        if header is not None:
            raise TypeError("Embedding(): metadata_header is taken from the DataFrame's columns; do not pass it")
        header, entries = dataframe_rows(metadata, "Embedding(metadata=...)")
    elif isinstance(metadata, (list, tuple)):
        entries = list(metadata)
    elif hasattr(metadata, "tolist") and isinstance(metadata.tolist(), list):  # numpy array, pandas Series
        entries = metadata.tolist()
    else:
        raise TypeError(f"Embedding(metadata=...): expected a list, numpy array, pandas Series or DataFrame, "
                        f"got {type(metadata).__name__}")
    if len(entries) != n:
        raise ValueError(f"Embedding(metadata=...): metadata has {len(entries)} entries but vectors has {n} rows; "
                         "give one entry per point")
    labels = not any(isinstance(entry, (list, tuple)) for entry in entries)
    rows = _metadata_rows(entries)
    return _check_header(header, len(rows[0])), rows, labels


def _metadata_rows(entries: list[Any]) -> list[list[Any]]:
    nested = [isinstance(entry, (list, tuple)) for entry in entries]
    if any(nested) and not all(nested):
        raise TypeError(f"Embedding(metadata=...): entry {nested.index(not nested[0])} differs from entry 0; give "
                        "either one label per point or one list of cells per point, not a mix")
    rows = [list(entry) if is_row else [entry] for entry, is_row in zip(entries, nested)]
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width or width == 0:
            raise ValueError(f"Embedding(metadata=...): row {i} has {len(row)} cells, row 0 has {width}; "
                             "every row needs the same number of cells, at least one")
        row[:] = [_cell(value, i) for value in row]
    return rows


def _check_header(header: Any, width: int) -> list[str] | None:
    if header is None:
        if width > 1:
            raise ValueError(f"Embedding(): metadata rows have {width} cells; pass metadata_header=[{width} names]")
        return None
    if isinstance(header, (str, bytes)) or not isinstance(header, Sequence):
        raise TypeError(f"Embedding(metadata_header=...): expected a list of str, got {type(header).__name__}")
    names = list(header)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"Embedding(metadata_header=...): names must be str, got {[type(x).__name__ for x in names]}")
    if len(names) != width:
        raise ValueError(f"Embedding(metadata_header=...): {len(names)} names for metadata rows of {width} cells")
    return names


def _cell(value: Any, row: int) -> Any:
    scalar = plain_scalar(value)
    if scalar is NOT_SCALAR:
        raise TypeError(f"Embedding(metadata=...): the cell in row {row} is a {type(value).__name__}; "
                        f"accepted are {ACCEPTED_CELLS}")
    return scalar


def _check_images(images: Any, n: int) -> np.ndarray:
    array = np.array(as_array(images, "images", "Embedding()"), copy=True)
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    if not (array.ndim == 3 or (array.ndim == 4 and array.shape[3] in (3, 4))):
        raise ValueError(f"Embedding(images=...): thumbnails of shape {array.shape} are not accepted; use "
                         "(N, H, W) or (N, H, W, C) with C in 1, 3, 4")
    if array.shape[0] != n or min(array.shape[1:3]) < 1:
        raise ValueError(f"Embedding(images=...): {array.shape[0]} thumbnails of {array.shape[1]}x{array.shape[2]} "
                         f"pixels for {n} points; give one non-empty thumbnail per point")
    if array.dtype.kind in "iu" and array.dtype != np.uint8:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(f"Embedding(images=...): integer pixels of dtype {array.dtype} must lie in 0..255, "
                             f"found {low}..{high}")
    return array
