"""nbtrack across real processes: SIGKILL, many writers, concurrent readers, resume.

Children run ``tests/_proc/child.py``, which logs ``common.value(tag, step)`` so every
value read back can be checked exactly.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import nbtrack

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHILD = HERE / "_proc" / "child.py"

_spec = importlib.util.spec_from_file_location("_nbtrack_proc_common", HERE / "_proc" / "common.py")
assert _spec is not None and _spec.loader is not None
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)
value = _common.value

TIMEOUT = 60.0


# -- helpers ---------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + old if old else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["NBTRACK_SYSTEM_METRICS"] = "0"  # children count their records exactly
    return env


class Child:
    """A child process running child.py, with its stdout lines read by a thread."""

    def __init__(self, *args: object) -> None:
        self.proc = subprocess.Popen([sys.executable, str(CHILD), *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=_env(), cwd=str(REPO))
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._stderr: list[str] = []
        self._out = threading.Thread(target=self._pump, daemon=True)
        self._err = threading.Thread(target=self._pump_err, daemon=True)
        self._out.start()
        self._err.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def expect(self, word: str, count: int = 1, timeout: float = TIMEOUT) -> int:
        """Wait for the ``count``-th line starting with ``word``; return its integer argument."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"timeout waiting for {word!r}; got {self.seen[-5:]}; stderr: {self.stderr}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(TIMEOUT)
                self._err.join(TIMEOUT)
                raise AssertionError(f"child exited ({self.proc.returncode}) before {word!r}; "
                                     f"stdout tail {self.seen[-5:]}; stderr: {self.stderr}")
            self.seen.append(line)
            if line.split()[0] == word:
                seen += 1
                if seen == count:
                    return int(line.split()[1])

    def latest(self, word: str) -> int | None:
        """The argument of the last ``word`` line read so far (drains what is queued)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)
                break
            self.seen.append(line)
        hits = [int(s.split()[1]) for s in self.seen if s.split()[0] == word]
        return hits[-1] if hits else None

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(TIMEOUT)  # reap: a zombie would still look alive to os.kill(pid, 0)
        self._out.join(TIMEOUT)
        self._err.join(TIMEOUT)

    def wait_ok(self, timeout: float = TIMEOUT) -> None:
        """Wait for a clean exit: code 0 and nothing alarming on stderr."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"child did not exit in {timeout}s; stderr: {self.stderr}") from None
        self._out.join(TIMEOUT)
        self._err.join(TIMEOUT)
        self.latest("DONE")
        assert code == 0, f"child exited with {code}; stderr:\n{self.stderr}"
        assert "Traceback" not in self.stderr, self.stderr
        assert "nbtrack:" not in self.stderr, f"nbtrack warned in the child:\n{self.stderr}"
        assert any(s.startswith("DONE") for s in self.seen), self.seen[-5:]


def _read(logdir: Path, run_id: str, stale_after: float = 3600.0) -> nbtrack.RunReader:
    return nbtrack.open(logdir, stale_after=stale_after).run(run_id)


def _expected(tag: str, steps: np.ndarray) -> np.ndarray:
    return np.array([value(tag, int(s)) for s in steps], dtype=np.float64)


def _assert_exact(r: nbtrack.RunReader, tag: str, steps: np.ndarray | range) -> None:
    """``tag`` has exactly the records ``steps`` (in order) with the exact logged values."""
    df = r.scalars(tag)
    steps = np.asarray(steps, dtype=np.int64)
    got = df["step"].to_numpy()
    assert len(got) == len(steps), f"{tag}: {len(got)} records, expected {len(steps)}"
    assert np.array_equal(got, steps), f"{tag}: steps differ (first bad index " \
        f"{int(np.flatnonzero(got != steps)[0])})"
    assert np.array_equal(df["value"].to_numpy(), _expected(tag, steps)), f"{tag}: wrong values"


# -- 1. SIGKILL while logging ------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(("flushes", "delay"), [(1, 0.0), (3, 0.0), (2, 0.07), (3, 0.23), (5, 0.131)],
                         ids=["right-after-1st-flush", "right-after-3rd-flush", "70ms", "230ms", "131ms"])
