"""``nbtrack.init()``: create or resume a run and make it current."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from nbtrack.paths import check_run_id
from nbtrack.store.folder import RunFolder, identity_record
from nbtrack.store.sink import StorageSink, warm_up

from . import current as _current
from .config import config_to_dict
from .environment import record_in_background
from .names import new_run_id, new_run_name, new_writer_id, run_id_for_folder
from .run import Run
from .system import system_options

DEFAULT_LOGDIR = "nbruns"
RESUME_CHOICES = ("allow", "must", "never", "auto")
MODES = ("online", "offline", "disabled", "shared", "run", "dryrun")
# wandb.init's keywords that nbtrack accepts and has no use for (the others are parameters of init())
WANDB_KEYWORDS = frozenset({
    "allow_val_change", "force", "anonymous", "resume_from", "fork_from", "save_code", "tensorboard",
    "sync_tensorboard", "monitor_gym",
})
NBTRACK_KEYWORDS = frozenset({
    "project", "name", "config", "dir", "id", "resume", "group", "tags", "notes", "entity", "job_type",
    "reinit", "mode", "settings", "flush_interval", "config_exclude_keys", "config_include_keys",
})
IDENTITY_WAIT = 10.0  # seconds to wait for another process to finish creating a run folder


def resolve_logdir(dir: str | os.PathLike[str] | None) -> Path:
    """``dir`` if given, else ``$NBTRACK_DIR``, else ``./nbruns`` (read at call time)."""
    if dir is None:
        dir = os.environ.get("NBTRACK_DIR") or DEFAULT_LOGDIR
    return Path(dir).expanduser()


def _setting(settings: Any, name: str, default: Any) -> Any:
    if settings is None:
        return default
    if isinstance(settings, dict):
        return settings.get(name, default)
    return getattr(settings, name, default)


def _resume_mode(resume: Any, run_id: str | None) -> str | None:
    if resume is None or resume is False:
        return None
    if resume is True:
        return "allow"
    if resume not in RESUME_CHOICES:
        raise ValueError(f"init(resume=...): {resume!r} is not accepted; use one of "
                         f"{RESUME_CHOICES}, True or None")
    if resume == "must" and run_id is None:
        raise ValueError("init(resume='must') needs the id of the run to resume: init(id=..., resume='must')")
    return "allow" if resume == "auto" else str(resume)


def init(project: str | None = None, name: str | None = None, config: Any = None,
         dir: str | os.PathLike[str] | None = None, id: str | None = None, resume: Any = None,
         group: str | None = None, tags: Any = None, notes: str | None = None, *,
         entity: str | None = None, job_type: str | None = None, reinit: Any = None,
         mode: str | None = None, settings: Any = None, flush_interval: float | None = None,
         config_exclude_keys: list[str] | None = None, config_include_keys: list[str] | None = None,
         **ignored: Any) -> Run:
    """Start (or resume) a run and make it the current run.

    Runs are folders under the logdir ``dir`` (default ``$NBTRACK_DIR`` or
    ``./nbruns``). ``resume="allow"`` continues the run ``id`` if it exists (steps go
    on from the last one), ``"must"`` requires it, ``"never"`` refuses it. wandb's
    other arguments (``entity``, ``job_type``, ``reinit``, ``mode``, ``settings``,
    ``save_code``, ...) are accepted, so ``import nbtrack as wandb`` works; a keyword
    wandb does not know either (a typo such as ``projcet=``) warns. Every argument is
    checked before anything else happens: a bad one raises and leaves the current run
    running. System metrics (CPU, memory, disk, network, GPUs: tags under ``system/``)
    are sampled every 10 s on a daemon thread; ``settings={"system_metrics": False}``
    (or ``$NBTRACK_SYSTEM_METRICS=0``) turns them off, ``{"system_interval": 2.0}`` sets
    the interval.

    >>> import nbtrack, tempfile
    >>> run = nbtrack.init(project="mnist", config={"lr": 1e-3}, dir=tempfile.mkdtemp())
    >>> run.log({"loss": 0.25})
    >>> run.finish()
    """
    _check_keywords(ignored)
    if mode is not None and mode not in MODES:
        raise ValueError(f"init(mode=...): {mode!r} is not accepted; use one of {MODES}")
    if project is not None and (not isinstance(project, str) or not project):
        raise TypeError(f"init(project=...) takes a non-empty str, got {project!r}")
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"init(name=...) takes a non-empty str, got {name!r}")
    if id is not None:
        check_run_id(id)
    if dir is not None and not isinstance(dir, (str, os.PathLike)):
        raise TypeError(f"init(dir=...) takes a folder path (str or os.PathLike), got {dir!r}")
    resume_mode = _resume_mode(resume, id)
    cfg = config_to_dict(config)
    if config_exclude_keys:
        cfg = {k: v for k, v in cfg.items() if k not in config_exclude_keys}
    if config_include_keys:
        cfg = {k: v for k, v in cfg.items() if k in config_include_keys}
    flush = _flush_interval(flush_interval, settings)
    system_interval = system_options(settings, mode)  # None: no system metrics
    extra = {"group": group, "tags": list(_tags(tags)), "notes": notes, "entity": entity,
             "job_type": job_type}
    options = {"flush_interval": flush, "fsync": bool(_setting(settings, "fsync", False)),
               "heartbeat_interval": float(_setting(settings, "heartbeat_interval", 5.0))}
    logdir = None if mode == "disabled" else resolve_logdir(dir)
    if logdir is not None and id is not None:
        _check_existing(RunFolder(logdir / id), id, resume_mode)  # refuse before touching the current run
    previous = _current.current()
    if previous is not None and not previous._finished:
        if reinit in ("return_previous",) or reinit is False:
            return previous
        if reinit not in (True, "create_new"):
            previous.finish()
    if logdir is None:
        run = _disabled_run(project, name, id, cfg, extra, flush)
    else:
        run = _open_run(logdir, project, name, id, resume_mode, cfg, extra, options)
        if system_interval is not None:
            run._start_system_metrics(system_interval)
    _current.adopt(run)
    return run


def _check_keywords(ignored: dict[str, Any]) -> None:
    """Accept wandb.init's keywords nbtrack has no use for; warn about any other (a typo, say)."""
    unknown = sorted(set(ignored) - WANDB_KEYWORDS)
    if not unknown:
        return
    import difflib
    import warnings

    known = sorted(WANDB_KEYWORDS | NBTRACK_KEYWORDS)
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1)
        hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    warnings.warn(f"nbtrack.init(): unknown keyword argument{'s' if len(unknown) > 1 else ''} "
                  f"{', '.join(hints)} ignored", UserWarning, stacklevel=3)


