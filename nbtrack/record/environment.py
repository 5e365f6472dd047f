"""The environment a run was recorded in: host, OS, Python, packages, git, command line.

Collected once per writer in a background thread started at ``init()`` (``git`` may take a
moment in a big repository; ``importlib.metadata`` reads package metadata without importing
the packages), and stored as ``environment/<writer id>.json``. Nothing here ever raises: what
cannot be found is left out.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from nbtrack._version import __version__
from nbtrack.store.details import write_environment

PACKAGES = ("torch", "numpy", "keras", "lightning", "pytorch-lightning", "transformers", "jax", "tensorflow",
            "scikit-learn", "pandas")
GIT_TIMEOUT = 2.0  # seconds each git command may take


def packages() -> dict[str, str]:
    """Installed versions of the packages in ``PACKAGES`` (not imported; missing ones left out).

    >>> "numpy" in packages()
    True
    """
    from importlib import metadata

    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except Exception:
            continue
    return out


def git_state(folder: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{"commit", "branch", "dirty", "root"}`` of the git repository holding ``folder`` (default: the
    working folder); ``{}`` when it is none, or git is missing or slow.

    >>> import tempfile
    >>> git_state(tempfile.mkdtemp())
    {}
    """
    cwd = os.fspath(folder) if folder is not None else os.getcwd()

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(("git", *args), cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD")
    if not top:
        return {}
    lines = top.splitlines()
    if len(lines) < 3:
        return {}
    state: dict[str, Any] = {"root": lines[0], "commit": lines[1], "branch": lines[2]}
    status = git("status", "--porcelain", "--untracked-files=no")
    if status is not None:
        state["dirty"] = bool(status)
    remote = git("config", "--get", "remote.origin.url")
    if remote and "@" not in remote.split("//", 1)[-1].split("/", 1)[0]:  # never a URL holding credentials
        state["remote"] = remote
    return state


def notebook_path() -> str | None:
    """The notebook's path when the kernel knows it (VS Code, recent JupyterLab), else None."""
    main = sys.modules.get("__main__")
    for name in ("__vsc_ipynb_file__", "__session__"):
        value = getattr(main, name, None)
        if isinstance(value, str) and value:
            return value
    value = os.environ.get("JPY_SESSION_NAME")
    return value or None


def collect() -> dict[str, Any]:
    """The environment now (never raises).

    >>> env = collect()
    >>> sorted(k for k in env if k in ("host", "python", "nbtrack_version"))
    ['host', 'nbtrack_version', 'python']
    """
    env: dict[str, Any] = {"time": time.time(), "nbtrack_version": __version__}
    steps = (
        ("host", socket.gethostname),
        ("os", lambda: platform.platform()),
        ("python", lambda: sys.version.split()[0]),
        ("python_implementation", platform.python_implementation),
        ("executable", lambda: sys.executable),
        ("cwd", os.getcwd),
        ("argv", lambda: list(sys.argv)),
        ("notebook", notebook_path),
        ("packages", packages),
        ("git", git_state),
    )
    for key, get in steps:
        try:
            value = get()
        except Exception:
            continue
        if value not in (None, "", {}):
            env[key] = value
    return env


def record_in_background(folder: Path, writer_id: str, label: str) -> threading.Thread:
    """Collect and store the environment in a daemon thread (``join()`` it before relying on the file)."""

    def work() -> None:
        try:
            write_environment(folder, writer_id, collect())
        except Exception as exc:  # the run goes on without it, and says so
            if not folder.is_dir():
                return  # the run folder was removed: the writer reports that, once
            warnings.warn(f"nbtrack: {label}: the environment could not be recorded: {type(exc).__name__}: {exc}",
                          RuntimeWarning, stacklevel=2)

    thread = threading.Thread(target=work, name=f"nbtrack-environment-{label}", daemon=True)
    thread.start()
    return thread
