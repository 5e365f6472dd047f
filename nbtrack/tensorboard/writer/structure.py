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
from nbtrack.values.prcurve import CURVE_KEYS

GRAPH_VERSION = 1


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


def model_graph(model: Any, input_to_model: Any = None) -> dict[str, Any]:
    """The module tree of a torch ``nn.Module``: type, output shape and parameter count of each module.

    Output shapes come from forward hooks during one forward pass under ``torch.no_grad()``
    (none when ``input_to_model`` is None). The document (FORMAT.md, kind ``model_graph``)::

        {"version": 1, "framework": "torch", "root": <module>, "input_shapes": [[...], ...]}
        <module> = {"name": "fc1", "path": "encoder.fc1", "type": "torch.nn.modules.linear.Linear",
                    "parameters": 1200, "trainable": 1200,   # this module's own, children excluded
                    "total_parameters": ...,                  # with its children
                    "output_shapes": [[2, 1200]] or null, "children": [<module>, ...]}

    >>> import torch
    >>> doc = model_graph(torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU()), torch.zeros(2, 3))
    >>> doc["root"]["total_parameters"], [c["output_shapes"] for c in doc["root"]["children"]]
    (20, [[[2, 5]], [[2, 5]]])
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"add_graph: model must be a torch.nn.Module, got {type(model).__name__}")
    shapes: dict[int, list[list[int]]] = {}
    hooks = [module.register_forward_hook(_recorder(shapes)) for module in model.modules()]
    inputs = () if input_to_model is None else (
        tuple(input_to_model) if isinstance(input_to_model, (list, tuple)) else (input_to_model,))
    try:
        if inputs:
            with torch.no_grad():
                model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return {"version": GRAPH_VERSION, "framework": "torch",
            "input_shapes": [_shapes_of(x) for x in inputs],
            "root": _node(model, "", "", shapes)}


def _recorder(shapes: dict[int, list[list[int]]]) -> Any:
    def hook(module: Any, _inputs: Any, output: Any) -> None:
        shapes.setdefault(id(module), _flat_shapes(output))
    return hook


def _flat_shapes(output: Any) -> list[list[int]]:
    if hasattr(output, "shape") and hasattr(output, "dtype"):
        return [list(map(int, output.shape))]
    if isinstance(output, (list, tuple)):
        return [s for item in output for s in _flat_shapes(item)]
    if isinstance(output, dict):
        return [s for item in output.values() for s in _flat_shapes(item)]
    return []


def _shapes_of(x: Any) -> list[int] | None:
    return list(map(int, x.shape)) if hasattr(x, "shape") else None


def _node(module: Any, name: str, path: str, shapes: dict[int, list[list[int]]]) -> dict[str, Any]:
    own = list(module.parameters(recurse=False))
    children = [_node(child, child_name, f"{path}.{child_name}" if path else child_name, shapes)
                for child_name, child in module.named_children()]
    count = sum(p.numel() for p in own)
    return {"name": name, "path": path, "type": f"{type(module).__module__}.{type(module).__qualname__}",
            "parameters": int(count), "trainable": int(sum(p.numel() for p in own if p.requires_grad)),
            "total_parameters": int(count + sum(c["total_parameters"] for c in children)),
            "output_shapes": shapes.get(id(module)), "children": children}


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
