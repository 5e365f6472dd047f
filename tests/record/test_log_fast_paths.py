"""The call shapes log() serves without a lock or a new segment: their semantics, pinned.

Each shape is checked against a plain model of the documented rules (the step a call
writes to, when the current step advances, lower steps ignored), including writer
drains that land in the middle of a step's calls, so an optimisation of the fast paths
cannot change what is stored.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading

import numpy as np
import pytest

import nbtrack

Call = tuple[dict, object, object]  # data, step, commit


def model(calls: list[Call]) -> dict[str, list[tuple[int, float]]]:
    """What the documented rules store: per key, (step, value) in log order."""
    current = 0
    out: dict[str, list[tuple[int, float]]] = {}
    for data, step, commit in calls:
        if step is not None and step < current:
            continue  # ignored with a warning
        target = current if step is None else step
        for key, value in data.items():
            out.setdefault(key, []).append((target, float(value)))
        advance = commit is True if step is not None else commit is not False
        current = target + 1 if advance else target
    return out


def stored(read, run, keys) -> dict[str, list[tuple[int, float]]]:
    r = read(run)
    return {key: list(zip(r.scalars(key)["step"].tolist(), r.scalars(key)["value"].tolist())) for key in keys}


def replay(calls: list[Call], flush_every: int = 0, seed: int = 0) -> nbtrack.Run:
    """Log ``calls`` into a new run, flushing at random points when ``flush_every``."""
    rng = random.Random(seed)
    run = nbtrack.init()
    with pytest.warns(UserWarning) if any_lower(calls) else _nothing():
        for data, step, commit in calls:
            kwargs = {}
            if step is not None:
                kwargs["step"] = step
            if commit is not None:
                kwargs["commit"] = commit
            run.log(data, **kwargs)
            if flush_every and rng.randrange(flush_every) == 0:
                run.flush()
    run.finish()
    return run


def any_lower(calls: list[Call]) -> bool:
    current = 0
    for _, step, commit in calls:
        if step is not None and step < current:
            return True
        target = current if step is None else step
        current = target + 1 if (commit is True if step is not None else commit is not False) else target
    return False


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def shape_calls(shape: str, n: int) -> list[Call]:
    calls: list[Call] = []
    for i in range(n):
        a, b, c, d = i + 0.25, -i - 0.5, i * 2.0, i * 0.001
        if shape == "plain":
            calls.append(({"a": a, "b": b, "c": c}, None, None))
        elif shape == "step":
            calls.append(({"a": a, "b": b, "c": c}, i, None))
        elif shape == "stride":
            calls.append(({"a": a, "b": b}, 10 * i, None))
        elif shape == "commit":
            calls += [({"a": a, "b": b}, None, False), ({"c": c, "d": d}, None, None)]
        elif shape == "onekey":
            calls += [({"a": a}, i, None), ({"b": b}, i, None), ({"c": c}, i, None), ({"d": d}, i, None)]
        elif shape == "changing":
            data = {"a": a, "b": b}
            if i % 7 == 6:
                data["val/loss"] = c  # validation every 7th step, in the same call
            calls.append((data, None, None))
            if i % 11 == 10:
                calls.append(({"val/acc": d}, None, False))  # or from another place, before the step's call
        elif shape == "numpy":
            calls.append(({"a": np.float32(a), "b": np.float64(b), "c": np.int64(i)}, i, None))
    return calls


SHAPES = ["plain", "step", "stride", "commit", "onekey", "changing", "numpy"]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_call_shape_stores_what_the_rules_say(logdir, read, shape):
    calls = shape_calls(shape, 3000)
    run = replay(calls, flush_every=97, seed=len(shape))  # drains land anywhere, mid-step too
    expected = model(calls)
    assert stored(read, run, expected) == expected


@pytest.mark.parametrize("shape", ["plain", "step", "stride", "commit", "onekey"])
def test_a_lower_step_warns_and_is_ignored_inside_each_fast_path(logdir, read, shape):
    calls = shape_calls(shape, 50)
    low = ({"a": 99.0}, 3, None)
    run = nbtrack.init()
    for data, step, commit in calls:
        run.log(data, **({} if step is None else {"step": step}), **({} if commit is None else {"commit": commit}))
    current = run.step
    with pytest.warns(UserWarning, match=rf"step 3 is lower than the current step {current}"):
        run.log(low[0], step=3)
    assert run.step == current
    more = shape_calls(shape, 60)[len(calls):]
    for data, step, commit in more:
        run.log(data, **({} if step is None else {"step": step}), **({} if commit is None else {"commit": commit}))
    run.finish()
    expected = model(calls + more)
    assert stored(read, run, expected) == expected


def test_commit_false_accumulates_then_the_step_moves_on(logdir, read):
    run = nbtrack.init()
    for i in range(100):
        run.log({"a": float(i)}, commit=False)
        assert run.step == i
        run.log({"b": float(-i)}, commit=False)
        run.log({"c": 1.0})
        assert run.step == i + 1
    run.finish()
    h = read(run).history()
    assert h["_step"].tolist() == list(range(100))
    assert h["a"].tolist() == [float(i) for i in range(100)] and h["b"].tolist() == [float(-i) for i in range(100)]


@pytest.mark.parametrize("shape", ["plain", "step", "stride", "commit", "onekey"])
def test_a_reused_mutated_dict_keeps_each_steps_values(logdir, read, shape):
    run = nbtrack.init()
    d: dict[str, float] = {}
    for i in range(200):
        if shape == "onekey":
            for key in "ab":
                d.clear()
                d[key] = float(i)
                run.log(d, step=i)
            continue
        d["a"] = float(i)
        d["b"] = float(i * i)
        if shape == "plain":
            run.log(d)
        elif shape == "step":
            run.log(d, step=i)
        elif shape == "stride":
            run.log(d, step=5 * i)
        else:
            run.log(d, commit=False)
            run.log({"c": 0.0})
        d["a"] = d["b"] = -1.0  # mutated after the call: must not reach what was logged
    run.finish()
    r = read(run)
    assert r.scalars("a")["value"].tolist() == [float(i) for i in range(200)]
    if shape != "onekey":
        assert r.scalars("b")["value"].tolist() == [float(i * i) for i in range(200)]


def test_fuzz_mixed_shapes_against_the_model(logdir, read):
    rng = random.Random(18)
    calls: list[Call] = []
    current = 0
    keysets = [("a",), ("b",), ("a", "b"), ("c", "a"), ("d",)]
    for _ in range(6000):
        keys = rng.choice(keysets)
        data = {k: rng.random() for k in keys}
        kind = rng.random()
        if kind < 0.35:
            step, commit = None, rng.choice([None, None, False, True])
        else:
            step = current + rng.choice([0, 0, 1, 1, 1, 10, 10, -2])
            step = max(step, 0)
            commit = rng.choice([None, None, None, True, False])
        calls.append((data, step, commit))
        target = current if step is None else step
        if step is None or step >= current:
            current = target + 1 if (commit is True if step is not None else commit is not False) else target
    run = replay(calls, flush_every=50, seed=1)
    expected = model(calls)
    assert stored(read, run, expected) == expected


def test_numpy_and_torch_scalars_are_converted_without_importing_torch(tmp_path):
    code = (
        "import sys, numpy as np, nbtrack\n"
        f"run = nbtrack.init(dir={str(tmp_path)!r})\n"
        "for i in range(100):\n"
        "    run.log({'a': np.float32(0.5), 'b': np.int64(i), 'c': np.float64(i)}, step=i)\n"
        "run.finish()\n"
        "assert 'torch' not in sys.modules\n"
        "r = nbtrack.open(run.logdir).run(run.id)\n"
        "assert r.scalars('b')['value'].tolist() == [float(i) for i in range(100)]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_zero_dim_torch_tensors_take_the_fast_path(logdir, read):
    torch = pytest.importorskip("torch")
    run = nbtrack.init()
    for i in range(300):
        run.log({"loss": torch.tensor(i * 0.5), "acc": torch.tensor(i, dtype=torch.int32)}, step=i)
    assert run._lane.expect == ("loss", "acc")  # the open segment continued: no slow path per call
    run.finish()
    s = read(run).scalars("loss")
    assert s["step"].tolist() == list(range(300)) and s["value"].tolist() == [i * 0.5 for i in range(300)]


def test_one_thread_keeps_the_lock_free_path(logdir):
    run = nbtrack.init()
    for i in range(10):
        run.log({"a": 1.0}, step=i)
    assert run._owner == threading.get_ident()
    run.finish()


def test_four_threads_lose_and_mix_nothing(logdir, read):
    """Threads logging into one run at once: every call stored whole, at one step of its own."""
    calls, threads_n = 100_000, 4
    run = nbtrack.init()
    barrier = threading.Barrier(threads_n + 1)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            log = run.log
            barrier.wait()
            for j in range(calls):
                ident = float(k * calls + j + 1)
                if k == 0:
                    log({"a": ident, "b": -ident})
                elif k == 1:
                    log({"a": ident, "b": -ident, f"only{k}": ident})
                elif k == 2:
                    log({"a": ident, "b": -ident}, commit=False)  # another thread's call may join the step
                    log({"c": ident})
                else:
                    log({"b": -ident, "a": ident})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def flusher() -> None:
        barrier.wait()
        while any(t.is_alive() for t in workers):
            run.flush()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible
    try:
        workers = [threading.Thread(target=work, args=(k,)) for k in range(threads_n)]
        flush_thread = threading.Thread(target=flusher)
        for t in [*workers, flush_thread]:
            t.start()
        for t in [*workers, flush_thread]:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors
    assert run._owner is None and len(run._collector.lanes) == threads_n  # the locked path, a lane each
    run.finish()
    r = read(run)
    a, b = r.scalars("a"), r.scalars("b")
    assert len(a) == len(b) == threads_n * calls  # nothing lost
    assert sorted(a["value"].tolist()) == [float(i + 1) for i in range(threads_n * calls)]
    pairs_a = sorted(zip(a["step"].tolist(), a["value"].tolist()))
    pairs_b = sorted(zip(b["step"].tolist(), (-b["value"]).tolist()))
    assert pairs_a == pairs_b  # each call's a and -b at the same step: nothing split or mixed
    committing = [step for step, v in pairs_a if not 2 * calls < v <= 3 * calls]  # threads 0, 1 and 3
    assert len(committing) == len(set(committing))  # each committing call took a step of its own
    assert sorted(r.scalars("c")["value"].tolist()) == [float(2 * calls + j + 1) for j in range(calls)]
    only = r.scalars("only1")
    assert sorted(zip(only["step"].tolist(), only["value"].tolist())) == [
        (s, v) for s, v in pairs_a if calls < v <= 2 * calls]


def test_segments_started_while_the_writer_drains_stay_whole(logdir, read):
    """Segment starts take no lock unless the writer drains that lane: drain all the time and check."""
    run = nbtrack.init()
    n = 30_000
    done = threading.Event()

    def work() -> None:
        for i in range(n):
            if i % 3 == 2:
                run.log({"b": float(i), "a": float(i)}, step=i)  # a new segment every call or two
            else:
                run.log({"a": float(i)}, step=i)
                run.log({"b": float(i)}, step=i)  # one key per call: patterns learned and dropped
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        while not done.is_set():
            run.flush()
        worker.join()
    finally:
        sys.setswitchinterval(old)
    run.finish()
    r = read(run)
    for key in "ab":
        s = r.scalars(key)
        assert s["step"].tolist() == list(range(n)) and s["value"].tolist() == [float(i) for i in range(n)]


def test_logging_after_finish_raises_from_any_thread(logdir):
    run = nbtrack.init()
    run.log({"a": 1.0}, step=0)
    run.finish()
    with pytest.raises(RuntimeError, match="is finished"):
        run.log({"a": 2.0}, step=1)
    errors: list[BaseException] = []

    def other() -> None:
        try:
            run.log({"a": 3.0})
        except RuntimeError as error:
            errors.append(error)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1 and len(run._collector.lanes) == 1
