"""Messages from the kernel to the live widget: schemas and binary codecs (pure).

Every message carries ``kind`` (lower-kebab) and the protocol version ``v``. Arrays
travel as binary buffers, never as JSON lists. ``js/src/codecs.js`` decodes the same
layout; keep the two in step.

``append`` (sequence-numbered, only new points)::

    {"kind": "append", "v": 1, "seq": 7,
     "series": [{"run": "a1b2c3d4", "key": "train/loss", "n": 120}, ...]}
    buffers: for each series in order: steps (float64), values (float64), times (float64)

Steps travel as float64: exact up to 2**53.

``media`` (sequence-numbered, sharing the counter with ``append``; each value sent once)::

    {"kind": "media", "v": 1, "seq": 8,
     "items": [{"run": "a1b2c3d4", "key": "samples", "kind": "image", "step": 40, "index": 0,
                "meta": {"caption": "a cat", "width": 28, ...}, "buffers": 1}, ...]}
    buffers: each item's buffers, concatenated in item order

``runs`` (sequence-numbered, sharing the counter): from ``%track``, runs that appeared and runs whose
table entry changed (status, summary, ...); from a live run's view, the run's ``id``, ``name`` and
``metrics`` when they changed (a ``define_metric(..., step_metric=...)`` made after ``show()``).
An entry's keys replace the browser's; ``metrics`` lists ``{"name", "step_metric"}`` (``snapshot.run_info``).
No buffers::

    {"kind": "runs", "v": 1, "seq": 9,
     "runs": [{"id": "a1b2c3d4", "name": "base/lr-0.1", "status": "crashed", "created": 1.7e9,
               "updated": 1.7e9, "config": {...}, "summary": {...}}, ...]}

Per kind: ``image`` [the image file: PNG, or JPEG/GIF when logged from a file, see
``meta.format``; its masks' PNGs travel base64 in ``meta.masks[name].png`` and its boxes in
``meta.boxes``, see ``inline_overlays``]; ``histogram`` [edges (float64), counts (float64)], ``len(edges) ==
len(counts) + 1``; ``audio`` [WAV]; ``video`` [the video file: animated PNG unless logged
from a file]; ``text``/``markdown``/``html`` [] with the text in ``meta["text"]``; any
``pr_curve`` [the curve's JSON lists, non-finite numbers as strings: ``dashboard/prcurves.py``];
``embedding`` [coordinates (float32), metadata (JSON), sprite (PNG)], see ``embeddings.py``; any
other kind [the main file] when it holds at most ``MAX_OTHER_BYTES``, else [] (meta only); a ``figure``
travels with one file, its SVG, PNG or Bokeh JSON (``figure_file``), named by ``meta.format``.
``meta`` is JSON: numpy scalars as numbers, NaN and +/-Inf as the strings ``"nan"``,
``"inf"``, ``"-inf"`` (a histogram's ``sum`` may overflow), other objects as their ``str()``.
``index`` is the position in a gallery logged as a list, else null. Float64 buffers are
little-endian. Snapshots (``snapshot.media_of``) carry the same items with ``data``
(the buffers themselves) in place of ``buffers``.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypedDict

import numpy as np

from .prcurves import browser_curve

PROTOCOL_VERSION = 1
BUFFERS_PER_SERIES = 3
FILE_KINDS = ("image", "audio", "video")  # always sent with their file
TEXT_KINDS = ("text", "markdown", "html")  # sent as meta["text"], no buffer
MAX_OTHER_BYTES = 1 << 20  # tables, figures, PR curves, embeddings: their main file up to 1 MiB, else meta only
MAX_OVERLAY_BYTES = 1 << 20  # an image's mask PNGs (base64, in meta) up to 1 MiB; more masks travel without pixels
MAX_BOXES = 2_000  # boxes of one group that travel; the rest are left out (``boxes_dropped`` counts them)


class SeriesHeader(TypedDict):
    run: str
    key: str
    n: int


class AppendMessage(TypedDict):
    kind: Literal["append"]
    v: int
    seq: int
    series: list[SeriesHeader]


Series = dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]


def encode_append(seq: int, series: Series) -> tuple[AppendMessage, list[memoryview]]:
    """An ``append`` message and its buffers for ``{(run, key): (steps, values, times)}``.

    >>> msg, buffers = encode_append(1, {("r1", "loss"): (np.arange(3), np.ones(3), np.zeros(3))})
    >>> msg["series"], len(buffers)
    ([{'run': 'r1', 'key': 'loss', 'n': 3}], 3)
    """
    headers: list[SeriesHeader] = []
    buffers: list[memoryview] = []
    for (run, key), (steps, values, times) in series.items():
        n = len(values)
        if not (len(steps) == len(times) == n):
            raise ValueError(f"series {key!r} of run {run!r}: steps, values and times differ in length")
        headers.append({"run": run, "key": key, "n": n})
        for column in (steps, values, times):
            # a copy: the caller's arrays may grow or change after the send is queued
            buffers.append(memoryview(np.array(column, dtype=np.float64, copy=True)))
    return {"kind": "append", "v": PROTOCOL_VERSION, "seq": seq, "series": headers}, buffers


def decode_append(message: AppendMessage, buffers: list[bytes | memoryview]) -> Series:
    """The inverse of :func:`encode_append` (what the widget's JS does), for tests and tools."""
    if message.get("kind") != "append" or message.get("v") != PROTOCOL_VERSION:
        raise ValueError(f"not an append message of protocol version {PROTOCOL_VERSION}: {message!r}")
    expected = BUFFERS_PER_SERIES * len(message["series"])
    if len(buffers) != expected:
        raise ValueError(f"append message with {len(message['series'])} series needs {expected} buffers, "
                         f"got {len(buffers)}")
    out: Series = {}
    for i, header in enumerate(message["series"]):
        cols = [np.frombuffer(buffers[BUFFERS_PER_SERIES * i + j], dtype=np.float64) for j in range(3)]
        if any(len(c) != header["n"] for c in cols):
            raise ValueError(f"series {header['key']!r}: buffers do not hold {header['n']} points")
        out[(header["run"], header["key"])] = (cols[0], cols[1], cols[2])
    return out


# -- media ---------------------------------------------------------------------------------------
Buffer = bytes | bytearray | memoryview


class _MediaItem(TypedDict):
    """What every logged value carries, in a message's header and in a snapshot's entry alike."""

    run: str
    key: str
    kind: str
    step: int
    index: int | None
    meta: dict[str, Any]


class MediaHeader(_MediaItem):
    buffers: int


class MediaMessage(TypedDict):
    kind: Literal["media"]
    v: int
    seq: int
    items: list[MediaHeader]


class MediaEntry(_MediaItem):
    """One logged value as it travels: a ``media`` message's item, or a snapshot's ``media`` entry."""

    data: list[Buffer]


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON: numpy scalars as numbers, non-finite floats as their names, others as str().

    >>> json_safe({"sum": float("inf"), "n": np.int64(3), "shape": (2, np.float32(0.5)), "x": None})
    {'sum': 'inf', 'n': 3, 'shape': [2, 0.5], 'x': None}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.generic, np.ndarray)):
        return json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def float64_le(values: Any) -> bytes:
    """Numbers as little-endian float64 bytes (a histogram's edges or counts)."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def inline_table_cells(main: bytes, read: Callable[[str], bytes | None], budget: int = MAX_OTHER_BYTES) -> bytes:
    """A table's JSON with its PNG image cells inlined as base64 (``cell["png"]``), within ``budget`` bytes,
    and NaN/±Inf cells written as the strings "nan"/"inf"/"-inf" (which ``JSON.parse`` accepts).

    ``read(file)`` gives a cell file's bytes by the name the JSON holds (or None). Cells past
    the budget, and anything that is not a PNG image cell, stay references.

    >>> body = b'{"columns": ["x"], "rows": [[{"_media": "image", "file": ".cell-0-0.png"}]]}'
    >>> json.loads(inline_table_cells(body, {".cell-0-0.png": b"PNG"}.get))["rows"][0][0]["png"]
    'UE5H'
    """
    try:
        body = json.loads(main)
        rows = body["rows"]
    except (ValueError, TypeError, KeyError):
        return main
    used = len(main)
    for row in rows if isinstance(rows, list) else []:
        for cell in row if isinstance(row, list) else []:
            name = cell.get("file") if isinstance(cell, dict) and cell.get("_media") == "image" else None
            data = read(name) if isinstance(name, str) and name.endswith(".png") else None
            if data is None:
                continue
            encoded = base64.b64encode(data).decode("ascii")
            if used + len(encoded) > budget:
                return _browser_json(body)
            cell["png"] = encoded
            used += len(encoded)
    return _browser_json(body)


FIGURE_FORMATS = {".svg": "svg", ".png": "png", ".bokeh.json": "bokeh-json"}  # a figure's files, in the order tried


def figure_file(sizes: dict[str, int | None]) -> str | None:
    """Which of a figure's files travels, by extension: its SVG (drawn sharp at any size) when it holds at most
    ``MAX_OTHER_BYTES``, else its PNG, or a Bokeh figure's JSON; None when none fits. The entry's
    ``meta["format"]`` then names it (``FIGURE_FORMATS``). ``sizes`` maps extensions to sizes (None: missing).

    >>> figure_file({".png": 40_000, ".svg": 90_000}), figure_file({".png": 40_000, ".svg": 5_000_000})
    ('.svg', '.png')
    >>> figure_file({".bokeh.json": 4_000}), figure_file({".png": None, ".svg": 5_000_000})
    ('.bokeh.json', None)
    """
    for ext in FIGURE_FORMATS:
        size = sizes.get(ext)
        if size is not None and size <= MAX_OTHER_BYTES:
            return ext
    return None


def inline_overlays(meta: dict[str, Any], read: Callable[[str], bytes | None],
                    budget: int = MAX_OVERLAY_BYTES) -> dict[str, Any]:
    """An image's ``meta`` with each mask's PNG inlined as base64 (``masks[name]["png"]``) within ``budget``
    bytes, and each box group cut to ``MAX_BOXES`` boxes. ``read(file)`` gives a mask file's bytes by the
    name ``meta["masks"][name]["file"]`` holds (or None). A copy; ``meta`` is not changed.

    >>> meta = {"masks": {"pred": {"file": ".mask0.png", "class_labels": {"1": "cat"}}}}
    >>> inline_overlays(meta, {".mask0.png": b"PNG"}.get)["masks"]["pred"]["png"]
    'UE5H'
    >>> inline_overlays(meta, {".mask0.png": b"PNG"}.get, budget=2)["masks"]["pred"].get("png") is None
    True
    """
    out = dict(meta)
    used = 0
    masks = meta.get("masks")
    if isinstance(masks, dict):
        out["masks"] = {}
        for name, mask in masks.items():
            mask = dict(mask) if isinstance(mask, dict) else {}
            file = mask.get("file")
            data = read(file) if isinstance(file, str) and file.endswith(".png") else None
            if data is not None and used + 4 * ((len(data) + 2) // 3) <= budget:
                mask["png"] = base64.b64encode(data).decode("ascii")
                used += len(mask["png"])
            out["masks"][name] = mask
    boxes = meta.get("boxes")
    if isinstance(boxes, dict):
        out["boxes"] = {}
        for name, group in boxes.items():
            items = group.get("box_data") if isinstance(group, dict) else None
            if isinstance(items, list) and len(items) > MAX_BOXES:
                group = {**group, "box_data": items[:MAX_BOXES], "boxes_dropped": len(items) - MAX_BOXES}
            out["boxes"][name] = group
    return out


def _browser_json(body: Any) -> bytes:
    """JSON a browser's ``JSON.parse`` reads: NaN and infinities become the strings "nan", "inf", "-inf"."""
    return json.dumps(json_safe(body), allow_nan=False).encode("utf-8")


