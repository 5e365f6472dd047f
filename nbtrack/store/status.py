"""Run status from writer manifests: running, finished or crashed."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

DEFAULT_STALE_AFTER = 30.0  # seconds without a heartbeat before a running writer counts as crashed
STATUSES = ("running", "finished", "crashed")


def stale_after_default() -> float:
    """``$NBTRACK_STALE_AFTER`` or 30 s (heartbeats are written every 5 s)."""
    try:
        return float(os.environ.get("NBTRACK_STALE_AFTER", DEFAULT_STALE_AFTER))
    except ValueError:
        return DEFAULT_STALE_AFTER


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def writer_status(manifest: dict[str, Any], stale_after: float, now: float | None = None) -> str:
    """The status of one writer lifetime.

    A writer that did not write ``finished`` is crashed when its process is gone (on
    this host) or its heartbeat is older than ``stale_after`` seconds.
    """
    status = manifest.get("status")
    if status in ("finished", "crashed"):
        return str(status)
    now = time.time() if now is None else now
    pid, host = manifest.get("pid"), manifest.get("host")
    if isinstance(pid, int) and host == socket.gethostname() and not _pid_alive(pid):
        return "crashed"
    heartbeat = manifest.get("heartbeat")
    if not isinstance(heartbeat, (int, float)) or now - heartbeat > stale_after:
        return "crashed"
    return "running"


def run_status(writers: list[dict[str, Any]], stale_after: float, created: float | None = None) -> str:
    """Running if any writer runs; otherwise the status of the latest writer."""
    if not writers:
        fresh = created is not None and time.time() - created < stale_after
        return "running" if fresh else "crashed"
    statuses = [writer_status(w, stale_after) for w in writers]
    if "running" in statuses:
        return "running"
    return statuses[-1]
