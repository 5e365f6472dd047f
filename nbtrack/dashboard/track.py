"""``nbtrack.track(logdir)``: a live dashboard of every run under a logdir, with no server.

A ``TrackDashboard`` widget starts from the watcher's first snapshot (``watcher.py``) and
then a background thread polls the logdir every ``reload`` seconds and pushes what is new
through the live protocol of ``run.show()`` (``protocol.py``): ``runs`` messages for new
runs and status changes, ``append`` messages for points, ``media`` messages for values,
all on one sequence counter. The kernel never has to answer the browser for data, so a
training cell in the same kernel cannot stall the view.

Showing the same logdir again from the same place (``key``: the magic passes its cell)
turns the previous output into its static form and stops its watcher, as ``finish()``
does for a run; closing the widget, or the kernel exiting, stops it too.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import uuid
import warnings
import weakref
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
import traitlets

from .assets import BUNDLE
from .companion import REFRESH_EVERY, LogdirStatic, companion_bundle
from .loader import BokehLoader
from .protocol import PROTOCOL_VERSION, encode_append, encode_media
from .static_output import StaticDashboard
from .watcher import LogdirWatcher, WatchUpdate
from .zoom import SERVER as ZOOM_SERVER

MAX_MESSAGE_POINTS = 500_000  # an append message beyond this is split (a first poll of a big new run)
FIRST_SAVE_AFTER = 5.0  # seconds after display before the companion first holds the charts
ALIVE_EVERY = 10.0  # seconds between the view's signs of life (the ``alive`` trait)
# what a saved notebook shows until the companion's first refresh (hidden while the widget is live)
PLACEHOLDER = {"text/html": '<div class="nbtrack-track-placeholder" style="display:none"></div>',
               "text/plain": "nbtrack %track output (charts are saved with the notebook while it runs)"}


def companion_every() -> float:
    """Seconds between companion refreshes while runs change: ``$NBTRACK_TRACK_SAVE_EVERY`` or 60."""
    try:
        return max(0.1, float(os.environ.get("NBTRACK_TRACK_SAVE_EVERY", REFRESH_EVERY)))
    except ValueError:
        return REFRESH_EVERY


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()

_ACTIVE: dict[str, TrackDashboard] = {}
_ACTIVE_LOCK = threading.Lock()


class LogdirError(ValueError):
    """A logdir that cannot be watched (missing, a file, ...): the message says what to do."""


def parse_logdirs(logdir: Any = None, logdir_spec: str | None = None) -> list[tuple[str | None, Path]]:
    """``[(name or None, folder)]`` from ``logdir`` (a path or a list of paths) and TensorBoard's
    ``name1:dir1,name2:dir2`` form; a Windows drive letter (``C:\\runs``) is not a name.

    >>> parse_logdirs(logdir_spec="base:/tmp/a,new:/tmp/b")
    [('base', PosixPath('/tmp/a')), ('new', PosixPath('/tmp/b'))]
    >>> parse_logdirs(["runs"])
    [(None, PosixPath('runs'))]
    """
    out: list[tuple[str | None, Path]] = []
    paths = [logdir] if isinstance(logdir, (str, os.PathLike)) else list(logdir or [])
    for path in paths:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"track(logdir=...) takes a path or a list of paths, got {type(path).__name__}")
        out.append((None, Path(path).expanduser()))
    for part in (logdir_spec or "").split(","):
        if not part.strip():
            continue
        name, sep, folder = part.partition(":")
        if not sep or re.fullmatch(r"[A-Za-z]", name) or not name or not folder:  # no name, or a drive letter
            out.append((None, Path(part).expanduser()))
        else:
            out.append((name, Path(folder).expanduser()))
    if not out:
        raise LogdirError("track(): give a logdir (a folder of runs), e.g. track('runs') or %track --logdir runs")
    return out


def check_logdirs(logdirs: list[tuple[str | None, Path]]) -> list[str]:
    """Raise ``LogdirError`` for a path that is a file or cannot be read; notes for missing and empty ones."""
    notes = []
    for _, folder in logdirs:
        if folder.exists() and not folder.is_dir():
            raise LogdirError(f"{str(folder)!r} is a file, not a folder; give the folder that holds the runs")
        if not folder.exists():
            notes.append(f"{str(folder)!r} does not exist yet; runs will appear here when they are written to it")
        elif not os.access(folder, os.R_OK | os.X_OK):
            raise LogdirError(f"{str(folder)!r} cannot be read (permission denied)")
    return notes


def compile_filter(pattern: str | re.Pattern[str] | None, what: str) -> re.Pattern[str] | None:
    """A regular expression from ``runs=``/``tags=`` (``what`` names the option), or a clear error.

    >>> try:
    ...     compile_filter("[", "--runs")
    ... except LogdirError as exc:
    ...     print(exc)
    --runs '[' is not a valid regular expression (unterminated character set at position 0)
    """
    if pattern is None or pattern == "":
        return None
    if isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise TypeError(f"{what} takes a regular expression (a string), got {type(pattern).__name__}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise LogdirError(f"{what} {pattern!r} is not a valid regular expression ({exc})") from None


class TrackDashboard(anywidget.AnyWidget):
    """A live view of every run under one or more logdirs. Make one with ``nbtrack.track(logdir)``.

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with nbtrack.init(dir=d, name="a") as run:
    ...     run.log({"loss": 1.0})
    >>> view = nbtrack.track(d, reload=60)
    >>> [r["name"] for r in view.snapshot["runs"]], view.watching
    (['a'], True)
    >>> view.close(); view.watching
    False
    """

    _esm = BUNDLE
    _uid = traitlets.Unicode("").tag(sync=True)
    run_name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("watching").tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)
    snapshot = traitlets.Dict().tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)  # one line under the header: empty logdir, problems
    view_kind = traitlets.Unicode("logdir").tag(sync=True)  # the JS shows the run table from the first run
    # the kernel's clock at its last sign of life (every ALIVE_EVERY s): a view restored from saved widget
    # state without a kernel sees it old and unchanging, so the companion draws instead (companion.py)
    alive = traitlets.Float(0.0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)  # pixels; 0: as tall as the content
    loader = traitlets.Instance(BokehLoader).tag(sync=True, **ipywidgets.widget_serialization)
    detail_token = traitlets.Unicode("").tag(sync=True)

    def __init__(self, logdirs: list[tuple[str | None, Path]], *, runs: re.Pattern[str] | None = None,
                 tags: re.Pattern[str] | None = None, reload: float = 1.0, height: int = 0,
                 stale_after: float | None = None, notes: list[str] | None = None, **kwargs: Any) -> None:
        self._watcher = LogdirWatcher(logdirs, runs=runs, tags=tags, stale_after=stale_after)
        snapshot = self._watcher.first()
        title = ", ".join(str(p) if n is None else f"{n}:{p}" for n, p in logdirs)
        super().__init__(_uid=uuid.uuid4().hex, run_name=title, loader=BokehLoader.instance(), alive=time.time(),
                         height=max(0, int(height)), snapshot=snapshot, **kwargs)
        self._notes: list[str] = list(notes or [])
        self._notes.extend(self._watcher._pending_notes)
        self._update_notice()
        self._seq = 0
        self._send_lock = threading.Lock()
        self._display_ids: list[str] = []
        self.reload = float(reload)
        self.errors: list[str] = []
        self.detail_token = ZOOM_SERVER.register_folders(self._folders())
        self._companion = LogdirStatic()
        self._companion.mark_changed([f.reader.path for f in self._watcher.followed])  # none drawn yet
        self._companion_ids: list[str] = []
        self._companion_due = time.monotonic() + FIRST_SAVE_AFTER  # the first real picture, soon after display
        self._parent: Any = None  # the displaying cell's message: outputs from the thread are routed by it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=_poll_loop, args=(weakref.ref(self), self._stop, self.reload),
                                        name="nbtrack-track", daemon=True)
        self._thread.start()
        _register_exit()

    # -- polling (the watcher thread) ---------------------------------------------------
    @property
    def watching(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def poll(self) -> WatchUpdate:
        """Read what is new and send it to the browser now (the thread does this every ``reload`` s)."""
        update = self._watcher.poll()
        if update:
            self._send_update(update)
            changed = {r["id"] for r in update.runs} | {s[0] for s in update.series} | {m["run"] for m in update.media}
            self._companion.mark_changed([f for run, f in self._folders().items() if run in changed])
        return update

    def refresh_companion(self, force: bool = False) -> bool:
        """Redraw the static companion of every display (``companion.py``): when due and something
        changed, or ``force``. Returns whether it was redrawn."""
        now = time.monotonic()
        if not self._companion_ids or not (force or (now >= self._companion_due and self._companion.stale)):
            return False
        self._companion_due = now + companion_every()
        infos = {f.reader.path: f.info for f in self._watcher.followed}
        snapshot = self._companion.snapshot(infos, tags=self._watcher.tags_filter)
        bundle = companion_bundle(snapshot, self._uid, self.run_name, self.settings)
        self._publish(bundle, self._companion_ids)
        return True

    def _publish(self, bundle: dict[str, Any], display_ids: list[str]) -> None:
        """``update_display`` of ``display_ids``, sent as part of the cell that displayed this view."""
        from IPython.display import update_display

        shell = _shell()
        publisher = getattr(shell, "display_pub", None)
        in_thread = threading.current_thread() is not threading.main_thread()
        if in_thread and self._parent is not None and hasattr(publisher, "set_parent"):
            # the watcher thread has no cell of its own: its updates go out as part of the displaying cell
            # (in the kernel's own thread the running cell's parent stays, or later outputs would be lost)
            publisher.set_parent(self._parent)
        for display_id in display_ids:
            update_display(bundle, raw=True, display_id=display_id)

    def _send_update(self, update: WatchUpdate) -> None:
        with self._send_lock:
            if update.notes:
                self._notes.extend(update.notes)
                self._update_notice()
            if update.runs:
                ZOOM_SERVER.extend(self.detail_token, self._folders())
                self._update_notice()
                self._seq += 1
                self.send({"kind": "runs", "v": PROTOCOL_VERSION, "seq": self._seq, "runs": update.runs})
            for chunk in _split(update.series):
                self._seq += 1
                message, buffers = encode_append(self._seq, chunk)
                self.send(message, buffers=buffers)
            if update.media:
                self._seq += 1
                message, buffers = encode_media(self._seq, update.media)
                self.send(message, buffers=buffers)

    def _folders(self) -> dict[str, Path]:
        return {reader.id: reader.path for reader in self._watcher.readers}

    def _update_notice(self) -> None:
        shown = self._notes[-3:]
        more = len(self._notes) - len(shown)
        text = " · ".join(shown) + (f" (and {more} more)" if more > 0 else "")
        if not self._watcher.readers and not self._notes:
            text = "no runs yet; runs appear here as soon as they are written to this logdir"
        self.notice = text

    # -- ending ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop watching (the output keeps what it shows)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.status = "stopped"

    def static(self) -> StaticDashboard:
        """Every watched run as it is stored now, as a static output (``static_output.py``); read run
        by run and reduced, so memory stays bounded however big the logdir."""
        infos = {f.reader.path: f.info for f in self._watcher.followed}
        self._companion.mark_changed(list(infos))
        snapshot = self._companion.snapshot(infos, tags=self._watcher.tags_filter)
        return StaticDashboard(snapshot, run_name=self.run_name, status=f"{len(infos)} runs",
                               config={}, settings=self.settings)

    def finalize(self) -> None:
        """Stop watching, replace every place this view is displayed by its static form, close the widget."""
        self.stop()
        if self._display_ids:
            try:
                self._publish(self.static().bundle(), self._display_ids)
                self._publish({"text/plain": ""}, self._companion_ids)  # the pair becomes one static output
            except Exception as exc:  # the kernel may be shutting down: the live output stays as it was
                warnings.warn(f"nbtrack: could not replace the %track output by its static form: {exc}",
                              RuntimeWarning, stacklevel=2)
            self._display_ids.clear()
            self._companion_ids.clear()
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self.detail_token:
            ZOOM_SERVER.forget(self.detail_token)
        with _ACTIVE_LOCK:
            for key in [k for k, v in _ACTIVE.items() if v is self]:
                del _ACTIVE[key]
        super().close()

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Display with a display id of its own, so that re-running the cell can replace this output."""
        from IPython.display import display

        if self.comm is None:
            display(self.static())
            return
        display_id = uuid.uuid4().hex
        self._display_ids.append(display_id)
        bundle = self._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True, display_id=display_id)
        shell = _shell()
        kernel = getattr(shell, "kernel", None)
        if kernel is not None:  # the companion only matters in a notebook that can be saved
            self._parent = kernel.get_parent()
            companion_id = uuid.uuid4().hex
            self._companion_ids.append(companion_id)
            display(PLACEHOLDER, raw=True, display_id=companion_id)

    def __repr__(self) -> str:
        return f"<nbtrack.TrackDashboard {self.run_name!r}: {len(self._watcher)} runs, {self.status}>"


