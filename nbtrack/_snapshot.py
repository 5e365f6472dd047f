"""Snapshots: what a dashboard starts from, built from stored runs (pure numpy, no widget).

A snapshot is ``{"seq": n, "runs": [{"id", "name"}], "series": [{"run", "key", "steps",
"values", "times"}]}`` with float64 columns as ``bytes`` (binary buffers in widget state,
base64 in a static output). A series longer than ``max_points`` is reduced per bucket of
steps to its first, smallest, largest and last finite point, plus one point per bucket
that holds NaN or ±Inf (M4, the same rule the browser uses), so every spike and every
non-finite step stays visible and the first and last points are always kept.

``"media"`` lists the stored values (images, histograms, audio, video, text, ...) as
``{"run", "key", "kind", "step", "index", "meta", "data": [bytes, ...]}``, with the same
buffers per kind as the live ``media`` message (``_protocol.py``), the most recent
``max_per_tag`` steps of each tag (``media_of``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._protocol import (
    FILE_KINDS,
    MAX_OTHER_BYTES,
    TEXT_KINDS,
    MediaEntry,
    inline_table_cells,
    json_safe,
    media_entry,
)
from ._tail import DamageReport

if TYPE_CHECKING:
    from ._media_reader import MediaRecords
    from .reader import RunReader

# Above this many points a series is reduced before it reaches the browser (4 x 8,192 buckets keeps
# 32 points per pixel column of a 1,000-pixel chart; 10M x 4 scalars then travel as ~1 MB per series).
MAX_POINTS = 200_000
BUCKETS = 8_192
MAX_PER_TAG = 100  # steps of each media tag a snapshot keeps (the most recent; every gallery index of a step)


def reduce_m4(steps: np.ndarray, values: np.ndarray, times: np.ndarray,
              buckets: int = BUCKETS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices-preserving M4 reduction of one series into ``buckets`` equal step ranges.

    >>> steps = np.arange(1_000_000.0); values = np.ones_like(steps); values[123_457] = 1000.0
    >>> s, v, t = reduce_m4(steps, values, steps, buckets=100)
    >>> len(v) <= 400, float(v.max()), float(s[0]), float(s[-1])
    (True, 1000.0, 0.0, 999999.0)
    """
    n = len(values)
    if n <= 4 * buckets:
        return steps, values, times
    order = None if bool(np.all(steps[1:] >= steps[:-1])) else np.argsort(steps, kind="stable")
    xs, ys = (steps, values) if order is None else (steps[order], values[order])
    lo, hi = float(xs[0]), float(xs[-1])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return steps, values, times
    edges = np.searchsorted(xs, np.linspace(lo, hi, buckets + 1)[1:-1], side="left")
    starts = np.unique(np.r_[0, edges])
    ends = np.r_[starts[1:], n]
    finite = np.isfinite(ys)
    keep = [starts, ends - 1]
    any_bad = not bool(finite.all())
    for a, b in zip(starts.tolist(), ends.tolist()):
        segment = ys[a:b]
        if any_bad:
            ok = np.flatnonzero(finite[a:b])
            if len(ok) < b - a:
                keep.append(np.array([a + int(np.flatnonzero(~finite[a:b])[0])]))  # a NaN/Inf marker
            if not len(ok):
                continue
            segment_ok = segment[ok]
            keep.append(a + ok[[int(segment_ok.argmin()), int(segment_ok.argmax())]])
        else:
            keep.append(np.array([a + int(segment.argmin()), a + int(segment.argmax())]))
    kept = np.unique(np.concatenate(keep))
    idx = kept if order is None else order[kept]  # in step order: what a line chart needs
    return steps[idx], values[idx], times[idx]


Piece = tuple[np.ndarray, np.ndarray, np.ndarray]  # steps, values, times of one tag in one stored batch


def _split_chunk(tag: np.ndarray, tag_count: int) -> dict[int, np.ndarray | slice]:
    """Rows of each tag in one stored batch: strided slices when the batch repeats one tag pattern
    (the usual case: every step logs the same metrics), else index arrays."""
    n = len(tag)
    if n == 0:
        return {}
    window = tag[: min(n, 257)]
    repeats = np.flatnonzero(window[1:] == window[0])
    k = int(repeats[0]) + 1 if len(repeats) else len(window)
    if n % k == 0 and len(np.unique(tag[:k])) == k and bool((tag.reshape(-1, k) == tag[:k]).all()):
        return {int(tag[j]): slice(j, None, k) for j in range(k)}
    if tag_count <= 64:
        rows = {t: np.flatnonzero(tag == t) for t in range(tag_count)}
    else:
        order = np.argsort(tag, kind="stable")
        bounds = np.searchsorted(tag[order], np.arange(tag_count + 1))
        rows = {t: order[bounds[t]:bounds[t + 1]] for t in range(tag_count)}
    return {t: r for t, r in rows.items() if len(r)}


