"""Reading histogram and media records of a run, and decoding their files.

Paths in records are checked to stay inside the run folder before any file is opened.
"""

from __future__ import annotations

import os
import stat
import zlib
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import format as fmt
from .tail import DamageReport, TailBatch

if TYPE_CHECKING:
    import pandas as pd

HISTOGRAM_STATS = ("nan", "posinf", "neginf", "underflow", "overflow", "count", "min", "max", "sum",
                   "sum_squares")


class MediaRecords:
    """Histogram and media rows of one run, grouped by tag, in the order they were read."""

    def __init__(self, run_folder: Path) -> None:
        self.folder = run_folder
        self.histograms: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.media: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.problems: list[DamageReport] = []
        self.checksums: dict[str, int] = {}  # media file path -> CRC32 its record gives (format 1.1)
        self.sources: dict[int, str] = {}  # id(row) -> the data file it came from (for TensorBoard's steps)

    def add(self, kind: str, item: TailBatch, source: str = "") -> None:
        """Add a verified batch (of the data file named ``source``); the caller has left out rows whose
        tag name is unknown."""
        batch = item.batch
        ids = batch.column(0).to_pylist()
        if not all(i in item.names for i in ids):
            batch = batch.take([r for r, i in enumerate(ids) if i in item.names])
            ids = [i for i in ids if i in item.names]
        tags = [item.names[i] for i in ids]
        steps = batch.column(1).to_pylist()
        times = batch.column(2).to_pylist()
        added = self.histograms if kind == "histograms" else self.media
        before = {tag: len(added.get(tag, ())) for tag in dict.fromkeys(tags)}  # creates no entry: tag order kept
        if kind == "histograms":
            self._add_histograms(batch, tags, steps, times)
        else:
            self._add_media(batch, tags, steps, times)
        for tag, start in before.items():
            for row in added.get(tag, [])[start:]:
                self.sources[id(row)] = source

    def _add_histograms(self, batch: Any, tags: list[str], steps: list[int], times: list[float]) -> None:
        edges = _split_lists(batch.column(3))
        counts = _split_lists(batch.column(4))
        stats = {name: batch.column(5 + i).to_pylist() for i, name in enumerate(HISTOGRAM_STATS)}
        for r, tag in enumerate(tags):
            row = {"step": steps[r], "time": times[r], "edges": edges[r], "counts": counts[r]}
            row.update({name: stats[name][r] for name in HISTOGRAM_STATS})
            self.histograms[tag].append(row)

    def _add_media(self, batch: Any, tags: list[str], steps: list[int], times: list[float]) -> None:
        kinds, paths, metas, texts = (batch.column(i).to_pylist() for i in range(3, 7))
        for r, tag in enumerate(tags):
            try:
                meta = fmt.loads_json(metas[r])
            except (ValueError, TypeError):
                meta = None
            if not isinstance(meta, dict):
                self.problems.append(DamageReport(tag, steps[r], 0, "media record metadata is not a JSON object"))
                meta = {}
            self._note_checksums(tag, steps[r], meta.get(fmt.MEDIA_CRC))
            self.media[tag].append({"step": steps[r], "time": times[r], "kind": kinds[r], "path": paths[r],
                                    "meta": meta, "text": texts[r], "index": meta.get("index")})

    def _note_checksums(self, tag: str, step: int, checksums: Any) -> None:
        """Remember the CRC32 of each file a record names (absent before format 1.1)."""
        if checksums is None:
            return
        if not isinstance(checksums, dict):
            self.problems.append(DamageReport(tag, step, 0, "malformed media checksums in the record metadata"))
            return
        for path, crc in checksums.items():
            good = isinstance(crc, int) and not isinstance(crc, bool) and 0 <= crc < 2**32
            known = self.checksums.get(path)
            # a path given two different checksums can match neither: -1 never equals a CRC32
            self.checksums[path] = crc if good and known in (None, crc) else -1

    def tags(self) -> dict[str, str]:
        """``{tag: kind}`` of every histogram and media tag."""
        out = dict.fromkeys(self.histograms, "histogram")
        out.update({tag: rows[-1]["kind"] for tag, rows in self.media.items() if rows})
        return out

    def resolve(self, relative: str | None) -> Path | None:
        """The file a record names, only if it lies inside the run folder."""
        if not relative or not isinstance(relative, str):
            return None
        root = self.folder.resolve()
        try:
            path = (root / relative).resolve()
        except (ValueError, OSError) as exc:  # a NUL byte, a loop of links
            self.problems.append(DamageReport(repr(relative), 0, 0, f"media path unusable: {exc}"))
            return None
        if os.path.commonpath([root, path]) != str(root):
            self.problems.append(DamageReport(relative, 0, 0, "media path escapes the run folder; ignored"))
            return None
        return path

    def size(self, relative: str | None) -> int | None:
        """The size in bytes of the file a record names (None when it is missing or outside the run)."""
        path = self.resolve(relative)
        try:
            return path.stat().st_size if path is not None else None
        except OSError:
            return None

    def read(self, relative: str | None) -> bytes | None:
        path = self.resolve(relative)
        if path is None:
            return None
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise OSError("not a regular file")
            data = path.read_bytes()
        except OSError as exc:
            self.problems.append(DamageReport(str(path), 0, 0, f"media file unreadable: {exc}"))
            return None
        expected = self.checksums.get(relative)
        if expected is not None and zlib.crc32(data) != expected:
            self.problems.append(DamageReport(str(path), 0, len(data), "media file checksum mismatch: damaged"))
            return None
        return data

    def file_for(self, row: dict[str, Any], suffix: str) -> bytes | None:
        """The bytes of the row's file with this suffix (``meta.files``), or None when it is missing."""
        return _file_for(self, row, suffix)

    def decode(self, row: dict[str, Any]) -> Any:
        """The logged value of a media row, decoded (None when its file is missing or damaged)."""
        decoder = DECODERS.get(row["kind"])
        if decoder is None:
            return row["text"]
        try:
            return decoder(self, row)
        except (ValueError, TypeError, KeyError, OSError, RecursionError) as exc:
            self.problems.append(DamageReport(str(row.get("path")), 0, 0,
                                              f"{row['kind']} at step {row['step']} could not be decoded: {exc}"))
            return None


