"""A run's details beside its data: saved files, artifact records, alerts and the environment.

Layout inside a run folder (FORMAT.md, "2.3 (draft)")::

    files/<relative path>          copies made by ``Run.save`` (never links)
    artifacts.jsonl                one JSON object a line: an artifact logged or used
    alerts.jsonl                   one JSON object a line: ``Run.alert``
    environment/<writer id>.json   host, Python, packages, git: one per writer

Writers append whole lines with one ``write`` each (``O_APPEND``); readers skip a line that is
not a JSON object (a torn last line of a live run is left for the next read) and report it.
Everything read is confined to the run folder: symbolic links are refused, never followed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .files import write_json_atomic
from .manifest import read_json_bounded
from .tail import DamageReport

FILES_DIR = "files"
ENVIRONMENT_DIR = "environment"
ARTIFACTS_FILE = "artifacts.jsonl"
ALERTS_FILE = "alerts.jsonl"
PARTIAL_PREFIX = ".nbtrack-partial-"  # a copy in progress inside files/: never listed
MAX_LINES_BYTES = 16 * 2**20  # a JSON lines file is read up to this size; the rest is reported
MAX_LISTED_FILES = 10_000  # saved files listed at most (the walk of files/ stays bounded)
MAX_DEPTH = 64  # folders below files/ looked into
MAX_LINE_BYTES = 256 * 1024  # one record (an alert's text, an artifact's metadata) at most this long


class PathRefused(ValueError):
    """A relative path that would leave its folder (``..``, absolute, empty or odd parts)."""


def clean_relative(path: str, what: str = "path") -> str:
    """``path`` as a clean relative POSIX path, or ``PathRefused`` naming it.

    >>> clean_relative("ckpt/model.pt"), clean_relative("./a//b.txt")
    ('ckpt/model.pt', 'a/b.txt')
    >>> clean_relative("../etc/passwd")
    Traceback (most recent call last):
    ...
    nbtrack.store.details.PathRefused: '../etc/passwd': a path must stay inside its folder (no '..')
    """
    if not isinstance(path, str) or not path or "\x00" in path:
        raise PathRefused(f"{path!r}: a {what} must be a non-empty str")
    text = path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise PathRefused(f"{path!r}: a {what} must be relative, not absolute")
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    if not parts:
        raise PathRefused(f"{path!r}: a {what} must name a file")
    if ".." in parts:
        raise PathRefused(f"{path!r}: a {what} must stay inside its folder (no '..')")
    return "/".join(parts)


def confined(root: Path, relative: str, what: str = "path") -> Path:
    """``root / relative``, checked to stay under ``root`` once resolved (links included).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> confined(d, "a/b.txt") == d.resolve() / "a" / "b.txt"
    True
    """
    target = root.resolve() / clean_relative(relative, what)
    parent = target.parent.resolve()
    if parent != root.resolve() and root.resolve() not in parent.parents:
        raise PathRefused(f"{relative!r}: the {what} leads out of {root} (through a symbolic link)")
    if target.is_symlink():
        raise PathRefused(f"{relative!r}: the {what} is a symbolic link in {root}; refused")
    return parent / target.name


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line with one ``write`` (``O_APPEND``: lines of processes never mix)."""
    line = (json.dumps(record, ensure_ascii=False, default=repr, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def write_environment(folder: Path, writer_id: str, environment: dict[str, Any]) -> None:
    """Store one writer's environment (``environment/<writer id>.json``, written atomically)."""
    target = folder / ENVIRONMENT_DIR
    target.mkdir(exist_ok=True)
    write_json_atomic(target / f"{writer_id}.json", environment)


@dataclass
class SavedFile:
    """One file under a run's ``files/``: its path there, size in bytes and modification time."""

    path: str
    size: int
    modified: float


@dataclass
class Details:
    """What a run folder holds beside its data, read tolerantly (``damage`` lists what was left out)."""

    files: list[SavedFile] = field(default_factory=list)
    files_total: int = 0  # files found (``files`` stops at MAX_LISTED_FILES)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    damage: list[DamageReport] = field(default_factory=list)


def read_lines(path: Path, damage: list[DamageReport], max_bytes: int = MAX_LINES_BYTES) -> list[dict[str, Any]]:
    """The JSON objects of a JSON lines file; bad lines skipped and reported in ``damage``.

    A missing file has none. A link is refused. A last line without its newline is a write in
    progress: left for the next read, not reported.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"a": 1}\\nnot json\\n{"b": 2}\\n{"c"')
    >>> problems = []; read_lines(p, problems), len(problems)
    ([{'a': 1}, {'b': 2}], 1)
    """
    if path.is_symlink():
        damage.append(DamageReport(str(path), 0, 0, "symbolic link refused (it could lead out of the run folder)"))
        return []
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        return []
    except OSError as exc:
        damage.append(DamageReport(str(path), 0, 0, f"unreadable: {exc}"))
        return []
    if len(raw) > max_bytes:
        damage.append(DamageReport(str(path), max_bytes, len(raw) - max_bytes,
                                   f"larger than {max_bytes:,} bytes; the rest is not read"))
        raw = raw[:max_bytes]
    out: list[dict[str, Any]] = []
    offset = 0
    lines = raw.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is a line being written
    for line in complete:
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8")) if len(line) <= MAX_LINE_BYTES else None
        except (ValueError, RecursionError):
            record = None
        if isinstance(record, dict):
            out.append(record)
        else:
            damage.append(DamageReport(str(path), start, len(line), "not a JSON object line; skipped"))
    return out


def walk_files(root: Path, damage: list[DamageReport], limit: int = MAX_LISTED_FILES) -> tuple[list[SavedFile], int]:
    """Regular files under ``root`` (links refused and reported, copies in progress skipped), sorted
    by path, at most ``limit`` of them, and how many were found. The walk is bounded: it stops after
    ``10 * limit`` entries or ``MAX_DEPTH`` levels (a hostile tree is reported, never followed far)."""
    if root.is_symlink():
        damage.append(DamageReport(str(root), 0, 0, "symbolic link refused (it could lead out of the run folder)"))
        return [], 0
    found: list[SavedFile] = []
    total = looked = 0
    pending: list[tuple[str, str, int]] = [(str(root), "", 0)]
    while pending:
        folder, prefix, level = pending.pop()
        try:
            with os.scandir(folder) as entries:
                items = list(entries)
        except OSError:
            continue
        for entry in items:
            looked += 1
            if looked > 10 * limit:
                damage.append(DamageReport(str(root), 0, 0,
                                           f"more than {10 * limit:,} entries; the rest is not listed"))
                pending.clear()
                break
            name = entry.name
            if name.startswith(PARTIAL_PREFIX):
                continue
            if entry.is_symlink():
                damage.append(DamageReport(entry.path, 0, 0, "symbolic link refused in files/; not listed"))
            elif entry.is_dir(follow_symlinks=False):
                if level + 1 >= MAX_DEPTH:
                    damage.append(DamageReport(entry.path, 0, 0, f"deeper than {MAX_DEPTH} folders; not listed"))
                else:
                    pending.append((entry.path, f"{prefix}{name}/", level + 1))
            elif entry.is_file(follow_symlinks=False):
                total += 1
                if len(found) < limit:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    found.append(SavedFile(f"{prefix}{name}", st.st_size, st.st_mtime))
    found.sort(key=lambda f: f.path)
    return found, total


def read_environment(folder: Path, damage: list[DamageReport]) -> dict[str, Any]:
    """The newest writer's environment (by its ``time``), or ``{}``; unreadable files reported."""
    from .files import regular_files

    files, refused = regular_files(folder / ENVIRONMENT_DIR, ".json")
    for link in refused:
        damage.append(DamageReport(str(link), 0, 0, "symbolic link refused (it could lead out of the run folder)"))
    newest: dict[str, Any] = {}
    for path in files:
        try:
            env = read_json_bounded(path, 1024 * 1024)
        except (OSError, ValueError) as exc:
            damage.append(DamageReport(str(path), 0, 0, f"unreadable environment: {exc}"))
            continue
        t = env.get("time")
        if not isinstance(t, (int, float)):
            t = 0
        if not newest or t >= (newest.get("time") if isinstance(newest.get("time"), (int, float)) else 0):
            newest = env
    return newest


def _cached_lines(path: Path, damage: list[DamageReport], cache: dict[Path, Any] | None) -> list[dict[str, Any]]:
    """``read_lines``, parsed again only when the file's size or modification time changed."""
    if cache is None:
        return read_lines(path, damage)
    try:
        st = os.stat(path, follow_symlinks=False)
        key: Any = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        key = None
    hit = cache.get(path)
    if hit is not None and key is not None and hit[0] == key:
        damage.extend(hit[2])
        return hit[1]
    found: list[DamageReport] = []
    records = read_lines(path, found)
    cache[path] = (key, records, found)
    damage.extend(found)
    return records


def read_details(folder: Path, cache: dict[Path, Any] | None = None) -> Details:
    """Everything beside the run's data (an older run without these files reads as empty). ``cache`` (a
    dict kept by the caller) spares parsing JSON lines files that did not change since the last call.

    >>> import tempfile
    >>> read_details(Path(tempfile.mkdtemp()))
    Details(files=[], files_total=0, artifacts=[], alerts=[], environment={}, damage=[])
    """
    details = Details()
    details.files, details.files_total = walk_files(folder / FILES_DIR, details.damage)
    details.artifacts = _cached_lines(folder / ARTIFACTS_FILE, details.damage, cache)
    details.alerts = _cached_lines(folder / ALERTS_FILE, details.damage, cache)
    details.environment = read_environment(folder, details.damage)
    return details
