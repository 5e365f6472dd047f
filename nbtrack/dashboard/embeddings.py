"""What an embedding sends to the browser: its principal components (2-3 numbers per point, never the
vectors), its metadata as columns, and its sprite sheet (pure, but for reading the stored files).

An embedding entry travels with three buffers (``protocol.py``): the coordinates (little-endian float32,
``points x components``, row-major), the metadata as UTF-8 JSON ``{"header": [...] | null, "columns":
[[cell, ...], ...]}`` (empty when it has none) and the sprite PNG (empty when it has none or it is larger
than ``MAX_SPRITE_BYTES``). They are not bound by ``MAX_OTHER_BYTES``: an embedding of more than
``MAX_EMBEDDING_POINTS`` points sends a uniform sample (every ``stride``-th point) and says so in
``meta["view"]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from nbtrack.values.embedding import projection

from .protocol import json_safe

MAX_EMBEDDING_POINTS = 200_000  # points one embedding sends at most: 200,000 x 3 float32 = 2.4 MB
MAX_SPRITE_BYTES = 8 << 20  # a larger sprite sheet stays in the run; the panel shows no thumbnails
MAX_METADATA_BYTES = 8 << 20  # larger metadata stays in the run; the panel shows no labels


def embedding_parts(meta: dict[str, Any], read_file: Callable[[str], bytes | None],
                    max_points: int = MAX_EMBEDDING_POINTS) -> tuple[dict[str, Any], list[bytes]]:
    """The ``view`` meta and the three buffers of one embedding (see the module docstring).

    ``read_file(suffix)`` gives the bytes of one of its stored files (``".vectors.f32"``, ``".pca.f32"``,
    ``".metadata.json"``, ``".sprite.png"``) or None. Raises ``ValueError`` when the vectors are unreadable.

    >>> import numpy as np
    >>> from nbtrack.values.embedding import Embedding
    >>> enc = Embedding(np.arange(20.0).reshape(10, 2) ** 2, metadata=list("abcdefghij")).encode()
    >>> view, (coords, labels, sprite) = embedding_parts(enc.meta, enc.files.get, max_points=4)
    >>> view["points"], view["total"], view["stride"], view["components"], len(coords), sprite
    (4, 10, 3, 2, 32, b'')
    >>> json.loads(labels)["columns"]
    [['a', 'd', 'g', 'j']]
    """
    coords, ratio = projection(meta, read_file)
    total = int(coords.shape[0])
    stride = max(1, math.ceil(total / max(1, max_points)))
    chosen = coords[::stride]
    view: dict[str, Any] = {"points": int(chosen.shape[0]), "total": total, "stride": stride,
                            "components": int(coords.shape[1]), "explained_variance_ratio": ratio,
                            "metadata": False, "sprite": False, "left_out": []}
    labels = _metadata_json(meta, read_file, total, stride)
    if len(labels) > MAX_METADATA_BYTES:
        view["left_out"].append(f"metadata ({len(labels):,} bytes)")
        labels = b""
    view["metadata"] = bool(labels)
    sprite = (read_file(".sprite.png") or b"") if meta.get("sprite_grid") is not None else b""
    if len(sprite) > MAX_SPRITE_BYTES:
        view["left_out"].append(f"thumbnails ({len(sprite):,} bytes)")
        sprite = b""
    view["sprite"] = bool(sprite)
    return view, [np.ascontiguousarray(chosen, dtype="<f4").tobytes(), labels, sprite]


def _metadata_json(meta: dict[str, Any], read_file: Callable[[str], bytes | None], n: int, stride: int) -> bytes:
    """The metadata of the points sent, as columns; empty when there is none or it is malformed."""
    if meta.get("metadata") not in ("labels", "rows"):
        return b""
    data = read_file(".metadata.json")
    try:
        body = json.loads(data) if data else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return b""
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list) or len(rows) != n or not all(isinstance(r, list) and r for r in rows):
        return b""
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        return b""
    header = body.get("header")
    header = [str(h) for h in header] if isinstance(header, list) and len(header) == width else None
    kept = rows[::stride]
    columns = [[row[c] for row in kept] for c in range(width)]
    return json.dumps(json_safe({"header": header, "columns": columns}), allow_nan=False,
                      ensure_ascii=False).encode("utf-8")
