"""Small filesystem helpers of the run folder: JSON files written atomically and read back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


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


def regular_files(folder: Path, suffix: str) -> tuple[list[Path], list[Path]]:
    """Regular files in ``folder`` whose name ends with ``suffix``, sorted, and the entries refused.

    A symbolic link is never followed (it could lead out of the run folder): it is returned
    among the refused, as is ``folder`` itself when it is a link. A missing folder has neither.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "a.json").write_text("{}")
    2
    >>> (d / "b.json").symlink_to(d / "a.json")
    >>> [p.name for p in regular_files(d, ".json")[0]], [p.name for p in regular_files(d, ".json")[1]]
    (['a.json'], ['b.json'])
    """
    if folder.is_symlink():
        return [], [folder]
    files: list[Path] = []
    refused: list[Path] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.endswith(suffix):
                    continue
                if entry.is_symlink():
                    refused.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    files.append(Path(entry.path))
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    return sorted(files), sorted(refused)
