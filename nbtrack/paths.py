"""Names that become paths: run ids and tag folder names, checked before they touch the disk.

Used both by the recorder (``record/``: a run id given to ``init``) and by the run
folder (``store/``: the folders media files are written to), so it sits below both and
imports nothing of nbtrack.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_COMPONENT_BYTES = 120


def check_run_id(run_id: object) -> str:
    """Validate a user-given run id (it becomes a folder name)."""
    if not isinstance(run_id, str) or not _ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise ValueError(
            f"init(id=...): {run_id!r} is not a valid run id; use 1 to 64 characters from "
            "A-Z a-z 0-9 _ . - starting with a letter or digit"
        )
    return run_id



def safe_component(name: str) -> str:
    """Map any string (a tag, a project name) to one safe file-name component.

    The result never contains a path separator, is never ``.``/``..`` or empty, keeps
    readable Unicode, and stays unique: when characters had to be replaced or the
    name shortened, a short hash of the original is appended.

    >>> safe_component("train/loss")
    'train_loss-fe909792'
    >>> safe_component("val")
    'val'
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


SYSTEM_PREFIX = "system/"  # tags of the system-metrics sampler (record/system.py): their own axis, no summary


def is_system_tag(tag: str) -> bool:
    """Whether ``tag`` is a system metric (``system/cpu``, ``system/gpu.0.gpu``, ...).

    Such tags are recorded at the run's current step without advancing it, and readers keep
    them out of the summary and of ``history()`` unless asked.

    >>> is_system_tag("system/cpu"), is_system_tag("train/loss")
    (True, False)
    """
    return tag.startswith(SYSTEM_PREFIX)
