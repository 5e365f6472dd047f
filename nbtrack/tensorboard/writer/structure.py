"""Values only ``SummaryWriter`` records: a model's structure, a chart layout, raw PR curves.

They have what the recorder's writer thread needs of a value (``frozen()``, ``nbytes``,
``encode()``) and are stored as media records (FORMAT.md): ``model_graph`` and
``chart_layout`` are JSON kept in the record's ``text``; a raw PR curve is an ordinary
``pr_curve`` record.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nbtrack.values._base import Encoded
from nbtrack.values.graph import GRAPH_VERSION, model_graph
from nbtrack.values.prcurve import CURVE_KEYS

__all__ = ["GRAPH_VERSION", "JsonRecord", "RawPRCurve", "model_graph"]


class JsonRecord:
    """A JSON document stored in-band as a media record of kind ``kind`` (FORMAT.md 2.2)."""

    def __init__(self, kind: str, document: dict[str, Any], meta: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        self.meta = dict(meta or {})

    @property
    def nbytes(self) -> int:
        return len(self.text) * 4

    def frozen(self) -> JsonRecord:
        return self

    def encode(self) -> Encoded:
        return Encoded(self.kind, {"caption": None, **self.meta}, text=self.text)


class RawPRCurve:
    """A PR curve given as TensorBoard's counts (``add_pr_curve_raw``): stored as a ``pr_curve`` record."""

    def __init__(self, tp: Any, fp: Any, tn: Any, fn: Any, precision: Any, recall: Any,
                 num_thresholds: int) -> None:
        arrays = [np.asarray(a, dtype=np.float64).reshape(-1) for a in (tp, fp, tn, fn, precision, recall)]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays) or n < 1:
            lengths = [len(a) for a in arrays]
            raise ValueError(f"add_pr_curve_raw: true/false positive/negative counts, precision and recall must "
                             f"have one equal, non-zero length, got {lengths}")
        if not 2 <= int(num_thresholds) <= 4096:
            raise ValueError(f"add_pr_curve_raw: num_thresholds must lie in 2..4096, got {num_thresholds}")
        self.num_thresholds = int(num_thresholds)
        names = ("tp", "fp", "tn", "fn", "precision", "recall")
        self.curve = dict(zip(names, arrays))
        self.curve["thresholds"] = np.linspace(0.0, 1.0, n)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.curve.values())

    def frozen(self) -> RawPRCurve:
        return self

    def encode(self) -> Encoded:
        body = {key: self.curve[key].tolist() for key in CURVE_KEYS}
        data = json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8")
        positives = float(self.curve["tp"][0] + self.curve["fn"][0])
        negatives = float(self.curve["fp"][0] + self.curve["tn"][0])
        meta = {"num_thresholds": self.num_thresholds, "positives": positives, "negatives": negatives,
                "weighted": False, "source": "raw"}
        return Encoded("pr_curve", meta, {".json": data})
