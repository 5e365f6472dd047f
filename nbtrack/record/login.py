"""``nbtrack.login()``: wandb's login, which nbtrack does not need (runs are folders on this machine)."""

from __future__ import annotations

import sys
import threading
from typing import Any

NOTICE = ("nbtrack: login() is not needed: runs are stored as folders on this machine and nothing is sent "
          "anywhere, so no account, key or host is used.")

_told = False
_lock = threading.Lock()


def login(key: str | None = None, relogin: bool | None = None, host: str | None = None,
          force: bool | None = None, timeout: int | None = None, verify: bool = False,
          anonymous: str | None = None, **kwargs: Any) -> bool:
    """Accept wandb's ``login`` arguments and do nothing: returns True, so ``import nbtrack as wandb`` works.

    The first call in a process says once (on stderr) that no account is needed; later
    calls are silent. ``key`` is never stored, printed or sent.

    >>> login(key="0123456789abcdef", relogin=True, host="https://api.wandb.ai") in (True,)
    True
    >>> login(anonymous="allow")
    True
    """
    global _told
    with _lock:
        first, _told = not _told, True
    if first:
        print(NOTICE, file=sys.stderr)
    return True
