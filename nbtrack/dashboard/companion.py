"""The static companion of a ``%track`` output: what a saved notebook shows once the kernel is gone.

A ``%track`` view never finishes, so ``finish()``'s swap of a live widget for its static
output does not apply. Instead the view is displayed as a pair (docs/dev/track-saved.md):
the live widget, and beside it a static output (``static_output.py``) of the same runs
whose script hides it while the widget is alive on the page. When a saved notebook is
reopened without the kernel (or without widget state), the widget cannot draw ("model not
found"); the companion then hides that line and draws the runs as they were when it was
last refreshed. Viewers without JavaScript (GitHub, untrusted notebooks) show its PNG.

The companion is refreshed by the watcher thread at most once a minute, only when
something changed, and when the view stops (re-run, closed, kernel exit). Each refresh
re-reads only the runs that changed since the last one, one run at a time, and keeps
each run's series reduced, so its memory stays bounded by the reduced sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.store.reader import RunReader

from .snapshot import MIN_POINTS, STATIC_POINTS, media_of, series_of
from .static_output import static_bundle

REFRESH_EVERY = 60.0  # seconds between refreshes of the companion while runs change


class LogdirStatic:
    """Reduced series and values of the watched runs, rebuilt run by run where they changed.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="a") as run:
    ...     run.log({"loss": 1.0})
    >>> parts = LogdirStatic()
    >>> parts.mark_changed([run.dir])
    >>> snap = parts.snapshot({run.dir: {"id": run.id, "name": "a", "status": "finished"}})
    >>> [s["key"] for s in snap["series"]], snap["runs"][0]["name"]
    (['loss'], 'a')
    """

    def __init__(self, budget: int = STATIC_POINTS) -> None:
        self.budget = budget
        self._parts: dict[Path, tuple[list[dict[str, Any]], list[Any]]] = {}
        self._changed: set[Path] = set()
        self._tags: dict[Path, int] = {}

    def mark_changed(self, folders: list[Path]) -> None:
        self._changed.update(folders)

    @property
    def stale(self) -> bool:
        return bool(self._changed)

    def snapshot(self, infos: dict[Path, dict[str, Any]], tags: Any = None) -> dict[str, Any]:
        """The snapshot of every run in ``infos`` (``{folder: run-table entry}``), re-reading changed runs."""
        series_count = max(1, sum(self._tags.get(f, 1) for f in infos))
        max_points = max(MIN_POINTS, self.budget // series_count)
        for folder in [f for f in infos if f in self._changed or f not in self._parts]:
            self._changed.discard(folder)
            try:
                reader = RunReader(folder)
                reader.catch_up()
                series = [s for s in series_of(reader, max_points) if tags is None or tags.search(s["key"])]
                media = [m for m in media_of(reader, catch_up=False) if tags is None or tags.search(m["key"])]
            except Exception:  # a run that cannot be read now keeps its last picture
                continue
            self._parts[folder] = (series, media)
            self._tags[folder] = max(1, len(series))
        runs, series, media = [], [], []
        for folder, info in infos.items():
            part = self._parts.get(folder)
            runs.append(info)
            if part is not None:
                series.extend(part[0])
                media.extend(part[1])
        return {"seq": 0, "runs": runs, "series": series, "media": media}


def companion_bundle(snapshot: dict[str, Any], live_uid: str, title: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The companion's display bundle: a static output that stays hidden while ``live_uid`` draws."""
    return static_bundle(snapshot, run_name=title, status=f"{len(snapshot['runs'])} runs, as last saved",
                         settings=settings, companion_of=live_uid)