def media_entry(run: str, key: str, step: int, index: int | None, kind: str, meta: dict[str, Any], *,
                main: bytes | None = None, text: str | None = None, edges: Any = None,
                counts: Any = None, parts: Sequence[bytes] | None = None) -> MediaEntry:
    """One value's entry with the buffers its kind travels with (see the module docstring).

    ``main`` is the value's main file, ``text`` its text (text kinds), ``edges``/``counts``
    a histogram's arrays, ``parts`` an embedding's three buffers (``embeddings.embedding_parts``).
    ``meta`` loses ``index`` and ``files`` (stored paths) and is made JSON-safe.

    >>> e = media_entry("r1", "w", 5, None, "histogram", {"count": 3}, edges=[0, 1, 2], counts=[1, 2])
    >>> [len(b) for b in e["data"]], e["meta"]
    ([24, 16], {'count': 3})
    >>> media_entry("r1", "note", 0, None, "text", {"caption": None}, text="hi")["meta"]
    {'caption': None, 'text': 'hi'}
    """
    meta = json_safe({k: v for k, v in meta.items() if k not in ("index", "files")})
    data: list[Buffer] = []
    if kind == "histogram":
        data = [float64_le(edges), float64_le(counts)]
    elif kind in TEXT_KINDS:
        meta["text"] = text
    elif kind == "pr_curve" and main is not None and len(main) <= MAX_OTHER_BYTES:
        data = [browser_curve(main)]  # the stored lists, JSON.parse-safe (a raw curve may hold NaN)
    elif kind == "embedding" and parts is not None:
        data = list(parts)
    elif main is not None and (kind in FILE_KINDS or len(main) <= MAX_OTHER_BYTES):
        data = [main]
    elif kind in FILE_KINDS:
        raise ValueError(f"{kind} {key!r} at step {step} has no file")
    entry: MediaEntry = {"run": run, "key": key, "kind": kind, "step": int(step),
                         "index": None if index is None else int(index), "meta": meta, "data": data}
    _check_entry(entry["kind"], entry["key"], [len(memoryview(b).cast("B")) for b in data])
    return entry


