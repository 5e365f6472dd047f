"""System metrics: a daemon thread that samples CPU, memory, disk, network and GPUs while a run is live.

``init()`` starts a :class:`SystemSampler` (every 10 s by default, the first sample after
1 s) and ``finish()`` stops it at once. Samples go to the run as tags under ``system/``
(names follow wandb's where wandb has one) at the run's current step, which they never
advance, with their real wall time: the dashboard plots them against time. Nothing runs on
the training thread, and nothing raises into it: a probe that fails warns once and is
dropped, the others go on.

Tags (MB = 2**20 bytes, rates over the time since the previous sample):

==============================  =====================================================
``system/cpu``                  this process's CPU, % of the whole machine (wandb's)
``system/proc.cpu.threads``     this process's threads
``system/proc.memory.rssMB``    this process's resident memory
``system/proc.memory.percent``  that as % of the machine's memory
``system/cpu.machine``          the machine's CPU use, % (all cores)
``system/cpu.core_max``         the busiest core's use, %
``system/memory_percent``       the machine's memory in use, %
``system/proc.memory.availableMB``  the machine's available memory
``system/disk.read.MBps``       the machine's disk reads, MB/s
``system/disk.write.MBps``      the machine's disk writes, MB/s
``system/network.sent.MBps``    the machine's network sends, MB/s
``system/network.recv.MBps``    the machine's network receives, MB/s
``system/gpu.{i}.gpu``          GPU ``i``'s utilisation, % (with ``nvidia-ml-py``)
``system/gpu.{i}.memoryAllocated``  GPU ``i``'s memory in use, %
``system/gpu.{i}.temp``         GPU ``i``'s temperature, °C
``system/gpu.{i}.powerWatts``   GPU ``i``'s power draw, W
==============================  =====================================================
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from nbtrack.paths import SYSTEM_PREFIX

DEFAULT_INTERVAL = 10.0  # seconds between samples
FIRST_SAMPLE = 1.0  # seconds from start to the first sample (or the interval, if shorter)
MIN_INTERVAL = 0.01
STOP_WAIT = 1.0  # seconds finish() waits for a sample in progress
MB = float(2**20)
_OFF = frozenset({"0", "false", "no", "off", ""})

Probe = Callable[[], dict[str, float]]


def system_options(settings: Any, mode: str | None) -> float | None:
    """The sampling interval ``init()`` asked for, or None when system metrics are off.

    ``settings`` (a dict or an object with attributes, as ``wandb.Settings``) may hold
    ``system_metrics`` (bool) and ``system_interval`` (seconds); wandb's ``x_disable_stats``
    and ``x_stats_sampling_interval`` are read too. Else ``$NBTRACK_SYSTEM_METRICS``
    (``0``/``false``/``off`` turn them off) and ``$NBTRACK_SYSTEM_INTERVAL``. Off for
    ``mode="disabled"``.

    >>> system_options({"system_metrics": True, "system_interval": 2}, None)
    2.0
    >>> system_options({"system_metrics": False}, None) is None
    True
    """
    if mode == "disabled":
        return None
    enabled = _get(settings, "system_metrics")
    if enabled is None and _get(settings, "x_disable_stats") is not None:
        enabled = not _get(settings, "x_disable_stats")
    if enabled is None:
        env = os.environ.get("NBTRACK_SYSTEM_METRICS")
        enabled = True if env is None else env.strip().lower() not in _OFF
    elif not isinstance(enabled, bool):
        raise TypeError(f"init(settings=...): system_metrics takes True or False, got {enabled!r}")
    interval = _get(settings, "system_interval")
    name = "settings system_interval"
    if interval is None:
        interval, name = _get(settings, "x_stats_sampling_interval"), "settings x_stats_sampling_interval"
    if interval is None:
        interval, name = os.environ.get("NBTRACK_SYSTEM_INTERVAL") or DEFAULT_INTERVAL, "$NBTRACK_SYSTEM_INTERVAL"
    try:
        seconds = float(interval)
    except (TypeError, ValueError):
        raise TypeError(f"init(): {name} takes a number of seconds, got {interval!r}") from None
    if not (MIN_INTERVAL <= seconds < math.inf):
        raise ValueError(f"init(): {name} must be a number of seconds from {MIN_INTERVAL} up, got {interval!r}")
    return seconds if enabled else None


def _get(settings: Any, name: str) -> Any:
    if settings is None:
        return None
    if isinstance(settings, dict):
        return settings.get(name)
    try:
        return getattr(settings, name, None)
    except Exception:  # an object whose attributes raise: as if unset
        return None


class SystemSampler:
    """Samples the probes every ``interval`` seconds on a daemon thread and hands each sample to ``record``.

    ``record(values, wall_time)`` gets ``{"system/...": float}``; ``probes`` defaults to
    :func:`default_probes` (built on the thread, so ``init()`` pays nothing for them).

    >>> got = []
    >>> s = SystemSampler(lambda values, t: got.append(values), interval=0.05, first=0.01,
    ...                   probes=lambda: [("one", lambda: {"one": 1.0})])
    >>> s.start(); time.sleep(0.2); s.stop()
    >>> got[0]
    {'system/one': 1.0}
    """

    def __init__(self, record: Callable[[dict[str, float], float], None], interval: float = DEFAULT_INTERVAL,
                 first: float = FIRST_SAMPLE, probes: Callable[[], list[tuple[str, Probe]]] | None = None,
                 label: str = "run") -> None:
        self.record = record
        self.interval = float(interval)
        self.first = min(float(first), self.interval)
        self.label = label
        self._make_probes = probes or default_probes
        self._probes: list[tuple[str, Probe]] = []
        self._built: list[tuple[str, Probe]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"nbtrack-system-{label}", daemon=True)
        self.samples = 0  # samples taken
        self.sample_cpu = 0.0  # this thread's CPU seconds spent taking them
        self.thread_cpu = 0.0  # this thread's CPU seconds in all (set when it ends)
        self.dropped: list[str] = []  # probes dropped after failing

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = STOP_WAIT) -> None:
        """Stop sampling now; waits at most ``timeout`` seconds for a sample in progress."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _loop(self) -> None:
        clock = time.thread_time
        try:
            self._probes = self._build_probes()
            self._built = list(self._probes)
            wait = self.first
            while self._probes and not self._stop.wait(wait):
                started = time.monotonic()
                cpu = clock()
                self.sample()
                self.sample_cpu += clock() - cpu
                self.samples += 1
                wait = max(0.0, self.interval - (time.monotonic() - started))
        finally:
            self._close_probes()
            self.thread_cpu = clock()

    def _build_probes(self) -> list[tuple[str, Probe]]:
        try:
            return list(self._make_probes())
        except Exception as error:  # psutil missing or broken: say so once, record nothing
            self._warn(f"system metrics are off: {type(error).__name__}: {error}")
            return []

    def sample(self) -> None:
        """Take one sample of every probe now (on the calling thread) and record it."""
        values: dict[str, float] = {}
        t = time.time()
        for probe in list(self._probes):
            name, read = probe
            try:
                got = read()
            except Exception as error:
                self._probes.remove(probe)
                self.dropped.append(name)
                self._warn(f"the system metric probe {name!r} failed and is dropped "
                           f"({type(error).__name__}: {error}); the other system metrics go on")
                continue
            for key, value in got.items():
                if value is not None and math.isfinite(value):
                    values[SYSTEM_PREFIX + key] = float(value)
        if values:
            try:
                self.record(values, t)
            except Exception as error:  # never expected: recording appends to memory
                self._warn(f"system metrics could not be recorded and are off: {type(error).__name__}: {error}")
                self._probes.clear()

    def _close_probes(self) -> None:
        for _name, read in self._built:  # dropped ones too
            close = getattr(read, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # shutting a library down: nothing left to tell the user
                    pass

    def _warn(self, message: str) -> None:
        warnings.warn(f"nbtrack: {self.label}: {message}", RuntimeWarning, stacklevel=2)


# -- probes: each a callable returning {name: value}; built once, on the sampler's thread ----------

def default_probes() -> list[tuple[str, Probe]]:
    """The probes this machine supports: psutil's, and NVIDIA GPUs' when ``nvidia-ml-py`` finds any."""
    import psutil

    probes: list[tuple[str, Probe]] = [("process", ProcessProbe(psutil)), ("cpu", CpuProbe(psutil)),
                                       ("memory", lambda: _memory(psutil))]
    for name, probe in (("disk", _counter_probe(psutil.disk_io_counters, "read_bytes", "write_bytes",
                                                "disk.read.MBps", "disk.write.MBps")),
                        ("network", _counter_probe(psutil.net_io_counters, "bytes_sent", "bytes_recv",
                                                   "network.sent.MBps", "network.recv.MBps"))):
        if probe is not None:
            probes.append((name, probe))
    gpu = GpuProbe.open()
    if gpu is not None:
        probes.append(("gpu", gpu))
    return probes


class ProcessProbe:
    """This process: CPU (% of the machine, as wandb), threads, resident memory."""

    def __init__(self, psutil: Any) -> None:
        self.process = psutil.Process()
        self.cores = psutil.cpu_count() or 1
        self.total = psutil.virtual_memory().total
        self.process.cpu_percent(None)  # the baseline of the first sample's CPU

    def __call__(self) -> dict[str, float]:
        p = self.process
        with p.oneshot():
            cpu = p.cpu_percent(None) / self.cores
            rss = p.memory_info().rss
            threads = p.num_threads()
        return {"cpu": cpu, "proc.cpu.threads": threads, "proc.memory.rssMB": rss / MB,
                "proc.memory.percent": 100.0 * rss / self.total}


class CpuProbe:
    """The machine's CPU use over the time since the previous sample: all cores, and the busiest one.

    Keeps its own previous ``cpu_times`` (``psutil.cpu_percent()`` would share its state with
    the user's own calls).
    """

    def __init__(self, psutil: Any) -> None:
        self.psutil = psutil
        self.last = [_busy_total(t) for t in psutil.cpu_times(percpu=True)]

    def __call__(self) -> dict[str, float]:
        now = [_busy_total(t) for t in self.psutil.cpu_times(percpu=True)]
        busy = total = 0.0
        core_max = 0.0
        for (b1, t1), (b0, t0) in zip(now, self.last):
            db, dt = max(0.0, b1 - b0), t1 - t0
            busy += db
            total += dt
            if dt > 0:
                core_max = max(core_max, min(100.0, 100.0 * db / dt))
        self.last = now
        if total <= 0:
            return {}
        return {"cpu.machine": min(100.0, 100.0 * busy / total), "cpu.core_max": core_max}


def _busy_total(t: Any) -> tuple[float, float]:
    """(busy, total) seconds of one core's ``cpu_times``, as psutil counts them."""
    total = sum(t)
    total -= getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)  # already counted in user/nice
    idle = t.idle + getattr(t, "iowait", 0.0)
    return total - idle, total