def series_pieces(reader: RunReader) -> tuple[list[str], dict[int, list[Piece]]]:
    """Each scalar tag's points, per stored batch, as views where possible (no whole-run copy)."""
    names = reader.scalar_tags()
    pieces: dict[int, list[Piece]] = {t: [] for t in range(len(names))}
    for chunk in list(reader._chunks):
        for t, rows in _split_chunk(chunk.tag, len(names)).items():
            pieces[t].append((chunk.step[rows], chunk.value[rows], chunk.time[rows]))
    return names, pieces


def _m4_piece(piece: Piece, edges: np.ndarray) -> Piece:
    """One batch's points reduced to the first, last, min, max (and first non-finite) per bucket."""
    steps, values, times = piece
    if np.any(steps[1:] < steps[:-1]):
        order = np.argsort(steps, kind="stable")
        steps, values, times = steps[order], values[order], times[order]
    n = len(steps)
    starts = np.unique(np.r_[0, np.searchsorted(steps, edges, side="left")])
    starts = starts[starts < n]
    ends = np.r_[starts[1:], n]
    segment = np.repeat(np.arange(len(starts)), ends - starts)
    finite = np.isfinite(values)
    keep = [starts, ends - 1]
    for fill, ufunc in ((np.inf, np.minimum), (-np.inf, np.maximum)):
        masked = np.where(finite, values, fill)
        extreme = ufunc.reduceat(masked, starts)
        hits = np.flatnonzero((masked == extreme[segment]) & finite)
        keep.append(hits[np.r_[True, segment[hits][1:] != segment[hits][:-1]]] if len(hits) else hits)
    bad = np.flatnonzero(~finite)
    if len(bad):
        keep.append(bad[np.r_[True, segment[bad][1:] != segment[bad][:-1]]])
    kept = np.unique(np.concatenate(keep))
    return tuple(np.asarray(column[kept], np.float64) for column in (steps, values, times))  # type: ignore[return-value]


def _joined(pieces: list[Piece]) -> Piece:
    parts = [np.concatenate([np.asarray(p[i], np.float64) for p in pieces]) for i in range(3)]
    steps, values, times = parts
    if len(steps) > 1 and np.any(steps[1:] < steps[:-1]):  # several writers: merge by step
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order], times[order]
    return steps, values, times


def reduced_series(pieces: list[Piece], max_points: int = MAX_POINTS, buckets: int = BUCKETS) -> tuple[Piece, int]:
    """A tag's points joined, or, above ``max_points``, reduced batch by batch to ``buckets`` step
    ranges (the same ranges ``reduce_m4`` uses, so the result equals reducing the joined series)."""
    total = sum(len(p[0]) for p in pieces)
    if total <= max_points:
        return _joined(pieces), total
    lo = min(float(np.min(p[0][:1])) for p in pieces if len(p[0]))
    hi = max(float(np.max(p[0][-1:])) for p in pieces if len(p[0]))
    edges = np.linspace(lo, hi, buckets + 1)[1:-1]
    steps, values, times = _joined([_m4_piece(p, edges) for p in pieces if len(p[0])])
    return reduce_m4(steps, values, times, buckets), total


def series_of(reader: RunReader, max_points: int = MAX_POINTS) -> list[dict[str, Any]]:
    """Every scalar series of one stored run, reduced above ``max_points``."""
    names, pieces = series_pieces(reader)
    out = []
    for tag_id, key in enumerate(names):
        (steps, values, times), total = reduced_series(pieces[tag_id], max_points)
        out.append({"run": reader.id, "key": key, "steps": steps.tobytes(),
                    "values": values.tobytes(), "times": times.tobytes(), "n": total})
    return out


def run_info(reader: RunReader) -> dict[str, Any]:
    """What the run table and the hyperparameter view show of a run (JSON-safe, config and summary flat).

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r", config={"opt": {"lr": 0.1}}) as run:
    ...     run.log({"loss": 0.5})
    >>> info = run_info(nbtrack.open(d).run("r"))
    >>> info["name"], info["status"], info["config"], info["summary"]["loss"]
    ('r', 'finished', {'opt.lr': 0.1}, 0.5)
    """
    from .logdir import _flatten

    summary = {k: v for k, v in _flatten("", reader.summary).items() if not k.startswith("_")}
    return json_safe({"id": reader.id, "name": reader.name, "status": reader.status, "created": reader.created,
                      "updated": reader.updated, "config": _flatten("", reader.config), "summary": summary})


def snapshot_of(readers: Iterable[RunReader], seq: int = 0, max_points: int = MAX_POINTS,
                max_per_tag: int | None = MAX_PER_TAG) -> dict[str, Any]:
    """The snapshot of several stored runs (one dashboard overlays them, one colour per run).

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r") as run:
    ...     run.log({"loss": 0.5, "note": nbtrack.Text("hello")})
    >>> snap = snapshot_of([nbtrack.open(d).run("r")])
    >>> sorted(snap), snap["series"][0]["key"], snap["media"][0]["meta"]["text"]
    (['media', 'runs', 'seq', 'series'], 'loss', 'hello')
    """
    runs, series, media = [], [], []
    for reader in readers:
        runs.append(run_info(reader))
        series.extend(series_of(reader, max_points))
        media.extend(media_of(reader, max_per_tag))
    return {"seq": seq, "runs": runs, "series": series, "media": media}


