"""``nbtrack.import_tensorboard`` (``nbtrack import-tb``): a TensorBoard logdir converted into nbtrack runs.

Reading event files costs a decode of every record each time; an imported run reads at
nbtrack's own speed afterwards (columns per tag, checked by CRC, no protobuf). Each TensorBoard
run becomes an nbtrack run at the same path under the new logdir, recorded as
``nbtrack.SummaryWriter`` records (``Run.log_point``: TensorBoard's steps, per tag): scalars,
histograms (edges as written), images (their files as they were), audio, text, PR curves,
hparams (config), the custom scalars layout and graphs (the model panel's tree). The source
logdir is only read.

>>> import tempfile
>>> from tensorboardX import SummaryWriter
>>> src, dst = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> with SummaryWriter(f"{src}/train") as w:
...     for step in range(3): w.add_scalar("loss", 1.0 / (step + 1), step)
>>> import_tensorboard(src, dst, progress=False)
['train']
>>> import nbtrack
>>> nbtrack.open(dst).run("train").scalars("loss")["step"].tolist()
[0, 1, 2]
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.codecs import decode_wav
from nbtrack.record.create import open_run_at
from nbtrack.record.run import Run
from nbtrack.store.logdir import Logdir
from nbtrack.store.progress import progress_bar
from nbtrack.values import Audio, Histogram, Image, Markdown

from .reader.run import TensorBoardRun
from .writer.structure import JsonRecord, RawPRCurve


def import_tensorboard(tbdir: str | os.PathLike[str], logdir: str | os.PathLike[str], runs: str | None = None,
                       progress: bool | None = None) -> list[str]:
    """Convert every TensorBoard run under ``tbdir`` into an nbtrack run under ``logdir``; the names imported.

    ``runs`` is a regular expression searched in run names (the path under ``tbdir``): only those
    runs are imported. A run already in ``logdir`` (imported before) is left alone and said so.
    ``progress`` shows a progress bar over the points (tqdm; notebooks render it too); by default
    when the output is a terminal or a notebook.
    """
    source = Path(tbdir).expanduser()
    target = Path(logdir).expanduser()
    if not source.is_dir():
        raise FileNotFoundError(f"import_tensorboard(tbdir=...): {str(source)!r} is not a folder")
    if target.resolve() == source.resolve() or source.resolve() in target.resolve().parents:
        raise ValueError(f"import_tensorboard(logdir=...): {str(target)!r} lies inside tbdir {str(source)!r}; "
                         "choose a folder outside it (the source is only read)")
    pattern = re.compile(runs) if runs is not None else None
    readers = [r for r in Logdir(source).readers() if isinstance(r, TensorBoardRun)
               and (pattern is None or pattern.search(r.name))]
    total = sum(_points(r) for r in readers)
    imported = []
    with progress_bar(total, progress, unit=" points", desc="import-tb") as bar:
        for reader in readers:
            folder = target / reader.name
            if (folder / "run.json").exists():
                bar.write(f"nbtrack import-tb: {reader.name}: already in {target}; not imported again")
                continue
            _import_run(reader, folder, bar)
            imported.append(reader.name)
    return imported


def _points(reader: TensorBoardRun) -> int:
    return sum(len(reader.scalars(tag, columns=("step",))) for tag in reader.scalar_tags())


def _import_run(reader: TensorBoardRun, folder: Path, bar: Any) -> None:
    run = open_run_at(folder, name=reader.name, project="tensorboard", config=reader.config,
                      writer_fields={"imported_from": str(reader.path)})
    try:
        for tag in reader.scalar_tags():
            frame = reader.scalars(tag)
            log = run.log_point
            for step, wall_time, value in zip(frame["step"].tolist(), frame["time"].tolist(),
                                              frame["value"].tolist()):
                log(tag, value, step=step, wall_time=wall_time)
            bar.update(len(frame))
        for tag, kind in reader.media_tags().items():
            skipped = _import_values(run, reader, tag, kind)
            if skipped:
                bar.write(f"nbtrack import-tb: {reader.name}: {tag!r}: {skipped}")
        if reader.layout:
            run.log_point("custom_scalars", JsonRecord("chart_layout", chart_layout_of(reader.layout)), step=0)
    except BaseException:
        run.finish(exit_code=1)
        raise
    run.finish()


def _import_values(run: Run, reader: TensorBoardRun, tag: str, kind: str) -> str:
    """One histogram or media tag, value by value, at its steps and wall times; what was left out, said."""
    left_out: list[str] = []
    if kind == "histogram":
        for row in reader.histograms(tag).to_dict("records"):
            try:
                edges, counts = strictly_increasing(np.asarray(row["edges"]), np.asarray(row["counts"]))
                value: Any = Histogram(np_histogram=(counts, edges))
            except ValueError as exc:
                left_out.append(f"step {row['step']}: {exc}")
                continue
            run.log_point(tag, value, step=int(row["step"]), wall_time=float(row["time"]))
    else:
        for row in reader.media_records.media.get(tag, []):
            try:
                value = _value_of(reader, row)
            except (ValueError, TypeError, KeyError) as exc:
                left_out.append(f"step {row['step']}: {exc}")
                continue
            if value is not None:
                run.log_point(tag, value, step=int(row["step"]), wall_time=float(row["time"]),
                              index=row.get("index"))
    return f"{len(left_out)} values left out ({'; '.join(left_out[:3])})" if left_out else ""


def strictly_increasing(edges: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A histogram's buckets with zero or negative width merged into a neighbour, as nbtrack's histograms need
    edges that strictly increase (TF2 writes zero-width buckets for a constant tensor; tensorboardX's first
    bucket, empty, may end left of the minimum that is its left edge). Counts are kept.

    >>> e, c = strictly_increasing(np.array([0.0, 1.0, 1.0, 2.0]), np.array([1.0, 5.0, 2.0]))
    >>> e.tolist(), c.tolist()
    ([0.0, 1.0, 2.0], [6.0, 2.0])
    >>> strictly_increasing(np.array([3.0, 3.0]), np.array([4.0]))[0].tolist()
    [2.997, 3.003]
    """
    widths = np.diff(edges)
    keep = widths > 0
    if bool(keep.all()):
        return edges, counts
    if not keep.any():  # every value equal: one bucket around it
        centre = float(edges[0])
        half = 0.5 if centre == 0 else abs(centre) * 1e-3
        return np.array([centre - half, centre + half]), np.array([float(counts.sum())])
    slot = np.maximum(np.cumsum(keep) - 1, 0)  # a zero-width bucket joins the kept one before it
    merged = np.bincount(slot, weights=counts, minlength=int(keep.sum()))
    return np.r_[edges[:-1][keep], edges[1:][keep][-1]], merged


