"""``nbtrack.Artifact``: files versioned by name in the logdir's artifact store (wandb's shape).

Build one (``add_file``, ``add_dir``, ``new_file``, ``add_reference``), then
``run.log_artifact(artifact)`` stores it as the name's next version; ``run.use_artifact("name:v0")``
returns a stored version, whose ``download()`` copies its files out, checked byte for byte.
The storing is ``nbtrack/store/artifacts.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from nbtrack.store.artifacts import (
    ArtifactError,
    ArtifactStore,
    VersionRecord,
    aliases_of,
    check_name,
    manifest_digest,
)
from nbtrack.store.details import clean_relative


class Artifact:
    """A named, typed set of files, stored as versions (``name:v0``, ``name:v1``, ...).

    >>> import nbtrack, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "weights.bin").write_bytes(b"1234")
    >>> with nbtrack.init(dir=d / "runs") as run:
    ...     art = nbtrack.Artifact("model", type="model", metadata={"acc": 0.9})
    ...     art.add_file(d / "weights.bin")
    ...     with art.new_file("notes.txt") as f:
    ...         _ = f.write("first try")
    ...     _ = run.log_artifact(art, aliases=["best"])
    ...     used = run.use_artifact("model:best")
    >>> used.version, sorted(used.files())
    ('v0', ['notes.txt', 'weights.bin'])
    >>> (used.download(d / "out") / "weights.bin").read_bytes()
    b'1234'
    """

    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None, **_wandb: Any) -> None:
        self.name = check_name(name, "name")
        self.type = check_name(type, "type")
        self.description = description
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"Artifact(metadata=...) takes a dict, got {metadata.__class__.__name__}")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._entries: dict[str, Path] = {}  # name in the artifact -> local file
        self._references: dict[str, str] = {}  # name -> uri (recorded, never fetched)
        self._staging: Path | None = None
        self._record: VersionRecord | None = None
        self._store: ArtifactStore | None = None
        self._aliases: list[str] = []

    # -- building ----------------------------------------------------------------------
    def _check_building(self, action: str) -> None:
        if self._record is not None:
            raise ArtifactError(f"artifact {self.qualified_name} is stored; {action}() builds a new one: "
                                f"nbtrack.Artifact({self.name!r}, {self.type!r})")

    def add_file(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add one file (its name in the artifact: ``name``, else the file's name). A link adds its target's bytes."""
        self._check_building("add_file")
        path = Path(local_path)
        if not path.is_file():
            raise FileNotFoundError(f"Artifact.add_file({str(local_path)!r}): no such file")
        self._entries[clean_relative(name or path.name, "file name")] = path

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add every file under a folder, keeping their paths relative to it (under ``name`` if given)."""
        self._check_building("add_dir")
        root = Path(local_path)
        if not root.is_dir():
            raise NotADirectoryError(f"Artifact.add_dir({str(local_path)!r}): no such folder")
        prefix = clean_relative(name, "folder name") + "/" if name else ""
        for dirpath, _dirs, files in os.walk(root):
            for file in files:
                path = Path(dirpath) / file
                if path.is_file():
                    self._entries[clean_relative(prefix + path.relative_to(root).as_posix())] = path

    @contextmanager
    def new_file(self, name: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
        """A file to write into the artifact (``with art.new_file("labels.txt") as f: f.write(...)``)."""
        self._check_building("new_file")
        if mode not in ("w", "wb", "x", "xb"):
            raise ValueError(f"Artifact.new_file(mode=...) takes 'w' or 'wb', got {mode!r}")
        rel = clean_relative(name, "file name")
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix="nbtrack-artifact-"))
        path = self._staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
        self._entries[rel] = path

    def add_reference(self, uri: str, name: str | None = None, **_wandb: Any) -> None:
        """Record a URI (``s3://...``, ``https://...``, ``file://...``) by name: recorded, never fetched."""
        self._check_building("add_reference")
        if not isinstance(uri, str) or not uri:
            raise TypeError(f"Artifact.add_reference(uri=...) takes a str, got {uri!r}")
        self._references[clean_relative(name or uri.rstrip("/").rsplit("/", 1)[-1] or "reference",
                                        "reference name")] = uri

    # -- storing (Run.log_artifact) ---------------------------------------------------
    def _save(self, store: ArtifactStore, aliases: list[str], run_id: str | None) -> VersionRecord:
        if self._record is not None:
            raise ArtifactError(f"artifact {self.qualified_name} is stored already; build a new Artifact to log "
                                "another version")
        files = []
        for rel, path in sorted(self._entries.items()):
            digest, size = store.put_file(path)
            files.append({"path": rel, "digest": digest, "size": size})
        refs = [{"name": n, "uri": u} for n, u in sorted(self._references.items())]
        record = store.add_version(self.name, self.type, files, refs, aliases, self.description, self.metadata,
                                   run_id)
        self._bind(store, record)
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        return record

    def _bind(self, store: ArtifactStore, record: VersionRecord) -> None:
        self._store, self._record = store, record
        self.description, self.metadata = record.description, dict(record.metadata)
        self._aliases = aliases_of(store.versions(record.name)) if store else []

    @classmethod
    def _stored(cls, store: ArtifactStore, record: VersionRecord) -> Artifact:
        art = cls(record.name, record.type)
        art._bind(store, record)
        return art

    # -- a stored version ---------------------------------------------------------------
    @property
    def version(self) -> str | None:
        """``v<N>`` once stored (None while building)."""
        return None if self._record is None else f"v{self._record.version}"

    @property
    def qualified_name(self) -> str:
        """``name:v<N>`` (``name`` while building)."""
        return self.name if self._record is None else self._record.label

    @property
    def digest(self) -> str:
        """The sha256 of the sorted file list (``store/artifacts.py``: ``manifest_digest``)."""
        if self._record is not None:
            return self._record.digest
        return manifest_digest([{"path": p, "digest": "-"} for p in self._entries],
                               [{"name": n, "uri": u} for n, u in self._references.items()])

    @property
    def aliases(self) -> list[str]:
        """The aliases that name this version now (``latest`` while it is the newest)."""
        if self._record is None or self._store is None:
            return []
        versions = self._store.versions(self.name)
        out = []
        for alias in aliases_of(versions):
            holder = versions[-1] if alias == "latest" else next(v for v in reversed(versions) if alias in v.aliases)
            if holder.version == self._record.version:
                out.append(alias)
        return out

    @property
    def manifest(self) -> list[dict[str, Any]]:
        """The files: ``{"path", "digest", "size"}`` (stored) or ``{"path", "local"}`` (building)."""
        if self._record is not None:
            return [dict(f) for f in self._record.files]
        return [{"path": p, "local": str(local)} for p, local in sorted(self._entries.items())]

    @property
    def references(self) -> dict[str, str]:
        """``{name: uri}`` recorded with ``add_reference``."""
        if self._record is not None:
            return {r["name"]: r["uri"] for r in self._record.references}
        return dict(self._references)

    def files(self) -> list[str]:
        """The names of the artifact's files."""
        return [f["path"] for f in self.manifest]

    def download(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Copy the files out under ``root`` (default ``./artifacts/<name>:<version>``), each checked
        against its sha256: a corrupted stored file raises ``ArtifactCorruptedError`` naming it."""
        store, record = self._require_stored("download")
        return store.download(record, Path(root) if root is not None else Path("artifacts") / record.label)

    def file(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Download an artifact of exactly one file and return that file's path."""
        _, record = self._require_stored("file")
        if len(record.files) != 1:
            raise ArtifactError(f"Artifact.file(): {record.label} holds {len(record.files)} files, not one; "
                                "use download()")
        return self.download(root) / record.files[0]["path"]

    def _require_stored(self, action: str) -> tuple[ArtifactStore, VersionRecord]:
        if self._record is None or self._store is None:
            raise ArtifactError(f"Artifact.{action}(): {self.name!r} is not stored yet; run.log_artifact() it, "
                                "or get a stored one with run.use_artifact()")
        return self._store, self._record

    def wait(self) -> Artifact:
        """wandb's: the artifact is stored when ``log_artifact`` returns, so there is nothing to wait for."""
        return self

    def __repr__(self) -> str:
        return f"<nbtrack.Artifact {self.qualified_name} type={self.type!r} files={len(self.manifest)}>"
