"""``nbtrack.SummaryWriter``: ``torch.utils.tensorboard.SummaryWriter``'s API, recording an nbtrack run.

Each ``add_*`` appends to memory as ``run.log`` does (nbtrack's writer thread stores it),
keeping TensorBoard's steps: per tag, as given (0 when ``global_step`` is None), free to
repeat, go back or restart. ``log_dir`` is the run's folder; reopening it continues the run.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from nbtrack.record.create import open_run_at
from nbtrack.record.run import Run
from nbtrack.values import Audio, Embedding, Figure, Histogram, Image, Markdown, PRCurve, Video

from .shapes import (
    TensorShapeError,
    audio_samples,
    histogram_bins,
    make_np,
    pixels,
    prepare_video,
    scalar_of,
    step_of,
    to_hwc,
)
from .structure import JsonRecord, RawPRCurve, model_graph

GRAPH_TAG = "model_graph"
LAYOUT_TAG = "custom_scalars"
LIVE_FLUSH_SECS = 1.0  # at most this long between flushes, whatever flush_secs says: views stay live


class SummaryWriter:
    """Record an nbtrack run with the API of ``torch.utils.tensorboard.SummaryWriter``.

    ``log_dir`` (default ``runs/<date>_<host><comment>``, as torch's) is the run's folder:
    the run is named after the folder and its logdir is the folder above, so
    ``nbtrack.open("runs")`` lists it. Opening a writer on a folder that holds a run
    continues that run. ``purge_step`` drops, from what readers show, the run's earlier
    points at that step or above, as TensorBoard does. ``flush_secs`` bounds the time to
    disk (nbtrack flushes at least every second); ``max_queue`` and ``filename_suffix`` are
    accepted and have no use (nbtrack bounds its memory itself, and writes no event file).

    >>> import tempfile, nbtrack
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.SummaryWriter(f"{d}/exp1") as writer:
    ...     for step in range(3):
    ...         writer.add_scalar("loss", 1.0 / (step + 1), step)
    ...     writer.add_scalars("lr", {"encoder": 0.1, "decoder": 0.2}, 2)
    >>> run = nbtrack.open(d).run("exp1")
    >>> run.scalars("loss")["value"].tolist(), run.scalar_tags()
    ([1.0, 0.5, 0.3333333333333333], ['loss', 'lr/encoder', 'lr/decoder'])
    """

    def __init__(self, log_dir: str | os.PathLike[str] | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        elif not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"SummaryWriter(log_dir=...) takes a folder path (str or os.PathLike), got "
                            f"{type(log_dir).__name__}")
        try:
            flush = float(flush_secs)
        except (TypeError, ValueError):
            raise TypeError(f"SummaryWriter(flush_secs=...) takes seconds, got {flush_secs!r}") from None
        if not flush > 0:
            raise ValueError(f"SummaryWriter(flush_secs=...) must be > 0 seconds, got {flush_secs!r}")
        self.log_dir = str(log_dir)
        self.purge_step = None if purge_step is None else step_of(purge_step, "SummaryWriter(purge_step=...)")
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self._flush_interval = min(flush, LIVE_FLUSH_SECS)
        self._hparams: dict[str, Any] | None = None
        self._warned: set[str] = set()
        self._run: Run | None = None
        self._open()

    # -- the run ----------------------------------------------------------------------
    def _open(self) -> Run:
        fields: dict[str, Any] = {"step_rule": "tensorboard"}
        if self.purge_step is not None:
            fields["purge_step"] = self.purge_step
            self.purge_step = None  # as torch's writer: the purge applies when the writer is created
        self._run = open_run_at(self.log_dir, flush_interval=self._flush_interval, writer_fields=fields)
        self._point = self._run.log_point  # add_scalar's one call
        return self._run

    @property
    def run(self) -> Run:
        """The nbtrack run this writer records (reopened if the writer was closed)."""
        return self._run or self._open()

    @property
    def file_writer(self) -> Run | None:
        """torch's attribute: None once the writer is closed (the nbtrack run while it is open)."""
        return self._run

    def get_logdir(self) -> str:
        """The folder of the run (torch's ``get_logdir``)."""
        return self.log_dir

    def show(self, **options: Any) -> Any:
        """The run's live dashboard (``Run.show``)."""
        return self.run.show(**options)

    # -- scalars ----------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None, walltime: float | None = None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One point of ``tag`` at ``global_step`` (0 when None); ``scalar_value`` a number or 1-element tensor."""
        try:
            self._point(tag, scalar_value, 0 if global_step is None else global_step, walltime)
        except (TypeError, ValueError, RuntimeError):  # a tensor, a float step, ...: convert as torch does
            self.run.log_point(tag, scalar_of(scalar_value), step_of(global_step, "add_scalar"), walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: Any = None,
                    walltime: float | None = None) -> None:
        """Several scalars as the tags ``main_tag/key``, in this one run (torch makes a run per key)."""
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"add_scalars: tag_scalar_dict must be a dict of name -> value, got "
                            f"{type(tag_scalar_dict).__name__}")
        values = {f"{main_tag}/{key}": scalar_of(v, "add_scalars") if not isinstance(v, (int, float)) else v
                  for key, v in tag_scalar_dict.items()}
        step = step_of(global_step, "add_scalars")
        run = self._run or self._open()
        for tag, value in values.items():
            run.log_point(tag, value, step, walltime)

    def export_scalars_to_json(self, path: str | os.PathLike[str]) -> None:
        """tensorboardX's export: ``{"<log_dir>/<tag>": [[wall_time, step, value], ...]}`` of every scalar."""
        reader = self.run.stored()
        out = {}
        for tag in reader.scalar_tags():
            frame = reader.scalars(tag)
            out[f"{self.log_dir}/{tag}"] = [[float(t), int(s), float(v)] for s, t, v in
                                           zip(frame["step"], frame["time"], frame["value"])]
        Path(path).write_text(json.dumps(out), encoding="utf-8")

    # -- histograms -------------------------------------------------------------------
    def add_histogram(self, tag: str, values: Any, global_step: Any = None, bins: Any = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """A histogram of ``values``; ``bins`` is ``"tensorflow"``, a numpy estimator (``"auto"``, ``"fd"``,
        ...), a count or edges. Binning happens in nbtrack's writer thread (numpy estimators here)."""
        data = make_np(values, "values", "add_histogram")
        if data.size == 0:
            raise ValueError("add_histogram: values has no element (torch: 'The input has no element.')")
        self._add(tag, Histogram(data.reshape(-1), bins=histogram_bins(data.reshape(-1), bins, max_bins)),
                  global_step, walltime, "add_histogram")

    def add_histogram_raw(self, tag: str, min: float, max: float, num: int, sum: float, sum_squares: float,
                          bucket_limits: Any, bucket_counts: Any, global_step: Any = None,
                          walltime: float | None = None) -> None:
        """A histogram given as TensorBoard's buckets: ``bucket_limits`` are right edges, ``min`` the first left one."""
        limits = np.asarray(make_np(bucket_limits) if not isinstance(bucket_limits, list) else bucket_limits,
                            dtype=np.float64).reshape(-1)
        counts = np.asarray(make_np(bucket_counts) if not isinstance(bucket_counts, list) else bucket_counts,
                            dtype=np.float64).reshape(-1)
        if len(limits) != len(counts):
            raise ValueError(f"add_histogram_raw: len(bucket_limits) != len(bucket_counts) "
                             f"({len(limits)} != {len(counts)})")
        if not len(limits):
            raise ValueError("add_histogram_raw: bucket_limits is empty")
        first = float(min) if float(min) < limits[0] else limits[0] - (limits[1] - limits[0] if len(limits) > 1
                                                                      else 1.0)
        self._add(tag, Histogram(np_histogram=(counts, np.concatenate([[first], limits]))), global_step,
                  walltime, "add_histogram_raw")

    # -- images, figures, video, audio, text ---------------------------------------------
    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: float | None = None,
                  dataformats: str = "CHW") -> None:
        """One image; ``dataformats`` any order of ``CHW``, ``HWC``, ``HW`` (or ``NCHW``/``NHWC``, a grid).

        uint8 pixels are kept; other pixels are read as [0, 1] (scaled by 255 and clipped), as torch does.
        """
        self._add(tag, _image(img_tensor, dataformats, "add_image"), global_step, walltime, "add_image")

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: float | None = None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images drawn as one grid (8 per row, as torch draws it)."""
        self._add(tag, _image(img_tensor, dataformats, "add_images"), global_step, walltime, "add_images")

    def add_image_with_boxes(self, tag: str, img_tensor: Any, box_tensor: Any, global_step: Any = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: list[str] | None = None, **kwargs: Any) -> None:
        """An image and boxes ``(N, 4)`` of ``xmin, ymin, xmax, ymax`` pixels, kept as data (not drawn in)."""
        boxes = make_np(box_tensor, "box_tensor", "add_image_with_boxes")
        if boxes.ndim == 1 and boxes.size == 4:
            boxes = boxes.reshape(1, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise TensorShapeError(f"add_image_with_boxes: box_tensor must be (N, 4) xmin, ymin, xmax, ymax, "
                                   f"got shape {tuple(boxes.shape)}")
        if isinstance(labels, str):
            labels = [labels]
        if labels is not None and len(labels) != len(boxes):
            labels = None  # as torch: labels that do not match the boxes are left out
        data = [{"position": {"minX": float(b[0]), "minY": float(b[1]), "maxX": float(b[2]), "maxY": float(b[3])},
                 "box_caption": labels[i] if labels else ""} for i, b in enumerate(boxes)]
        hwc = to_hwc(make_np(img_tensor, "img_tensor", "add_image_with_boxes"), dataformats, "add_image_with_boxes")
        image = Image(pixels(hwc, "add_image_with_boxes"), dataformats="HW" if hwc.ndim == 2 else "HWC",
                      boxes={"boxes": {"box_data": data}})
        self._add(tag, image, global_step, walltime, "add_image_with_boxes")

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """A matplotlib figure (or a list: a gallery), rendered now as ``nbtrack.Figure`` renders.

        Closed afterwards when ``close`` (torch's default)."""
        figures = list(figure) if isinstance(figure, (list, tuple)) else [figure]
        values = [Figure(f) for f in figures]
        if close:
            import matplotlib.pyplot as plt

            for f in figures:
                plt.close(f)
        step = step_of(global_step, "add_figure")
        run = self._run or self._open()
        for i, value in enumerate(values):
            run.log_point(tag, value, step, walltime, index=i if len(values) > 1 else None)

    def add_video(self, tag: str, vid_tensor: Any, global_step: Any = None, fps: float = 4,
                  walltime: float | None = None, dataformats: str = "NTCHW") -> None:
        """Videos ``(N, T, C, H, W)`` (or another order of those axes, tensorboardX's ``dataformats``),
        tiled per frame as torch tiles them, stored as an animated PNG."""
        video = make_np(vid_tensor, "vid_tensor", "add_video")
        if dataformats.upper() != "NTCHW":
            fmt = dataformats.upper()
            if sorted(fmt) != sorted("NTCHW") or video.ndim != 5:
                raise TensorShapeError(f"add_video: dataformats={dataformats!r} does not fit a tensor of shape "
                                       f"{tuple(video.shape)}; use an order of the 5 letters N, T, C, H, W")
            video = video.transpose([fmt.index(c) for c in "NTCHW"])
        frames = prepare_video(video)
        self._add(tag, Video(frames, fps=fps, dataformats="THWC"), global_step, walltime, "add_video")

    def add_audio(self, tag: str, snd_tensor: Any, global_step: Any = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """A sound ``(1, L)`` or ``(L,)`` with samples in [-1, 1] (clipped, as torch clips them)."""
        samples = audio_samples(make_np(snd_tensor, "snd_tensor", "add_audio"))
        self._add(tag, Audio(samples, sample_rate=sample_rate), global_step, walltime, "add_audio")

    def add_text(self, tag: str, text_string: str, global_step: Any = None, walltime: float | None = None) -> None:
        """Text, shown as markdown (as TensorBoard shows it)."""
        self._add(tag, Markdown(text_string), global_step, walltime, "add_text")

    # -- curves, embeddings, structure ------------------------------------------------------
    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: Any = None,
                     num_thresholds: int = 127, weights: Any = None, walltime: float | None = None) -> None:
        """A precision-recall curve, computed in nbtrack's writer thread exactly as TensorBoard computes it."""
        curve = PRCurve(make_np(labels, "labels", "add_pr_curve"), make_np(predictions, "predictions", "add_pr_curve"),
                        num_thresholds=num_thresholds, weights=None if weights is None else make_np(weights))
        self._add(tag, curve, global_step, walltime, "add_pr_curve")

    def add_pr_curve_raw(self, tag: str, true_positive_counts: Any, false_positive_counts: Any,
                         true_negative_counts: Any, false_negative_counts: Any, precision: Any, recall: Any,
                         global_step: Any = None, num_thresholds: int = 127, weights: Any = None,
                         walltime: float | None = None) -> None:
        """A PR curve given as counts per threshold (stored as a ``pr_curve`` record)."""
        arrays = [np.asarray(a if isinstance(a, list) else make_np(a), dtype=np.float64)
                  for a in (true_positive_counts, false_positive_counts, true_negative_counts,
                            false_negative_counts, precision, recall)]
        curve = RawPRCurve(*arrays, num_thresholds=max(2, len(arrays[0].reshape(-1))))
        self._add(tag, curve, global_step, walltime, "add_pr_curve_raw")

    def add_embedding(self, mat: Any, metadata: Any = None, label_img: Any = None, global_step: Any = None,
                      tag: str = "default", metadata_header: list[str] | None = None) -> None:
        """Points ``(N, D)`` with labels and thumbnails ``(N, C, H, W)``, like TensorBoard's projector."""
        vectors = make_np(mat, "mat", "add_embedding")
        if vectors.ndim != 2:
            raise TensorShapeError(f"add_embedding: mat must be 2-D (N points, D dimensions), got shape "
                                   f"{tuple(vectors.shape)}")
        images = None
        if label_img is not None:
            thumbs = make_np(label_img, "label_img", "add_embedding")
            if thumbs.ndim != 4:
                raise TensorShapeError(f"add_embedding: label_img must be 4-D (N, C, H, W), got shape "
                                       f"{tuple(thumbs.shape)}")
            images = np.moveaxis(thumbs, 1, -1)
        self._add(tag, Embedding(vectors, metadata=_plain_metadata(metadata, len(vectors)), images=images,
                                 metadata_header=metadata_header), global_step, None, "add_embedding")

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The model's module tree (type, output shape from one forward pass under no_grad, parameters).

        Stored as a ``model_graph`` record (FORMAT.md) under the tag ``model_graph``; the forward pass
        raises what the model raises (a wrong input size, say), as torch's tracing does.
        """
        self._add(GRAPH_TAG, JsonRecord("model_graph", model_graph(model, input_to_model)), None, None, "add_graph")

    def add_custom_scalars(self, layout: dict[str, dict[str, list[Any]]]) -> None:
        """Chart layout ``{category: {title: ["Multiline", [tags]] or ["Margin", [value, lower, upper]]}}``.

        Stored as a ``chart_layout`` record (FORMAT.md) under the tag ``custom_scalars``.
        """
        self._add(LAYOUT_TAG, JsonRecord("chart_layout", chart_layout(layout)), None, None, "add_custom_scalars")

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """One multi-line chart of ``tags`` (tensorboardX)."""
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """One chart of a value and its lower and upper bound, ``tags = [value, lower, upper]`` (tensorboardX)."""
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    def add_tensor(self, tag: str, tensor: Any, global_step: Any = None, walltime: float | None = None) -> None:
        """A 1-element tensor is recorded as a scalar; larger tensors are not supported (a warning, nothing stored)."""
        data = make_np(tensor, "tensor", "add_tensor")
        if data.size == 1 and data.dtype.kind in "biuf":
            self.run.log_point(tag, float(data.reshape(-1)[0]), step_of(global_step, "add_tensor"), walltime)
            return
        self._not_supported("add_tensor", f"tensors of shape {tuple(data.shape)} (only 1-element ones, as scalars)")

    def add_mesh(self, tag: str, vertices: Any, colors: Any = None, faces: Any = None, config_dict: Any = None,
                 global_step: Any = None, walltime: float | None = None) -> None:
        """Not supported: warns once, stores nothing."""
        self._not_supported("add_mesh", "3D meshes")

    def add_onnx_graph(self, prototxt: Any) -> None:
        """Not supported: warns once, stores nothing."""
        self._not_supported("add_onnx_graph", "ONNX graphs")

    # -- hyperparameters ------------------------------------------------------------------
    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict[str, list[Any]] | None = None, run_name: str | None = None,
                    global_step: Any = None, *, name: str | None = None) -> None:
        """Hyperparameters become the run's config, metrics its summary: one row of ``nbtrack.open(...).runs()``.

        A later call with other hyperparameters (a search inside one writer) records them as a run of
        their own, as torch's writer records every call; torch's folder ``log_dir/<run_name>`` would sit
        inside this run's folder, where a logdir is not searched, so it is ``<log_dir>-<run_name or the
        time>`` beside it. Why not torch's child run for every call: in nbtrack a run is one row of the
        run table, so a training run's own hyperparameters and final metrics belong on its row, next to
        its curves, not on a second, curve-less run named by a time stamp. ``hparam_domain_discrete`` is
        accepted and not stored (the parallel-coordinates chart takes each axis from the values).
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict should be dictionary (got "
                            f"{type(hparam_dict).__name__} and {type(metric_dict).__name__})")
        run_name = run_name or name  # tensorboardX calls it name
        hparams = {k: _hparam(k, v) for k, v in hparam_dict.items()}
        metrics = {k: scalar_of(v, "add_hparams") for k, v in metric_dict.items()}
        if self._hparams is None or self._hparams == hparams:
            self._hparams = hparams
            target = self.run
            target.config.update(hparams, allow_val_change=True)
            target.summary.update(metrics)
            return
        folder = Path(self.log_dir)
        child = open_run_at(folder.parent / f"{folder.name}-{run_name or time.time()}",
                            flush_interval=self._flush_interval, writer_fields={"step_rule": "tensorboard"})
        child.config.update(hparams, allow_val_change=True)
        child.summary.update(metrics)
        child.finish()

    # -- flushing and closing -----------------------------------------------------------
    def flush(self) -> None:
        """Write everything recorded so far to disk now."""
        if self._run is not None:
            self._run.flush()

    def close(self) -> None:
        """Finish the run's writer (its thread ends); a later ``add_*`` reopens the run, as torch's does."""
        if self._run is not None:
            run, self._run = self._run, None
            self._point = self._reopened_point
            run.finish()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<nbtrack.SummaryWriter log_dir={self.log_dir!r} ({'open' if self._run else 'closed'})>"

    # -- helpers ----------------------------------------------------------------------
    def _add(self, tag: str, value: Any, global_step: Any, walltime: float | None, where: str) -> None:
        run = self._run or self._open()
        run.log_point(tag, value, step_of(global_step, where), walltime)

    def _reopened_point(self, *args: Any, **kwargs: Any) -> None:
        """``log_point`` after ``close()``: reopen the run first, as torch's writer reopens its file."""
        self._open().log_point(*args, **kwargs)

    def _not_supported(self, method: str, what: str) -> None:
        if method not in self._warned:
            self._warned.add(method)
            warnings.warn(f"nbtrack.SummaryWriter.{method}: {what} are not supported; nothing is stored",
                          UserWarning, stacklevel=3)


def _image(img_tensor: Any, dataformats: str, where: str) -> Image:
    hwc = to_hwc(make_np(img_tensor, "img_tensor", where), dataformats, where)
    return Image(pixels(hwc, where), dataformats="HW" if hwc.ndim == 2 else "HWC")


def _hparam(key: Any, value: Any) -> Any:
    if not isinstance(key, str):
        raise TypeError(f"add_hparams: hparam_dict keys must be str, got {type(key).__name__} {key!r}")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "numel") and hasattr(value, "item") and value.numel() == 1:  # a 1-element tensor
        return value.item()
    raise ValueError(f"add_hparams: hparam {key!r} is {type(value).__name__}; values should be one of int, float, "
                     "str, bool, or torch.Tensor")


