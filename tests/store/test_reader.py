"""The query API: runs(), history(), scalars(), images(), to_arrow(), poll(), status."""

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


def test_history_shows_which_steps_hold_media(logdir):
    run = nbtrack.init()
    for step in range(4):
        data = {"loss": float(step)}
        if step % 2:
            data["img"] = nbtrack.Image(np.zeros((2, 2), np.uint8))
        run.log(data)
    run.finish()
    h = nbtrack.open(logdir).run(run.id).history()
    assert h["img"].isna().tolist() == [True, False, True, False]
    assert h["img"][1].startswith("media/img/")


IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def test_history_keeps_the_scalar_of_a_tag_also_used_for_media(tmp_path):
    """_with_media_columns assigns ``out[tag] = marks``, replacing the scalar column of the same name."""
    run = _run(tmp_path)
    run.log({"x": 1.0})                    # step 0: scalar
    run.log({"x": nbtrack.Image(IMG)})     # step 1: image under the same name
    run.finish()
    r = _reader(tmp_path, run)
    assert r.scalars("x")["value"].tolist() == [1.0]
    hist = r.history()
    assert hist.loc[hist["_step"] == 0, "x"].tolist() == [1.0]


def test_history_keeps_image_steps_of_a_tag_also_used_for_histograms(tmp_path):
    """The histogram marks overwrite the media marks of the same tag, and the image's step vanishes
    from history() entirely."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Image(IMG)})            # step 0
    run.log({"h": nbtrack.Histogram([1, 2, 3])})  # step 1
    run.finish()
    hist = _reader(tmp_path, run).history()
    assert hist["_step"].tolist() == [0, 1]


def test_images_of_a_mixed_gallery_hold_only_images(tmp_path):
    """images() checks only the first row's kind: the audio of a gallery shows up as an 'image'
    (a (samples, rate) tuple) in the image column."""
    run = _run(tmp_path)
    run.log({"g": [nbtrack.Image(IMG), nbtrack.Audio(np.zeros(10), sample_rate=100)]})
    run.finish()
    frame = _reader(tmp_path, run).images("g")
    assert all(isinstance(v, np.ndarray) for v in frame["image"]), frame["image"].map(type).tolist()


def test_images_of_a_tag_that_started_as_audio(tmp_path):
    """media_tags() reports the LAST row's kind ('image'), images() checks the FIRST row's kind and
    raises KeyError with a message listing the tag as an image tag."""
    run = _run(tmp_path)
    run.log({"t": nbtrack.Audio(np.zeros(10), sample_rate=100)})
    run.log({"t": nbtrack.Image(IMG)})
    run.finish()
    r = _reader(tmp_path, run)
    assert r.media_tags()["t"] == "image"
    frame = r.images("t")  # KeyError today
    assert frame["step"].tolist() == [1]


def test_history_with_only_media(tmp_path):
    run = _run(tmp_path)
    run.log({"img": nbtrack.Image(IMG)})
    run.log({"img": nbtrack.Image(IMG)})
    run.finish()
    hist = _reader(tmp_path, run).history()
    assert hist["_step"].tolist() == [0, 1] and hist["img"].notna().all()