def _flush_interval(flush_interval: Any, settings: Any) -> float:
    given = flush_interval or _setting(settings, "flush_interval", None) or os.environ.get("NBTRACK_FLUSH_INTERVAL")
    try:
        flush = float(given or 1.0)
    except (TypeError, ValueError):
        raise TypeError(f"init(flush_interval=...) takes a number of seconds, got {given!r}") from None
    if not flush > 0 or flush == float("inf"):
        raise ValueError(f"init(flush_interval=...) must be > 0 seconds, got {flush}")
    return flush


def _tags(tags: Any) -> tuple[str, ...]:
    if tags is None:
        return ()
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise TypeError(f"init(tags=...) takes a list of str, got {tags!r}")
    return tuple(tags)


def _disabled_run(project: str | None, name: str | None, run_id: str | None,
                  cfg: dict[str, Any], extra: dict[str, Any], flush: float) -> Run:
    rid = run_id or new_run_id()
    return Run(run_id=rid, name=name or f"disabled-{rid}", project=project or "default",
               logdir=None, folder=None, writer_id=new_writer_id(), config=cfg,
               identity=extra, flush_interval=flush)


def _check_existing(folder: RunFolder, run_id: str, resume: str | None) -> bool:
    """Whether the run ``run_id`` exists; raise if that contradicts ``resume``."""
    exists = folder.run_file.exists()
    if exists and resume in (None, "never"):
        raise _exists_error(folder, run_id, resume)
    if not exists and resume == "must":
        raise FileNotFoundError(f"init(id={run_id!r}, resume='must'): no such run in {folder.path.parent}")
    return exists


def _exists_error(folder: RunFolder, run_id: str, resume: str | None) -> FileExistsError:
    hint = "" if resume == "never" else "; pass resume='allow' to continue it"
    return FileExistsError(f"init(id={run_id!r}): a run with this id already exists in {folder.path.parent}{hint}")


def _open_run(logdir: Path, project: str | None, name: str | None, run_id: str | None,
              resume: str | None, cfg: dict[str, Any], extra: dict[str, Any],
              options: dict[str, Any]) -> Run:
    """Create the run, or resume it; safe when other processes do the same at the same moment.

    Creating takes the folder with an exclusive ``mkdir``: of processes racing to create
    one id, exactly one wins. With ``resume="allow"`` the others resume the run instead,
    once its ``run.json`` is in place.
    """
    logdir.mkdir(parents=True, exist_ok=True)
    if run_id is None:
        return _create(logdir, project, name, None, cfg, extra, options)
    folder = RunFolder(logdir / run_id)
    if _check_existing(folder, run_id, resume):
        return _resume(folder, project, name, cfg, options)
    try:
        return _create(logdir, project, name, run_id, cfg, extra, options)
    except FileExistsError:
        if resume != "allow":
            raise
    _wait_for_identity(folder, run_id)  # another process took the folder a moment ago
    return _resume(folder, project, name, cfg, options)


