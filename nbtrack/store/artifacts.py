"""The logdir's artifact store: content-addressed blobs and per-name version files.

Layout (FORMAT.md, "2.3 (draft)")::

    <logdir>/.artifacts/blobs/sha256/<2 hex>/<62 hex>   each distinct content once, for every run
    <logdir>/.artifacts/<type>/<name>/v<N>.json         one version: its files, digests, aliases

A blob is written through a temporary file and renamed into place, so a blob that exists is
complete; the same bytes logged in several versions or runs are stored once. A version file is
written whole under a temporary name and hard-linked to ``v<N>.json``, which fails when the
name exists: of processes logging the same name at once each gets its own version (the loser
retries with the next number). Version files are never changed afterwards. ``latest`` is the
highest version; another alias names the highest version that was logged with it.

Readers trust nothing in a version file: a file's path must be relative and stay inside the
download folder, its digest must be 64 hex digits (so its blob lies inside the store), and
every blob is checked against its digest when it is copied out.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.errors import NbtrackError

from .details import PathRefused, clean_relative, confined
from .files import regular_files
from .manifest import read_json_bounded

STORE_DIR = ".artifacts"
BLOBS = ("blobs", "sha256")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
VERSION_RE = re.compile(r"^v(0|[1-9][0-9]{0,8})\.json$")
CHUNK = 1024 * 1024
MAX_VERSION_BYTES = 64 * 2**20  # a version file larger than this is refused (about 300,000 files)


class ArtifactError(NbtrackError):
    """An artifact could not be stored or read (a bad name, a refused path, a corrupted file)."""


class ArtifactNotFoundError(ArtifactError, KeyError):
    """No artifact of that name, version or alias: the message names what exists."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ArtifactCorruptedError(ArtifactError):
    """A stored file's bytes do not match its digest (the message names the file and the blob)."""


def check_name(value: Any, what: str) -> str:
    """An artifact name or type: letters, digits, ``_ . -``, not starting with ``.`` or ``-``, at most 128.

    The message is longer than shown (the doctest elides it).

    >>> check_name("mnist-model", "name")
    'mnist-model'
    >>> check_name("../x", "name")
    Traceback (most recent call last):
    ...
    nbtrack.store.artifacts.ArtifactError: artifact name '../x' is not accepted: use letters, digits, ...
    """
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ArtifactError(f"artifact {what} {value!r} is not accepted: use letters, digits, '_', '.' and '-' "
                            "(at most 128, not starting with '.' or '-')")
    return value


def manifest_digest(files: list[dict[str, Any]], references: list[dict[str, Any]] | None = None) -> str:
    """The sha256 of the sorted file list: a line ``<path> <sha256>`` per file, then ``<name> ref:<uri>``
    per reference, each ending in a newline, sorted by path (UTF-8).

    >>> manifest_digest([{"path": "a.txt", "digest": "0" * 64}])[:12]
    'abaf5e16d12d'
    """
    lines = sorted(f"{f['path']} {f['digest']}\n" for f in files)
    lines += sorted(f"{r['name']} ref:{r['uri']}\n" for r in references or [])
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


@dataclass
class VersionRecord:
    """One stored version as read back (checked): its files are ``{"path", "digest", "size"}``."""

    name: str
    type: str
    version: int
    digest: str
    files: list[dict[str, Any]]
    references: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created: float | None = None
    run_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}:v{self.version}"