def _memory(psutil: Any) -> dict[str, float]:
    vm = psutil.virtual_memory()
    return {"memory_percent": vm.percent, "proc.memory.availableMB": vm.available / MB}


def _counter_probe(read: Callable[[], Any], first: str, second: str, first_name: str,
                   second_name: str) -> Probe | None:
    """MB/s of two byte counters since the previous sample; None when the machine has no such counters."""
    counters = read()
    if counters is None:  # no disks (some containers) or no network: nothing to sample
        return None
    state = [time.monotonic(), getattr(counters, first), getattr(counters, second)]

    def probe() -> dict[str, float]:
        now, got = time.monotonic(), read()
        a, b = getattr(got, first), getattr(got, second)
        dt = now - state[0]
        # a counter that went back (wrapped, or a device removed) gives no rate this time
        out = {} if dt <= 0 or a < state[1] or b < state[2] else {
            first_name: (a - state[1]) / MB / dt, second_name: (b - state[2]) / MB / dt}
        state[:] = [now, a, b]
        return out

    return probe


class GpuProbe:
    """NVIDIA GPUs through NVML (the ``nvidia-ml-py`` package, imported as ``pynvml``)."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self.nvml = nvml
        self.handles = handles
        self.broken: set[tuple[int, str]] = set()  # readings a GPU does not support (power on some boards)
        # other NVML errors (a GPU lost, say) raise: the sampler warns and drops the probe
        self.unsupported: type[BaseException] = getattr(nvml, "NVMLError_NotSupported", _Never)

    @classmethod
    def open(cls) -> GpuProbe | None:
        """The probe, or None without ``pynvml``, a driver or a GPU (nothing to warn about)."""
        try:
            import pynvml
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
        except Exception:  # no driver: a machine without NVIDIA GPUs
            return None
        try:
            count = pynvml.nvmlDeviceGetCount()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception:
            handles = []
        if not handles:
            _shutdown(pynvml)
            return None
        return cls(pynvml, handles)

    def __call__(self) -> dict[str, float]:
        nvml = self.nvml
        out: dict[str, float] = {}
        readings: dict[str, Callable[[Any], float]] = {
            "gpu": lambda h: nvml.nvmlDeviceGetUtilizationRates(h).gpu,
            "memoryAllocated": lambda h: _percent(nvml.nvmlDeviceGetMemoryInfo(h)),
            "temp": lambda h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU),
            "powerWatts": lambda h: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0,
        }
        for i, handle in enumerate(self.handles):
            for name, read in readings.items():
                if (i, name) in self.broken:
                    continue
                try:
                    out[f"gpu.{i}.{name}"] = float(read(handle))
                except self.unsupported:  # not supported by this GPU: left out from now on
                    self.broken.add((i, name))
        return out

    def close(self) -> None:
        _shutdown(self.nvml)


class _Never(Exception):
    """Raised by nothing: an ``except`` clause that catches nothing."""


def _percent(info: Any) -> float:
    return 100.0 * info.used / info.total if info.total else math.nan


def _shutdown(nvml: Any) -> None:
    try:
        nvml.nvmlShutdown()
    except Exception:  # shutting NVML down: nothing the user can act on
        pass