def test_sigkill_while_logging(tmp_path: Path, flushes: int, delay: float) -> None:
    tags = ["train/loss", "acc"]
    child = Child("--dir", tmp_path, "--id", "killed", "--tags", ",".join(tags), "--steps", -1,
                  "--flush-interval", 0.2, "--flush-every", 1500, "--sleep-every", 10, "--sleep", 0.0005)
    try:
        child.expect("FLUSHED", count=flushes)
        if delay:
            time.sleep(delay)
        flushed = child.latest("FLUSHED")  # the last step it had flushed when killed
    finally:
        child.kill()
    assert child.proc.returncode == -signal.SIGKILL
    assert flushed is not None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = _read(tmp_path, "killed")
        counts = {}
        for tag in tags:
            steps = r.scalars(tag)["step"].to_numpy()
            counts[tag] = len(steps)
            assert len(steps) >= flushed + 1, f"flushed step {flushed} lost: {len(steps)} records of {tag}"
            # a prefix of the log, each step once, every value exact
            _assert_exact(r, tag, range(len(steps)))
        assert len(set(counts.values())) == 1, counts  # log() calls are never split across batches
        hist = r.history()
        assert hist["_step"].tolist() == list(range(counts[tags[0]]))
        assert r.status == "crashed"
        assert [m.get("pid") for m in r.manifest["writers"]] == [child.pid]
    bad = [d for d in r.damage if "torn tail" not in d.reason]
    assert not bad, f"damage other than a torn tail: {bad}"
    assert not [w for w in caught if "skipped damaged data" in str(w.message)]
    runs = nbtrack.open(tmp_path, stale_after=3600).runs()
    assert runs.set_index("id").loc["killed", "status"] == "crashed"


# -- 2. eight processes, eight runs, one logdir --------------------------------------------
@pytest.mark.slow
def test_eight_processes_eight_runs(tmp_path: Path) -> None:
    n, tags = 2000, ["loss", "acc", "lr", "grad/norm"]
    ids = [f"par{i}" for i in range(8)]
    children = [Child("--dir", tmp_path, "--id", rid, "--tags", ",".join(tags), "--steps", n,
                      "--flush-interval", 0.05, "--sleep-every", 100, "--sleep", 0.005)
                for rid in ids]
    for child in children:
        child.wait_ok()

    lg = nbtrack.open(tmp_path, stale_after=3600)
    runs = lg.runs()
    assert sorted(runs["id"]) == ids
    assert set(runs["status"]) == {"finished"}
    assert lg.problems == []
    for rid in ids:
        r = lg.run(rid)
        hist = r.history()
        assert len(hist) == n
        assert hist["_step"].tolist() == list(range(n))
        assert list(hist.columns[2:]) == tags
        for tag in tags:
            assert np.array_equal(hist[tag].to_numpy(), _expected(tag, np.arange(n))), (rid, tag)
            _assert_exact(r, tag, range(n))
        assert r.damage == []
        assert r.summary["loss"] == value("loss", n - 1)


# -- 3. two writers in one run at once -------------------------------------------------------
@pytest.mark.slow
def test_two_writers_one_run(tmp_path: Path) -> None:
    go = tmp_path / "go"
    logdir = tmp_path / "logs"
    n_a, n_b, half = 400, 300, 200
    a = Child("--dir", logdir, "--id", "shared", "--tags", "a", "--steps", n_a, "--flush-interval", 0.05,
              "--flush-every", 50, "--wait-file", go, "--wait-at", half, "--sleep-every", 5, "--sleep", 0.004)
    b = None
    try:
        assert a.expect("READY") == 0
        assert a.expect("WAITING") == half  # A has logged and flushed steps 0..199 and is still running
        b = Child("--dir", logdir, "--id", "shared", "--resume", "allow", "--tags", "b", "--steps", n_b,
                  "--flush-interval", 0.05, "--sleep-every", 5, "--sleep", 0.004)
        start_b = b.expect("READY")
        assert a.proc.poll() is None, "A must still be running when B joins"
        go.touch()  # now both log at once
        a.wait_ok()
        b.wait_ok()
    finally:
        a.kill()
        if b is not None:
            b.kill()
    assert start_b == half, "a resumed writer continues after the last step on disk"

    r = _read(logdir, "shared")
    files = sorted(p.name for p in (logdir / "shared" / "data").iterdir())
    assert len(files) == 2, files
    assert len(list((logdir / "shared" / "writers").glob("*.json"))) == 2
    _assert_exact(r, "a", range(n_a))
    _assert_exact(r, "b", range(start_b, start_b + n_b))
    hist = r.history()
    assert {"a", "b"} <= set(hist.columns)
    assert hist["_step"].tolist() == list(range(max(n_a, start_b + n_b)))
    assert hist["a"].notna().sum() == n_a and hist["b"].notna().sum() == n_b
    assert np.array_equal(hist["b"].dropna().to_numpy(), _expected("b", np.arange(start_b, start_b + n_b)))
    assert r.status == "finished"
    assert r.damage == []
    arrow = r.to_arrow()
    assert arrow.num_rows == n_a + n_b


