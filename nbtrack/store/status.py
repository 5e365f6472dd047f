"""Run status from writer manifests: running, finished, failed or crashed.

``finished`` and ``failed`` are what a writer said at ``finish()`` (exit code 0, or not 0:
the program said it failed); ``crashed`` is what a reader concludes when a writer never
finished and its process is gone (no process on this host, or a stale heartbeat).
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

DEFAULT_STALE_AFTER = 30.0  # seconds without a heartbeat before a running writer counts as crashed
STATUSES = ("running", "finished", "failed", "crashed")  # "failed" since format 2.1
ENDED = ("finished", "failed", "crashed")  # statuses a writer writes when it ends


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

    The status its manifest ends with (``finished``, ``failed``, or ``crashed`` as
    writers before format 2.1 wrote for a non-zero exit code); otherwise ``crashed``
    when its process is gone (on this host) or its heartbeat is older than
    ``stale_after`` seconds, else ``running``.

    >>> writer_status({"status": "failed", "exit_code": 1, "heartbeat": 0.0}, stale_after=30.0)
    'failed'
    >>> writer_status({"status": "running", "heartbeat": 100.0}, stale_after=30.0, now=110.0)
    'running'
    >>> writer_status({"status": "running", "heartbeat": 100.0}, stale_after=30.0, now=200.0)
    'crashed'
    """
    status = manifest.get("status")
    if status in ENDED:
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
