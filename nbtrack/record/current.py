"""The current run (what ``nbtrack.log`` acts on) and finishing runs at exit.

A plain module global rather than a ContextVar: a notebook runs each cell in its own
context copy, and the current run must survive from one cell to the next.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import warnings
import weakref
from typing import Any, Protocol


class Run(Protocol):
    """What this module needs of a run (``run.Run`` has it; this module does not import it,
    since ``Run.finish`` calls :func:`forget`)."""

    id: str

    def log(self, data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None: ...

    def define_metric(self, name: str, *args: Any, **kwargs: Any) -> None: ...

    def finish(self, exit_code: int = 0, quiet: bool | None = None) -> None: ...

    def _detach(self) -> None: ...

_current: Run | None = None
_live: weakref.WeakSet[Run] = weakref.WeakSet()
_lock = threading.Lock()
_uncaught = False


def current() -> Run | None:
    return _current


def require(action: str) -> Run:
    """The current run, or a clear ``RuntimeError`` naming what was attempted."""
    run = _current
    if run is None:
        raise RuntimeError(f"Call nbtrack.init() before {action}.")
    return run


def adopt(run: Run) -> None:
    """Make ``run`` the current run and finish it at interpreter exit."""
    global _current
    _install_hooks()
    with _lock:
        _current = run
        _live.add(run)


def keep_until_exit(run: Run) -> None:
    """Finish ``run`` at interpreter exit without making it the current run."""
    _install_hooks()
    with _lock:
        _live.add(run)


def forget(run: Run) -> None:
    global _current
    with _lock:
        _live.discard(run)
        if _current is run:
            _current = None


def live_runs() -> list[Run]:
    return list(_live)


def _finish_all_at_exit() -> None:
    code = 1 if _uncaught else 0
    for run in live_runs():
        try:
            run.finish(exit_code=code)
        except Exception as exc:  # at exit there is nobody left to raise to
            warnings.warn(f"nbtrack: finishing run {run.id} at exit failed: {exc}",
                          RuntimeWarning, stacklevel=1)


def _excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    global _uncaught
    _uncaught = True
    _previous_hook(exc_type, exc, tb)


def _after_fork_in_child() -> None:
    global _current
    for run in live_runs():
        run._detach()
    _live.clear()
    _current = None


_previous_hook: Any = sys.excepthook
_installed = False


def _install_hooks() -> None:
    """Once, at the first init(): finish runs at exit, mark uncaught errors, forget after fork."""
    global _installed, _previous_hook
    if _installed:
        return
    _installed = True
    _previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_finish_all_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
