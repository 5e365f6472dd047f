"""One media measurement in a fresh interpreter; started by ``bench_media.py``.

    python _media_worker.py write TOOL WORKLOAD STEPS WORKDIR OUT.json
    python _media_worker.py check WORKLOAD STEPS WORKDIR OUT.json

WORKLOAD is ``H`` (a histogram of 100,000 float32 values per step) or ``I`` (a
64x64x3 uint8 image per step).  ``write`` runs the logging loop for one tool,
timing every single log call with ``time.perf_counter()`` (the data for a step is
made before its call, outside the timing), then the tool's finish/close; it
records per-call statistics, wall time until everything is on disk, CPU, RSS and
bytes on disk, and leaves ``WORKDIR/meta.json``.  ``check`` (nbtrack only) reads
the run back with ``nbtrack.open(logdir).run(id)`` and compares it with the data,
regenerated from the seed.  Result (or ``error``) goes to OUT.json; anything the
tools print goes to this process's stdout/stderr, which the driver captures.

Timing, CPU, RSS and disk helpers come from ``_worker.py`` (the scalar benchmark).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

from _worker import Clock, dir_bytes, offline_wandb_init, resource_figures

SEED = 20261123
HIST_SIZE = 100_000
HIST_BINS = 64  # nbtrack's default, and wandb's and trackio's
IMAGE_SHAPE = (64, 64, 3)
TAGS = {"H": "weights", "I": "sample"}
SLOW_CALL_S = 0.010


# --------------------------------------------------------------------------
# workload data: every step gets fresh data from its own generator, so any
# step can be regenerated for the read-back check
# --------------------------------------------------------------------------


def make_hist_values(step: int):
    import numpy as np

    rng = np.random.default_rng((SEED, step))
    values = rng.standard_normal(HIST_SIZE, dtype=np.float32)
    values *= 1 + step / 1000  # in place: the same float32 values as `* (1 + step/1000)`, no helper-thread CPU
    return values


def make_image(step: int):
    import numpy as np

    rng = np.random.default_rng((SEED, step))
    return rng.integers(0, 256, size=IMAGE_SHAPE, dtype=np.uint8)


MAKERS = {"H": make_hist_values, "I": make_image}


# --------------------------------------------------------------------------
# per tool: setup(workload, workdir) -> (call, finish, meta).  ``call(data, step)``
# is the one log call the training thread pays for (value construction included);
# ``finish()`` returns once the tool has everything on disk.
# --------------------------------------------------------------------------


def s_empty(workload, workdir):
    def call(data, step):
        return None

    return call, lambda: None, {}


def s_nbtrack(workload, workdir):
    import nbtrack

    logdir = os.path.join(workdir, "logs")
    run = nbtrack.init(project="bench-media", dir=logdir, config={"workload": workload})
    log, Histogram, Image = run.log, nbtrack.Histogram, nbtrack.Image
    if workload == "H":

        def call(data, step):
            log({"weights": Histogram(data)})
    else:

        def call(data, step):
            log({"sample": Image(data)})

    return call, run.finish, {"logdir": str(getattr(run, "logdir", logdir)), "run_id": str(run.id)}


def _tb_setup(writer, workload):
    if workload == "H":
        add = writer.add_histogram

        def call(data, step):
            add("weights", data, step)
    else:
        add = writer.add_image

        def call(data, step):
            add("sample", data, step, dataformats="HWC")

    return call, writer.close


def s_tensorboardX(workload, workdir):
    from tensorboardX import SummaryWriter

    logdir = os.path.join(workdir, "tb")
    call, finish = _tb_setup(SummaryWriter(logdir=logdir), workload)
    return call, finish, {"logdir": logdir}


def s_torch(workload, workdir):
    from torch.utils.tensorboard import SummaryWriter

    logdir = os.path.join(workdir, "tb")
    call, finish = _tb_setup(SummaryWriter(log_dir=logdir), workload)
    return call, finish, {"logdir": logdir}


def s_wandb(workload, workdir):
    import wandb

    run, wdir = offline_wandb_init(wandb, "bench-media", workdir, {"workload": workload})
    log, Histogram, Image = wandb.log, wandb.Histogram, wandb.Image
    if workload == "H":

        def call(data, step):
            log({"weights": Histogram(data)})
    else:

        def call(data, step):
            log({"sample": Image(data)})

    return call, wandb.finish, {"wandb_dir": wdir, "run_id": run.id}


def s_trackio(workload, workdir):
    import trackio

    trackio.init(
        project="bench-media",
        name="bench-run",
        config={"workload": workload},
        embed=False,
        auto_log_cpu=False,
        auto_log_gpu=False,
    )
    log = trackio.log
    if workload == "H":
        Histogram = getattr(trackio, "Histogram", None)
        if Histogram is None:
            raise NotImplementedError(f"trackio {trackio.__version__} has no Histogram type")

        def call(data, step):
            log({"weights": Histogram(data)})
    else:
        Image = getattr(trackio, "Image", None)
        if Image is None:
            raise NotImplementedError(f"trackio {trackio.__version__} has no Image type")

        def call(data, step):
            log({"sample": Image(data)})

    return call, trackio.finish, {"project": "bench-media", "run": "bench-run",
                                  "trackio_dir": os.environ.get("TRACKIO_DIR")}


SETUPS = {
    "empty": s_empty,
    "nbtrack": s_nbtrack,
    "tensorboardX": s_tensorboardX,
    "torch": s_torch,
    "wandb": s_wandb,
    "trackio": s_trackio,
}

# where each tool's files go (for bytes on disk)
DATA_DIR_KEYS = {
    "nbtrack": "logdir",
    "tensorboardX": "logdir",
    "torch": "logdir",
    "wandb": "wandb_dir",
    "trackio": "trackio_dir",
}


def call_stats(times: list[float]) -> dict:
    import numpy as np

    t = np.asarray(times, dtype=np.float64)
    return {
        "calls": len(t),
        "in_calls_s": float(t.sum()),
        "median_s": float(np.median(t)),
        "mean_s": float(t.mean()),
        "p90_s": float(np.percentile(t, 90)),
        "p99_s": float(np.percentile(t, 99)),
        "max_s": float(t.max()),
        "min_s": float(t.min()),
        "first_s": float(t[0]),
        "slow_calls": int((t > SLOW_CALL_S).sum()),  # stalls: how many calls took > 10 ms, and their total
        "in_slow_calls_s": float(t[t > SLOW_CALL_S].sum()),
    }


def do_write(tool: str, workload: str, n: int, workdir: str) -> dict:
    import numpy as np  # noqa: F401  (imported before the loop by every tool)

    clock = Clock(with_children=(tool == "wandb"))
    make = MAKERS[workload]
    call, finish, meta = SETUPS[tool](workload, workdir)
    perf = time.perf_counter
    times = [0.0] * n
    gen_s = 0.0
    data = make(0)
    t0 = clock.now()  # just before the first call
    for step in range(n):
        t = perf()
        call(data, step)
        times[step] = perf() - t
        if step + 1 < n:
            g = perf()
            data = make(step + 1)
            gen_s += perf() - g
    t1 = clock.now()
    finish()
    t2 = clock.now()
    res = {
        **resource_figures(tool, clock, t0, t1, t2),
        "workload": workload,
        "steps": n,
        **call_stats(times),
        "gen_s": gen_s,
    }
    key = DATA_DIR_KEYS.get(tool)
    res["disk_bytes"] = dir_bytes(meta[key]) if key and meta.get(key) else None
    meta.update(steps=n, workload=workload, tool=tool)
    with open(os.path.join(workdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return res


# --------------------------------------------------------------------------
# read-back check (nbtrack)
# --------------------------------------------------------------------------


def sample_steps(n: int) -> list[int]:
    return sorted({0, 1, n // 3, n // 2, n - 1} & set(range(n)))


def check_histograms(rd, n: int) -> dict:
    import numpy as np

    df = rd.histograms(TAGS["H"])
    if len(df) != n:
        raise AssertionError(f"histograms('weights'): {len(df)} rows, expected {n}")
    if df["step"].tolist() != list(range(n)):
        raise AssertionError("histograms('weights'): steps are not 0..n-1 in order")
    sums = np.array([float(np.sum(c)) for c in df["counts"]])
    if not (sums == HIST_SIZE).all():
        bad = int(np.flatnonzero(sums != HIST_SIZE)[0])
        raise AssertionError(f"histograms('weights'): counts of step {bad} sum to {sums[bad]}, expected {HIST_SIZE}")
    if (df["nan"] != 0).any() or (df["posinf"] != 0).any() or (df["neginf"] != 0).any():
        raise AssertionError("histograms('weights'): non-finite values counted, none were logged")
    checked = []
    for step in sample_steps(n):
        arr = make_hist_values(step)
        row = df.iloc[step]
        edges, counts = np.asarray(row["edges"]), np.asarray(row["counts"])
        if len(counts) != HIST_BINS:
            raise AssertionError(f"step {step}: {len(counts)} bins, expected {HIST_BINS}")
        if row["min"] != float(arr.min()) or row["max"] != float(arr.max()):
            raise AssertionError(f"step {step}: min/max {row['min']}/{row['max']} differ from the data's")
        if edges[0] != float(arr.min()) or edges[-1] != float(arr.max()):
            raise AssertionError(f"step {step}: edges span {edges[0]}..{edges[-1]}, not the data's range")
        want, _ = np.histogram(arr, bins=edges)
        if not np.array_equal(want, counts):
            raise AssertionError(f"step {step}: counts differ from numpy.histogram of the data on the same edges")
        checked.append(step)
    return {"hist_rows": len(df), "hist_counts_total": float(sums.sum()), "hist_steps_compared": checked}


def check_images(rd, n: int) -> dict:
    import numpy as np

    df = rd.images(TAGS["I"])
    if len(df) != n:
        raise AssertionError(f"images('sample'): {len(df)} rows, expected {n}")
    if df["step"].tolist() != list(range(n)):
        raise AssertionError("images('sample'): steps are not 0..n-1 in order")
    missing = [int(s) for s, im in zip(df["step"], df["image"]) if im is None]
    if missing:
        raise AssertionError(f"images('sample'): {len(missing)} images unreadable, first at step {missing[0]}")
    checked = []
    for step in sample_steps(n):
        got, want = np.asarray(df["image"].iloc[step]), make_image(step)
        if got.shape != want.shape or got.dtype != want.dtype or not np.array_equal(got, want):
            raise AssertionError(f"step {step}: read back {got.dtype}{got.shape}, pixels differ from the logged image")
        checked.append(step)
    return {"image_rows": len(df), "image_steps_compared": checked}


def do_check(workload: str, n: int, workdir: str) -> dict:
    with open(os.path.join(workdir, "meta.json")) as f:
        meta = json.load(f)
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import nbtrack

    t0 = time.perf_counter()
    rd = nbtrack.open(meta["logdir"]).run(meta["run_id"])
    out = check_histograms(rd, n) if workload == "H" else check_images(rd, n)
    return {"workload": workload, "read_and_check_s": time.perf_counter() - t0, **out}


def main(argv):
    cmd = argv[1]
    out_path = argv[-1]
    try:
        if cmd == "write":
            res = do_write(argv[2], argv[3], int(argv[4]), argv[5])
        elif cmd == "check":
            res = do_check(argv[2], int(argv[3]), argv[4])
        else:
            raise SystemExit(f"unknown command {cmd}")
    except BaseException as e:
        res = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        if isinstance(e, NotImplementedError):
            res["unsupported"] = True
        if isinstance(e, ModuleNotFoundError) and getattr(e, "name", None):
            res["error"] = f"{e.name} is not importable in {sys.executable}; install it"
    with open(out_path, "w") as f:
        json.dump(res, f)
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main(sys.argv)