def _wait_for_identity(folder: RunFolder, run_id: str, timeout: float | None = None) -> None:
    """Wait until the process that created ``folder`` has written its ``run.json``."""
    deadline = time.monotonic() + (IDENTITY_WAIT if timeout is None else timeout)
    while not folder.run_file.exists():
        if time.monotonic() > deadline:
            raise FileExistsError(
                f"init(id={run_id!r}, resume='allow'): the folder {folder.path} exists but holds no "
                "run.json (an unfinished or failed creation); remove it or use another id")
        time.sleep(0.01)


def _create(logdir: Path, project: str | None, name: str | None, run_id: str | None,
            cfg: dict[str, Any], extra: dict[str, Any], options: dict[str, Any]) -> Run:
    for _attempt in range(20):
        rid = run_id or new_run_id()
        folder = RunFolder(logdir / rid)
        run_name = name or new_run_name(logdir)
        identity = identity_record(rid, run_name, project or "default", {**extra, "config": cfg})
        try:
            folder.create(identity)
            break
        except FileExistsError:
            if run_id is not None:
                raise _exists_error(folder, run_id, None) from None
    else:  # pragma: no cover - 20 collisions of random ids
        raise RuntimeError("could not allocate a unique run id")
    return _build(folder, identity, cfg, options, start_step=0, resumed=False)


def _resume(folder: RunFolder, project: str | None, name: str | None, cfg: dict[str, Any],
            options: dict[str, Any], writer_fields: dict[str, Any] | None = None) -> Run:
    from nbtrack.store.reader import RunReader

    reader = RunReader(folder.path)
    identity = dict(reader.identity)
    if project is not None and project != identity.get("project"):
        raise ValueError(f"init(project={project!r}) does not match the resumed run's project "
                         f"{identity.get('project')!r}")
    merged = {**reader.config, **cfg}
    last = reader.last_step()
    run = _build(folder, identity, merged, options, start_step=0 if last is None else last + 1,
                 resumed=True, summary_base=reader.summary, writer_fields=writer_fields)
    run._name = name or reader.name
    return run


def open_run_at(path: str | os.PathLike[str], *, name: str | None = None, project: str | None = None,
                config: Any = None, flush_interval: float = 1.0,
                writer_fields: dict[str, Any] | None = None) -> Run:
    """The run whose folder is exactly ``path``: created there, or continued when it holds a run.

    For callers that name the folder (``nbtrack.SummaryWriter(log_dir)``): the run's id is
    the folder's name (made a valid id if needed), its name ``name`` or the folder's name,
    and its logdir the folder above. Reopening the folder continues the run with a new
    writer (config and summary carried over). Files already in the folder are left alone.
    The run is not made the current run, and it is finished at interpreter exit.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> run = open_run_at(d / "exp1"); run.finish()
    >>> again = open_run_at(d / "exp1"); again.resumed, again.name, again.logdir == d
    (True, 'exp1', True)
    >>> again.finish()
    """
    folder = RunFolder(Path(path).expanduser())
    cfg = config_to_dict(config)
    options = {"flush_interval": _flush_interval(flush_interval, None), "fsync": False, "heartbeat_interval": 5.0}
    if not folder.run_file.exists():
        rid = run_id_for_folder(folder.path.name)
        identity = identity_record(rid, name or folder.path.name, project or "default",
                                   {"group": None, "tags": [], "notes": None, "entity": None, "job_type": None,
                                    "config": cfg})
        try:
            folder.create_in(identity)
        except FileExistsError:
            _wait_for_identity(folder, rid)
        else:
            run = _build(folder, identity, cfg, options, start_step=0, resumed=False, writer_fields=writer_fields)
            _current.keep_until_exit(run)
            return run
    run = _resume(folder, None, name, cfg, options, writer_fields=writer_fields)
    _current.keep_until_exit(run)
    return run


def _build(folder: RunFolder, identity: dict[str, Any], cfg: dict[str, Any],
           options: dict[str, Any], *, start_step: int, resumed: bool,
           summary_base: dict[str, Any] | None = None, writer_fields: dict[str, Any] | None = None) -> Run:
    folder.prepare()
    warm_up()  # imports happen here, not in the writer's first flush (mid-loop, or at exit)
    writer_id = new_writer_id()
    sink = StorageSink(folder, writer_id, fsync=options["fsync"])
    run = Run(run_id=identity["id"], name=identity["name"], project=identity.get("project", "default"),
              logdir=folder.path.parent, folder=folder.path, writer_id=writer_id, config=cfg,
              identity=identity, start_step=start_step, resumed=resumed, sinks=[sink],
              flush_interval=options["flush_interval"],
              heartbeat_interval=options["heartbeat_interval"], summary_base=summary_base,
              writer_fields=writer_fields)
    run._writer.flush()  # write the writer manifest now: the run shows as running at once
    run._writer.start()
    run._environment = record_in_background(folder.path, writer_id, f"run {run.id}")  # environment/<writer>.json
    return run
