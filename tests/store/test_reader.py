"""The query API: runs(), history(), scalars(), to_arrow(), poll(), status."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

import nbtrack


def _runs(logdir, n=3):
    out = []
    for i in range(n):
        with nbtrack.init(project="p", name=f"run-{i}", config={"lr": 10.0**-i, "opt": {"name": "sgd"}},
                          group="sweep", reinit="create_new") as run:
            for step in range(50):
                run.log({"loss": 1.0 / (step + 1 + i), "acc": step / 50})
        out.append(run)
    return out


def test_runs_table_has_identity_status_config_and_summary(logdir):
    _runs(logdir)
    table = nbtrack.open(logdir).runs()
    assert list(table["name"]) == ["run-0", "run-1", "run-2"]
    assert set(table["status"]) == {"finished"} and set(table["group"]) == {"sweep"}
    assert table["config.lr"].tolist() == [1.0, 0.1, 0.01]
    assert table["config.opt.name"].tolist() == ["sgd"] * 3
    assert table["summary.acc"].tolist() == [49 / 50] * 3
    assert isinstance(table["created"].dtype, pd.DatetimeTZDtype)


def test_run_lookup_by_id_or_name_and_clear_errors(logdir):
    runs = _runs(logdir, 2)
    lg = nbtrack.open(logdir)
    assert lg.run(runs[0].id).name == "run-0" and lg.run("run-1").id == runs[1].id
    with pytest.raises(nbtrack.RunNotFoundError, match=r"no run with id or name 'nope'"):
        lg.run("nope")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        nbtrack.open(logdir / "missing")
    with pytest.raises(KeyError, match=r"has no scalar 'nope'"):
        lg.run("run-0").scalars("nope")


def test_history_is_wide_and_selectable(logdir):
    run = nbtrack.init()
    for step in range(10):
        data = {"loss": float(step)}
        if step % 2 == 0:
            data["val/acc"] = step / 10
        run.log(data)
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    h = r.history()
    assert list(h.columns) == ["_step", "_time", "loss", "val/acc"]
    assert h["_step"].tolist() == list(range(10)) and h["val/acc"].isna().sum() == 5
    assert list(r.history(keys=["val/acc"]).columns) == ["_step", "_time", "val/acc"]
    sparse = r.history(x="val/acc")
    assert len(sparse) == 5 and sparse.columns[0] == "val/acc"
    assert (np.diff(h["_time"].to_numpy()) >= 0).all()


def test_scalars_and_to_arrow_feed_pandas_polars_and_duckdb(logdir):
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    run = nbtrack.init()
    for step in range(1000):
        run.log({"loss": step * 0.5, "acc": -step * 0.25})
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    s = r.scalars("loss")
    assert list(s.columns) == ["step", "time", "value"] and s["value"].sum() == sum(i * 0.5 for i in range(1000))
    table = r.to_arrow()
    assert table.num_rows == 2000 and table.column_names == ["tag", "step", "wall_time", "value"]
    df = table.to_pandas()
    assert df.groupby("tag", observed=True)["value"].sum().to_dict() == {"loss": 249750.0, "acc": -124875.0}
    pl = polars.from_arrow(table)
    assert pl.filter(polars.col("tag") == "acc")["value"].sum() == -124875.0
    tbl = table  # noqa: F841 - DuckDB finds Arrow tables by their Python variable name
    total = duckdb.sql("select sum(value) as s from tbl where tag = 'loss'").fetchall()[0][0]
    assert total == 249750.0


def test_poll_returns_each_record_once_in_order(logdir):
    run = nbtrack.init()
    reader = None
    seen: dict[str, list[int]] = {"a": [], "b": []}
    for chunk in range(5):
        for step in range(chunk * 100, chunk * 100 + 100):
            data = {"a": float(step)}
            if chunk >= 2:
                data["b"] = -float(step)
            run.log(data)
        run.flush()
        reader = reader or nbtrack.open(logdir).run(run.id)
        delta = reader.poll()
        for tag, (steps, _times, values) in delta.series().items():
            seen[tag].extend(steps.tolist())
            assert (values == (steps if tag == "a" else -steps)).all()
    assert len(reader.poll()) == 0
    run.finish()
    assert len(reader.poll()) == 0
    assert seen["a"] == list(range(500)) and seen["b"] == list(range(200, 500))
    assert len(reader.history()) == 500  # history still sees everything after polling


def test_reading_while_running_and_after_finish_agree(logdir):
    run = nbtrack.init()
    for i in range(100):
        run.log({"x": float(i)})
    run.flush()
    live = nbtrack.open(logdir).run(run.id)
    assert live.status == "running" and len(live.history()) == 100
    for i in range(100, 150):
        run.log({"x": float(i)})
    run.finish()
    assert len(live.history()) == 150
    time.sleep(0.6)  # a reader re-reads manifests at most twice a second
    assert live.status == "finished"


def test_stale_heartbeat_marks_a_run_crashed(logdir):
    run = nbtrack.init()
    run.log({"x": 1.0})
    run.flush()
    (manifest,) = (run.dir / "writers").glob("*.json")
    state = json.loads(manifest.read_text())
    state.update(heartbeat=time.time() - 120, host="another-machine")
    run._writer.slots.clear()  # stop this writer from refreshing the heartbeat
    manifest.write_text(json.dumps(state))
    assert nbtrack.open(logdir, stale_after=60).run(run.id).status == "crashed"
    assert nbtrack.open(logdir, stale_after=600).run(run.id).status == "running"
    run.finish()


def test_empty_run_and_empty_logdir(logdir):
    logdir.mkdir(parents=True)
    assert len(nbtrack.open(logdir).runs()) == 0
    run = nbtrack.init()
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    assert len(r.history()) == 0 and r.to_arrow().num_rows == 0 and len(r.poll()) == 0


def test_ten_million_points_read_back_exactly(logdir):
    run = nbtrack.init()
    n = 2_000_000  # the benchmark measures 10M; here only correctness at scale
    buffers = run._collector
    values = np.arange(n, dtype=np.float64) * 0.5
    run.log({"x": 0.0})  # starts the segment; then fill the buffers as n-1 more calls would
    with buffers.lock:
        buffers.values.frombytes(values[1:].tobytes())
        buffers.times.frombytes(np.full(n - 1, time.time()).tobytes())
    run._step = n
    run.finish()
    s = nbtrack.open(logdir).run(run.id).scalars("x")
    assert len(s) == n and s["step"].iloc[-1] == n - 1 and s["value"].sum() == values.sum()