MAX_TAG_BYTES = 16 * 2**20  # and at most this much data per tag (a dashboard's saved output stays sane)


def media_of(reader: RunReader, max_per_tag: int | None = MAX_PER_TAG) -> list[MediaEntry]:
    """The stored values of one run, per tag, as ``{"run", "key", "kind", "step", "index", "meta", "data"}``.

    Bounded: of each tag only the ``max_per_tag`` most recent (highest) steps are kept, each
    with every index of a gallery logged at that step (None keeps every step), and only as
    many of those as fit in ``MAX_TAG_BYTES`` (16 MiB; the newest step always). Within a
    tag, entries are in step, then index, order. A value that cannot travel (an image, audio
    or video whose file is missing, a malformed histogram) is left out; ``reader.damage`` names it.

    >>> import nbtrack, tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r") as run:
    ...     for step in range(5):
    ...         run.log({"w": nbtrack.Histogram(np.arange(10.0) * step, bins=4)})
    >>> [(m["kind"], m["step"], len(m["data"])) for m in media_of(nbtrack.open(d).run("r"), max_per_tag=2)]
    [('histogram', 3, 2), ('histogram', 4, 2)]
    """
    reader.media_tags()  # reads what was appended since the last look
    records = reader._media
    out: list[MediaEntry] = []
    for tag, rows in records.histograms.items():
        out.extend(_within_bytes(_entries(reader.id, tag, _recent(rows, max_per_tag), records, histogram=True)))
    for tag, rows in records.media.items():
        out.extend(_within_bytes(_entries(reader.id, tag, _recent(rows, max_per_tag), records, histogram=False)))
    return out


def _within_bytes(entries: list[MediaEntry], limit: int = MAX_TAG_BYTES) -> list[MediaEntry]:
    """The newest steps of one tag whose data fits in ``limit`` bytes (always the newest step)."""
    total, keep_from = 0, len(entries)
    steps = [e["step"] for e in entries]
    for i in range(len(entries) - 1, -1, -1):
        total += sum(len(d) for d in entries[i]["data"])
        if total > limit and steps[i] != steps[-1]:
            break
        keep_from = i
    while 0 < keep_from < len(entries) and steps[keep_from - 1] == steps[keep_from]:
        keep_from += 1  # never half a gallery
    return entries[keep_from:]


def _entries(run: str, tag: str, rows: list[dict[str, Any]], records: MediaRecords,
             histogram: bool) -> list[MediaEntry]:
    """The rows as entries; a row that cannot travel is left out and reported as damage."""
    out = []
    for row in rows:
        try:
            entry = _histogram_entry(run, tag, row) if histogram else _stored_entry(run, tag, row, records)
        except (ValueError, TypeError, KeyError) as exc:
            records.problems.append(DamageReport(tag, 0, 0, f"value at step {row.get('step')} left out of the "
                                                            f"dashboard: {exc}"))
            continue
        if entry is not None:
            out.append(entry)
    return out


def _histogram_entry(run: str, tag: str, row: dict[str, Any]) -> MediaEntry:
    meta = {k: v for k, v in row.items() if k not in ("step", "time", "edges", "counts")}
    return media_entry(run, tag, row["step"], None, "histogram", meta, edges=row["edges"], counts=row["counts"])


def _recent(rows: list[dict[str, Any]], max_per_tag: int | None) -> list[dict[str, Any]]:
    """The rows of the ``max_per_tag`` highest steps, ordered by step, then gallery index."""
    if max_per_tag is not None:
        kept = set(sorted({r["step"] for r in rows})[-max_per_tag:] if max_per_tag > 0 else [])
        rows = [r for r in rows if r["step"] in kept]
    return sorted(rows, key=lambda r: (r["step"], -1 if r.get("index") is None else r["index"]))


def _stored_entry(run: str, tag: str, row: dict[str, Any], records: MediaRecords) -> MediaEntry | None:
    """One stored media record as an entry, its file read (None when a file it needs is missing)."""
    kind, main = row["kind"], None
    if kind in FILE_KINDS:
        main = records.read(row["path"])
        if main is None:
            return None
    elif kind not in TEXT_KINDS:
        path = records.resolve(row["path"])
        try:
            small = path is not None and path.stat().st_size <= MAX_OTHER_BYTES
        except OSError:
            small = False
        main = records.read(row["path"]) if small else None
        files = row["meta"].get("files") if isinstance(row.get("meta"), dict) else None
        files = files if isinstance(files, dict) else {}
        if kind == "table" and main is not None:
            main = inline_table_cells(main, lambda name: records.read(files[name]) if name in files else None)
    index = row.get("index")
    return media_entry(run, tag, row["step"], index if isinstance(index, int) else None, kind, row["meta"],
                       main=main, text=row["text"])
