"""``nbtrack.ModelGraph``: a torch model's module tree, stored as a ``model_graph`` record (FORMAT.md 2.2).

The same document ``SummaryWriter.add_graph`` stores and the dashboard's model panel shows;
``Run.watch(log_graph=True)`` logs it too. Kept as JSON in the record's ``text``.
"""

from __future__ import annotations

import json
from typing import Any

from ._base import Encoded, Value

GRAPH_VERSION = 1


class ModelGraph(Value):
    """The module tree of a torch ``nn.Module`` (see :func:`model_graph`), as a value ``log()`` takes.

    >>> import nbtrack, tempfile, torch
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="g") as run:
    ...     run.log({"model_graph": nbtrack.ModelGraph(torch.nn.Linear(3, 2))})
    >>> nbtrack.open(d).run("g").media("model_graph")["kind"].tolist()
    ['model_graph']
    """

    KIND = "model_graph"

    def __init__(self, model: Any, input_to_model: Any = None) -> None:
        self.text = json.dumps(model_graph(model, input_to_model), ensure_ascii=False, allow_nan=False)

    @property
    def nbytes(self) -> int:
        return len(self.text) * 4

    def encode(self) -> Encoded:
        return Encoded(self.KIND, {"caption": None}, text=self.text)


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
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
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


