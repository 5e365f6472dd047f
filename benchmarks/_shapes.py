"""The call shapes of issue 18 item 1, one loop each; run by ``_worker.py shape-write``.

    python _worker.py shape-write SHAPE IMPL STEPS WORKDIR OUT.json

Every shape's loop builds the same dicts for every implementation and calls
``log`` with the same arguments; only what ``log`` is differs:

- ``floor``: a method with ``log()``'s signature that appends its arguments to a list,
  ``calls.append((data, step, commit))`` (the floor issue 18 measures against);
- ``bare``: the same method appending only ``data`` (a stricter floor: no tuple per call);
- ``nbtrack``: ``run.log``;
- ``trackio``, ``wandb``: their ``log`` (shapes they have an argument for);
- ``tensorboardX``, ``torch``: ``SummaryWriter.add_scalar`` behind a ``log`` that
  makes one call per key (the one-key-per-call shape only).

The loops are written out per shape, so each implementation pays the same overhead.
"""

from __future__ import annotations

import os

SHAPES = ["plain", "step", "stride", "commit", "onekey", "changing", "numpy", "torch"]
SHAPE_TEXT = {
    "plain": "`log(d)`",
    "step": "`log(d, step=i)`",
    "stride": "`log(d, step=10*i)` (a fixed stride)",
    "commit": "`log(d1, commit=False)` + `log(d2)`",
    "onekey": "`log({k: v}, step=i)` × 4 (one key per call, as `add_scalar`)",
    "changing": "`log(d)`, `d` gaining `val/loss` every 10th step",
    "numpy": "`log(d, step=i)`, numpy float32/float64 values",
    "torch": "`log(d, step=i)`, 0-d torch tensors",
}
CALLS_PER_STEP = {"commit": 2, "onekey": 4}
SCALARS = {"changing": 4.1}  # scalars per step (the others: 4)
PEER_SHAPES = {  # the shapes a peer has arguments for
    "trackio": {"plain", "step"},
    "wandb": {"plain", "step", "commit"},
    "tensorboardX": {"onekey"},
    "torch": {"onekey"},
}


class Floor:
    def __init__(self) -> None:
        self.calls: list = []

    def log(self, data, step=None, commit=None):
        self.calls.append((data, step, commit))


class Bare:
    def __init__(self) -> None:
        self.calls: list = []

    def log(self, data, step=None, commit=None):
        self.calls.append(data)


def _plain(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25})
    return t0, clock.now()


def _step(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25},
            step=i)
    return t0, clock.now()


def _stride(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25},
            step=10 * i)
    return t0, clock.now()


def _commit(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": dec, "acc": 1.0 - 0.5 * dec}, commit=False)
        log({"lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25})
    return t0, clock.now()


def _onekey(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": dec}, step=i)
        log({"acc": 1.0 - 0.5 * dec}, step=i)
        log({"lr": 1e-3 - i * lr_slope}, step=i)
        log({"grad_norm": 2.0 + (i % 7) * 0.25}, step=i)
    return t0, clock.now()


def _changing(log, n, clock):
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        d = {"loss": dec, "acc": 1.0 - 0.5 * dec, "lr": 1e-3 - i * lr_slope, "grad_norm": 2.0 + (i % 7) * 0.25}
        if i % 10 == 9:
            d["val/loss"] = dec * 1.1
        log(d)
    return t0, clock.now()


def _numpy(log, n, clock):
    import numpy as np

    f32, f64 = np.float32, np.float64
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": f32(dec), "acc": f32(1.0 - 0.5 * dec), "lr": f64(1e-3 - i * lr_slope),
             "grad_norm": f64(2.0 + (i % 7) * 0.25)}, step=i)
    return t0, clock.now()


def _torch(log, n, clock):
    import torch

    tensor = torch.tensor
    lr_slope = 1e-3 / n
    t0 = clock.now()
    for i in range(n):
        dec = 1.0 / (1.0 + i * 1e-5)
        log({"loss": tensor(dec), "acc": tensor(1.0 - 0.5 * dec), "lr": tensor(1e-3 - i * lr_slope),
             "grad_norm": tensor(2.0 + (i % 7) * 0.25)}, step=i)
    return t0, clock.now()


LOOPS = {"plain": _plain, "step": _step, "stride": _stride, "commit": _commit, "onekey": _onekey,
         "changing": _changing, "numpy": _numpy, "torch": _torch}


def _expected(shape: str, n: int) -> dict[str, tuple[int, int]]:
    """Per key: how many values, and the last step."""
    last = {"stride": 10 * (n - 1)}.get(shape, n - 1)
    out = dict.fromkeys(("loss", "acc", "lr", "grad_norm"), (n, last))
    if shape == "changing":
        out["val/loss"] = (n // 10, n - 1 - n % 10)  # every step i with i % 10 == 9
    return out


def _open(impl: str, workdir: str):
    """(log, close, check): the implementation's log, what ends it, and a read-back check."""
    if impl in ("floor", "bare"):
        sink = Floor() if impl == "floor" else Bare()
        return sink.log, lambda: None, None
    if impl == "nbtrack":
        import nbtrack

        run = nbtrack.init(project="bench", dir=os.path.join(workdir, "logs"))

        def check(shape, n):
            r = nbtrack.open(run.logdir).run(run.id)
            for key, (count, last) in _expected(shape, n).items():
                s = r.scalars(key)
                if len(s) != count or int(s["step"].iloc[-1]) != last:
                    raise AssertionError(f"{key}: {len(s)} values up to step {s['step'].iloc[-1]}, "
                                         f"expected {count} up to {last}")
            return True

        return run.log, run.finish, check
    if impl == "trackio":
        import trackio

        trackio.init(project="bench", name="bench-run", embed=False, auto_log_cpu=False, auto_log_gpu=False)
        return trackio.log, trackio.finish, None
    if impl == "wandb":
        import wandb
        from _worker import offline_wandb_init

        offline_wandb_init(wandb, "bench", workdir, {})
        return wandb.log, wandb.finish, None
    if impl in ("tensorboardX", "torch"):
        if impl == "torch":
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(log_dir=os.path.join(workdir, "tb"))
        else:
            from tensorboardX import SummaryWriter

            writer = SummaryWriter(logdir=os.path.join(workdir, "tb"))
        add = writer.add_scalar

        def log(data, step=None, commit=None):
            for key, value in data.items():
                add(key, value, step)

        return log, writer.close, None
    raise SystemExit(f"unknown implementation {impl}")


def do_shape_write(shape: str, impl: str, n: int, workdir: str) -> dict:
    from _worker import Clock

    clock = Clock()
    log, close, check = _open(impl, workdir)
    t0, t1 = LOOPS[shape](log, n, clock)
    close()
    res = {"shape": shape, "impl": impl, "steps": n, "loop_s": t1[0] - t0[0],
           "loop_cpu_s": t1[1] - t0[1]}
    if check is not None:
        res["verified"] = check(shape, n)
    return res
