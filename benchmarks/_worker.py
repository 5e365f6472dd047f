"""One measurement in a fresh interpreter; started by ``bench_scalars.py``.

    python _worker.py write TOOL STEPS WORKDIR OUT.json
    python _worker.py read  TOOL STEPS WORKDIR READER OUT.json
    python _worker.py big-write STEPS WORKDIR OUT.json
    python _worker.py big-read  STEPS WORKDIR OUT.json
    python _worker.py shape-write SHAPE IMPL STEPS WORKDIR OUT.json   (see _shapes.py)

``write`` runs the logging loop for one tool and records timings, CPU, RSS and
bytes on disk; it leaves ``WORKDIR/meta.json`` (what the reader needs).
``read`` reads everything the writer left back into a pandas DataFrame with
the tool's own reader, checks row count and column sums, and times it.
The result (or an ``error``) goes to OUT.json as one JSON object; anything the
tools print goes to this process's stdout/stderr, which the driver captures.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
import traceback

KEYS = ("loss", "acc", "lr", "grad_norm")


# --------------------------------------------------------------------------
# workload: every loop builds this dict each step, exactly as written here:
#     dec = 1.0 / (1.0 + i * 1e-5)
#     d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope,
#          "grad_norm": 2.0 + (i % 7) * 0.25}
# --------------------------------------------------------------------------


def expected_sums(n: int) -> dict[str, float]:
    """Column sums of the workload, computed independently with numpy."""
    import numpy as np

    i = np.arange(n, dtype=np.float64)
    lr_slope = 1e-3 / n
    loss = 1.0 / (1.0 + i * 1e-5)
    return {
        "loss": float(loss.sum()),
        "acc": float((1.0 - 0.5 * loss).sum()),
        "lr": float((1e-3 - i * lr_slope).sum()),
        "grad_norm": float((2.0 + (np.arange(n) % 7) * 0.25).sum()),
        "_step": float(i.sum()),
    }


class Clock:
    """Wall, main-thread CPU, process CPU and (optionally) child-process CPU."""

    def __init__(self, with_children: bool = False):
        self.with_children = with_children
        self._proc = None
        self.rss_at_loop_start = None
        if with_children:
            import psutil

            self._proc = psutil.Process()

    def children(self):
        if self._proc is None:
            return []
        try:
            return self._proc.children(recursive=True)
        except Exception:
            return []

    def child_cpu(self) -> float:
        total = 0.0
        for c in self.children():
            try:
                t = c.cpu_times()
                total += t.user + t.system
            except Exception:
                pass
        return total

    def now(self) -> tuple[float, float, float, float]:
        if self.rss_at_loop_start is None:  # first call: just before the loop
            self.rss_at_loop_start = rss_now_kib()
        return (
            time.perf_counter(),
            time.thread_time(),
            time.process_time(),
            self.child_cpu() if self.with_children else 0.0,
        )


def children_peak_rss_kib(clock: Clock) -> tuple[int, list[str]]:
    """Sum of VmHWM (peak RSS) of live child processes, from /proc."""
    total = 0
    names = []
    for c in clock.children():
        try:
            total += _status_kib("VmHWM:", str(c.pid))
            names.append(c.name())
        except Exception:
            pass
    return total, names


def dir_bytes(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _status_kib(field: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def rss_now_kib() -> int:
    return _status_kib("VmRSS:")


def peak_rss_kib() -> int:
    """Peak RSS of this process.

    VmHWM rather than ru_maxrss: on Linux ru_maxrss survives execve, so a worker
    started by a big parent would report the parent's high-water mark.
    """
    try:
        return _status_kib("VmHWM:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --------------------------------------------------------------------------
# write loops, one per tool.  Each returns (t_init_end, t_loop_end, t_finish_end,
# meta) where the t_* are Clock.now() tuples.  The loop body is written out in
# each function (no helper call per step) so every tool pays the same overhead.
# --------------------------------------------------------------------------


def w_empty(n, workdir, clock):
    lr_slope = 1e-3 / n
    sink = None
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        sink = d
    t1 = clock.now()
    t2 = clock.now()
    del sink
    return t0, t1, t2, {}


def w_lists(n, workdir, clock):
    lr_slope = 1e-3 / n
    steps, loss, acc, lr, gn = [], [], [], [], []
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        steps.append(i)
        loss.append(d["loss"])
        acc.append(d["acc"])
        lr.append(d["lr"])
        gn.append(d["grad_norm"])
    t1 = clock.now()
    t2 = clock.now()
    assert len(steps) == n == len(loss) == len(acc) == len(lr) == len(gn)
    return t0, t1, t2, {}


def w_jsonl(n, workdir, clock):
    lr_slope = 1e-3 / n
    path = os.path.join(workdir, "metrics.jsonl")
    dumps = json.dumps
    f = open(path, "w", buffering=1 << 16)
    write = f.write
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        d["_step"] = i
        write(dumps(d) + "\n")
    t1 = clock.now()
    f.close()
    t2 = clock.now()
    return t0, t1, t2, {"path": path}


def w_nbtrack(n, workdir, clock):
    import nbtrack

    lr_slope = 1e-3 / n
    logdir = os.path.join(workdir, "logs")
    run = nbtrack.init(project="bench", dir=logdir, config={"steps": n})
    log = run.log
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        log(d)
    t1 = clock.now()
    run.finish()
    t2 = clock.now()
    return t0, t1, t2, {"logdir": str(getattr(run, "logdir", logdir)), "run_id": str(run.id)}


def _tb_loop(writer, n, clock):
    lr_slope = 1e-3 / n
    add = writer.add_scalar
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        add("loss", d["loss"], i)
        add("acc", d["acc"], i)
        add("lr", d["lr"], i)
        add("grad_norm", d["grad_norm"], i)
    t1 = clock.now()
    writer.close()
    t2 = clock.now()
    return t0, t1, t2


def w_tensorboardX(n, workdir, clock):
    from tensorboardX import SummaryWriter

    logdir = os.path.join(workdir, "tb")
    writer = SummaryWriter(logdir=logdir)
    t0, t1, t2 = _tb_loop(writer, n, clock)
    return t0, t1, t2, {"logdir": logdir}


def w_torch(n, workdir, clock):
    from torch.utils.tensorboard import SummaryWriter

    logdir = os.path.join(workdir, "tb")
    writer = SummaryWriter(log_dir=logdir)
    t0, t1, t2 = _tb_loop(writer, n, clock)
    return t0, t1, t2, {"logdir": logdir}


def offline_wandb_init(wandb, project, workdir, config):
    """wandb.init, offline and silent, with nothing captured; returns (run, its folder)."""
    try:  # offline already disables it; make sure for the whole process
        from wandb.analytics.opentelemetry import opentelemetry_proxy

        opentelemetry_proxy.disable()
    except Exception:
        pass
    wdir = os.path.join(workdir, "wandb_dir")
    os.makedirs(wdir, exist_ok=True)
    settings = wandb.Settings(
        mode="offline",
        silent=True,
        console="off",
        disable_git=True,
        disable_code=True,
        save_code=False,
        x_disable_stats=True,
        x_disable_meta=True,
        x_disable_machine_info=True,
        x_save_requirements=False,
    )
    return wandb.init(project=project, dir=wdir, config=config, settings=settings), wdir


def w_wandb(n, workdir, clock):
    import wandb

    lr_slope = 1e-3 / n
    run, wdir = offline_wandb_init(wandb, "bench", workdir, {"steps": n})
    log = wandb.log
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        log(d)
    t1 = clock.now()
    wandb.finish()
    t2 = clock.now()
    return t0, t1, t2, {"wandb_dir": wdir, "run_id": run.id}


def w_trackio(n, workdir, clock):
    import trackio

    lr_slope = 1e-3 / n
    trackio.init(
        project="bench",
        name="bench-run",
        config={"steps": n},
        embed=False,
        auto_log_cpu=False,
        auto_log_gpu=False,
    )
    log = trackio.log
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        log(d)
    t1 = clock.now()
    trackio.finish()
    t2 = clock.now()
    return t0, t1, t2, {"project": "bench", "run": "bench-run", "trackio_dir": os.environ.get("TRACKIO_DIR")}


WRITERS = {
    "empty": w_empty,
    "lists": w_lists,
    "jsonl": w_jsonl,
    "nbtrack": w_nbtrack,
    "tensorboardX": w_tensorboardX,
    "torch": w_torch,
    "wandb": w_wandb,
    "trackio": w_trackio,
}

# where each tool's files go (for bytes on disk)
DATA_DIR_KEYS = {
    "jsonl": None,
    "nbtrack": "logdir",
    "tensorboardX": "logdir",
    "torch": "logdir",
    "wandb": "wandb_dir",
    "trackio": "trackio_dir",
}


def resource_figures(tool: str, clock: Clock, t0, t1, t2) -> dict:
    """Times, CPU shares and peak memory of one measured write (shared with _media_worker.py)."""
    # children are still alive here (wandb-core lingers until interpreter exit)
    child_rss, child_names = children_peak_rss_kib(clock) if tool == "wandb" else (0, [])
    wall = t2[0] - t0[0]
    proc_cpu = t2[2] - t0[2]
    thread_cpu = t2[1] - t0[1]
    child_cpu = t2[3] - t0[3]
    res = {
        "tool": tool,
        "loop_s": t1[0] - t0[0],
        "finish_s": t2[0] - t1[0],
        "wall_s": wall,
        "main_thread_cpu_s": thread_cpu,
        "process_cpu_s": proc_cpu,
        "child_cpu_s": child_cpu,
        "bg_cpu_share": ((proc_cpu - thread_cpu) + child_cpu) / wall if wall > 0 else 0.0,
        "maxrss_kib": peak_rss_kib(),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_loop_kib": clock.rss_at_loop_start,
        "child_peak_rss_kib": child_rss,
        "child_names": child_names,
    }
    res["peak_rss_kib"] = res["maxrss_kib"] + child_rss
    return res


def do_write(tool: str, n: int, workdir: str) -> dict:
    clock = Clock(with_children=(tool == "wandb"))
    t0, t1, t2, meta = WRITERS[tool](n, workdir, clock)
    res = {"steps": n, **resource_figures(tool, clock, t0, t1, t2)}
    if tool in DATA_DIR_KEYS:
        key = DATA_DIR_KEYS[tool]
        path = meta.get("path") if key is None else meta.get(key)
        res["disk_bytes"] = (os.path.getsize(path) if key is None else dir_bytes(path)) if path else None
    meta["steps"] = n
    with open(os.path.join(workdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return res


# --------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------


def r_jsonl(meta):
    import pandas as pd

    return lambda: pd.read_json(meta["path"], lines=True)


def r_nbtrack(meta):
    import nbtrack

    return lambda: nbtrack.open(meta["logdir"]).run(meta["run_id"]).history()


def r_eventaccumulator(meta):
    import pandas as pd
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def read():
        acc = EventAccumulator(meta["logdir"], size_guidance={"scalars": 0})  # 0 = keep all
        acc.Reload()
        cols = {}
        for tag in acc.Tags()["scalars"]:
            events = acc.Scalars(tag)
            cols[tag] = pd.Series([e.value for e in events], index=[e.step for e in events])
        df = pd.DataFrame(cols)
        df.index.name = "step"
        return df.reset_index()

    return read


def r_tbparse(meta):
    from tbparse import SummaryReader

    return lambda: SummaryReader(meta["logdir"], pivot=True, event_types={"scalars"}).scalars


def r_wandb(meta):
    import glob

    import _wandb_records
    import pandas as pd

    def read():
        rid = meta["run_id"]
        files = glob.glob(os.path.join(meta["wandb_dir"], "wandb", f"*-{rid}", f"run-{rid}.wandb"))
        if len(files) != 1:
            raise RuntimeError(f"expected one .wandb file for run {rid}, found {files}")
        return pd.DataFrame(_wandb_records.read_history_rows(files[0]))

    return read


def r_trackio(meta):
    import pandas as pd
    from trackio.sqlite_storage import SQLiteStorage

    return lambda: pd.DataFrame(SQLiteStorage.get_logs(meta["project"], run=meta["run"]))


# tool -> {reader name: factory(meta) -> zero-argument read function}; each reader
# runs in its own fresh subprocess
READERS = {
    "jsonl": {"pandas.read_json": r_jsonl},
    "nbtrack": {"nbtrack history()": r_nbtrack},
    "tensorboardX": {"EventAccumulator": r_eventaccumulator, "tbparse": r_tbparse},
    "torch": {"EventAccumulator": r_eventaccumulator, "tbparse": r_tbparse},
    "wandb": {"wandb Record protobuf": r_wandb},
    "trackio": {"SQLiteStorage.get_logs": r_trackio},
}

STEP_COLUMNS = ("_step", "step")


def verify(df, n: int) -> dict:
    """Row count and column sums against the workload; raises on mismatch."""
    want = expected_sums(n)
    if len(df) != n:
        raise AssertionError(f"read {len(df)} rows, expected {n}")
    checked = {}
    for key in KEYS:
        if key not in df.columns:
            raise AssertionError(f"column {key!r} missing; columns: {list(df.columns)}")
        got = float(df[key].astype("float64").sum())
        # tensorboard stores float32: allow its rounding, nothing more
        if not math.isclose(got, want[key], rel_tol=2e-6, abs_tol=1e-9):
            raise AssertionError(f"sum({key}) = {got!r}, expected {want[key]!r}")
        checked[key] = got
    for sc in STEP_COLUMNS:
        if sc in df.columns:
            got = float(df[sc].astype("float64").sum())
            if got != want["_step"]:
                raise AssertionError(f"sum({sc}) = {got!r}, expected {want['_step']!r}")
            checked[sc] = got
            break
    return checked


def do_read(tool: str, n: int, workdir: str, reader: str) -> dict:
    with open(os.path.join(workdir, "meta.json")) as f:
        meta = json.load(f)
    t = time.perf_counter()
    import pandas  # noqa: F401  (imported by every reader; not part of the timing)

    read = READERS[tool][reader](meta)
    import_s = time.perf_counter() - t
    t0 = time.perf_counter()
    df = read()
    dt = time.perf_counter() - t0
    checked = verify(df, n)
    return {
        "tool": tool,
        "reader": reader,
        "read_s": dt,
        "import_s": import_s,
        "rows": len(df),
        "ncols": len(df.columns),
        "sums": checked,
    }


# --------------------------------------------------------------------------
# the 10M-step single-scalar nbtrack run
# --------------------------------------------------------------------------


def do_big_write(n: int, workdir: str) -> dict:
    import nbtrack

    logdir = os.path.join(workdir, "logs")
    run = nbtrack.init(project="bench-big", dir=logdir, config={"steps": n})
    log = run.log
    t0 = time.perf_counter()
    for i in range(n):
        log({"x": i * 0.5})
    t1 = time.perf_counter()
    run.finish()
    t2 = time.perf_counter()
    meta = {"logdir": str(getattr(run, "logdir", logdir)), "run_id": str(run.id), "steps": n}
    with open(os.path.join(workdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return {
        "steps": n,
        "loop_s": t1 - t0,
        "finish_s": t2 - t1,
        "disk_bytes": dir_bytes(logdir),
        "maxrss_kib": peak_rss_kib(),
    }


def do_big_read(n: int, workdir: str) -> dict:
    with open(os.path.join(workdir, "meta.json")) as f:
        meta = json.load(f)
    t = time.perf_counter()
    import nbtrack

    import_s = time.perf_counter() - t
    t0 = time.perf_counter()
    arr = nbtrack.open(meta["logdir"]).run(meta["run_id"]).scalars("x")["value"].to_numpy()
    dt = time.perf_counter() - t0
    want = 0.5 * (n - 1) * n / 2
    if len(arr) != n:
        raise AssertionError(f"read {len(arr)} values, expected {n}")
    got = float(arr.astype("float64").sum())
    if not math.isclose(got, want, rel_tol=1e-9):
        raise AssertionError(f"sum(x) = {got!r}, expected {want!r}")
    return {"read_s": dt, "import_s": import_s, "rows": len(arr), "dtype": str(arr.dtype), "sum": got}


def main(argv):
    cmd = argv[1]
    out_path = argv[-1]
    try:
        if cmd == "write":
            res = do_write(argv[2], int(argv[3]), argv[4])
        elif cmd == "read":
            res = do_read(argv[2], int(argv[3]), argv[4], argv[5])
        elif cmd == "big-write":
            res = do_big_write(int(argv[2]), argv[3])
        elif cmd == "big-read":
            res = do_big_read(int(argv[2]), argv[3])
        elif cmd == "shape-write":
            from _shapes import do_shape_write

            res = do_shape_write(argv[2], argv[3], int(argv[4]), argv[5])
        else:
            raise SystemExit(f"unknown command {cmd}")
    except BaseException as e:
        res = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        if isinstance(e, ModuleNotFoundError) and getattr(e, "name", None):
            res["error"] = f"{e.name} is not importable in {sys.executable}; install it"
    with open(out_path, "w") as f:
        json.dump(res, f)
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main(sys.argv)