class ArtifactStore:
    """The artifact store of one logdir.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "w.bin").write_bytes(b"weights")
    >>> store = ArtifactStore(d)
    >>> digest, size = store.put_file(d / "w.bin")
    >>> record = store.add_version("model", "model", [{"path": "w.bin", "digest": digest, "size": size}])
    >>> record.label, store.resolve("model:latest").label, store.resolve("model").files[0]["size"]
    ('model:v0', 'model:v0', 7)
    """

    def __init__(self, logdir: str | os.PathLike[str]) -> None:
        self.logdir = Path(logdir)
        self.root = self.logdir / STORE_DIR

    # -- blobs -------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        """Where the blob of ``digest`` lies (refused unless 64 hex digits: it cannot name anything else)."""
        if not isinstance(digest, str) or not DIGEST_RE.match(digest):
            raise ArtifactError(f"digest {digest!r} is not a sha256 (64 lowercase hex digits); refused")
        return self.root.joinpath(*BLOBS, digest[:2], digest[2:])

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Store the file's bytes and return ``(sha256, size)``.

        The file is hashed first: bytes stored already (by this run, another version or another run)
        are neither copied nor written again. New bytes are then copied while hashed once more, and
        stored under the digest of what was copied (a file that changed meanwhile is stored as copied).
        """
        digest, size = _hash_file(source)
        target = self.blob_path(digest)
        if target.is_file() and not target.is_symlink() and target.stat().st_size == size:
            return digest, size
        blobs = self.root.joinpath(*BLOBS)
        blobs.mkdir(parents=True, exist_ok=True)
        tmp = blobs / f".incoming-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
        h = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
            digest = h.hexdigest()
            target = self.blob_path(digest)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
            return digest, size
        finally:
            tmp.unlink(missing_ok=True)

    def verify_copy(self, digest: str, target: Path, label: str) -> int:
        """Copy the blob of ``digest`` to ``target`` (through a temporary file), checking its sha256."""
        blob = self.blob_path(digest)
        if blob.is_symlink() or not blob.is_file():
            raise ArtifactCorruptedError(f"{label}: its stored copy {blob} is missing")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.nbtrack-download")
        h = hashlib.sha256()
        size = 0
        try:
            with open(blob, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
            if h.hexdigest() != digest:
                raise ArtifactCorruptedError(
                    f"{label}: the stored bytes ({blob}) do not match its sha256 {digest[:12]}...: the file is "
                    "corrupted; log the artifact again")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    def count_blobs(self) -> int:
        """How many distinct contents are stored."""
        base = self.root.joinpath(*BLOBS)
        if not base.is_dir():
            return 0
        return sum(1 for sub in base.iterdir() if sub.is_dir() for f in sub.iterdir() if f.is_file())

    # -- versions ----------------------------------------------------------------------
    def _folder(self, type_: str, name: str) -> Path:
        return self.root / check_name(type_, "type") / check_name(name, "name")

    def type_of(self, name: str) -> str | None:
        """The type a name was logged with (None: never logged)."""
        check_name(name, "name")
        if not self.root.is_dir():
            return None
        for sub in sorted(self.root.iterdir()):
            if sub.name == BLOBS[0] or sub.name.startswith(".") or sub.is_symlink():
                continue
            if (sub / name).is_dir() and not (sub / name).is_symlink():
                return sub.name
        return None

    def add_version(self, name: str, type_: str, files: list[dict[str, Any]],
                    references: list[dict[str, Any]] | None = None, aliases: list[str] | None = None,
                    description: str | None = None, metadata: dict[str, Any] | None = None,
                    run_id: str | None = None) -> VersionRecord:
        """Write the next version of ``name`` (its blobs stored already) and return it.

        Safe with several processes: each gets a version of its own (exclusive creation, retried).
        A name keeps the type it was first logged with.
        """
        existing = self.type_of(name)
        if existing is not None and existing != type_:
            raise ArtifactError(f"artifact {name!r} was logged with type {existing!r}, not {type_!r}; "
                                "use that type or another name")
        folder = self._folder(type_, name)
        folder.mkdir(parents=True, exist_ok=True)
        for f in files:
            clean_relative(f["path"], "file name")
        refs = list(references or [])
        alias_list = [check_alias(a) for a in aliases or []]
        body = {"name": name, "type": type_, "digest": manifest_digest(files, refs),
                "files": sorted(files, key=lambda f: f["path"]), "references": refs,
                "aliases": alias_list, "description": description, "metadata": metadata or {},
                "created": time.time(), "run_id": run_id}
        tmp = folder / f".v.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}.tmp"
        try:
            for _attempt in range(1000):
                version = self._next_version(folder)
                with open(tmp, "w", encoding="utf-8") as out:
                    json.dump({**body, "version": version}, out, ensure_ascii=False, indent=1, default=repr)
                if _link_exclusive(tmp, folder / f"v{version}.json"):
                    return self._parse(folder / f"v{version}.json", {**body, "version": version})
            raise ArtifactError(f"artifact {name!r}: could not take a version number after 1000 tries")
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _next_version(folder: Path) -> int:
        numbers = [int(m.group(1)) for p in os.listdir(folder) if (m := VERSION_RE.match(p))]
        return max(numbers) + 1 if numbers else 0

    def names(self) -> dict[str, str]:
        """``{name: type}`` of every artifact stored."""
        out: dict[str, str] = {}
        if not self.root.is_dir():
            return out
        for type_dir in sorted(self.root.iterdir()):
            if type_dir.name == BLOBS[0] or not NAME_RE.match(type_dir.name) or not type_dir.is_dir() \
                    or type_dir.is_symlink():
                continue
            for name_dir in sorted(type_dir.iterdir()):
                if NAME_RE.match(name_dir.name) and name_dir.is_dir() and not name_dir.is_symlink():
                    out.setdefault(name_dir.name, type_dir.name)
        return out

    def versions(self, name: str, problems: list[str] | None = None) -> list[VersionRecord]:
        """Every readable version of ``name``, oldest first (unreadable or hostile ones left out and
        described in ``problems``)."""
        type_ = self.type_of(name)
        if type_ is None:
            return []
        folder = self._folder(type_, name)
        files, refused = regular_files(folder, ".json")
        for link in refused:
            _note(problems, f"{link}: symbolic link refused (it could lead out of the artifact store)")
        out = []
        for path in files:
            if not VERSION_RE.match(path.name):
                continue
            try:
                out.append(self._parse(path, read_json_bounded(path, MAX_VERSION_BYTES)))
            except (OSError, ValueError, ArtifactError, KeyError, TypeError) as exc:
                _note(problems, f"{path}: {exc}; this version is left out")
        out.sort(key=lambda r: r.version)
        return out

    def _parse(self, path: Path, raw: dict[str, Any]) -> VersionRecord:
        """A version file checked field by field: paths confined, digests hex, the version its file's."""
        version = int(VERSION_RE.match(path.name).group(1))  # type: ignore[union-attr]
        if raw.get("version") != version:
            raise ArtifactError(f"says version {raw.get('version')!r} but is named {path.name}")
        files = []
        for f in raw.get("files") or []:
            if not isinstance(f, dict):
                raise ArtifactError("a file entry is not an object")
            try:
                rel = clean_relative(f.get("path"), "file name")  # type: ignore[arg-type]
            except PathRefused as exc:
                raise ArtifactError(f"file {exc}; refused") from None
            digest = f.get("digest")
            self.blob_path(digest)  # type: ignore[arg-type]  # refuses anything but 64 hex digits
            size = f.get("size")
            files.append({"path": rel, "digest": digest, "size": size if isinstance(size, int) else None})
        refs = [{"name": str(r.get("name")), "uri": str(r.get("uri"))}
                for r in raw.get("references") or [] if isinstance(r, dict)]
        aliases = [a for a in raw.get("aliases") or [] if isinstance(a, str)]
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        description = raw.get("description") if isinstance(raw.get("description"), str) else None
        created = raw.get("created") if isinstance(raw.get("created"), (int, float)) else None
        run_id = raw.get("run_id") if isinstance(raw.get("run_id"), str) else None
        digest = manifest_digest(files, refs)
        return VersionRecord(str(raw.get("name")), str(raw.get("type")), version, digest, files, refs, aliases,
                             description, metadata, created, run_id)

    def resolve(self, spec: str, problems: list[str] | None = None) -> VersionRecord:
        """The version ``spec`` names: ``name``, ``name:latest``, ``name:v3`` or ``name:<alias>``.

        A prefix ``entity/project/`` (wandb's full names) is ignored. ``ArtifactNotFoundError`` names
        the artifacts that exist, or the versions and aliases of the name.
        """
        if not isinstance(spec, str) or not spec:
            raise ArtifactError(f"use_artifact() takes 'name', 'name:v<N>', 'name:latest' or 'name:<alias>', "
                                f"got {spec!r}")
        name, _, which = spec.rsplit("/", 1)[-1].partition(":")
        which = which or "latest"
        check_name(name, "name")
        versions = self.versions(name, problems)
        if not versions:
            known = sorted(self.names())
            listed = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "none"
            raise ArtifactNotFoundError(f"no artifact named {name!r} in {self.logdir}; artifacts stored: {listed}")
        if which == "latest":
            return versions[-1]
        match = re.fullmatch(r"v(\d+)", which)
        if match:
            for record in versions:
                if record.version == int(match.group(1)):
                    return record
        else:
            for record in reversed(versions):
                if which in record.aliases:
                    return record
        raise ArtifactNotFoundError(
            f"artifact {name!r} has no version or alias {which!r}; versions: "
            f"{', '.join(f'v{r.version}' for r in versions)}; aliases: {', '.join(aliases_of(versions)) or 'none'}")

    def download(self, record: VersionRecord, root: str | os.PathLike[str]) -> Path:
        """Copy the version's files under ``root`` (paths confined there), each checked against its sha256."""
        target = Path(root)
        target.mkdir(parents=True, exist_ok=True)
        for f in record.files:
            dst = confined(target, f["path"], "file name")
            dst.parent.mkdir(parents=True, exist_ok=True)
            self.verify_copy(f["digest"], dst, f"artifact {record.label}, file {f['path']!r}")
        return target


def check_alias(value: Any) -> str:
    """An alias: a name that is neither ``latest`` nor ``v<N>`` (those are given by the store)."""
    alias = check_name(value, "alias")
    if re.fullmatch(r"v\d+", alias):
        raise ArtifactError(f"alias {alias!r} is not accepted: 'v<N>' names versions")
    return alias


def aliases_of(versions: list[VersionRecord]) -> list[str]:
    """Every alias in use (``latest`` first), each naming the highest version logged with it."""
    seen = ["latest"] if versions else []
    for record in reversed(versions):
        seen.extend(a for a in record.aliases if a not in seen)
    return seen


def _hash_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _link_exclusive(tmp: Path, target: Path) -> bool:
    """Give the complete file ``tmp`` the name ``target`` unless it exists (False then)."""
    try:
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here: exclusive creation, then the bytes
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as out:
            out.write(tmp.read_bytes())
        return True


def _note(problems: list[str] | None, text: str) -> None:
    if problems is not None and text not in problems:
        problems.append(text)
