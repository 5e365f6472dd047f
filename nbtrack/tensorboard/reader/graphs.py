"""Graphs found in event files, as the model-structure value nbtrack's panels show (kind ``model``).

The stored form (JSON) is shared with ``SummaryWriter.add_graph``: ``{"format", "root", "nodes"}``
where ``root`` is a tree of ``{"name", "type", "shape", "params", "children"}`` (``shape`` and
``params`` None where the source does not say). A Keras model (the ``keras`` graph record) gives
its layer tree; an op-level ``GraphDef`` gives its node count grouped by top-level name scope.

>>> import json
>>> tree = model_value({"format": "keras", "data": '{"class_name": "Sequential", "config": {"name": "m", '
...                     '"layers": [{"class_name": "Dense", "config": {"name": "d1"}}]}}'})
>>> json.loads(tree)["root"]["children"][0]["type"]
'Dense'
"""

from __future__ import annotations

import json
from typing import Any

from nbtrack.tensorboard.events import graph_def_scopes, keras_layers

MODEL_KIND = "model"


def model_value(graph: dict[str, Any]) -> bytes | None:
    """The JSON of one graph record (``TBValue.data`` of kind ``graph``), or None for kinds not shown."""
    fmt, data = graph.get("format"), graph.get("data")
    if fmt == "keras" and isinstance(data, str):
        root = {"name": "model", "type": "Keras model", "shape": None, "params": None,
                "children": [_keras_node(layer) for layer in keras_layers(data)]}
        return json.dumps({"format": "keras", "root": root, "nodes": _count(root) - 1}).encode()
    if fmt == "graph_def" and isinstance(data, (bytes, bytearray)):
        scopes = graph_def_scopes(bytes(data))
        children = [{"name": name, "type": f"{count:,} ops", "shape": None, "params": None, "children": []}
                    for name, count in sorted(scopes.items(), key=lambda kv: -kv[1])]
        root = {"name": "graph", "type": "op graph", "shape": None, "params": None, "children": children}
        return json.dumps({"format": "graph_def", "root": root, "nodes": sum(scopes.values())}).encode()
    return None


def _keras_node(layer: dict[str, Any]) -> dict[str, Any]:
    return {"name": layer.get("name", ""), "type": layer.get("class_name", ""), "shape": None, "params": None,
            "children": [_keras_node(child) for child in layer.get("children") or []]}


def _count(node: dict[str, Any]) -> int:
    return 1 + sum(_count(child) for child in node["children"])