def _plain_metadata(metadata: Any, n: int) -> Any:
    """Labels as torch's writer takes them: tensors and tuples of tensors become Python values."""
    if metadata is None:
        return None
    if not isinstance(metadata, (list, tuple)):
        metadata = make_np(metadata, "metadata", "add_embedding").tolist()
    rows = [_plain(row) for row in list(metadata)[:n]]
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def chart_layout(layout: Any) -> dict[str, Any]:
    """torch's custom-scalars layout as the documented ``chart_layout`` document (FORMAT.md 2.2).

    >>> chart_layout({"loss": {"both": ["Multiline", ["train/loss", "val/loss"]]}})["categories"][0]["charts"]
    [{'title': 'both', 'kind': 'multiline', 'tags': ['train/loss', 'val/loss']}]
    """
    if not isinstance(layout, dict):
        raise TypeError(f"add_custom_scalars: layout must be a dict of category -> {{title: [kind, tags]}}, got "
                        f"{type(layout).__name__}")
    categories = []
    for category, charts in layout.items():
        if not isinstance(charts, dict):
            raise TypeError(f"add_custom_scalars: layout[{category!r}] must be a dict of title -> [kind, tags], got "
                            f"{type(charts).__name__}")
        out = []
        for title, spec in charts.items():
            if not isinstance(spec, (list, tuple)) or len(spec) != 2 or spec[0] not in ("Multiline", "Margin"):
                raise ValueError(f"add_custom_scalars: layout[{category!r}][{title!r}] must be ['Multiline', [tags]] "
                                 f"or ['Margin', [value, lower, upper]], got {spec!r}")
            tags = [str(t) for t in spec[1]]
            if spec[0] == "Margin":
                if len(tags) != 3:
                    raise ValueError(f"add_custom_scalars: the margin chart {title!r} needs 3 tags (value, lower, "
                                     f"upper), got {len(tags)}")
                out.append({"title": str(title), "kind": "margin", "value": tags[0], "lower": tags[1],
                            "upper": tags[2]})
            else:
                out.append({"title": str(title), "kind": "multiline", "tags": tags})
        categories.append({"title": str(category), "charts": out})
    return {"version": 1, "categories": categories}