def _value_of(reader: TensorBoardRun, row: dict[str, Any]) -> Any:
    """A stored TensorBoard value as the nbtrack value that records it (None for kinds not kept)."""
    kind, media = row["kind"], reader.media_records
    if kind == "markdown":
        return Markdown(row["text"] or "")
    data = media.read(row["path"])
    if data is None:
        return None
    if kind == "image":
        return Image.from_bytes(data)
    if kind == "audio":
        samples, rate = decode_wav(data)
        return Audio(samples, sample_rate=rate)
    if kind == "pr_curve":
        curve = json.loads(data)
        return RawPRCurve(*(curve[k] for k in ("tp", "fp", "tn", "fn", "precision", "recall")),
                          num_thresholds=len(curve["tp"]))
    if kind == "model":
        return JsonRecord("model_graph", model_graph_of(json.loads(data)))
    return None


def model_graph_of(panel: dict[str, Any]) -> dict[str, Any]:
    """The model panel's tree (graphs in event files) as a ``model_graph`` document (FORMAT.md 2.2)."""
    def module(node: dict[str, Any], path: str) -> dict[str, Any]:
        children = [module(c, f"{path}.{c.get('name', '')}" if path else str(c.get("name", "")))
                    for c in node.get("children") or []]
        return {"name": str(node.get("name", "")), "path": path, "type": str(node.get("type", "")),
                "parameters": None, "trainable": None, "total_parameters": node.get("params"),
                "output_shapes": None, "children": children}

    return {"version": 1, "framework": panel.get("format"), "input_shapes": [], "root": module(panel["root"], "")}


def chart_layout_of(layout: dict[str, Any]) -> dict[str, Any]:
    """TensorBoard's custom scalars layout as a ``chart_layout`` document (FORMAT.md 2.2)."""
    categories = []
    for category in layout.get("categories") or []:
        charts: list[dict[str, Any]] = []
        for chart in category.get("charts") or []:
            if chart.get("multiline") is not None:
                charts.append({"title": chart.get("title", ""), "kind": "multiline", "tags": list(chart["multiline"])})
            for band in chart.get("margin") or []:
                charts.append({"title": chart.get("title", ""), "kind": "margin", **{
                    k: band.get(k, "") for k in ("value", "lower", "upper")}})
        categories.append({"title": category.get("title", ""), "charts": charts})
    return {"version": 1, "categories": categories}
