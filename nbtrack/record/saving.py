"""``Run.save``: files copied into the run folder's ``files/``, off the training thread.

``save()`` expands the glob and checks every target at once (a path that would leave
``files/`` raises there), then hands the copies to one small worker thread per run: a big
checkpoint never holds up the training loop. Policies, as wandb's: ``"now"`` copies at once,
``"end"`` when the run finishes, ``"live"`` at once and again at finish for files that changed
(size or modification time) or newly match the glob. There is no file watcher thread: a
``"live"`` file is copied twice at most. ``finish()`` waits for the copies and says so when
that takes more than a couple of seconds. A failed copy warns at once and never raises into
training. Copies are written through a temporary file and renamed, so a reader never lists a
half-copied file; a symbolic link is copied as its target's bytes.
"""

from __future__ import annotations

import glob
import os
import queue
import shutil
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack.store.details import FILES_DIR, PARTIAL_PREFIX, PathRefused, confined

POLICIES = ("live", "now", "end")
SLOW_FINISH = 2.0  # seconds finish() waits for copies before it says what it waits for


@dataclass
class _Spec:
    pattern: str
    base: str
    policy: str


class FileSaver:
    """Copies of one run's saved files (the worker starts with the first copy)."""

    def __init__(self, folder: Path | None, label: str) -> None:
        self.folder = folder
        self.label = label
        self.specs: list[_Spec] = []
        self.copied: dict[str, tuple[int, int]] = {}  # target -> (size, mtime_ns) of the source copied
        self.problems: list[str] = []
        self._queue: queue.Queue[tuple[Path, str, int] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending_bytes = 0
        self._lock = threading.Lock()

    def save(self, glob_str: Any, base_path: Any = None, policy: str = "live") -> list[str]:
        """Expand ``glob_str``, check the targets, queue the copies; the names under ``files/``."""
        if policy not in POLICIES:
            raise ValueError(f"save(policy=...): {policy!r} is not accepted; use one of {POLICIES}")
        if not isinstance(glob_str, (str, os.PathLike)) or not str(glob_str):
            raise TypeError(f"save(glob_str=...) takes a path or glob pattern (str), got {glob_str!r}")
        pattern = os.fspath(glob_str)
        if base_path is None:
            # wandb: an absolute pattern keeps only file names; a relative one its path from here
            base = os.path.dirname(pattern) if os.path.isabs(pattern) else "."
        elif isinstance(base_path, (str, os.PathLike)):
            base = os.fspath(base_path)
        else:
            raise TypeError(f"save(base_path=...) takes a folder path, got {base_path!r}")
        pattern_abs = os.path.abspath(pattern)  # as wandb: relative to the working folder, not to base_path
        base_abs = os.path.abspath(base)
        relative = os.path.relpath(pattern_abs, base_abs)
        if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
            raise ValueError(f"save({pattern!r}, base_path={base!r}): the files must lie under base_path "
                             "(their path relative to it is kept in the run's files/)")
        spec = _Spec(pattern_abs, base_abs, policy)
        matches = self._targets(spec)  # raises for a target that would leave files/
        if self.folder is None:
            return [t for _, t in matches]
        self.specs.append(spec)
        if policy in ("now", "live"):
            if not matches:
                warnings.warn(f"nbtrack: save({pattern!r}) matched no file"
                              + (" yet; it is looked for again at finish()" if policy == "live" else ""),
                              UserWarning, stacklevel=4)
            for source, target in matches:
                self._submit(source, target)
        return [t for _, t in matches]

    def _targets(self, spec: _Spec) -> list[tuple[Path, str]]:
        """``(source, path under files/)`` of every file the spec matches now (folders skipped)."""
        out = []
        own = os.path.realpath(self.folder) + os.sep if self.folder is not None else None
        for match in sorted(glob.glob(spec.pattern, recursive=True)):
            if not os.path.isfile(match):
                continue
            if own is not None and os.path.realpath(match).startswith(own):
                continue  # the run's own files (a glob over the logdir): never copied into itself
            rel = os.path.relpath(os.path.abspath(match), spec.base)
            if rel.startswith(".."):
                raise ValueError(f"save(): {match!r} lies outside base_path {spec.base!r}")
            rel = rel.replace(os.sep, "/")
            if self.folder is not None:
                try:
                    confined(self.folder / FILES_DIR, rel, "saved file")
                except PathRefused as exc:
                    raise ValueError(f"save(): {exc}") from None
            out.append((Path(match), rel))
        return out

    def _submit(self, source: Path, target: str) -> None:
        try:
            st = source.stat()
        except OSError as exc:
            self._problem(f"{source} could not be saved: {exc}")
            return
        with self._lock:
            self.copied[target] = (st.st_size, st.st_mtime_ns)
            self._pending_bytes += st.st_size
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=f"nbtrack-files-{self.label}", daemon=True)
                self._thread.start()
        self._queue.put((source, target, st.st_size))

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._copy(*job)
            finally:
                self._queue.task_done()

    def _copy(self, source: Path, target: str, size: int) -> None:
        assert self.folder is not None
        try:
            dst = confined(self.folder / FILES_DIR, target, "saved file")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst = confined(self.folder / FILES_DIR, target, "saved file")  # again: no link made meanwhile
            tmp = dst.with_name(f"{PARTIAL_PREFIX}{os.getpid()}-{dst.name}")
            try:
                shutil.copyfile(source, tmp)  # follows a link: its target's bytes
                os.replace(tmp, dst)
            finally:
                tmp.unlink(missing_ok=True)
        except Exception as exc:  # a copy must never stop training
            self._problem(f"{source} could not be copied to files/{target}: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._pending_bytes -= size

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        warnings.warn(f"nbtrack: {self.label}: {text}", RuntimeWarning, stacklevel=2)

    def finish(self) -> None:
        """Copy ``"end"`` files, ``"live"`` files that changed or appeared, and wait for every copy."""
        if self.folder is None:
            return
        for spec in self.specs:
            if spec.policy == "now":
                continue
            try:
                matches = self._targets(spec)
            except ValueError as exc:  # a link made since save(): refused, reported
                self._problem(str(exc))
                continue
            if not matches:
                self._problem(f"save({spec.pattern!r}, policy={spec.policy!r}) matched no file at finish")
            for source, target in matches:
                try:
                    st = source.stat()
                except OSError:
                    continue
                if self.copied.get(target) != (st.st_size, st.st_mtime_ns) or spec.policy == "end":
                    self._submit(source, target)
        self.wait()

    def wait(self) -> None:
        """Block until every queued copy is done; after ``SLOW_FINISH`` seconds, say what is being copied."""
        if self._thread is None:
            return
        deadline = time.monotonic() + SLOW_FINISH
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                print(f"nbtrack: {self.label}: waiting for saved files to be copied "
                      f"({self._pending_bytes / 2**20:,.1f} MB left)", flush=True)
                self._queue.join()
                break
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the worker (after ``finish``)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(5.0)
            self._thread = None
