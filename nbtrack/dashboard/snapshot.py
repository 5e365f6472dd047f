"""Snapshots: what a dashboard starts from, built from stored runs (pure numpy, no widget).

A snapshot is ``{"seq": n, "runs": [{"id", "name"}], "series": [{"run", "key", "steps",
"values", "times"}]}`` with float64 columns as ``bytes`` (binary buffers in widget state,
base64 in a static output). A series longer than ``max_points`` is reduced per bucket of
steps to its first, smallest, largest and last finite point, plus one point per bucket
that holds NaN or ±Inf (M4, the same rule the browser uses), so every spike and every
non-finite step stays visible and the first and last points are always kept.

``"media"`` lists the stored values (images, histograms, audio, video, text, ...) as
``{"run", "key", "kind", "step", "index", "meta", "data": [bytes, ...]}``, with the same
buffers per kind as the live ``media`` message (``protocol.py``), the most recent
``max_per_tag`` steps of each tag (``media_of``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtrack.store.logdir import flatten
from nbtrack.store.tail import DamageReport

from .details import details_info
from .embeddings import embedding_parts
from .m4 import BUCKETS, reduced_series
from .protocol import (
    FIGURE_FORMATS,
    FILE_KINDS,
    MAX_OTHER_BYTES,
    TEXT_KINDS,
    MediaEntry,
    figure_file,
    inline_overlays,
    inline_table_cells,
    json_safe,
    media_entry,
)
from .structure import MODEL_KIND, panel_json

if TYPE_CHECKING:
    from nbtrack.store.media import MediaRecords
    from nbtrack.store.reader import RunReader

# Above this many points a series is reduced before it reaches the browser (4 x 8,192 buckets keeps
# 32 points per pixel column of a 1,000-pixel chart; 10M x 4 scalars then travel as ~1 MB per series).
MAX_POINTS = 200_000
# A static output shares a budget of points among its series (a chart per tag, a line per run): 1,000 runs
# or 10,000 tags then make an output of a few MB, not hundreds; each series keeps at least MIN_POINTS.
STATIC_POINTS = 300_000
MIN_POINTS = 16
MAX_PER_TAG = 100  # steps of each media tag a snapshot keeps (``pick_steps``; every gallery index of a step)


@dataclass(frozen=True)
class Resolution:
    """How much of each series and media tag an output keeps: one rule (M4 for series, ``pick_steps``
    for media), its limits chosen by the output.

    ``max_points``: a series longer than this is reduced to ``max_points // 5`` step ranges (at most
    ``BUCKETS``); ``budget``: points shared by all series (each gets an equal share, at least
    ``MIN_POINTS``); ``media_per_tag``: steps kept per media tag (None: all); ``compact``: steps and
    times as compact columns (``compact.py``: step ranges, millisecond times), and values as float32
    unless ``exact_values``.
    """

    max_points: int = MAX_POINTS
    budget: int | None = STATIC_POINTS
    media_per_tag: int | None = MAX_PER_TAG
    compact: bool = False
    exact_values: bool = False

    def points_per_series(self, series: int) -> int:
        """The points each of ``series`` series may keep.

        >>> REPORT.points_per_series(200), REPORT.points_per_series(1), NOTEBOOK.points_per_series(10_000)
        (3000, 10000, 30)
        """
        if self.budget is None:
            return self.max_points
        return max(MIN_POINTS, min(self.max_points, self.budget // max(1, series)))


# The notebook's static output: series above 200,000 points keep 8,192 step ranges, within 300,000 points in all.
NOTEBOOK = Resolution()
# An HTML report: every series to about a chart's width (2,000 step ranges, fewer when there are many series:
# 600,000 points in all keep 200 series under 10 MB with room for media), compact columns, the newest and
# spread-out media.
REPORT = Resolution(max_points=10_000, budget=600_000, media_per_tag=20, compact=True)
# A report with full_resolution=True: every point and every value exact (steps as ranges where they form one).
FULL = Resolution(max_points=2**62, budget=None, media_per_tag=None, compact=True, exact_values=True)


def series_of(reader: RunReader, max_points: int = MAX_POINTS,
              tags: tuple[list[str], dict[int, list[Any]]] | None = None,
              wanted: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    """Every scalar series the reader holds (``tags``: its ``tag_pieces()``; ``wanted``: only tags
    this matches), reduced above ``max_points``."""
    names, pieces = tags if tags is not None else reader.tag_pieces()
    buckets = max(1, min(BUCKETS, max_points // 5))  # M4: up to 4 points per bucket, and its NaN markers
    out = []
    for tag_id, key in enumerate(names):
        if wanted is not None and not wanted.search(key):
            continue
        (steps, values, times), total = reduced_series(pieces[tag_id], max_points, buckets)
        out.append({"run": reader.id, "key": key, "steps": steps.tobytes(),
                    "values": values.tobytes(), "times": times.tobytes(), "n": total})
    return out


def run_info(reader: RunReader) -> dict[str, Any]:
    """What the run table, the hyperparameter view and run grouping show of a run (JSON-safe, config and
    summary flat; ``group`` only when the run has one).

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r", config={"opt": {"lr": 0.1}}) as run:
    ...     run.log({"loss": 0.5})
    >>> info = run_info(nbtrack.open(d).run("r"))
    >>> info["name"], info["status"], info["config"], info["summary"]["loss"], "group" in info
    ('r', 'finished', {'opt.lr': 0.1}, 0.5, False)
    >>> with nbtrack.init(dir=d, name="g", group="sweep") as run:
    ...     run.log({"loss": 0.5})
    >>> run_info(nbtrack.open(d).run("g"))["group"]
    'sweep'
    >>> with nbtrack.init(dir=d, name="m") as run:
    ...     run.define_metric("epoch/*", step_metric="epoch")
    >>> run_info(nbtrack.open(d).run("m"))["metrics"]
    [{'name': 'epoch/*', 'step_metric': 'epoch'}]
    """
    summary = {k: v for k, v in flatten("", reader.summary).items() if not k.startswith("_")}
    info = {"id": reader.id, "name": reader.name, "status": reader.status, "created": reader.created,
            "updated": reader.updated, "config": flatten("", reader.config), "summary": summary}
    if reader.group:  # the browser can group runs by it ("group runs by": group)
        info["group"] = reader.group
    metrics = step_metrics_of(getattr(reader, "metric_definitions", None) or [])
    if metrics:  # define_metric(name, step_metric=...): the charts of `name` use that metric as x
        info["metrics"] = metrics
    layout = getattr(reader, "layout", None)
    if layout:  # TensorBoard's custom_scalars layout: charts of several tags, margin bands
        info["layout"] = layout
    details = details_info(reader.details()) if hasattr(reader, "details") else None
    if details:  # the run-details panel: saved files, artifacts, alerts, environment (details.py)
        info["details"] = details
    return json_safe(info)


def step_metrics_of(definitions: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The ``define_metric`` definitions that name a step metric, as the browser reads them
    (``{"name", "step_metric"}``, in definition order: for a tag, an exact name wins, else the last
    glob that matches it; ``js/src/xaxis.js``).

    >>> step_metrics_of([{"name": "loss", "summary": ["min"], "step_metric": None},
    ...                  {"name": "epoch/*", "step_metric": "epoch"}])
    [{'name': 'epoch/*', 'step_metric': 'epoch'}]
    """
    return [{"name": d["name"], "step_metric": d["step_metric"]} for d in definitions
            if isinstance(d, dict) and isinstance(d.get("name"), str) and isinstance(d.get("step_metric"), str)
            and d["step_metric"]]


