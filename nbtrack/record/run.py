"""``Run``: the in-kernel recorder returned by ``nbtrack.init()``.

``log()`` validates its input, stamps the step and the time and appends to memory;
the writer thread (``writer.py``) does everything else. This module imports neither
the widget nor bokeh nor pyarrow.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import warnings
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack._version import __version__
from nbtrack.errors import RunWriteError
from nbtrack.paths import SYSTEM_PREFIX, is_system_tag
from nbtrack.store.format import FORMAT_VERSION
from nbtrack.values.buffers import POOL_BYTES

from . import convert as _convert
from .collector import MAX_STEP, Collector, Lane, convertible_prefix
from .config import Config
from .details import RunDetails
from .saving import FileSaver
from .summary import Summary, make_definition
from .writer import Writer

if TYPE_CHECKING:
    from nbtrack.store.folder import StoredPosition

WAKE_AT = 65_536  # buffered log() calls that trigger an early flush
_CHECK_EVERY = 4096  # the fast path looks at the buffer size once every this many calls per thread
MAX_PENDING = 1_000_000  # buffered log() calls beyond which log() waits for the writer
# queued images, histograms, ... beyond which log() waits: the buffer pool's size, so that in a
# tight loop every copy in flight can come back to the pool and none is a fresh allocation
MAX_MEDIA_BYTES = POOL_BYTES
MEDIA_WAKE_BYTES = 8 * 1024 * 1024  # queued value bytes that trigger an early flush


class Run(RunDetails):
    """One recorded run. Create it with :func:`nbtrack.init`.

    >>> import nbtrack, tempfile
    >>> with nbtrack.init(project="demo", dir=tempfile.mkdtemp(), config={"lr": 0.01}) as run:
    ...     for step in range(3):
    ...         run.log({"train/loss": 1.0 / (step + 1)})
    >>> run.summary["train/loss"]
    0.3333333333333333
    """

    def __init__(self, *, run_id: str, name: str, project: str, logdir: Path | None,
                 folder: Path | None, writer_id: str, config: dict[str, Any],
                 identity: dict[str, Any], start_step: int = 0, resumed: bool = False,
                 sinks: list[Any] | None = None, flush_interval: float = 1.0,
                 heartbeat_interval: float = 5.0, summary_base: dict[str, Any] | None = None,
                 writer_fields: dict[str, Any] | None = None) -> None:
        self.id = run_id
        self.project = project
        self.logdir = logdir
        self.dir = folder
        self.resumed = resumed
        self.writer_id = writer_id
        self.start_time = time.time()
        self._identity = identity
        self._writer_fields = dict(writer_fields or {})  # optional manifest fields (FORMAT.md 2.2: step_rule, ...)
        self._name = name
        self._tags: tuple[str, ...] = tuple(identity.get("tags") or ())
        self._notes: str | None = identity.get("notes")
        self._step = start_step
        self._finished = False
        self._on_finish: dict[int, Callable[[], None]] = {}  # attached sinks' finish hooks
        self._status = "running"
        self._exit_code: int | None = None
        self._known_keys: set[str] = set()
        self._point_keys: dict[str, tuple[str]] = {}  # log_point's one-key tuple per tag (one object each)
        self._collector = Collector()
        self._lane: Lane = self._collector  # the first thread's lane
        self._lanes: dict[int, Lane] = {}  # thread ident -> its lane
        self._owner: int | None = _NOBODY  # the one thread logging lock-free (None: several threads log)
        self._lock = threading.Lock()
        self.config = Config(config, on_change=self._mark_dirty)
        self.summary = Summary(refresh=self.flush_summary, on_change=self._mark_dirty)
        self.summary.set_base(summary_base or {})
        self._writer = Writer(self._collector, self.summary, list(sinks or []), self._state,
                              flush_interval=flush_interval, heartbeat_interval=heartbeat_interval,
                              label=f"run {run_id}")
        self._system: Any = None  # the system-metrics sampler (record/system.py), started by init()
        self._system_lane: Lane | None = None
        self._saver = FileSaver(folder, f"run {run_id}")  # Run.save's copies (details.py: files, artifacts, alerts)
        self._environment: threading.Thread | None = None  # records environment/<writer id>.json (create.py)
        self._alerted: dict[str, float] = {}  # alert title -> when last recorded (wait_duration)

    # -- identity ----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError(f"run.name must be a non-empty str, got {value!r}")
        self._name = value
        self._mark_dirty()

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Any) -> None:
        self._tags = _check_tags(value)
        self._mark_dirty()

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._notes = value
        self._mark_dirty()

    @property
    def group(self) -> str | None:
        return self._identity.get("group")

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step=`` writes to."""
        return self._step

    @property
    def status(self) -> str:
        """``running`` until :meth:`finish`, then ``finished`` (exit code 0) or ``failed`` (any other).

        Only a reader can say ``crashed``: that the process died without finishing.
        """
        return self._status

    @property
    def finished(self) -> bool:
        """True once ``finish()`` was called: nothing more can be logged."""
        return self._finished

    # -- logging -----------------------------------------------------------------
    def log(self, data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Record metrics at a step, wandb-style.

        Without ``step``, each call writes to the current step and then advances it
        (unless ``commit=False``, which keeps adding to the same step). With ``step``,
        data goes to that step, which becomes current; it advances only with
        ``commit=True`` or on a later call without ``step``. A ``step`` lower than the
        current one is ignored with a warning naming both; a step is an int from 0 to
        2**62 (not a bool or a float). Nested dicts are flattened with ``/``; values are
        numbers (Python, numpy, 1-element torch/jax tensors). Every argument is checked
        before anything is recorded: a call that raises records nothing.

        >>> import nbtrack, tempfile
        >>> run = nbtrack.init(dir=tempfile.mkdtemp())
        >>> run.log({"loss": 0.5, "acc": 0.8})          # step 0
        >>> run.log({"val": {"loss": 0.6}})              # step 1, key "val/loss"
        >>> run.log({"lr": 0.1}, step=10)                # step 10
        >>> run.step
        10
        >>> run.finish()
        """
        if data.__class__ is dict and _get_ident() == self._owner:
            lane = self._lane
            if tuple(data) == lane.expect:  # the keys the open segment expects next
                if step is None:
                    target = self._step
                    new = target + 1 if commit is None or commit is True else target if commit is False else -1
                elif step.__class__ is int and self._step <= step <= MAX_STEP:
                    target = step
                    new = step if commit is None or commit is False else step + 1 if commit is True else -1
                else:
                    target = new = -1
                if target == lane.expect_step and new >= 0:  # ... at the step it expects: the fast path
                    try:
                        lane.values.extend(data.values())  # converts now: a snapshot
                    except Exception:
                        lane.drop_partial_row(convertible_prefix(data.values()))
                    else:
                        self._step = new
                        lane.times.append(_now())
                        if lane.length == 1:  # the pattern's one call: the next at the next step
                            lane.expect_step = target + lane.stride
                        else:
                            pos = lane.pos + 1
                            if pos == lane.length:
                                lane.expect_step = target + lane.stride
                                pos = 0
                            lane.pos = pos
                            lane.expect = lane.pattern[pos]
                        count = lane.countdown - 1
                        lane.countdown = count
                        if not count:
                            self._on_full(lane)
                        return
            self._log_lane(lane, data, step, commit)
        else:
            self._log_locked(data, step, commit)

    def _log_locked(self, data: Any, step: Any, commit: Any) -> None:
        """``log()`` from a thread other than the one logging so far, or once several threads log.

        The first thread that logs owns the run's first lane and its lock-free fast path. A
        call from any other thread ends that: from then on every call takes the run's lock
        (step resolution and append as one), each thread appending to its own lane, so no
        call's values are ever split or mixed with another's. The switch waits until the first
        thread is not inside a call made without the lock, so steps stay exactly as documented.
        """
        with self._lock:
            lane = self._lane_of_caller(lambda: self._log_any(self._lane, data, step, commit, 2))
            self._log_lane(lane, data, step, commit, depth=1)

    def _lane_of_caller(self, refuse: Callable[[], None]) -> Lane:
        """The calling thread's lane (lock held); ``refuse()`` raises when the run is finished."""
        ident = _get_ident()
        if self._finished:
            refuse()  # raises; no lane for a thread that comes late
        if self._owner == _NOBODY:
            self._owner = ident  # the first thread to log: its calls take the fast path from now on
            self._lanes[ident] = self._lane
        elif self._owner is not None and self._owner != ident:
            first, self._owner = self._owner, None  # a second thread: every call locks from now on
            _wait_outside_log(first)
        lane = self._lanes.get(ident)
        if lane is None:
            lane = self._lanes[ident] = self._collector.new_lane()
        return lane

    def log_point(self, tag: str, value: Any, step: int = 0, wall_time: float | None = None,
                  index: int | None = None) -> None:
        """Record one point of ``tag`` at ``step`` as given: TensorBoard's step rule, not :meth:`log`'s.

        ``value`` is a number (also a 1-element numpy array or tensor) or a value type
        (``nbtrack.Image``, ``Histogram``, ...; ``index`` is its place in a gallery). Steps
        are the caller's, per tag: they may repeat, go back or restart, and never move
        :attr:`step`. ``wall_time`` defaults to now. Nothing is written on the caller's
        thread: as :meth:`log`, the point is appended to memory and the writer thread stores
        it. The first call marks this writer's manifest ``"step_rule": "tensorboard"``
        (FORMAT.md 2.2): readers show what TensorBoard shows, a point at a step lower than
        the tag's previous one replacing the tag's points at that step and above.

        >>> import nbtrack, tempfile
        >>> d = tempfile.mkdtemp()
        >>> run = nbtrack.init(dir=d, name="points")
        >>> for step in (0, 1, 2, 1): run.log_point("loss", 1.0 / (step + 1), step=step)
        >>> run.log_point("val/loss", 0.5, step=5000)  # a tag's steps are its own
        >>> run.finish()
        >>> nbtrack.open(d).run("points").scalars("loss")["step"].tolist()
        [0, 1]
        """
        if step.__class__ is int and wall_time is None and _get_ident() == self._owner:
            keys = self._point_keys.get(tag)  # a tag whose name was checked
            if keys is not None and 0 <= step <= MAX_STEP and (value.__class__ is float or value.__class__ is int):
                lane = self._lane
                if keys is lane.expect and step == lane.expect_step:  # the pattern's next call: no lock
                    lane.values.append(value)
                    lane.times.append(_now())
                    pos = lane.pos + 1
                    if pos == lane.length:
                        pos = 0
                        lane.expect_step = step + lane.stride
                    lane.pos = pos
                    lane.expect = lane.pattern[pos]
                    count = lane.countdown - 1
                    lane.countdown = count
                    if not count:
                        self._on_full(lane)
                    return
                lane.place(keys, step, _now(), array("d", (value,)))
                if len(lane.times) >= WAKE_AT:
                    self._on_full(lane)
                return
        if _get_ident() == self._owner:
            self._log_point_lane(self._lane, tag, value, step, wall_time, index)
            return
        with self._lock:
            lane = self._lane_of_caller(self._refuse_finished)
            self._log_point_lane(lane, tag, value, step, wall_time, index)

    def _refuse_finished(self) -> None:
        raise RuntimeError(f"run {self.id} is finished; call nbtrack.init() to start a new run")

    def _log_point_lane(self, lane: Lane, tag: str, value: Any, step: Any, wall_time: Any,
                        index: int | None) -> None:
        """``log_point()`` calls the fast path does not take: check everything, then append."""
        if self._finished:
            self._refuse_finished()
        if self._writer_fields.get("step_rule") != "tensorboard":
            self._writer_fields["step_rule"] = "tensorboard"
            self._mark_dirty()
        if tag not in self._known_keys:
            self._check_keys((tag,))
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise TypeError(f"log_point(step=...) takes an int, got {type(step).__name__} {step!r}")
        step = int(step.__index__())
        if not 0 <= step <= MAX_STEP:
            raise ValueError(f"log_point(step=...) must lie in 0..{MAX_STEP} (steps are stored as int64), "
                             f"got {step}")
        t = _now() if wall_time is None else _wall_time(wall_time)
        if hasattr(value, "encode") and hasattr(value, "frozen"):
            self._queue_values(step, [(tag, value, index)], 1, t)
            return
        try:
            row = array("d", (value,))
        except TypeError:
            raise TypeError(f"log_point(value=...) takes a number or an nbtrack value type, got "
                            f"{type(value).__name__}") from None
        keys = self._point_keys.setdefault(tag, (tag,))
        lane.place(keys, step, t, row)
        if len(lane.times) >= WAKE_AT:
            self._on_full(lane)

    def _log_lane(self, lane: Lane, data: Any, step: Any, commit: Any, depth: int = 0) -> None:
        """Every call the fast path does not take: check, then append to ``lane``."""
        if data.__class__ is dict and not self._finished and (commit is None or commit.__class__ is bool):
            try:
                row = array("d", data.values())  # plain numbers: no nesting, no value types
            except Exception:
                pass  # the full conversion converts or explains
            else:
                keys = tuple(data)
                if not self._known_keys.issuperset(keys):
                    self._check_keys(keys)
                target = self._step if step is None else self._resolve_step(step, depth)
                if target is not None:
                    lane.place(keys, target, _now(), row)
                    self._step = target + 1 if (commit is True if step is not None else commit is not False) \
                        else target
                    if len(lane.times) >= WAKE_AT:
                        self._on_full(lane)
                return
        self._log_any(lane, data, step, commit, depth)

    def _check_keys(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            if key not in self._known_keys:
                _convert.check_key(key)
                self._known_keys.add(key)
                if is_system_tag(key):
                    warnings.warn(f"nbtrack: {key!r}: tags under {SYSTEM_PREFIX!r} are system metrics: kept out "
                                  "of the summary and of history() unless asked", UserWarning, stacklevel=4)

    # -- system metrics (record/system.py): their own lane, the current step, never advancing it ---------
    def _start_system_metrics(self, interval: float) -> None:
        """Sample CPU, memory, disk, network and GPUs every ``interval`` seconds on a daemon thread."""
        from .system import SystemSampler

        self._system = SystemSampler(self._record_system, interval, label=f"run {self.id}")
        self._system.start()

    def _record_system(self, values: dict[str, float], t: float) -> None:
        """One sample (the sampler's thread): at the current step, which it never moves; no lock taken."""
        if self._finished:
            return
        lane = self._system_lane
        if lane is None:
            lane = self._system_lane = self._collector.new_lane()  # the sampler's thread appends here alone
        lane.place(tuple(values), self._step, t, array("d", values.values()))

    def _stop_system_metrics(self) -> None:
        if self._system is not None:
            self._system.stop()

    def _log_any(self, lane: Lane, data: Any, step: Any, commit: Any, depth: int) -> None:
        """Nested dicts, value types, mappings, and every call that raises."""
        if self._finished:
            raise RuntimeError(f"run {self.id} is finished; call nbtrack.init() to start a new run")
        if not isinstance(data, dict):
            if hasattr(data, "items") and hasattr(data, "keys"):
                data = dict(data)
            else:
                raise TypeError(f"log(data=...) takes a dict of metric name -> value, "
                                f"got {type(data).__name__}")
        if commit is not None and not isinstance(commit, bool):
            raise TypeError(f"log(commit=...) takes True, False or None, got {commit!r}")
        flat, values = _convert.split_metrics(data)
        target = self._resolve_step(step, depth + 1)
        if target is None:
            return
        if flat or not values:
            lane.place(tuple(flat), target, _now(), array("d", flat.values()))
        self._step = target + 1 if (commit is True if step is not None else commit is not False) else target
        if values:
            self._queue_values(target, values, depth + 1)
        if len(lane.times) >= WAKE_AT:
            self._on_full(lane)

    def _queue_values(self, step: int, values: list[tuple[str, Any, int | None]], depth: int = 0,
                      now: float | None = None) -> None:
        """Hand value types to the writer; wait when too much memory is queued (backpressure)."""
        now = _now() if now is None else now
        for key, value, index in values:
            if key not in self._known_keys:
                self._known_keys.add(key)
            self._collector.append_media(step, now, key, value.frozen(), index)
        if self._collector.media_bytes > MEDIA_WAKE_BYTES:
            self._writer.wake()  # encode soon: the queue stays small and log() rarely waits
        if self._collector.media_bytes > MAX_MEDIA_BYTES:
            if self._writer.alive:
                # wait only until the queue is under the limit again: the writer frees each value as it
                # encodes it, so waits stay about one value's encoding long, spread over the calls
                if not self._writer.wait_for_media_room(MAX_MEDIA_BYTES):
                    warnings.warn("nbtrack: the writer is not keeping up with logged media; log() keeps "
                                  "buffering", RuntimeWarning, stacklevel=4 + depth)
            else:
                self._writer.flush()

    def _resolve_step(self, step: Any, depth: int = 0) -> int | None:
        if step is None:
            return self._step
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise TypeError(f"log(step=...) takes an int, got {type(step).__name__} {step!r}")
        step = int(step.__index__())
        if step < 0:
            raise ValueError(f"log(step=...) must be >= 0, got {step}")
        if step > MAX_STEP:
            raise ValueError(f"log(step=...) must be at most {MAX_STEP} (steps are stored as int64), got {step}")
        if step < self._step:
            warnings.warn(f"nbtrack: log(step={step}) ignored: step {step} is lower than the "
                          f"current step {self._step}; steps must not go backwards",
                          UserWarning, stacklevel=4 + depth)
            return None
        return step

    def _on_full(self, lane: Lane) -> None:
        lane.countdown = _CHECK_EVERY
        pending = self._collector.pending()
        if pending < WAKE_AT:
            return
        if pending >= MAX_PENDING and self._writer.alive:
            if not self._writer.wait_for_room(MAX_PENDING // 2):
                warnings.warn("nbtrack: the writer is not keeping up; log() keeps buffering",
                              RuntimeWarning, stacklevel=3)
        else:
            self._writer.wake()

    def define_metric(self, name: str, summary: str | None = None, goal: str | None = None,
                      step_metric: str | None = None, hidden: bool = False, **_: Any) -> None:
        """Choose how ``name`` (a metric or a glob such as ``"val/*"``) is summarised.

        ``summary`` is ``"min"``, ``"max"``, ``"mean"``, ``"first"``, ``"last"`` (the
        default), ``"best"`` (needs ``goal``) or ``"none"``, or a comma-separated list.
        """
        self.summary.define(make_definition(name, summary, goal, step_metric, hidden))

    # -- framework integrations (nbtrack/integrations/, imported only when used) ----------
    def watch(self, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
              idx: int | None = None, log_graph: bool = False) -> None:
        """Log histograms of a torch model's gradients and/or parameters every ``log_freq`` batches (``wandb.watch``).

        ``models`` is a ``torch.nn.Module`` or a list/tuple of them; ``log`` is ``"gradients"``,
        ``"parameters"``, ``"all"`` or None (nothing). Gradients are counted by a hook on each
        parameter (it fires on backward), parameters by a forward hook on the model; every
        ``log_freq``-th call logs ``gradients/<name>`` or ``parameters/<name>`` with
        ``commit=False`` at the current step. A model watched at ``idx`` > 0 (by default its
        place among the run's watched models) gets wandb's prefix: ``gradients/graph_1fc.weight``.
        Tensors are binned on their device (64 bins; NaN/Inf counted apart); hooks hold no
        reference that keeps a model alive and never raise into training (a failure warns once).
        Watching a model again replaces its hooks. ``log_graph`` logs the module tree (the
        ``model_graph`` record ``SummaryWriter.add_graph`` stores); ``criterion`` is accepted for
        wandb's signature and unused. Needs torch (``pip install "nbtrack[torch]"``).

        >>> import nbtrack, tempfile, torch
        >>> model = torch.nn.Linear(4, 2)
        >>> d = tempfile.mkdtemp()
        >>> with nbtrack.init(dir=d, name="w") as run:
        ...     run.watch(model, log="all", log_freq=1)
        ...     model(torch.ones(3, 4)).sum().backward()
        ...     run.log({"loss": 1.0})
        >>> sorted(nbtrack.open(d).run("w").media_tags())
        ['gradients/bias', 'gradients/weight', 'parameters/bias', 'parameters/weight']
        """
        from nbtrack.integrations.torch import watch

        watch(self, models, criterion=criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph)

    def unwatch(self, models: Any = None) -> None:
        """Remove the hooks :meth:`watch` put on ``models`` (a module or a list/tuple; None: every watched model)."""
        from nbtrack.integrations.torch import unwatch

        unwatch(self, models)

    # -- issue 22 (E): wandb's log_code ------------------------------------------------
    def log_code(self, root: str | os.PathLike[str] = ".", name: str | None = None,
                 include_fn: Callable[..., bool] | None = None,
                 exclude_fn: Callable[..., bool] | None = None) -> Any:
        """Copy the source files under ``root`` into the run folder, at ``<run>/code/<relative path>``.

        As wandb's: ``include_fn(path[, root])`` picks files (default: ``*.py``, ``requirements.txt``,
        ``Dockerfile*``), ``exclude_fn(path[, root])`` leaves some out. Hidden folders (``.git``,
        ``.venv``), virtual environments, ``node_modules``, ``__pycache__`` and the logdir are never
        entered. Bounded (1,000 files, 50 MB: a warning says where it stopped), so calling it once at
        the start is quick. Returns a ``LoggedCode`` (the files copied), or None for a run without a
        folder (``mode="disabled"``).

        >>> import nbtrack, tempfile, pathlib
        >>> src = pathlib.Path(tempfile.mkdtemp()); _ = (src / "train.py").write_text("print('hi')\\n")
        >>> with nbtrack.init(dir=tempfile.mkdtemp()) as run:
        ...     logged = run.log_code(src)
        >>> logged.files, (run.dir / "code" / "train.py").read_text()
        (['train.py'], "print('hi')\\n")
        """
        from .code import exclude_nothing, is_source_file, log_code

        if self.dir is None:
            return None
        skip = tuple(p for p in (self.logdir,) if p is not None)
        return log_code(self.dir, root, name, include_fn or is_source_file, exclude_fn or exclude_nothing,
                        skip=skip, default_name=f"source-{self.project}-{self.id}")

    def show(self, max_rate: float = 10.0) -> Any:
        """This run's dashboard for the cell output.

        While the run is live: a ``nbtrack.dashboard.widget.Dashboard`` that updates as
        ``log()`` is called, and turns into a static output (no kernel or widget state
        needed) when the run finishes. For a finished run: that static output at once.
        """
        from nbtrack.screens import show  # registered by the face: this room never imports dashboard/

        return show(self, max_rate=max_rate)

    def to_html(self, path: str | os.PathLike[str] | None = None, **options: Any) -> Any:
        """This run as one self-contained HTML report (``nbtrack.report``): the text, or the path written.

        Works while the run logs (what is stored so far) and after it finished; ``options``
        are those of ``nbtrack.report`` (``tags``, ``title``, ``full_resolution``, ...).

        >>> import nbtrack, tempfile
        >>> with nbtrack.init(dir=tempfile.mkdtemp(), name="r") as run:
        ...     run.log({"loss": 0.5})
        >>> run.to_html().startswith("<!doctype html>")
        True
        """
        from nbtrack.screens import report  # registered by the face: this room never imports report/

        return report(self, path, **options)

    def _ipython_display_(self) -> None:
        """A run shown as a cell's result draws its dashboard."""
        from IPython.display import display

        display(self.show())

    # -- sinks: where flushed records go besides the run folder -----------------------
    def attach(self, sink: Any, on_finish: Callable[[], None] | None = None) -> StoredPosition | None:
        """Send every record flushed from now on to ``sink`` as well (a live view, for example).

        ``sink`` has ``write(ScalarBatch)`` and may have ``write_media(items)``,
        ``write_histograms(items)``, ``close()`` and a ``critical`` flag; its failures are
        reported, never raised into ``log()``. Returns where the stored data ended when it
        was attached (None for a run without a folder): read up to there with
        ``RunReader.catch_up(until=...)`` and every record is seen exactly once. The
        writer is paused only to flush and note that position, never while the run is read.
        ``on_finish`` is called after ``finish()`` has stored everything.

        >>> import nbtrack, tempfile
        >>> run = nbtrack.init(dir=tempfile.mkdtemp())
        >>> class Count:
        ...     rows = 0
        ...     def write(self, batch): Count.rows += len(batch)
        ...     def close(self): pass
        >>> run.log({"a": 1.0}); position = run.attach(Count()); run.log({"a": 2.0}); run.finish()
        >>> Count.rows, sorted(position.sizes.values()) != []
        (1, True)
        """
        if self._finished:
            raise RuntimeError(f"run {self.id} is finished: attach() a sink before finish()")
        position = self._writer.attach(sink)
        if on_finish is not None:
            self._on_finish[id(sink)] = on_finish
        return position

    def detach(self, sink: Any) -> None:
        """Stop sending records to ``sink`` (harmless if it was never attached)."""
        self._writer.remove_sink(sink)
        self._on_finish.pop(id(sink), None)

    def _call_finish_hooks(self) -> None:
        """Tell attached views the run is stored and finished; never lets one of them fail finish()."""
        hooks, self._on_finish = list(self._on_finish.values()), {}
        for hook in hooks:
            try:
                hook()
            except Exception as error:  # the run is finished and stored either way
                warnings.warn(f"nbtrack: a view of run {self.id} failed when the run finished: {error!r}",
                              RuntimeWarning, stacklevel=3)

    # -- flushing and finishing --------------------------------------------------
    def flush(self) -> None:
        """Write everything logged so far to disk now."""
        self._writer.flush()

    def stored(self) -> Any:
        """Flush, then a ``RunReader`` of what this run has stored (for a run with a folder).

        >>> import nbtrack, tempfile
        >>> run = nbtrack.init(dir=tempfile.mkdtemp()); run.log({"x": 1.0})
        >>> run.stored().scalars("x")["value"].tolist()
        [1.0]
        >>> run.finish()
        """
        from nbtrack.store.reader import RunReader

        if self.dir is None:
            raise RuntimeError(f"run {self.id} has no folder (mode='disabled'): nothing is stored")
        self.flush()
        return RunReader(self.dir)

    def flush_summary(self) -> None:
        """Fold pending records into the summary (used when the summary is read)."""
        self._writer.flush()

    def finish(self, exit_code: int = 0, quiet: bool | None = None) -> None:
        """Flush, close the data files and mark the run finished (or failed if ``exit_code`` is not 0).

        ``failed`` says the program failed (as a context manager: the ``with`` block raised; at
        interpreter exit: an uncaught exception); readers still read all it logged. Raises
        :class:`~nbtrack.errors.RunWriteError` if logged records could not be written.
        Calling it twice is harmless.
        """
        if self._finished:
            return
        self._finished = True
        self._owner = _FINISHED  # sends log() to the slow path, which raises
        self._exit_code = int(exit_code)
        self._status = "finished" if exit_code == 0 else "failed"
        from .current import forget

        forget(self)
        self._stop_system_metrics()  # before the writer's last flush: no sample after it
        self._finish_details()
        if not self._writer.alive:  # never started (disabled) or forked child
            self._writer.flush(final=True)
        problems = self._writer.close()
        self._call_finish_hooks()
        if problems:
            self._errors = problems
            self._writer.state_dirty = True
            self._writer.flush(final=True)
            raise RunWriteError(f"run {self.id}: " + "; ".join(problems))

    def _detach(self) -> None:
        """In a forked child: stop using the parent's writer without touching its files."""
        self._finished = True
        self._owner = _FINISHED
        self._writer.slots.clear()

    def _mark_dirty(self) -> None:
        self._writer.state_dirty = True

    def _state(self) -> dict[str, Any]:
        """This writer's manifest (see FORMAT.md)."""
        return {
            "format_version": FORMAT_VERSION, "run_id": self.id, "writer_id": self.writer_id,
            "status": self._status, "exit_code": self._exit_code, "started": self.start_time,
            "heartbeat": time.time(), "host": socket.gethostname(), "pid": os.getpid(),
            "nbtrack_version": __version__, "python": sys.version.split()[0],
            "name": self._name, "tags": list(self._tags), "notes": self._notes,
            "config": self.config.as_dict(), "summary": self.summary.snapshot(),
            "metrics": self.summary.definitions(), "step": self._step,
            "errors": list(getattr(self, "_errors", [])), **self._writer_fields,
        }

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Finish the run: ``failed`` (exit code 1) when the block raised, the exception goes on."""
        self.finish(exit_code=0 if exc_type is None else 1)

    def __repr__(self) -> str:
        where = f" in {self.dir}" if self.dir else ""
        return f"<nbtrack.Run {self.name!r} id={self.id} ({self._status}){where}>"


_now = time.time


def _wall_time(value: Any) -> float:
    """A wall time in Unix seconds, checked."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"log_point(wall_time=...) takes Unix seconds (a number), got {type(value).__name__}") \
            from None
    if t != t or t in (float("inf"), float("-inf")):
        raise ValueError(f"log_point(wall_time=...) must be finite, got {t}")
    return t


def _wait_outside_log(ident: int) -> None:
    """Wait until thread ``ident`` is not inside a ``log()`` call made without the run's lock.

    Looked at once, when a second thread first logs: the fast path itself pays nothing.
    A thread waiting in ``_log_locked`` holds nothing, so it does not count.
    """
    while True:
        frame = sys._current_frames().get(ident)
        while frame is not None and frame.f_code not in (_LOG_CODE, _POINT_CODE, _LOCKED_CODE):
            frame = frame.f_back
        if frame is None or frame.f_code is _LOCKED_CODE:
            return
        time.sleep(0)  # let it finish that call (it cannot start another without the lock)
_get_ident = threading.get_ident
_NOBODY = -1  # no thread has logged yet
_FINISHED = -2  # no thread logs any more


def _check_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not all(isinstance(t, str) for t in value):
        raise TypeError(f"tags must be a list of str, got {value!r}")
    return tuple(value)


_LOG_CODE = Run.log.__code__
_LOCKED_CODE = Run._log_locked.__code__
_POINT_CODE = Run.log_point.__code__