# -- 4. poll() while a child writes ---------------------------------------------------------
@pytest.mark.slow
def test_poll_while_child_writes(tmp_path: Path) -> None:
    m, tags = 3000, ["a", "b"]
    child = Child("--dir", tmp_path, "--id", "live", "--tags", ",".join(tags), "--steps", m,
                  "--flush-interval", 0.05, "--sleep-every", 30, "--sleep", 0.01)
    got: dict[str, list[np.ndarray]] = {t: [] for t in tags}
    vals: dict[str, list[np.ndarray]] = {t: [] for t in tags}
    nonempty = 0
    try:
        child.expect("READY")
        r = _read(tmp_path, "live")
        done = False
        while not done:
            done = child.proc.poll() is not None  # one more poll after the child has exited
            delta = r.poll()
            if len(delta):
                nonempty += 1
                assert len(delta.columns.step) == len(delta) == len(delta.columns.value)
                for tag, (steps, _times, values) in delta.series().items():
                    got[tag].append(steps)
                    vals[tag].append(values)
            time.sleep(0.01)
        child.wait_ok()
    finally:
        child.kill()
    assert len(r.poll()) == 0
    assert nonempty >= 3, f"only {nonempty} non-empty polls: the test did not exercise live reading"
    for tag in tags:
        steps = np.concatenate(got[tag])
        assert np.array_equal(steps, np.arange(m)), f"{tag}: polled steps are not exactly range({m})"
        assert np.array_equal(np.concatenate(vals[tag]), _expected(tag, np.arange(m)))
    assert r.damage == []
    assert _read(tmp_path, "live").status == "finished"


def test_live_reader_status_follows_the_writer(tmp_path: Path) -> None:
    """A reader opened while a run is live must not keep reporting the state it saw first."""
    run = nbtrack.init(project="live", dir=tmp_path, id="st", flush_interval=3600)
    run.log({"a": 1.0})
    run.flush()
    r = _read(tmp_path, "st")
    assert r.status == "running"
    run.finish()
    assert _read(tmp_path, "st").status == "finished"  # a fresh reader sees it
    deadline = time.monotonic() + 3.0  # a reader may cache manifests briefly, not for ever
    while r.status != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.status == "finished", "the long-lived reader still reports the manifest it read at open"