def _split(series: list[tuple[str, str, Any, Any, Any]]) -> list[dict[tuple[str, str], tuple[Any, Any, Any]]]:
    """New points as append payloads of at most ``MAX_MESSAGE_POINTS`` (a series is never split)."""
    chunks: list[dict[tuple[str, str], tuple[Any, Any, Any]]] = []
    size = MAX_MESSAGE_POINTS
    for run, key, steps, values, times in series:
        if size + len(steps) > MAX_MESSAGE_POINTS or not chunks:
            chunks.append({})
            size = 0
        current = chunks[-1]
        if (run, key) in current:  # the same series twice in one poll (two files): keep both, in order
            import numpy as np

            old = current[(run, key)]
            current[(run, key)] = (np.concatenate([old[0], steps]), np.concatenate([old[1], values]),
                                   np.concatenate([old[2], times]))
        else:
            current[(run, key)] = (steps, values, times)
        size += len(steps)
    return chunks


def _poll_loop(ref: weakref.ref[TrackDashboard], stop: threading.Event, interval: float) -> None:
    """The watcher thread: poll, send, sleep; a failure is shown in the output, never raised."""
    failures = 0
    while not stop.wait(interval):
        view = ref()
        if view is None:
            return
        try:
            view.poll()
            view.refresh_companion()
            if time.time() - view.alive >= ALIVE_EVERY:
                view.alive = time.time()
            failures = 0
        except Exception as exc:  # a bug or an odd file must not kill the watcher silently
            failures += 1
            message = f"watching stopped working: {type(exc).__name__}: {exc}"
            if message not in view.errors:
                view.errors.append(message)
                view._notes.append(message)
                view._update_notice()
            if failures >= 30:
                view.status = "stopped (errors)"
                return
        del view
        time.sleep(0)


