"""A model's structure as the dashboard's ``model`` panel shows it.

The panel (``js/src/modeltree.js``) takes ``{"format", "root", "nodes"}`` with ``root`` a tree of
``{"name", "type", "shape", "params", "children"}``. Graphs read from TensorBoard files arrive in
that form already (``nbtrack/tensorboard/reader/graphs.py``); ``SummaryWriter.add_graph`` stores a
``model_graph`` record (FORMAT.md 2.2), converted here.

>>> import json
>>> doc = {"version": 1, "framework": "torch", "root": {"name": "", "type": "torch.nn.Sequential",
...        "total_parameters": 20, "output_shapes": [[2, 5]], "children": [{"name": "0",
...        "type": "torch.nn.modules.linear.Linear", "total_parameters": 20, "output_shapes": [[2, 5]],
...        "children": []}]}}
>>> tree = json.loads(panel_json(json.dumps(doc)))
>>> tree["nodes"], tree["root"]["children"][0]["type"], tree["root"]["children"][0]["shape"]
(2, 'Linear', [2, 5])
"""

from __future__ import annotations

import json
from typing import Any

from nbtrack.store.format import loads_json

MODEL_KIND = "model"
MAX_NODES = 100_000  # a module tree beyond this is cut (the panel pages children anyway)


def panel_json(model_graph_text: str) -> bytes:
    """A ``model_graph`` record's JSON text as the panel's JSON (``ValueError`` when it is not one)."""
    doc = loads_json(model_graph_text)
    if not isinstance(doc, dict) or not isinstance(doc.get("root"), dict):
        raise ValueError("a model_graph record must be a JSON object with a 'root' module")
    budget = [MAX_NODES]
    root = _node(doc["root"], budget)
    return json.dumps({"format": "modules", "root": root, "nodes": MAX_NODES - budget[0]}).encode()


def _node(module: dict[str, Any], budget: list[int]) -> dict[str, Any]:
    budget[0] -= 1
    shapes = module.get("output_shapes")
    shape = shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes
    children = [c for c in module.get("children") or [] if isinstance(c, dict)]
    return {"name": str(module.get("name") or "model"), "type": str(module.get("type", "")).rsplit(".", 1)[-1],
            "shape": shape, "params": module.get("total_parameters"),
            "children": [_node(child, budget) for child in children if budget[0] > 0]}