@pytest.mark.slow
@pytest.mark.parametrize("alive_for", [0.0, 1.5], ids=["fresh-reader", "reader-older-than-stale_after"])
def test_poll_never_cuts_a_record_being_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                alive_for: float) -> None:
    """A poll that sees half of a message being written leaves it for the next poll.

    The writer stays alive and heartbeats every 0.2 s; the reader uses stale_after=1 s.
    After more than stale_after seconds of live reading, the reader must still ask the
    writer's manifest on disk (not its copy from when it opened) before declaring the
    half-written message a torn tail.
    """
    import nbtrack.store.sink as storage

    run = nbtrack.init(project="live", dir=tmp_path, id="cut", flush_interval=3600,
                       settings={"heartbeat_interval": 0.2})
    try:
        for i in range(10):
            run.log({"a": value("a", i)})
        run.flush()
        r = _read(tmp_path, "cut", stale_after=1.0)
        assert len(r.poll()) == 10
        deadline = time.monotonic() + alive_for
        while time.monotonic() < deadline:  # a live writer: heartbeats reach the disk
            run.flush()
            time.sleep(0.05)
        assert _read(tmp_path, "cut", stale_after=1.0).status == "running"

        half, go = threading.Event(), threading.Event()
        real = storage._write_all

        def two_halves(fd: int, data: bytes) -> None:  # what a concurrent reader may see of a write
            real(fd, data[: len(data) // 2])
            half.set()
            go.wait(10)
            real(fd, data[len(data) // 2:])

        monkeypatch.setattr(storage, "_write_all", two_halves)
        for i in range(10, 110):
            run.log({"a": value("a", i)})
        flusher = threading.Thread(target=run.flush)
        flusher.start()
        assert half.wait(10)
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            mid = r.poll()
            go.set()
            flusher.join(10)
            monkeypatch.setattr(storage, "_write_all", real)
            after = r.poll()
        assert len(mid) == 0
        assert r.damage == [], f"a record being written was reported as damage: {r.damage}"
        assert np.array_equal(after.columns.step, np.arange(10, 110)), f"{len(after)} of 100 records"
        assert np.array_equal(after.columns.value, _expected("a", np.arange(10, 110)))
    finally:
        go.set() if "go" in locals() else None
        run.finish()


# -- 5. poll cost follows new data, not file size ---------------------------------------------
@pytest.mark.slow
def test_poll_cost_follows_new_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.ipc

    n, extra = 3_000_000, 1000
    run = nbtrack.init(project="big", dir=tmp_path, id="big", flush_interval=3600)
    try:
        for i in range(n):
            run.log({"x": i * 0.5})
        run.flush()
        data_file = next((tmp_path / "big" / "data").iterdir())
        size_before = data_file.stat().st_size
        r = _read(tmp_path, "big")
        first = r.poll()
        assert len(first) == n
        assert first.columns.step[0] == 0 and first.columns.step[-1] == n - 1
        assert r.bytes_read == size_before

        calls = []
        real = pyarrow.ipc.read_message

        def counting(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(pyarrow.ipc, "read_message", counting)
        for i in range(n, n + extra):
            run.log({"x": i * 0.5})
        run.flush()  # a second flush of the same, still open, run
        grown = data_file.stat().st_size - size_before
        before = r.bytes_read
        delta = r.poll()
        read = r.bytes_read - before
        assert read == grown, f"read {read} bytes for {grown} new bytes"
        assert read < 100_000
        assert len(calls) <= 3, f"{len(calls)} IPC messages parsed for one new batch"
        assert len(delta) == extra
        assert np.array_equal(delta.columns.step, np.arange(n, n + extra))
        assert np.array_equal(delta.columns.value, np.arange(n, n + extra) * 0.5)
        assert set(delta.series()) == {"x"}

        calls.clear()
        before = r.bytes_read
        assert len(r.poll()) == 0
        assert r.bytes_read == before
        assert calls == []
    finally:
        run.finish()
    assert len(r.poll()) == 0  # the end-of-stream marker only
    assert r.bytes_read == data_file.stat().st_size
    assert r.damage == []


# -- 6. resume across processes ---------------------------------------------------------------
@pytest.mark.slow
def test_resume_across_processes(tmp_path: Path) -> None:
    first = Child("--dir", tmp_path, "--id", "res", "--tags", "loss", "--steps", 100)
    assert first.expect("READY") == 0
    first.wait_ok()
    second = Child("--dir", tmp_path, "--id", "res", "--resume", "must", "--tags", "loss", "--steps", 50)
    assert second.expect("READY") == 100
    second.wait_ok()

    r = _read(tmp_path, "res")
    hist = r.history()
    assert hist["_step"].tolist() == list(range(150))
    _assert_exact(r, "loss", range(150))
    assert len(list((tmp_path / "res" / "data").iterdir())) == 2
    assert r.status == "finished"
    assert [m["status"] for m in r.manifest["writers"]] == ["finished", "finished"]
    assert r.summary["loss"] == value("loss", 149)

    writers = sorted((tmp_path / "res" / "writers").iterdir())
    with pytest.raises(Exception, match="res"):
        nbtrack.init(dir=tmp_path, id="res", resume="never")
    assert sorted((tmp_path / "res" / "writers").iterdir()) == writers, "a refused resume wrote a writer"
    with pytest.raises(Exception, match="nosuchrun"):
        nbtrack.init(dir=tmp_path, id="nosuchrun", resume="must")
    assert not (tmp_path / "nosuchrun").exists()
    assert nbtrack.run is None
    assert _read(tmp_path, "res").history()["_step"].tolist() == list(range(150))


def test_run_left_open_is_finished_at_exit_with_every_record(tmp_path):
    """A script that never calls finish(): the atexit hook writes everything, cleanly."""
    code = ("import nbtrack\n"
            f"run = nbtrack.init(dir={str(tmp_path)!r}, name='open')\n"
            "for i in range(10):\n"
            "    nbtrack.log({'x': float(i)})\n")
    out = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True,
                         env=_env(), timeout=60)
    assert out.returncode == 0 and "nbtrack" not in out.stderr, out.stderr
    r = nbtrack.open(tmp_path).run("open")
    assert r.status == "finished" and r.damage == []
    assert r.scalars("x")["value"].tolist() == [float(i) for i in range(10)]
