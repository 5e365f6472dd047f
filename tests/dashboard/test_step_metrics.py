"""define_metric(name, step_metric=...) reaches the browser: run_info, static snapshots, %track and the live view."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.snapshot import run_info, snapshot_of
from nbtrack.dashboard.watcher import LogdirWatcher
from nbtrack.store.batches import ScalarBatch

EPOCH = [{"name": "epoch/*", "step_metric": "epoch"}]


def test_run_info_carries_step_metrics_only(tmp_path):
    with nbtrack.init(dir=tmp_path, name="m") as run:
        run.define_metric("loss", summary="min")  # no step metric: not sent
        run.define_metric("epoch/*", step_metric="epoch")
        run.log({"epoch/loss": 0.5, "epoch": 0})
    with nbtrack.init(dir=tmp_path, name="plain") as plain:
        plain.log({"loss": 1.0})
    logdir = nbtrack.open(tmp_path)
    assert run_info(logdir.run(run.id))["metrics"] == EPOCH
    assert "metrics" not in run_info(logdir.run(plain.id))
    snap = snapshot_of([logdir.run(run.id)])
    assert snap["runs"][0]["metrics"] == EPOCH


def test_a_resumed_run_keeps_and_redefines_its_step_metrics(tmp_path):
    with nbtrack.init(dir=tmp_path, id="res", name="r") as run:
        run.define_metric("epoch/*", step_metric="epoch")
        run.define_metric("val/*", step_metric="epoch")
        run.log({"epoch": 0})
    with nbtrack.init(dir=tmp_path, id="res", resume="allow") as run:
        run.define_metric("epoch/*", step_metric="global_step")  # redefined by the second writer
        run.log({"epoch": 1})
    reader = nbtrack.open(tmp_path).run("res")
    assert [(d["name"], d["step_metric"]) for d in reader.metric_definitions] == [
        ("val/*", "epoch"), ("epoch/*", "global_step")]
    assert run_info(reader)["metrics"] == [{"name": "val/*", "step_metric": "epoch"},
                                           {"name": "epoch/*", "step_metric": "global_step"}]


def test_track_sends_a_definition_made_while_the_run_logs(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="a")
    run.log({"epoch/loss": 1.0, "epoch": 0})
    run.flush()
    watcher = LogdirWatcher([(None, tmp_path)])
    assert "metrics" not in watcher.first()["runs"][0]
    run.define_metric("epoch/*", step_metric="epoch")
    run.log({"epoch/loss": 0.5, "epoch": 1})
    run.flush()
    update = watcher.poll()
    assert [info.get("metrics") for info in update.runs] == [EPOCH]
    run.finish()


def test_the_live_view_sends_definitions_made_after_show(tmp_path):
    run = nbtrack.init(dir=tmp_path)
    run.define_metric("epoch/*", step_metric="epoch")
    run.log({"epoch/loss": 1.0, "epoch": 0})
    dash = run.show()
    assert dash.snapshot["runs"][0]["metrics"] == EPOCH
    sent = []
    dash._feed._send = lambda message, buffers: sent.append(message)
    run.log({"epoch/loss": 0.9, "epoch": 0})
    run.flush()
    dash._feed.flush()
    assert [m["kind"] for m in sent] == ["append"], "nothing changed: no runs message"
    run.define_metric("val/*", step_metric="epoch")
    run.log({"val/acc": 0.5, "epoch": 1})
    run.flush()
    dash._feed.flush()
    kinds = [m["kind"] for m in sent]
    assert kinds == ["append", "runs", "append"], kinds
    runs = sent[1]
    assert runs["seq"] < sent[2]["seq"] and runs["v"] == 1
    metrics = [*EPOCH, {"name": "val/*", "step_metric": "epoch"}]
    assert runs["runs"] == [{"id": run.id, "name": run.name, "metrics": metrics}]
    run.finish()


def test_live_feed_info_is_sent_when_it_changes_and_a_failing_info_never_stops_points():
    sent = []
    state = {"metrics": []}
    feed = LiveFeed(lambda message, buffers: sent.append(message), run="r", max_rate=1e9,
                    info=lambda: {"id": "r", "name": "n", **state})
    batch = ScalarBatch(["loss"], np.zeros(1, np.int32), np.arange(1), np.zeros(1), np.ones(1))
    feed.write(batch)
    feed.write(batch)
    state["metrics"] = EPOCH
    feed.write(batch)
    assert [m["kind"] for m in sent] == ["runs", "append", "append", "runs", "append"]
    assert [m["seq"] for m in sent] == [1, 2, 3, 4, 5]

    def broken():
        raise RuntimeError("no info")

    quiet = LiveFeed(lambda message, buffers: sent.append(message), run="r", max_rate=1e9, info=broken)
    with pytest.warns(RuntimeWarning, match="could not read the run's info"):
        quiet.write(batch)
    assert sent[-1]["kind"] == "append"
