"""The run-details panel's data: a run's saved files, artifacts, alerts and environment, compact and bounded.

``run_info`` (``snapshot.py``) adds it as ``"details"`` when a run has any; a live ``run.show()``
view gets it again in a ``runs`` message when it changes (``widget.py``), a ``%track`` view on its
next run-info refresh. Everything is JSON text; the browser shows it as text, never as HTML.
"""

from __future__ import annotations

from typing import Any

from nbtrack.store.details import Details

MAX_FILES = 200  # saved files listed (the total is given)
MAX_ALERTS = 100  # the newest alerts listed
MAX_ARTIFACTS = 100  # the newest artifact records listed
MAX_TEXT = 2000  # characters of any one string kept
ENV_KEYS = ("host", "os", "python", "executable", "nbtrack_version", "cwd", "notebook")
GIT_KEYS = ("commit", "branch", "dirty", "remote")


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def details_info(details: Details) -> dict[str, Any] | None:
    """The panel's data, or None when the run has nothing to show.

    >>> from nbtrack.store.details import Details, SavedFile
    >>> details_info(Details(files=[SavedFile("a.pt", 3, 0.0)], files_total=1))
    {'files': [['a.pt', 3]], 'files_total': 1}
    >>> details_info(Details()) is None
    True
    """
    out: dict[str, Any] = {}
    if details.files_total:
        out["files"] = [[_text(f.path), f.size] for f in details.files[:MAX_FILES]]
        out["files_total"] = details.files_total
    if details.artifacts:
        out["artifacts"] = [{
            "action": _text(a.get("action"), 16), "name": _text(a.get("name"), 200),
            "version": _text(a.get("version"), 16), "type": _text(a.get("type"), 200),
            "digest": _text(a.get("digest"), 64), "time": _number(a.get("time")),
            "aliases": [_text(x, 200) for x in a.get("aliases") or [] if isinstance(x, str)][:20],
        } for a in details.artifacts[-MAX_ARTIFACTS:]]
        out["artifacts_total"] = len(details.artifacts)
    if details.alerts:
        out["alerts"] = [{
            "level": _text(a.get("level"), 16), "title": _text(a.get("title"), 500), "text": _text(a.get("text")),
            "time": _number(a.get("time")), "step": _number(a.get("step")),
        } for a in details.alerts[-MAX_ALERTS:]]
        out["alerts_total"] = len(details.alerts)
    env = details.environment
    if env:
        compact: dict[str, Any] = {k: _text(env[k], 500) for k in ENV_KEYS if env.get(k) is not None}
        if isinstance(env.get("argv"), list):
            compact["argv"] = _text(" ".join(str(a) for a in env["argv"]), 500)
        packages = env.get("packages")
        if isinstance(packages, dict):
            compact["packages"] = {_text(k, 100): _text(v, 100) for k, v in list(packages.items())[:50]}
        git = env.get("git")
        if isinstance(git, dict):
            compact["git"] = {k: (git[k] if isinstance(git[k], bool) else _text(git[k], 500))
                              for k in GIT_KEYS if k in git}
        out["environment"] = compact
    return out or None
