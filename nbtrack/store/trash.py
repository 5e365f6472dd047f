"""Removing runs from a logdir: moved to ``<logdir>/.trash/`` (undoable) or deleted for good.

A trashed run folder becomes ``<logdir>/.trash/<UTC time>-<run id>/`` with a sidecar
``<same name>.json`` recording where it came from, so :func:`restore` can put it back. Run
discovery skips hidden folders, so a trashed run is no longer listed, watched or reported.

Nothing outside the logdir is ever moved or deleted: the run folder must lie strictly inside
the (resolved) logdir, and neither it nor any folder between the two may be a symbolic link.

>>> import nbtrack, tempfile
>>> d = tempfile.mkdtemp()
>>> with nbtrack.init(dir=d, id="r1") as run:
...     run.log({"loss": 1.0})
>>> entry = trash_run(d, nbtrack.open(d).run("r1"))
>>> len(nbtrack.open(d)), [e.run_id for e in list_trash(d)]
(0, ['r1'])
>>> restore(d, entry).name, len(nbtrack.open(d))
('r1', 1)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRASH_DIR = ".trash"
_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


@dataclass(frozen=True)
class TrashEntry:
    """One trashed run: its folder in the trash, its id, where it was (relative to the logdir), when trashed."""

    path: Path
    run_id: str
    origin: str
    trashed: float


def trash_run(logdir: str | os.PathLike[str], run: Any, *, now: float | None = None) -> Path:
    """Move a run folder (a ``RunReader`` or a folder path) into ``<logdir>/.trash/``; its new path.

    Raises ``ValueError`` when the folder is not strictly inside ``logdir`` (or is reached through
    a symbolic link) and ``FileNotFoundError`` when it is gone.
    """
    root = _logdir(logdir)
    folder = confined_run_folder(root, run)
    run_id = _run_id(run, folder)
    trash = root / TRASH_DIR
    trash.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    target = _free_name(trash, f"{stamp}-{_UNSAFE.sub('_', run_id)[:100]}")
    origin = folder.relative_to(root).as_posix()
    sidecar = target.with_name(target.name + ".json")
    sidecar.write_text(json.dumps({"run_id": run_id, "origin": origin, "trashed": time.time()}), encoding="utf-8")
    try:
        os.rename(folder, target)  # same file system: one atomic step, nothing copied
    except OSError:
        sidecar.unlink(missing_ok=True)
        raise
    return target


def purge_run(logdir: str | os.PathLike[str], run: Any) -> None:
    """Delete a run folder (a ``RunReader``, a folder path, or a :class:`TrashEntry`) for good.

    A run still in the logdir is first moved into the trash (so it disappears from the logdir at
    once), then deleted there; symbolic links inside it are removed, never followed.
    """
    root = _logdir(logdir)
    if isinstance(run, TrashEntry):
        target = confined_run_folder(root, run.path, in_trash=True)
    else:
        target = trash_run(root, run)
    shutil.rmtree(target)
    target.with_name(target.name + ".json").unlink(missing_ok=True)


def list_trash(logdir: str | os.PathLike[str]) -> list[TrashEntry]:
    """The runs in ``<logdir>/.trash/``, oldest first (an entry without its sidecar is listed by its name)."""
    trash = _logdir(logdir) / TRASH_DIR
    if not trash.is_dir() or trash.is_symlink():
        return []
    entries = []
    for folder in sorted(trash.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            continue
        info = _read_sidecar(folder)
        entries.append(TrashEntry(folder, str(info.get("run_id", folder.name)), str(info.get("origin", "")),
                                  float(info.get("trashed", folder.stat().st_mtime))))
    return sorted(entries, key=lambda e: (e.trashed, e.path.name))


def restore(logdir: str | os.PathLike[str], entry: TrashEntry | str | os.PathLike[str]) -> Path:
    """Move a trashed run back where it was; its restored path.

    ``entry`` is a :class:`TrashEntry`, its folder, or its name in the trash. Raises
    ``FileExistsError`` when something is at the old place again and ``ValueError`` when the
    entry does not say where it came from (or would land outside the logdir).
    """
    root = _logdir(logdir)
    trash = root / TRASH_DIR
    name = entry.path.name if isinstance(entry, TrashEntry) else Path(entry).name
    folder = confined_run_folder(root, trash / name, in_trash=True)
    origin = str(_read_sidecar(folder).get("origin", ""))
    if not origin:
        raise ValueError(f"restore(): {str(folder)!r} has no {name}.json saying where it came from; move it by hand")
    target = root / origin
    if os.path.isabs(origin) or ".." in Path(origin).parts or TRASH_DIR in Path(origin).parts:
        raise ValueError(f"restore(): origin {origin!r} of {name} is not a folder inside {str(root)!r}")
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"restore(): {str(target)!r} exists; move it away first")
    if root not in target.parent.resolve().parents and target.parent.resolve() != root:
        raise ValueError(f"restore(): {str(target)!r} would lie outside the logdir {str(root)!r}; refused")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(folder, target)
    folder.with_name(folder.name + ".json").unlink(missing_ok=True)
    return target


def confined_run_folder(root: Path, run: Any, *, in_trash: bool = False) -> Path:
    """The run's folder (``run.path`` or ``run`` itself), checked to lie strictly inside ``root`` (an
    absolute, resolved logdir) and not in its trash (or only there, ``in_trash``), reached without a
    symbolic link; ``ValueError`` otherwise."""
    given = Path(getattr(run, "path", run)).expanduser()
    given = Path(os.path.normpath(given if given.is_absolute() else Path.cwd() / given))
    folder = given.parent.resolve() / given.name  # links above it resolved: one leading out is caught below
    if not (folder.exists() or folder.is_symlink()):
        raise FileNotFoundError(f"run folder {str(given)!r} does not exist")
    try:
        relative = folder.relative_to(root)
    except ValueError:
        raise ValueError(f"run folder {str(given)!r} is not inside the logdir {str(root)!r} "
                         "(or is reached through a symbolic link leading out of it); refused") from None
    if not relative.parts:
        raise ValueError(f"run folder {str(given)!r} is the logdir itself; refused (a run can be removed "
                         "only from the folder holding it)")
    if folder.is_symlink():
        raise ValueError(f"run folder {str(given)!r} is a symbolic link (it could lead out of the logdir); refused")
    if not folder.is_dir():
        raise ValueError(f"run folder {str(given)!r} is not a folder; refused")
    if (relative.parts[:1] == (TRASH_DIR,)) != in_trash:
        where = "is not in" if in_trash else "is already in"
        raise ValueError(f"run folder {str(given)!r} {where} the trash {str(root / TRASH_DIR)!r}")
    return folder


def _logdir(logdir: str | os.PathLike[str]) -> Path:
    """The logdir as an absolute, resolved path; ``FileNotFoundError`` when it is not a folder."""
    root = Path(logdir).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"logdir {str(logdir)!r} does not exist or is not a folder")
    return root


def _run_id(run: Any, folder: Path) -> str:
    """The run's id: the reader's, else ``run.json``'s, else the folder name."""
    run_id = getattr(run, "id", None)
    if isinstance(run_id, str) and run_id:
        return run_id
    try:
        identity = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        if isinstance(identity, dict) and isinstance(identity.get("id"), str) and identity["id"]:
            return str(identity["id"])
    except (OSError, ValueError):
        pass
    return folder.name


def _free_name(trash: Path, name: str) -> Path:
    """``trash / name``, or with ``-2``, ``-3``, ... appended when taken."""
    target, n = trash / name, 1
    while target.exists() or target.is_symlink() or target.with_name(target.name + ".json").exists():
        n += 1
        target = trash / f"{name}-{n}"
    return target


def _read_sidecar(folder: Path) -> dict[str, Any]:
    """The ``<entry>.json`` next to a trashed folder ({} when missing or unreadable)."""
    try:
        info = json.loads(folder.with_name(folder.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}