def snapshot_of(readers: Iterable[RunReader], seq: int = 0, max_points: int = MAX_POINTS,
                max_per_tag: int | None = MAX_PER_TAG, catch_up: bool = True,
                budget: int | None = None, tags: re.Pattern[str] | None = None) -> dict[str, Any]:
    """The snapshot of several stored runs (one dashboard overlays them, one colour per run).

    ``catch_up`` reads what each run appended since its reader last looked; without it the
    snapshot holds exactly what the readers hold (a live view read up to a position). ``budget``
    bounds the points of all series together (each series gets an equal share, at least
    ``MIN_POINTS`` and at most ``max_points``); static outputs use ``STATIC_POINTS``. ``tags``
    keeps only the tags (series and media) it matches.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="r") as run:
    ...     run.log({"loss": 0.5, "note": nbtrack.Text("hello")})
    >>> snap = snapshot_of([nbtrack.open(d).run("r")])
    >>> sorted(snap), snap["series"][0]["key"], snap["media"][0]["meta"]["text"]
    (['media', 'runs', 'seq', 'series'], 'loss', 'hello')
    """
    readers = list(readers)
    runs, series, media = [], [], []
    for reader in readers:
        if catch_up:
            reader.catch_up()
    pieces = [reader.tag_pieces() for reader in readers]
    if budget is not None:
        count = sum(sum(1 for key in names if tags is None or tags.search(key)) for names, _ in pieces)
        max_points = Resolution(max_points, budget).points_per_series(count)
    for reader, reader_tags in zip(readers, pieces):
        runs.append(run_info(reader))
        series.extend(series_of(reader, max_points, reader_tags, tags))
        media.extend(m for m in media_of(reader, max_per_tag, catch_up=False) if tags is None or tags.search(m["key"]))
    return {"seq": seq, "runs": runs, "series": series, "media": media}


MAX_TAG_BYTES = 16 * 2**20  # and at most this much data per tag (a dashboard's saved output stays sane)


