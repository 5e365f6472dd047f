"""A bad log() call costs only itself (issue 17 item 1).

Every argument is checked before anything is buffered, with an error naming it; a record
the writer cannot store is dropped alone and reported, and the rest of its flush is stored.
"""

from __future__ import annotations

import time
import warnings
from array import array

import numpy as np
import pytest

import nbtrack
from nbtrack.record.collector import MAX_STEP

BAD_STEPS = [
    (2**63, ValueError), (np.uint64(2**63), ValueError), (MAX_STEP + 1, ValueError), (-1, ValueError),
    (np.int64(-5), ValueError), (True, TypeError), (1.5, TypeError), (float("nan"), TypeError),
    (np.float64(3.0), TypeError), ("3", TypeError),
]


def _log_around(run, bad_call):
    """Four good calls, the bad one (which must raise), four more good calls."""
    for i in range(4):
        run.log({"a": float(i), "b": -float(i)})
    with pytest.raises((TypeError, ValueError)) as info:
        bad_call()
    for i in range(4, 8):
        run.log({"a": float(i), "b": -float(i)})
    return info.value


@pytest.mark.parametrize(("step", "error"), BAD_STEPS, ids=[repr(s) for s, _ in BAD_STEPS])
def test_a_bad_step_is_refused_up_front_and_costs_nothing_else(logdir, read, step, error):
    run = nbtrack.init()
    raised = _log_around(run, lambda: run.log({"a": 1.0}, step=step))
    assert isinstance(raised, error) and "step" in str(raised), raised
    run.finish()  # no RunWriteError: nothing half-written
    r = read(run)
    assert r.scalars("a")["value"].tolist() == [float(i) for i in range(8)]
    assert r.scalars("b")["step"].tolist() == list(range(8))


def test_the_largest_step_is_accepted(logdir, read):
    run = nbtrack.init()
    run.log({"a": 1.0}, step=np.int64(MAX_STEP))
    run.finish()
    assert read(run).scalars("a")["step"].tolist() == [MAX_STEP]


@pytest.mark.parametrize("call", [
    lambda run: run.log({"a": 1.0}, commit="yes"),
    lambda run: run.log({1: 1.0}),
    lambda run: run.log({"a": 1.0, 2: 1.0}),
    lambda run: run.log({"x": {3: 1.0}}),
    lambda run: run.log({"a": "text"}),
    lambda run: run.log({"a": 1.0, "c": object()}),
    lambda run: run.log({"a": 1.0, "b": 2.0, "c": [1, 2]}),
    lambda run: run.log([("a", 1.0)]),
], ids=["commit", "int key", "int key among str", "nested int key", "str value", "object value",
        "list value", "not a dict"])
def test_other_bad_calls_are_refused_up_front_and_cost_nothing_else(logdir, read, call):
    run = nbtrack.init()
    _log_around(run, lambda: call(run))
    run.finish()
    r = read(run)
    assert r.scalars("a")["value"].tolist() == [float(i) for i in range(8)]
    assert r.scalars("a")["step"].tolist() == list(range(8))


def test_a_record_the_writer_cannot_store_is_dropped_alone(logdir, read):
    """A record that slipped past log()'s checks (a tag name that is not valid Unicode) used to
    fail the whole flush, and every later one behind it; now it is dropped alone and reported."""
    run = nbtrack.init()
    for i in range(4):
        run.log({"a": float(i)})
    run._collector.append_segment(4, time.time(), array("d", [1.0]), ("bad\ud800",))  # bypasses log()
    for i in range(5, 9):
        run.log({"a": float(i)}, step=i)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run.flush()
        run.log({"a": 9.0}, step=9)
        with pytest.raises(nbtrack.RunWriteError, match=r"1 records with an invalid tag name"):
            run.finish()
    assert any("dropped" in str(w.message) for w in record)
    r = read(run)
    assert r.scalars("a")["step"].tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert r.damage == []


def test_a_failing_segment_append_leaves_the_buffers_as_they_were():
    from nbtrack.record.collector import Collector

    c = Collector()
    c.append_segment(0, 1.0, array("d", [1.0, 2.0]), ("a", "b"))
    before = [list(a) for a in (c.seg_row, c.seg_step, c.seg_schema, c.seg_value, c.values, c.times)]
    with pytest.raises(OverflowError):
        c.append_segment(2**63, 2.0, array("d", [3.0]), ("a",))
    with pytest.raises(TypeError):
        c.append_segment(5, 2.0, ["not a number"], ("c",))  # values.extend fails after the segment's marks
    assert [list(a) for a in (c.seg_row, c.seg_step, c.seg_schema, c.seg_value, c.values, c.times)] == before
    c.append_segment(1, 3.0, array("d", [4.0]), ("a",))
    batch = c.drain()
    assert batch.steps.tolist() == [0, 0, 1] and batch.values.tolist() == [1.0, 2.0, 4.0]
