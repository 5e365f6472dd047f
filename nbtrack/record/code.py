"""``Run.log_code``: a copy of the source files under a folder, kept in the run folder (``<run>/code/``).

wandb's ``run.log_code(root, name, include_fn, exclude_fn)``: the files ``include_fn`` accepts (by
default ``*.py``, ``requirements.txt`` and ``Dockerfile*``, as wandb) and ``exclude_fn`` does not are
copied to ``<run>/code/<path relative to root>``. The walk never enters hidden folders (``.git``,
``.venv``, ...), virtual environments (a folder holding ``pyvenv.cfg``, ``site-packages``),
``node_modules``, ``__pycache__`` or the run's own logdir, never follows symbolic links, and stops at
``MAX_FILES`` files, ``MAX_BYTES`` bytes or ``MAX_FOLDERS`` folders with a warning saying so: it is
called once, at the start, on the caller's thread, so it must stay short.
"""

from __future__ import annotations

import inspect
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.store.folder import CODE_DIR  # readers never look for runs in it (RUN_OWN_FOLDERS)

MAX_FILES = 1_000
MAX_BYTES = 50 * 2**20
MAX_FOLDERS = 10_000
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "dist-packages"})


@dataclass
class LoggedCode:
    """What :meth:`Run.log_code` copied: the folder, the files (relative to it), their bytes, and
    whether the walk stopped at a limit (``complete`` False)."""

    name: str
    folder: Path
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    complete: bool = True

    def __repr__(self) -> str:
        more = "" if self.complete else ", stopped at a limit"
        return f"<LoggedCode {self.name!r}: {len(self.files)} files, {self.bytes:,} bytes in {self.folder}{more}>"


def is_source_file(path: str, root: str | None = None) -> bool:
    """wandb's default ``include_fn``: Python files, ``requirements.txt`` and Dockerfiles.

    >>> is_source_file("src/train.py"), is_source_file("requirements.txt"), is_source_file("data.csv")
    (True, True, False)
    """
    base = os.path.basename(path)
    return base.endswith(".py") or base == "requirements.txt" or base.startswith("Dockerfile")


def exclude_nothing(path: str, root: str | None = None) -> bool:
    """The default ``exclude_fn``: the folders left out are skipped by the walk itself."""
    return False


def log_code(run_dir: Path, root: str | os.PathLike[str] = ".", name: str | None = None,
             include_fn: Callable[..., bool] = is_source_file, exclude_fn: Callable[..., bool] = exclude_nothing,
             skip: tuple[Path, ...] = (), default_name: str = "source") -> LoggedCode:
    """Copy the source files under ``root`` into ``run_dir/code/`` (see the module's docstring).

    ``include_fn`` and ``exclude_fn`` are called as wandb calls them: with the file's path (``root``
    joined with its relative path) and, when they take two arguments, ``root``. ``skip`` are folders
    never entered (the run's logdir).

    >>> import tempfile, pathlib
    >>> src, run = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
    >>> (src / "pkg").mkdir(); _ = (src / "pkg" / "model.py").write_text("x = 1\\n")
    >>> _ = (src / "notes.txt").write_text("not code")
    >>> log_code(run, src).files
    ['pkg/model.py']
    """
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"log_code(root=...) takes a folder path, got {type(root).__name__}")
    top = Path(root)
    if not top.is_dir():
        raise ValueError(f"log_code(root=...): {str(root)!r} is not a folder")
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"log_code(name=...) takes a non-empty str, got {name!r}")
    include, exclude = _callable(include_fn, "include_fn"), _callable(exclude_fn, "exclude_fn")
    root_text = os.fspath(root)
    target = run_dir / CODE_DIR
    target_real = target.resolve() if target.exists() else None
    never = {p.resolve() for p in (*skip, run_dir) if p is not None}
    out = LoggedCode(name or default_name, target)
    stopped: str | None = None
    folders = 0
    for here, subdirs, files in os.walk(top, followlinks=False):
        folders += 1
        if folders > MAX_FOLDERS:
            stopped = f"{MAX_FOLDERS:,} folders were looked through"
            break
        here_path = Path(here)
        subdirs[:] = sorted(d for d in subdirs if not _skipped_folder(here_path / d, never))
        for file_name in sorted(files):
            source = here_path / file_name
            relative = source.relative_to(top)
            path_text = os.path.join(root_text, os.fspath(relative))
            if source.is_symlink() or not include(path_text, root_text) or exclude(path_text, root_text):
                continue
            try:
                size = source.stat().st_size
            except OSError:
                continue  # gone meanwhile
            if len(out.files) >= MAX_FILES:
                stopped = f"{MAX_FILES:,} files were copied"
                break
            if out.bytes + size > MAX_BYTES:
                stopped = f"{MAX_BYTES // 2**20} MB were copied ({relative.as_posix()} is {size:,} bytes)"
                break
            if target_real is None:
                target.mkdir(parents=True, exist_ok=True)
                target_real = target.resolve()
            dest = target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.parent.resolve().is_relative_to(target_real) or dest.is_symlink():
                continue  # never written outside the run's code folder
            try:
                shutil.copyfile(source, dest)
            except OSError as error:
                warnings.warn(f"nbtrack: log_code() could not copy {relative.as_posix()}: {error}", RuntimeWarning,
                              stacklevel=3)
                continue
            out.files.append(relative.as_posix())
            out.bytes += size
        if stopped:
            break
    if stopped:
        out.complete = False
        warnings.warn(f"nbtrack: log_code() stopped after {stopped}; {len(out.files)} files "
                      f"({out.bytes:,} bytes) are in {target}. Pass a narrower root= or an include_fn=.",
                      UserWarning, stacklevel=3)
    return out


def _skipped_folder(folder: Path, never: set[Path]) -> bool:
    """Hidden folders, virtual environments, node_modules, caches, symbolic links, the logdir and the run."""
    name = folder.name
    if name.startswith(".") or name in SKIPPED_FOLDERS or folder.is_symlink():
        return True
    if (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir():
        return True
    return folder.resolve() in never


def _callable(fn: Any, what: str) -> Callable[[str, str], bool]:
    """``fn`` called with (path, root) when it takes two arguments, else with (path), as wandb does."""
    if not callable(fn):
        raise TypeError(f"log_code({what}=...) takes a function of the file's path, got {type(fn).__name__}")
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return lambda path, root: bool(fn(path))
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(positional) >= 2:
        return lambda path, root: bool(fn(path, root))
    return lambda path, root: bool(fn(path))
