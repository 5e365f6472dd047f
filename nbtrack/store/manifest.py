"""Checking ``run.json`` and writer manifests against FORMAT.md's schema, on read.

A manifest is written by nbtrack, but a reader must survive one that was not: a field of
the wrong type is dropped (the run is read with what is left) and named in a problem,
never passed on to crash a table or a view. JSON files are read with a size bound, and
nesting deeper than a bound is refused, so a hostile file costs neither unbounded memory
nor a ``RecursionError``.

>>> clean, problems = check_manifest({"status": "finished", "config": "x", "heartbeat": 1.5})
>>> clean
{'status': 'finished', 'heartbeat': 1.5}
>>> problems
["field 'config' is str, expected a JSON object"]
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .status import STATUSES

MAX_JSON_BYTES = 16 * 2**20  # a manifest or run.json larger than this is not read
MAX_DEPTH = 32  # nesting of config / summary values beyond this is refused
MAX_TIME = 9.2e9  # Unix seconds; beyond pandas' Timestamp range (year 2262)


def read_json_bounded(path: Path, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """A JSON object from ``path``, read only when at most ``max_bytes`` long.

    ``ValueError`` names the reason when the file is larger, is not JSON, nests too deeply
    for the parser, or is not an object; ``OSError`` when it cannot be opened.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        raw = f.read(min(size, max_bytes) + 1)  # not read(max_bytes): that would allocate it
        if size < len(raw) <= max_bytes:  # grew meanwhile
            raw += f.read(max_bytes + 1 - len(raw))
    if len(raw) > max_bytes:
        raise ValueError(f"larger than {max_bytes:,} bytes; not read")
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    return data


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a JSON value (0 for a scalar), counted without recursion up to ``limit + 1``."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        items = item.values() if isinstance(item, dict) else item
        stack.extend([(v, level + 1) for v in items if isinstance(v, (dict, list))])
    return deepest


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_time(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= MAX_TIME


def _is_object(v: Any) -> bool:
    return isinstance(v, dict) and depth(v) <= MAX_DEPTH


def _is_list(v: Any) -> bool:
    return isinstance(v, list) and depth(v) <= MAX_DEPTH


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_tag_names(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_str_list(x) for x in v.values())


def _is_status(v: Any) -> bool:
    return v in STATUSES


Check = tuple[Callable[[Any], bool], str]
STEP_RULES = ("nbtrack", "tensorboard")  # 2.2: how a writer's steps are read (FORMAT.md)
STR: Check = (_is_str, "a string")
INT: Check = (_is_int, "an integer")
TIME: Check = (_is_time, f"a Unix time in seconds (0 to {MAX_TIME:g})")
OBJECT: Check = (_is_object, "a JSON object")
LIST: Check = (_is_list, "a list")
STR_LIST: Check = (_is_str_list, "a list of strings")

IDENTITY_FIELDS: dict[str, Check] = {
    "format_version": STR, "id": STR, "name": STR, "project": STR, "group": STR, "notes": STR,
    "entity": STR, "job_type": STR, "tags": STR_LIST, "config": OBJECT, "created": TIME,
    "host": STR, "pid": INT, "nbtrack_version": STR,
}
WRITER_FIELDS: dict[str, Check] = {
    "format_version": STR, "run_id": STR, "writer_id": STR,
    "status": (_is_status, f"one of {STATUSES}"), "exit_code": INT, "started": TIME, "heartbeat": TIME,
    "host": STR, "pid": INT, "python": STR, "nbtrack_version": STR, "name": STR, "tags": STR_LIST,
    "notes": STR, "config": OBJECT, "summary": OBJECT, "metrics": LIST, "step": INT,
    "files": STR_LIST, "tag_names": (_is_tag_names, "an object of lists of strings"), "errors": STR_LIST,
    "abandoned": OBJECT,
    "step_rule": ((lambda v: v in STEP_RULES), f"one of {STEP_RULES}"), "purge_step": INT,
}


def _check(data: dict[str, Any], fields: dict[str, Check]) -> tuple[dict[str, Any], list[str]]:
    clean: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        check = fields.get(key)
        if value is None or check is None or check[0](value):
            clean[key] = value  # null is "not set"; unknown fields belong to later minor versions
        else:
            problems.append(f"field {key!r} is {_describe(value)}, expected {check[1]}")
    return clean, problems


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)) and depth(value) > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def check_identity(identity: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``run.json`` without its wrong-typed fields, and a problem per field dropped."""
    return _check(identity, IDENTITY_FIELDS)


def check_manifest(manifest: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A writer manifest without its wrong-typed fields, and a problem per field dropped."""
    return _check(manifest, WRITER_FIELDS)
