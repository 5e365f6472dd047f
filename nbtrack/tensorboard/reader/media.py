"""The values of TensorBoard runs (histograms, images, audio, text, PR curves) as nbtrack media rows.

An nbtrack run keeps each image in a file of its own; a TensorBoard run keeps it inside a
record of an event file. ``TensorBoardMedia`` gives both the same rows (``MediaRecords``),
naming each payload by where it lies (``<file>@<offset>/<item><suffix>``) and reading it from
memory while it is recent, or again from its record once memory is full (``MAX_HELD_BYTES``),
so following a run that logs images for days holds a bounded amount.

TensorBoard's rule for steps that go back applies per tag here as for scalars: a value at
step ``s`` replaces the tag's values at ``s`` and later (``preemption.py``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.store.media import HISTOGRAM_STATS, MediaRecords
from nbtrack.store.tail import DamageReport
from nbtrack.tensorboard.events.decode import decode

MAX_HELD_BYTES = 64 * 2**20  # payloads kept in memory; older ones are read again from their event file
SUFFIXES = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp", "wav": ".wav"}
# file, payload offset, length, tag, kind, item, the file's tag -> plugin table (decoding one record needs it)
Location = tuple[Path, int, int, str, str, int, dict[str, str]]


class TensorBoardMedia(MediaRecords):
    """Media rows of one TensorBoard run, their payloads held in memory or read back from the event files."""

    def __init__(self, run_folder: Path) -> None:
        super().__init__(run_folder)
        self._held: OrderedDict[str, bytes] = OrderedDict()
        self._held_bytes = 0
        self._where: dict[str, Location] = {}
        self._derived: dict[str, bytes] = {}  # small payloads made here (a graph's tree), never evicted
        self._last: dict[tuple[bool, str], int] = {}  # (histogram?, tag) -> highest step kept

    # -- adding ---------------------------------------------------------------------------
    def add_value(self, path: Path, chunk: Any, value: Any, plugins: dict[str, str]) -> None:
        """Add one decoded value (``TBValue``) of the record ``value.record`` of ``chunk``, read from ``path``
        (``plugins``: that file's tag -> plugin table, to decode the record again later)."""
        histogram = value.kind == "histogram"
        if value.kind not in ("histogram", "image", "audio", "text", "pr_curve"):
            return  # kinds without a panel (meshes, embeddings' projector data): not shown
        self._preempt(histogram, value.tag, value.step)
        if histogram:
            self.histograms[value.tag].append(_histogram_row(value))
            return
        offset = int(chunk.base_offset) + int(chunk.starts[value.record])
        length = int(chunk.lengths[value.record])
        for item, (kind, suffix, payload, meta, text) in enumerate(payloads(value)):
            key = f"{path.name}@{offset}/{value.tag}/{item}{suffix}" if payload is not None else None
            if key is not None:
                self._where[key] = (path, offset, length, value.tag, value.kind, item, plugins)
                self._hold(key, payload)
            index = item if meta.get("index") is not None else None
            self.media[value.tag].append({"step": value.step, "time": value.wall_time, "kind": kind, "path": key,
                                          "meta": meta, "text": text, "index": index})

    def add_derived(self, tag: str, step: int, wall_time: float, kind: str, payload: bytes) -> None:
        """A value made by the reader (a graph's structure as JSON): its payload kept in memory."""
        self._preempt(False, tag, step)
        key = f"derived/{len(self._derived)}/{tag}.json"
        self._derived[key] = payload
        self.media[tag].append({"step": step, "time": wall_time, "kind": kind, "path": key,
                                "meta": {"caption": None}, "text": None, "index": None})

    def _preempt(self, histogram: bool, tag: str, step: int) -> None:
        last = self._last.get((histogram, tag))
        if last is not None and step <= last:
            table = self.histograms if histogram else self.media
            table[tag] = [row for row in table[tag] if row["step"] < step]
        self._last[(histogram, tag)] = step

    def restart(self, step: int) -> None:
        """A TF1 ``SessionLog`` START at ``step``: every tag's values from ``step`` on are dropped."""
        for table in (self.histograms, self.media):
            for tag, rows in table.items():
                table[tag] = [row for row in rows if row["step"] < step]
        self._last = {key: min(last, step - 1) for key, last in self._last.items()}

    # -- reading payloads -----------------------------------------------------------------
    def _ours(self, relative: str | None) -> bool:
        return relative is not None and (relative in self._derived or relative in self._where)

    def resolve(self, relative: str | None) -> Path | None:
        """Values of event files lie in no file of their own; others (an nbtrack run's) do."""
        return None if self._ours(relative) else super().resolve(relative)

    def size(self, relative: str | None) -> int | None:
        if not self._ours(relative):
            return super().size(relative)
        data = self.read(relative)
        return None if data is None else len(data)

    def read(self, relative: str | None) -> bytes | None:
        if relative is None:
            return None
        if not self._ours(relative):
            return super().read(relative)
        derived = self._derived.get(relative)
        if derived is not None:
            return derived
        held = self._held.get(relative)
        if held is not None:
            self._held.move_to_end(relative)
            return held
        where = self._where.get(relative)
        if where is None:
            return None
        data = self._read_again(where)
        if data is not None:
            self._hold(relative, data)
        return data

    def _hold(self, key: str, data: bytes) -> None:
        self._held[key] = data
        self._held_bytes += len(data)
        while self._held_bytes > MAX_HELD_BYTES and len(self._held) > 1:
            _, old = self._held.popitem(last=False)
            self._held_bytes -= len(old)

    def _read_again(self, where: Location) -> bytes | None:
        """A payload read again from its record (checked by decoding the record as it was first read)."""
        path, offset, length, tag, kind, item, plugins = where
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                record = f.read(length)
        except OSError as exc:
            self.problems.append(DamageReport(str(path), offset, length, f"event file unreadable: {exc}"))
            return None
        events = decode(record, np.array([0], np.int64), np.array([len(record)], np.int64), tag_plugins=dict(plugins))
        for value in events.values:
            if value.tag == tag and value.kind == kind:
                found = payloads(value)
                if item < len(found):
                    return found[item][2]
        self.problems.append(DamageReport(str(path), offset, length, f"{kind} {tag!r} no longer readable"))
        return None


def payloads(value: Any) -> list[tuple[str, str, bytes | None, dict[str, Any], str | None]]:
    """A value's rows: ``(kind, suffix, payload, meta, text)``; galleries give one per item."""
    data = value.data
    if value.kind == "image":
        images = data.get("images") or []
        return [("image", SUFFIXES.get(im.get("format"), ".img"), im["data"],
                 {"caption": None, "width": im.get("width"), "height": im.get("height"),
                  "index": i if len(images) > 1 else None}, None) for i, im in enumerate(images)]
    if value.kind == "audio":
        clips = data.get("clips") or []
        return [("audio", SUFFIXES.get(c.get("format"), ".wav"), c["data"],
                 {"caption": None, "sample_rate": c.get("sample_rate"), "index": i if len(clips) > 1 else None},
                 None) for i, c in enumerate(clips)]
    if value.kind == "text":
        return [("markdown", "", None, {"caption": None}, _text_of(data))]
    if value.kind == "pr_curve":
        return [("pr_curve", ".json", _pr_curve_json(data), {"caption": None}, None)]
    return []


def _text_of(data: dict[str, Any]) -> str:
    """TensorBoard's text: a string as markdown, a 1-D or 2-D string tensor as a markdown table."""
    if "text" in data:
        return str(data["text"])
    rows = [[str(cell) for cell in row] for row in data.get("rows") or []]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(_cell(c) for c in r + [""] * (width - len(r))) + " |" for r in rows]
    return "\n".join([lines[0], "|" + " --- |" * width, *lines[1:]])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pr_curve_json(data: dict[str, Any]) -> bytes:
    """TensorBoard's PR curve in ``nbtrack.PRCurve``'s stored form (thresholds from 0 to 1)."""
    n = int(data.get("thresholds") or len(data["tp"]))
    curve = {"thresholds": [i / max(1, n - 1) for i in range(n)]}
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        curve[key] = [float(v) for v in np.asarray(data[key], np.float64)[:n]]
    return json.dumps(curve, allow_nan=True).encode()


def _histogram_row(value: Any) -> dict[str, Any]:
    """A histogram value as the row an nbtrack histogram reads back as (edges kept as written)."""
    data = value.data
    row: dict[str, Any] = {"step": value.step, "time": value.wall_time,
                           "edges": np.asarray(data["edges"], np.float64),
                           "counts": np.asarray(data["counts"], np.float64)}
    row.update(dict.fromkeys(HISTOGRAM_STATS, 0))
    row.update({"count": data.get("num", float(row["counts"].sum())), "min": data.get("min"),
                "max": data.get("max"), "sum": data.get("sum"), "sum_squares": data.get("sum_squares")})
    return row