def track(logdir: Any = None, runs: str | re.Pattern[str] | None = None, tags: str | re.Pattern[str] | None = None,
          reload: float = 1.0, *,
          logdir_spec: str | None = None, height: int = 0, stale_after: float | None = None,
          key: str | None = None) -> TrackDashboard:
    """A live dashboard of every run under ``logdir`` (project sub-folders too), for any front end
    that shows widgets: the notebook-native ``%tensorboard --logdir``, with no server or port.

    ``runs`` and ``tags`` are regular expressions (searched in run names, ids and paths, and
    in tag names); ``reload`` is the seconds between looks at the logdir; runs that appear
    later join the view, finished, failed and crashed runs change status. ``key``: showing the same
    key again turns the previous view into its static form and stops its watcher (``%track``
    passes its cell).

    >>> import nbtrack, tempfile
    >>> d = tempfile.mkdtemp()
    >>> view = nbtrack.track(d, reload=60)
    >>> view.notice
    'no runs yet; runs appear here as soon as they are written to this logdir'
    >>> view.close()
    """
    if isinstance(reload, bool) or not isinstance(reload, (int, float)) or not 0.05 <= reload <= 3600:
        raise ValueError(f"track(reload=...) takes seconds between 0.05 and 3600, got {reload!r}")
    if isinstance(height, bool) or not isinstance(height, int) or not 0 <= height <= 100_000:
        raise ValueError(f"track(height=...) takes pixels (0 for automatic), got {height!r}")
    logdirs = parse_logdirs(logdir, logdir_spec)
    notes = check_logdirs(logdirs)
    view = TrackDashboard(logdirs, runs=compile_filter(runs, "track(runs=...)"),
                          tags=compile_filter(tags, "track(tags=...)"),
                          reload=reload, height=height, stale_after=stale_after, notes=notes)
    key = key if key is not None else repr((logdirs, runs, tags))
    with _ACTIVE_LOCK:
        old = _ACTIVE.pop(key, None)
        _ACTIVE[key] = view
    if old is not None:
        old.finalize()
    return view


def active() -> list[TrackDashboard]:
    """The ``%track`` views still watching in this kernel."""
    with _ACTIVE_LOCK:
        return list(_ACTIVE.values())


def stop_all() -> None:
    """Turn every watching view into its static form (kernel exit, unloading the extension)."""
    for view in active():
        try:
            view.finalize()
        except Exception:  # exiting: never raise from here
            view.stop()


_exit_registered = False


def _register_exit() -> None:
    global _exit_registered
    if not _exit_registered:
        atexit.register(stop_all)
        _exit_registered = True