def _check_entry(kind: str, key: str, sizes: Sequence[int]) -> None:
    """Raise ``ValueError`` when an item's buffers do not have the layout its kind needs."""
    if kind == "histogram":
        if len(sizes) != 2 or sizes[0] % 8 or sizes[1] % 8 or sizes[0] != sizes[1] + 8:
            raise ValueError(f"histogram {key!r}: needs edges and counts as float64 with one more edge "
                             f"than counts; got buffers of {list(sizes)} bytes")
    elif kind in TEXT_KINDS and sizes:
        raise ValueError(f"{kind} {key!r} travels without buffers; got {len(sizes)}")
    elif kind == "embedding" and len(sizes) == 3:
        if sizes[0] % 4:
            raise ValueError(f"embedding {key!r}: coordinates must be float32; got {sizes[0]} bytes")
    elif kind in FILE_KINDS and len(sizes) != 1:
        raise ValueError(f"{kind} {key!r} needs one buffer (its file); got {len(sizes)}")
    elif len(sizes) > 1:
        raise ValueError(f"{kind} {key!r} travels with at most one buffer; got {len(sizes)}")


def encode_media(seq: int, items: list[MediaEntry]) -> tuple[MediaMessage, list[memoryview]]:
    """A ``media`` message and its buffers for entries made by :func:`media_entry`.

    >>> entry = media_entry("r1", "w", 5, None, "histogram", {}, edges=[0.0, 1.0], counts=[4.0])
    >>> msg, buffers = encode_media(2, [entry])
    >>> msg["kind"], msg["seq"], msg["items"][0]["buffers"], [b.nbytes for b in buffers]
    ('media', 2, 2, [16, 8])
    """
    headers: list[MediaHeader] = []
    buffers: list[memoryview] = []
    for item in items:
        views = [memoryview(b).cast("B") for b in item["data"]]
        _check_entry(item["kind"], item["key"], [v.nbytes for v in views])
        headers.append({"run": item["run"], "key": item["key"], "kind": item["kind"], "step": int(item["step"]),
                        "index": item["index"], "meta": json_safe(item["meta"]), "buffers": len(views)})
        buffers.extend(views)
    return {"kind": "media", "v": PROTOCOL_VERSION, "seq": seq, "items": headers}, buffers