def _split_lists(column: Any) -> list[np.ndarray]:
    """A list<float64> column as one numpy array per row (views into the flat values)."""
    offsets = column.offsets.to_numpy()
    flat = column.flatten().to_numpy()
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(column))]


def _files(records: MediaRecords, row: dict[str, Any]) -> dict[str, str]:
    """The record's ``meta.files`` (suffix -> path); malformed entries are reported and skipped."""
    files = row["meta"].get("files")
    if files is None:
        return {}
    good = {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(files, dict) else {}
    if not isinstance(files, dict) or len(good) != len(files):
        records.problems.append(DamageReport(str(row.get("path")), 0, 0,
                                             f"malformed 'files' in the metadata at step {row['step']}"))
    return good


def _file_for(records: MediaRecords, row: dict[str, Any], suffix: str) -> bytes | None:
    files = _files(records, row)
    return records.read(files.get(suffix, row["path"] if row["path"] and row["path"].endswith(suffix) else None))


def _decode_image(records: MediaRecords, row: dict[str, Any]) -> np.ndarray | None:
    """The pixels of a PNG, JPEG, GIF or WebP file as an array (see :func:`nbtrack.codecs.decode_png`).

    A file that declares too many pixels, or is truncated or corrupt, raises :class:`ValueError`, which
    :meth:`MediaRecords.decode` reports as damage.
    """
    from nbtrack.codecs import decode_image, decode_png

    data = records.read(row["path"])
    if data is None:
        return None
    return decode_png(data) if row["path"].endswith(".png") else decode_image(data)


def _decode_audio(records: MediaRecords, row: dict[str, Any]) -> tuple[np.ndarray, int] | None:
    from nbtrack.codecs import decode_wav

    data = records.read(row["path"])
    return decode_wav(data) if data is not None else None


def _decode_video(records: MediaRecords, row: dict[str, Any]) -> tuple[np.ndarray, float] | None:
    from nbtrack.codecs import decode_apng

    data = records.read(row["path"])
    return decode_apng(data) if data is not None and row["path"].endswith(".png") else None


def _decode_json(records: MediaRecords, row: dict[str, Any]) -> Any:
    data = records.read(row["path"])
    return fmt.loads_json(data) if data is not None else None


def _decode_table(records: MediaRecords, row: dict[str, Any]) -> pd.DataFrame | None:
    import pandas as pd

    from nbtrack.values.table import decode_table

    data = records.read(row["path"])
    if data is None:
        return None
    columns, rows = decode_table(data, lambda suffix: _file_for(records, row, suffix))
    # object columns keep each cell exactly as logged (pandas would turn None into NaN in text columns)
    return pd.DataFrame(rows, columns=pd.Index(columns, dtype=object), dtype=object)


def _decode_figure(records: MediaRecords, row: dict[str, Any]) -> dict[str, Any]:
    files = _files(records, row)
    out = {suffix.lstrip("."): records.read(path) for suffix, path in files.items()} if files else {}
    if not files and row["path"]:
        out[Path(row["path"]).suffix.lstrip(".")] = records.read(row["path"])
    return out


def _decode_embedding(records: MediaRecords, row: dict[str, Any]) -> dict[str, Any]:
    from nbtrack.values.embedding import decode_embedding

    return decode_embedding(row["meta"], lambda suffix: _file_for(records, row, suffix))


DECODERS = {
    "image": _decode_image, "audio": _decode_audio, "video": _decode_video, "table": _decode_table,
    "figure": _decode_figure, "pr_curve": _decode_json, "embedding": _decode_embedding,
    "model": _decode_json,  # a model's structure (SummaryWriter.add_graph, graphs in TensorBoard files)
}
