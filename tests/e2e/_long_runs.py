"""Long runs for the browser tests of long series (test_long_series.py), written through the public API.

A run is recorded with ``nbtrack.init(...)`` and ``run.log(row)`` in a tight loop over one reused dict
(same keys in the same order every call: ``log()``'s fast path), with a long ``flush_interval`` so the
writer thread flushes few, large batches. Values cycle through a fixed pattern in [0.5, 1.0); one step
per key is a spike of ``SPIKE`` (at least 1000x the key's other values) and, where asked, one step is NaN.

The same module is imported inside a JupyterLab kernel by the live test (``log_steps``), so the loop that
the browser watches is the one measured here. It has no pytest dependency.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPIKE = 1000.0
PERIOD = 1009  # values cycle with this period (prime, so no bucket of the M4 reduction lines up with it)
PATTERN = [0.5 + 0.5 * ((k * 37) % PERIOD) / PERIOD for k in range(PERIOD)]  # in [0.5, 1.0)


@dataclass(frozen=True)
class LongRun:
    """What was written: where, how many steps, which step of which key is the spike or NaN."""

    logdir: Path
    name: str
    steps: int
    keys: tuple[str, ...]
    spikes: dict[str, int]  # key -> the step whose value is SPIKE
    nans: dict[str, int]  # key -> the step whose value is NaN
    log_s: float = 0.0  # the log() loop
    finish_s: float = 0.0  # run.finish(): the last flush
    disk_bytes: int = 0


def spike_steps(steps: int, keys: Sequence[str]) -> dict[str, int]:
    """One spike per key, away from the ends and from bucket edges: 12.3457 %, 23.4568 %, ... of the run."""
    return {key: int(steps * (0.123457 + 0.111111 * i)) for i, key in enumerate(keys)}


def nan_steps(steps: int, keys: Sequence[str]) -> dict[str, int]:
    """A NaN step in the first key only, at 65.4321 % of the run."""
    return {keys[0]: int(steps * 0.654321)}


def log_steps(run: Any, steps: int, keys: Sequence[str], spikes: dict[str, int], nans: dict[str, int]) -> None:
    """``run.log`` for steps 0..steps-1 (the run's steps must start at 0): the fixed pattern, the spikes, the NaNs.

    Key i logs ``pattern / (i + 1)``, so every spike is at least 1000x the key's other values.
    """
    row = dict.fromkeys(keys, 0.0)
    special: dict[int, list[tuple[str, float]]] = {}
    for key, step in spikes.items():
        special.setdefault(step, []).append((key, SPIKE))
    for key, step in nans.items():
        special.setdefault(step, []).append((key, float("nan")))
    log, pattern, period = run.log, PATTERN, PERIOD
    scales = [(key, 1.0 / (i + 1)) for i, key in enumerate(keys)]
    j = 0
    for step in range(steps):
        v = pattern[j]
        j += 1
        if j == period:
            j = 0
        for key, scale in scales:
            row[key] = v * scale
        if step in special:
            for key, value in special[step]:
                row[key] = value
        log(row)


def disk_bytes(path: Path) -> int:
    """Bytes in every file under ``path``."""
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


def write_run(logdir: Path, steps: int, keys: Sequence[str] = ("loss",), name: str = "long",
              with_nan: bool = True, flush_interval: float = 3600.0) -> LongRun:
    """Record a finished run of ``steps`` steps x ``keys`` under ``logdir`` and time it."""
    import nbtrack

    keys = tuple(keys)
    spikes = spike_steps(steps, keys)
    nans = nan_steps(steps, keys) if with_nan else {}
    t0 = time.perf_counter()
    run = nbtrack.init(dir=str(logdir), name=name, flush_interval=flush_interval)
    log_steps(run, steps, keys, spikes, nans)
    t1 = time.perf_counter()
    run.finish()
    t2 = time.perf_counter()
    return LongRun(Path(logdir), name, steps, keys, spikes, nans, log_s=t1 - t0, finish_s=t2 - t1,
                   disk_bytes=disk_bytes(Path(logdir)))


def html_page(fragment: str, title: str = "nbtrack static output") -> str:
    """A whole HTML document around a static output's ``text/html`` (as a saved report would be)."""
    return (f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body>\n{fragment}\n</body></html>\n")


@contextmanager
def stage_timer() -> Any:
    """Time the stages of ``Logdir.show().bundle()`` by wrapping the product's own functions.

    Yields a dict filled with seconds per stage (cumulative over calls; stages nest: ``read`` holds
    ``crc32`` and ``concat``, ``series_of`` holds ``read`` and ``reduce_m4``, ``png`` holds ``matplotlib``).
    """
    from nbtrack.dashboard import m4 as _m4
    from nbtrack.dashboard import png_fallback as _chart_png
    from nbtrack.dashboard import snapshot as _snapshot
    from nbtrack.dashboard import static_output as _static
    from nbtrack.store import columns as _columns
    from nbtrack.store import format as _format
    from nbtrack.store.reader import RunReader

    out: dict[str, float] = {}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(name: str, owner: Any, attr: str) -> None:
        original = owner.__dict__[attr]
        fn = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                out[name] = out.get(name, 0.0) + time.perf_counter() - t

        setattr(owner, attr, classmethod(timed) if isinstance(original, classmethod) else timed)
        patched.append((owner, attr, original))

    wrap("read (RunReader.catch_up: files, CRC)", RunReader, "catch_up")
    wrap("crc32 (verify_batch)", _format, "verify_batch")
    wrap("concat (Columns.concat)", _columns.Columns, "concat")
    wrap("series_of (split per tag + gather + reduce)", _snapshot, "series_of")
    wrap("reduce_m4 (snapshot)", _m4, "reduce_m4")
    wrap("png (render_png)", _static, "render_png")
    wrap("matplotlib (inside png)", _chart_png, "_matplotlib")
    wrap("base64 payload (payload_of)", _static, "payload_of")
    wrap("json (json_for_html)", _static, "json_for_html")
    wrap("bokehjs gzip+base64 (once per process)", _static, "bokeh_parts")
    try:
        yield out
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)
