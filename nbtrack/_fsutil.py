"""Small filesystem helpers: atomic JSON files and safe path components."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_COMPONENT_BYTES = 120


def write_json_atomic(path: Path, data: dict[str, Any], fsync: bool = False) -> None:
    """Write ``data`` as JSON to ``path`` so that readers see the old or the new file, never half.

    The file is written beside the target under a name unique to this process and
    thread, then moved over the target with ``os.replace``.
    """
    import threading

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    text = json.dumps(data, ensure_ascii=False, indent=1, default=_json_default)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object from ``path``; ``ValueError`` when it is not an object."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _json_default(value: Any) -> Any:
    """Encode numpy scalars and arrays that reach a manifest; anything else as a string."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return repr(value)


def safe_component(name: str) -> str:
    """Map any string (a tag, a project name) to one safe file-name component.

    The result never contains a path separator, is never ``.``/``..`` or empty, keeps
    readable Unicode, and stays unique: when characters had to be replaced or the
    name shortened, a short hash of the original is appended.

    >>> safe_component("train/loss")
    'train_loss-...'  # doctest: +SKIP
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    text = unicodedata.normalize("NFC", name)
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    changed = cleaned != name or not cleaned
    encoded = cleaned.encode("utf-8")
    if len(encoded) > _MAX_COMPONENT_BYTES:
        cleaned = encoded[:_MAX_COMPONENT_BYTES].decode("utf-8", "ignore")
        changed = True
    if changed:
        digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cleaned = f"{cleaned or '_'}-{digest}"
    return cleaned


def confined(root: Path, *parts: str) -> Path:
    """Join ``parts`` (each made safe) under ``root`` and check the result stays inside."""
    path = root.joinpath(*(safe_component(p) for p in parts))
    if os.path.commonpath([root.resolve(), path.resolve()]) != str(root.resolve()):
        raise ValueError(f"path {path} escapes {root}")
    return path
