"""Plugin payloads: hparams, custom scalar layouts, graphs (GraphDef scopes, Keras layer trees).

Like ``kinds.py``, every function raises ``ValueError`` for what it cannot decode.
"""

from __future__ import annotations

import json
from typing import Any

import nbtrack.tensorboard.events.proto as proto  # by full name: no cycle through __init__

MAX_JSON = 64 << 20  # characters of a Keras model config
MAX_DEPTH = 64  # nesting of a Keras layer tree


def _strings(tensor: Any) -> list[bytes]:
    if tensor.dtype != proto.DT_STRING:
        raise ValueError(f"expected a string tensor, got dtype {tensor.dtype}")
    return list(tensor.string_val)


# -- hparams, custom scalars --------------------------------------------------------------------

def _pvalue(v: Any) -> bool | float | str | None:
    kind = v.WhichOneof("kind")
    return {"bool_value": v.bool_value, "number_value": v.number_value,
            "string_value": v.string_value}.get(kind)


def hparams(content: bytes) -> dict[str, Any]:
    data = proto.HParamsPluginData.FromString(content)
    which = data.WhichOneof("data")
    if which == "session_start_info":
        s = data.session_start_info
        return {"session_start": {"hparams": {e.key: _pvalue(e.value) for e in s.hparams},
                                  "group_name": s.group_name, "start_time_secs": s.start_time_secs}}
    if which == "session_end_info":
        e = data.session_end_info
        return {"session_end": {"status": proto.HPARAMS_STATUS.get(e.status, str(e.status)),
                                "end_time_secs": e.end_time_secs}}
    if which == "experiment":
        return {"experiment": _experiment(data.experiment)}
    raise ValueError("hparams plugin data holds nothing")


def _experiment(x: Any) -> dict[str, Any]:
    return {"name": x.name, "description": x.description, "user": x.user,
            "time_created_secs": x.time_created_secs,
            "hparams": [_hparam_info(h) for h in x.hparam_infos],
            "metrics": [{"group": m.name.group, "tag": m.name.tag, "display_name": m.display_name,
                         "description": m.description,
                         "dataset_type": proto.DATASET_TYPE.get(m.dataset_type, str(m.dataset_type))}
                        for m in x.metric_infos]}


def _hparam_info(h: Any) -> dict[str, Any]:
    info = {"name": h.name, "display_name": h.display_name, "description": h.description,
            "type": proto.HPARAMS_TYPE.get(h.type, str(h.type))}
    which = h.WhichOneof("domain")
    if which == "domain_discrete":
        info["domain"] = {"values": [_pvalue(v) for v in h.domain_discrete.values]}
    elif which == "domain_interval":
        info["domain"] = {"min": h.domain_interval.min_value, "max": h.domain_interval.max_value}
    return info


def custom_scalars(tensor: Any) -> dict[str, Any]:
    vals = _strings(tensor)
    if len(vals) != 1:
        raise ValueError(f"custom scalars layout tensor holds {len(vals)} strings")
    layout = proto.Layout.FromString(vals[0])
    return {"layout": {"categories": [
        {"title": c.title, "closed": c.closed, "charts": [_chart(ch) for ch in c.chart]}
        for c in layout.category]}}


def _chart(ch: Any) -> dict[str, Any]:
    if ch.WhichOneof("content") == "margin":
        return {"title": ch.title, "margin": [{"value": s.value, "lower": s.lower, "upper": s.upper}
                                              for s in ch.margin.series]}
    return {"title": ch.title, "multiline": list(ch.multiline.tag)}


# -- graphs -------------------------------------------------------------------------------------

def keras_model(tensor: Any) -> dict[str, Any]:
    vals = _strings(tensor)
    if len(vals) != 1 or len(vals[0]) > MAX_JSON:
        raise ValueError("Keras model tensor is not one bounded string")
    return {"format": "keras", "data": vals[0].decode("utf-8", errors="replace")}


def graph_def_scopes(data: bytes) -> dict[str, int]:
    """Node count of a serialized ``GraphDef`` grouped by top-level name scope.

    >>> g = proto.GraphDef()
    >>> for name in ("Net/fc1/weight", "Net/fc1/bias", "input/x", "output"):
    ...     _ = g.node.add(name=name)
    >>> graph_def_scopes(g.SerializeToString())
    {'Net': 2, 'input': 1, 'output': 1}
    """
    scopes: dict[str, int] = {}
    for node in proto.GraphDef.FromString(data).node:
        top = node.name.split("/", 1)[0]
        scopes[top] = scopes.get(top, 0) + 1
    return scopes


def keras_layers(config_json: str) -> list[dict[str, Any]]:
    """The layer tree of a Keras model config (``model.to_json()``): name, class_name, children.

    >>> keras_layers('{"class_name": "Sequential", "config": {"name": "m", "layers": ['
    ...              '{"class_name": "Dense", "config": {"name": "d1"}}]}}')
    [{'name': 'd1', 'class_name': 'Dense', 'children': []}]
    """
    if len(config_json) > MAX_JSON:
        raise ValueError("Keras config over the size bound")
    try:
        model = json.loads(config_json)
    except RecursionError:
        raise ValueError("Keras config nested too deeply") from None
    return _layers(model, 0)


def _layers(model: Any, depth: int) -> list[dict[str, Any]]:
    if depth > MAX_DEPTH or not isinstance(model, dict):
        return []
    config = model.get("config")
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list):
        return []
    out = []
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        out.append({"name": str(cfg.get("name", layer.get("name", ""))),
                    "class_name": str(layer.get("class_name", "")),
                    "children": _layers(layer, depth + 1)})
    return out
