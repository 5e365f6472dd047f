"""System metrics (record/system.py): sampled on a daemon thread, on their own axis, never moving the step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.record.system import GpuProbe, SystemSampler, system_options

REPO = Path(__file__).resolve().parents[2]
FAST = {"system_metrics": True, "system_interval": 0.2}


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("nbtrack-system") and t.is_alive()]


def _train(run: nbtrack.Run, seconds: float = 1.5, pause: float = 0.1) -> int:
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        run.log({"loss": 1.0 / (steps + 1), "acc": steps / 100})
        steps += 1
        time.sleep(pause)
    return steps


def _system_tags(reader) -> list[str]:
    return [t for t in reader.scalar_tags() if t.startswith("system/")]


# -- integration: a real run, real files ---------------------------------------------------------
def test_samples_have_their_own_axis_and_leave_the_users_steps_alone(logdir, read):
    run = nbtrack.init(settings=FAST)
    steps = _train(run)
    assert run.step == steps  # sampling never advanced the step
    assert "loss" in run.summary and not any(k.startswith("system/") for k in run.summary.keys())
    run.log({"loss": 0.0})  # the user's next log() goes where it would have gone
    run.finish()

    reader = read(run)
    cpu = reader.scalars("system/cpu")
    assert len(cpu) >= 3
    assert bool(np.all(np.diff(cpu["time"].to_numpy()) > 0))  # real wall times, increasing
    assert cpu["step"].between(0, steps).all()  # the run's step when each sample was taken
    assert bool(np.all(np.diff(cpu["step"].to_numpy()) >= 0))
    assert {"system/proc.memory.rssMB", "system/proc.cpu.threads", "system/cpu.machine",
            "system/memory_percent", "system/proc.memory.availableMB"} <= set(_system_tags(reader))
    assert reader.scalars("system/proc.memory.rssMB")["value"].min() > 1.0

    history = reader.history()
    assert history.columns.tolist() == ["_step", "_time", "loss", "acc"]
    assert history["_step"].tolist() == list(range(steps + 1))  # exactly the user's steps
    assert reader.last_step() == steps
    assert not any(k.startswith("system/") for k in reader.summary)
    wide = reader.history(system=True)  # asked for: one column per system tag, its last sample of a step
    assert "system/cpu" in wide.columns and len(wide) >= len(history)
    assert reader.history(keys=["system/cpu"])["system/cpu"].notna().sum() >= 1
    assert reader.history(x="system/cpu").columns[0] == "system/cpu"  # named as x: there


def test_resumed_run_continues_at_the_users_next_step(logdir, read):
    run = nbtrack.init(id="resumable", settings=FAST)
    run.log({"loss": 1.0})
    time.sleep(0.7)  # samples at step 1, the step the next log() takes
    run.finish()
    assert any(read(run).scalars("system/cpu")["step"] == 1)
    again = nbtrack.init(id="resumable", resume="allow", settings={"system_metrics": False})
    assert again.step == 1
    again.finish()


def test_finish_stops_the_sampler_at_once(logdir):
    run = nbtrack.init(settings={"system_metrics": True, "system_interval": 10.0})
    time.sleep(1.3)  # the first sample (after 1 s) is taken; the next would come 10 s later
    assert run._system.alive and run._system.samples == 1
    start = time.monotonic()
    run.finish()
    assert time.monotonic() - start < 1.0
    assert not run._system.alive and not _sampler_threads()


def test_sampler_thread_is_not_the_training_thread(logdir):
    run = nbtrack.init(settings=FAST)
    seen = []
    record = run._record_system
    run._system.record = lambda values, t: (seen.append(threading.current_thread()), record(values, t))
    time.sleep(0.5)
    run.finish()
    assert seen and all(t is not threading.main_thread() and t.daemon for t in seen)
    assert run._system_lane is not None and run._system_lane is not run._collector


def test_sampling_keeps_the_training_threads_fast_path(logdir):
    run = nbtrack.init(settings=FAST)
    run.log({"loss": 1.0})
    owner = run._owner
    time.sleep(0.5)
    run.log({"loss": 2.0})
    assert run._owner == owner == threading.get_ident()  # no switch to the locked path
    run.finish()


# -- on and off ----------------------------------------------------------------------------------
@pytest.mark.parametrize("settings", [
    {"system_metrics": False},
    types.SimpleNamespace(system_metrics=False),  # an object with attributes, as wandb.Settings
    {"x_disable_stats": True},  # wandb's own setting
])
def test_off_by_setting(logdir, settings):
    run = nbtrack.init(settings=settings)
    assert run._system is None and not _sampler_threads()
    run.finish()


def test_off_by_environment(logdir, monkeypatch):
    monkeypatch.setenv("NBTRACK_SYSTEM_METRICS", "0")
    run = nbtrack.init()
    assert run._system is None
    run.finish()
    monkeypatch.setenv("NBTRACK_SYSTEM_METRICS", "1")
    monkeypatch.setenv("NBTRACK_SYSTEM_INTERVAL", "2.5")
    run = nbtrack.init()
    assert run._system is not None and run._system.interval == 2.5
    run.finish()


def test_setting_wins_over_environment(monkeypatch):
    monkeypatch.setenv("NBTRACK_SYSTEM_METRICS", "0")
    assert system_options({"system_metrics": True}, None) == 10.0
    monkeypatch.delenv("NBTRACK_SYSTEM_METRICS")
    assert system_options(types.SimpleNamespace(x_stats_sampling_interval=15.0), None) == 15.0
    assert system_options(None, "disabled") is None


@pytest.mark.parametrize("settings, error, words", [
    ({"system_interval": "soon"}, TypeError, "system_interval takes a number of seconds, got 'soon'"),
    ({"system_interval": 0}, ValueError, "system_interval must be a number of seconds from 0.01 up, got 0"),
    ({"system_interval": float("inf")}, ValueError, "got inf"),
    ({"system_metrics": "yes"}, TypeError, "system_metrics takes True or False, got 'yes'"),
])
def test_bad_settings_are_refused_before_anything_happens(logdir, settings, error, words):
    with pytest.raises(error, match=words):
        nbtrack.init(settings=settings)
    assert not logdir.exists() or not any(logdir.iterdir())


def test_disabled_mode_has_no_sampler(logdir):
    run = nbtrack.init(mode="disabled", settings=FAST)
    assert run._system is None and not _sampler_threads()
    run.log({"loss": 1.0})
    run.finish()


# -- failures never reach training -------------------------------------------------------------
def test_a_failing_probe_warns_once_and_the_others_go_on(logdir, read, monkeypatch):
    import psutil

    real, calls = psutil.net_io_counters, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:  # the probe's baseline works, its first sample fails
            raise OSError("no network today")
        return real(*args, **kwargs)

    monkeypatch.setattr(psutil, "net_io_counters", flaky)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = nbtrack.init(settings=FAST)
        _train(run, 1.0)
        run.finish()
    mine = [w for w in caught if "probe 'network' failed" in str(w.message)]
    assert len(mine) == 1 and "no network today" in str(mine[0].message)
    assert run._system.dropped == ["network"]
    reader = read(run)
    assert len(reader.scalars("system/cpu")) >= 3  # the other probes went on
    assert not any(t.startswith("system/network") for t in reader.scalar_tags())


def test_no_psutil_warns_once_and_records_nothing():
    got = []

    def broken():
        raise ImportError("No module named 'psutil'")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler = SystemSampler(lambda values, t: got.append(values), interval=0.05, first=0.01, probes=broken)
        sampler.start()
        sampler.stop()
        sampler._thread.join(1)
    assert not got and [str(w.message) for w in caught if "system metrics are off" in str(w.message)]


def test_a_probe_returning_nan_or_none_leaves_the_value_out():
    got = []
    sampler = SystemSampler(lambda values, t: got.append(values), interval=0.05,
                            probes=lambda: [("x", lambda: {"a": float("nan"), "b": None, "c": 2})])
    sampler._probes = sampler._build_probes()
    sampler.sample()
    assert got == [{"system/c": 2.0}]


def test_user_tags_under_system_warn(logdir):
    run = nbtrack.init(settings={"system_metrics": False})
    with pytest.warns(UserWarning, match="'system/mine': tags under 'system/' are system metrics"):
        run.log({"system/mine": 1.0})
    run.finish()


# -- GPUs ----------------------------------------------------------------------------------------
def test_no_gpu_no_gpu_tags(logdir, read, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails, as without nvidia-ml-py
    assert GpuProbe.open() is None
    run = nbtrack.init(settings=FAST)
    time.sleep(0.5)
    run.finish()
    reader = read(run)
    assert _system_tags(reader) and not any(t.startswith("system/gpu") for t in reader.scalar_tags())


def _fake_nvml(gpus: int, power: bool = True, init_fails: bool = False) -> types.ModuleType:
    nvml = types.ModuleType("pynvml")

    class NVMLError(Exception):
        pass

    class NVMLError_NotSupported(NVMLError):
        pass

    def init():
        if init_fails:
            raise NVMLError("Driver Not Loaded")

    def power_usage(h):
        if not power:
            raise NVMLError_NotSupported("Not Supported")
        return 70_500 + h

    nvml.NVMLError, nvml.NVMLError_NotSupported = NVMLError, NVMLError_NotSupported
    nvml.NVML_TEMPERATURE_GPU = 0
    nvml.shutdowns = 0

    def shutdown():
        nvml.shutdowns += 1

    nvml.nvmlInit, nvml.nvmlShutdown = init, shutdown
    nvml.nvmlDeviceGetCount = lambda: gpus
    nvml.nvmlDeviceGetHandleByIndex = lambda i: i
    nvml.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=40 + h, memory=10)
    nvml.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=2 * 2**30, total=8 * 2**30)
    nvml.nvmlDeviceGetTemperature = lambda h, kind: 60 + h
    nvml.nvmlDeviceGetPowerUsage = power_usage
    return nvml


def test_gpu_probe_reads_every_gpu(monkeypatch):
    nvml = _fake_nvml(2)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    probe = GpuProbe.open()
    assert probe() == {"gpu.0.gpu": 40.0, "gpu.0.memoryAllocated": 25.0, "gpu.0.temp": 60.0,
                       "gpu.0.powerWatts": 70.5, "gpu.1.gpu": 41.0, "gpu.1.memoryAllocated": 25.0,
                       "gpu.1.temp": 61.0, "gpu.1.powerWatts": 70.501}
    probe.close()
    assert nvml.shutdowns == 1


def test_gpu_probe_leaves_out_unsupported_readings_quietly(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(1, power=False))
    probe = GpuProbe.open()
    assert set(probe()) == {"gpu.0.gpu", "gpu.0.memoryAllocated", "gpu.0.temp"}
    assert probe.broken == {(0, "powerWatts")}


@pytest.mark.parametrize("nvml", [_fake_nvml(0), _fake_nvml(1, init_fails=True)], ids=["no-gpu", "no-driver"])
def test_gpu_probe_absent_without_gpus_or_driver(monkeypatch, nvml):
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    assert GpuProbe.open() is None


def test_gpu_tags_reach_the_run(logdir, read, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(1))
    run = nbtrack.init(settings=FAST)
    time.sleep(0.5)
    run.finish()
    assert read(run).scalars("system/gpu.0.gpu")["value"].iloc[0] == 40.0


# -- a process killed mid-run ---------------------------------------------------------------------
CHILD = """
import sys, time, nbtrack
run = nbtrack.init(dir=sys.argv[1], id="killed", flush_interval=0.1,
                   settings={"system_metrics": True, "system_interval": 0.1})
for step in range(5):
    run.log({"loss": float(step)})
time.sleep(1.0)
run.flush()
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_samples_before_a_kill_stay_readable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), str(tmp_path)], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    reader = nbtrack.open(tmp_path, stale_after=0.1).run("killed")
    assert reader.status == "crashed"
    assert len(reader.scalars("system/cpu")) >= 3
    assert reader.history()["_step"].tolist() == [0, 1, 2, 3, 4]
    assert not any(k.startswith("system/") for k in reader.summary)