def decode_media(message: MediaMessage, buffers: list[bytes | memoryview]) -> list[MediaEntry]:
    """The inverse of :func:`encode_media` (what the widget's JS does), for tests and tools.

    >>> entry = media_entry("r1", "w", 5, None, "histogram", {}, edges=[0.0, 1.0], counts=[4.0])
    >>> (back,) = decode_media(*encode_media(2, [entry]))
    >>> np.frombuffer(back["data"][1], "<f8").tolist(), back["step"]
    ([4.0], 5)
    """
    if message.get("kind") != "media" or message.get("v") != PROTOCOL_VERSION:
        raise ValueError(f"not a media message of protocol version {PROTOCOL_VERSION}: {message!r}")
    expected = sum(int(h["buffers"]) for h in message["items"])
    if len(buffers) != expected:
        raise ValueError(f"media message with {len(message['items'])} items needs {expected} buffers, "
                         f"got {len(buffers)}")
    out: list[MediaEntry] = []
    start = 0
    for header in message["items"]:
        data: list[Buffer] = [bytes(b) for b in buffers[start:start + header["buffers"]]]
        start += header["buffers"]
        _check_entry(header["kind"], header["key"], [len(b) for b in data])
        out.append({"run": header["run"], "key": header["key"], "kind": header["kind"], "step": header["step"],
                    "index": header["index"], "meta": header["meta"], "data": data})
    return out
