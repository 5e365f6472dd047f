"""``Run.save``, ``Run.log_artifact``, ``Run.use_artifact`` and ``Run.alert``: a run's details beside its
data (mixed into ``Run``; the storing is ``store/details.py`` and ``store/artifacts.py``)."""

from __future__ import annotations

import datetime
import enum
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.store.artifacts import ArtifactError, ArtifactStore, check_alias
from nbtrack.store.details import ALERTS_FILE, ARTIFACTS_FILE, append_line

from .artifact import Artifact

if TYPE_CHECKING:
    from .saving import FileSaver

ALERT_LEVELS = ("INFO", "WARN", "ERROR")


class AlertLevel(str, enum.Enum):
    """wandb's alert levels: ``run.alert(..., level=nbtrack.AlertLevel.WARN)`` (a plain str works too)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"

MAX_ALERT_TEXT = 64 * 1024  # characters of an alert's title and text kept


class RunDetails:
    """The methods of ``Run`` that record files, artifacts and alerts."""

    id: str
    dir: Path | None
    logdir: Path | None
    _step: int
    _finished: bool
    _saver: FileSaver
    _environment: threading.Thread | None
    _alerted: dict[str, float]

    def save(self, glob_str: str | os.PathLike[str], base_path: str | os.PathLike[str] | None = None,
             policy: str = "live") -> list[str]:
        """Copy files matching ``glob_str`` into the run folder's ``files/`` (wandb's ``save``).

        Each file keeps its path relative to ``base_path`` (default: the working folder for a
        relative pattern; for an absolute one its folder, so only the file name is kept).
        ``policy``: ``"now"`` copies now, ``"end"`` when the run finishes, ``"live"`` (the
        default) now and again at finish if the file changed (no watcher thread: at most twice).
        Copies run on a worker thread, never on yours; ``finish()`` waits for them. A path that
        would leave ``files/`` raises ``ValueError``. Returns the paths under ``files/``.

        >>> import nbtrack, tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "ckpt").mkdir()
        >>> _ = (d / "ckpt" / "model.pt").write_bytes(b"w")
        >>> with nbtrack.init(dir=d / "runs") as run:
        ...     run.save(str(d / "ckpt" / "*.pt"), base_path=d, policy="now")
        ['ckpt/model.pt']
        >>> [f.path for f in run.stored().files()]
        ['ckpt/model.pt']
        """
        if self._finished:
            raise RuntimeError(f"run {self.id} is finished; save() files before finish()")
        return self._saver.save(glob_str, base_path, policy)

    # -- artifacts -------------------------------------------------------------------
    def _artifact_store(self, action: str) -> ArtifactStore:
        if self.logdir is None or self.dir is None:
            raise ArtifactError(f"{action}: run {self.id} has no folder (mode='disabled'): no artifact store")
        return ArtifactStore(self.logdir)

    def log_artifact(self, artifact_or_path: Any, name: str | None = None, type: str | None = None,
                     aliases: list[str] | None = None, **_wandb: Any) -> Artifact:
        """Store an artifact as its name's next version in the logdir's store; return it (now stored).

        ``artifact_or_path``: an :class:`~nbtrack.Artifact`, or a file or folder path (then ``name``
        defaults to its name and ``type`` to ``"unspecified"``). The files are read and stored
        before this returns (they may change right after); the same bytes are stored once for all
        versions and runs. ``aliases`` name this version (``latest`` always names the newest).
        """
        if isinstance(artifact_or_path, Artifact):
            artifact = artifact_or_path
        elif isinstance(artifact_or_path, (str, os.PathLike)):
            path = Path(artifact_or_path)
            artifact = Artifact(name or _artifact_name(path), type or "unspecified")
            if path.is_dir():
                artifact.add_dir(path)
            else:
                artifact.add_file(path)
        else:
            raise TypeError(f"log_artifact() takes an nbtrack.Artifact or a path, got {type_name(artifact_or_path)}")
        if isinstance(aliases, str):
            aliases = [aliases]
        checked = [check_alias(a) for a in aliases or []]
        store = self._artifact_store("log_artifact()")
        artifact._save(store, checked, self.id)
        self._record_artifact("logged", artifact)
        return artifact

    def use_artifact(self, artifact_or_name: Any, type: str | None = None, aliases: Any = None,
                     **_wandb: Any) -> Artifact:
        """A stored version, recorded as used by this run: ``"name"`` / ``"name:latest"`` (the newest),
        ``"name:v0"`` or ``"name:<alias>"``. ``ArtifactNotFoundError`` lists what exists.
        ``download()`` on the result copies its files out, checked."""
        store = self._artifact_store("use_artifact()")
        if isinstance(artifact_or_name, Artifact):
            if artifact_or_name.version is None:
                raise ArtifactError("use_artifact(): this Artifact is not stored yet; log_artifact() it first")
            artifact_or_name = artifact_or_name.qualified_name
        problems: list[str] = []
        record = store.resolve(artifact_or_name, problems)
        for problem in problems:
            warnings.warn(f"nbtrack: artifact store: {problem}", RuntimeWarning, stacklevel=2)
        if type is not None and type != record.type:
            raise ArtifactError(f"use_artifact({artifact_or_name!r}, type={type!r}): it was logged with type "
                                f"{record.type!r}")
        artifact = Artifact._stored(store, record)
        self._record_artifact("used", artifact)
        return artifact

    def _record_artifact(self, action: str, artifact: Artifact) -> None:
        """One line of ``artifacts.jsonl``: what this run logged or used, by name, version and digest."""
        if self.dir is None:
            return
        try:
            append_line(self.dir / ARTIFACTS_FILE, {
                "action": action, "name": artifact.name, "type": artifact.type, "version": artifact.version,
                "digest": artifact.digest, "aliases": artifact.aliases, "files": len(artifact.manifest),
                "size": sum(f.get("size") or 0 for f in artifact.manifest), "time": time.time(),
                "step": self._step})
        except OSError as exc:
            warnings.warn(f"nbtrack: run {self.id}: could not record artifact {artifact.qualified_name} "
                          f"in {ARTIFACTS_FILE}: {exc}", RuntimeWarning, stacklevel=3)

    # -- alerts ----------------------------------------------------------------------
    def alert(self, title: str, text: str, level: str = "INFO", wait_duration: Any = None) -> None:
        """Record an alert in the run folder (``alerts.jsonl``: time, step, level, title, text) and print it
        once. No message leaves the machine. ``wait_duration`` (seconds or a ``timedelta``): an
        alert with the same title within that time of the last one recorded is skipped (wandb's rule).

        >>> import nbtrack, tempfile
        >>> with nbtrack.init(dir=tempfile.mkdtemp()) as run:
        ...     run.alert("loss is NaN", "at step 10")  # WARN and ERROR print to stderr (red in Jupyter)
        nbtrack alert [INFO] loss is NaN: at step 10
        >>> run.stored().alerts()[0]["title"]
        'loss is NaN'
        """
        level = getattr(level, "value", level)  # wandb.AlertLevel.WARN
        level = {"WARNING": "WARN"}.get(str(level).upper(), str(level).upper())
        if level not in ALERT_LEVELS:
            raise ValueError(f"alert(level=...): {level!r} is not accepted; use one of {ALERT_LEVELS}")
        if not isinstance(title, str) or not isinstance(text, str):
            raise TypeError(f"alert(title=..., text=...) take str, got {type_name(title)} and {type_name(text)}")
        wait = _seconds(wait_duration)
        now = time.time()
        last = self._alerted.get(title)
        if wait and last is not None and now - last < wait:
            return
        self._alerted[title] = now
        record = {"time": now, "step": self._step, "level": level, "title": title[:MAX_ALERT_TEXT],
                  "text": text[:MAX_ALERT_TEXT]}
        if wait:
            record["wait_duration"] = wait
        print(f"nbtrack alert [{level}] {title}: {text}", file=sys.stdout if level == "INFO" else sys.stderr,
              flush=True)
        if self.dir is None:
            return
        try:
            append_line(self.dir / ALERTS_FILE, record)
        except OSError as exc:
            warnings.warn(f"nbtrack: run {self.id}: the alert {title!r} could not be stored: {exc}",
                          RuntimeWarning, stacklevel=2)
        self._writer_state_dirty()  # the manifest is rewritten: a live %track view re-reads the run's info

    def _writer_state_dirty(self) -> None:
        mark = getattr(self, "_mark_dirty", None)
        if mark is not None:
            mark()

    def _finish_details(self) -> None:
        """At finish: the end-of-run copies, and the environment written (never raises)."""
        try:
            self._saver.finish()
            self._saver.close()
        except Exception as exc:  # finish must go on
            warnings.warn(f"nbtrack: run {self.id}: saving files at finish failed: {exc!r}", RuntimeWarning,
                          stacklevel=3)
        if self._environment is not None:
            self._environment.join(5.0)


def _artifact_name(path: Path) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]", "-", path.name).lstrip(".-") or "artifact"
    return name[:128]


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise TypeError(f"alert(wait_duration=...) takes seconds (a number >= 0) or a timedelta, got {value!r}")


def type_name(value: Any) -> str:
    return type(value).__name__