def media_of(reader: RunReader, max_per_tag: int | None = MAX_PER_TAG, catch_up: bool = True) -> list[MediaEntry]:
    """The stored values of one run, per tag, as ``{"run", "key", "kind", "step", "index", "meta", "data"}``.

    Bounded: of each tag only ``max_per_tag`` steps are kept (``pick_steps``: the newest half, the
    rest spread over the older ones), each
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
    [('histogram', 0, 2), ('histogram', 4, 2)]
    """
    if catch_up:
        reader.catch_up()
    records = reader.media_records
    out: list[MediaEntry] = []
    for tag, rows in records.histograms.items():
        out.extend(_within_bytes(_entries(reader.id, tag, _recent(rows, max_per_tag), records, histogram=True)))
    for tag, rows in records.media.items():
        out.extend(_within_bytes(_entries(reader.id, tag, _recent(rows, max_per_tag), records, histogram=False)))
    return out


def media_entries(reader: RunReader, tag: str, rows: list[dict[str, Any]], histogram: bool) -> list[MediaEntry]:
    """Entries of some stored values of one tag (a watcher's new rows), in step, then index, order."""
    return _entries(reader.id, tag, _recent(rows, None), reader.media_records, histogram=histogram)


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


def pick_steps(steps: Iterable[int], limit: int | None) -> list[int]:
    """The steps of a media tag an output keeps: the newest half of ``limit`` and, for the other half,
    steps evenly spaced over the older ones (so a long run still shows how its pictures changed).

    >>> pick_steps(range(100), 6)
    [0, 32, 64, 97, 98, 99]
    >>> pick_steps([5, 1, 3], 10), pick_steps(range(5), 0), pick_steps(range(4), None)
    ([1, 3, 5], [], [0, 1, 2, 3])
    """
    ordered = sorted(set(steps))
    if limit is None or len(ordered) <= limit:
        return ordered
    if limit <= 0:
        return []
    newest = (limit + 1) // 2
    older = ordered[:-newest]
    spread = [older[int(i * len(older) / (limit - newest))] for i in range(limit - newest)]
    return sorted(set(spread)) + ordered[-newest:]


def _recent(rows: list[dict[str, Any]], max_per_tag: int | None) -> list[dict[str, Any]]:
    """The rows of the steps ``pick_steps`` keeps, ordered by step, then gallery index."""
    if max_per_tag is not None:
        kept = set(pick_steps((r["step"] for r in rows), max_per_tag))
        rows = [r for r in rows if r["step"] in kept]
    return sorted(rows, key=lambda r: (r["step"], -1 if r.get("index") is None else r["index"]))


def _stored_entry(run: str, tag: str, row: dict[str, Any], records: MediaRecords) -> MediaEntry | None:
    """One stored media record as an entry, its file read (None when a file it needs is missing)."""
    kind, main, meta = row["kind"], None, row["meta"]
    if kind == "chart_layout":  # not a panel: the charts read it as the run's layout (run_info)
        return None
    if kind == "model_graph":  # SummaryWriter.add_graph: the module tree, shown by the model panel
        return media_entry(run, tag, row["step"], None, MODEL_KIND, {"caption": None},
                           main=panel_json(row["text"] or ""))
    if kind == "embedding":  # its projection, metadata and sprite: not bound by MAX_OTHER_BYTES
        view, parts = embedding_parts(row["meta"], lambda suffix: records.file_for(row, suffix))
        index = row.get("index")
        return media_entry(run, tag, row["step"], index if isinstance(index, int) else None, kind,
                           {**row["meta"], "view": view}, parts=parts)
    if kind in FILE_KINDS:
        main = records.read(row["path"])
        if main is None:
            return None
        if kind == "image" and isinstance(meta, dict) and ("masks" in meta or "boxes" in meta):
            stored = meta.get("files") if isinstance(meta.get("files"), dict) else {}
            meta = inline_overlays(meta, lambda name: records.read(stored[name]) if name in stored else None)
    elif kind not in TEXT_KINDS:
        files = row["meta"].get("files") if isinstance(row.get("meta"), dict) else None
        files = files if isinstance(files, dict) else {}
        if kind == "figure" and files:  # its SVG, else its PNG (figure_file)
            ext = figure_file({name: records.size(path) for name, path in files.items()})
            main = records.read(files[ext]) if ext else None
            if ext and main is not None:
                meta = {**row["meta"], "format": FIGURE_FORMATS[ext]}
        else:
            size = records.size(row["path"])
            main = records.read(row["path"]) if size is not None and size <= MAX_OTHER_BYTES else None
        if kind == "table" and main is not None:
            main = inline_table_cells(main, lambda name: records.read(files[name]) if name in files else None)
    index = row.get("index")
    return media_entry(run, tag, row["step"], index if isinstance(index, int) else None, kind, meta,
                       main=main, text=row["text"])


def named_as(run: Any, infos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run-table entry of ``run``: what is stored, under the recorder's id and name."""
    return [{**info, "id": run.id, "name": run.name} for info in infos[:1]] or [{"id": run.id, "name": run.name}]
