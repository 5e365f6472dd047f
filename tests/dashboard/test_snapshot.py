"""The dashboard snapshot of stored runs: every series (reduced above max_points) and the newest media."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png
from nbtrack.dashboard.snapshot import media_of, snapshot_of


def _runs(tmp_path, n_runs=2, steps=50):
    for k in range(n_runs):
        with nbtrack.init(dir=tmp_path, name=f"run-{k}", config={"lr": 10.0 ** -k}) as run:
            for i in range(steps):
                run.log({"train/loss": 1.0 / (i + 1 + k), "lr": 10.0 ** -k})
    return nbtrack.open(tmp_path)


def test_snapshot_of_several_runs_holds_every_series_in_log_order(tmp_path):
    logdir = _runs(tmp_path)
    readers = sorted(logdir.readers(), key=lambda r: r.name)
    snap = snapshot_of(readers)
    assert [r["name"] for r in snap["runs"]] == ["run-0", "run-1"]
    assert {(s["run"], s["key"]) for s in snap["series"]} == {(r.id, k) for r in readers for k in ("train/loss", "lr")}
    loss0 = next(s for s in snap["series"] if s["run"] == readers[0].id and s["key"] == "train/loss")
    assert np.array_equal(np.frombuffer(loss0["steps"]), np.arange(50))
    assert np.allclose(np.frombuffer(loss0["values"]), 1.0 / np.arange(1, 51))


def test_snapshot_reduces_series_above_max_points(tmp_path):
    with nbtrack.init(dir=tmp_path, name="long") as run:
        for i in range(50_000):
            run.log({"x": 1000.0 if i == 31_337 else float(i % 7)})
    (series,) = snapshot_of([nbtrack.open(tmp_path).run("long")], max_points=10_000)["series"]
    values = np.frombuffer(series["values"])
    assert series["n"] == 50_000 and len(values) < 50_000 and values.max() == 1000.0


def test_snapshot_of_a_run_whose_batches_interleave_tags_irregularly(tmp_path):
    with nbtrack.init(dir=tmp_path, name="mixed") as run:
        for i in range(3000):
            row = {"a": float(i)}
            if i % 7 == 0:
                row["b"] = -float(i)
            run.log(row)
    snap = snapshot_of([nbtrack.open(tmp_path).run("mixed")])
    by_key = {s["key"]: np.frombuffer(s["values"]) for s in snap["series"]}
    assert np.array_equal(by_key["a"], np.arange(3000.0))
    assert np.array_equal(by_key["b"], -np.arange(0, 3000, 7.0))


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def _f64(data) -> list[float]:
    return np.frombuffer(data, dtype="<f8").tolist()


def _log_media(run, steps) -> None:
    for step in steps:
        row = {"loss": 1.0 / (step + 1)}
        if step % 10 == 0:
            row["samples"] = nbtrack.Image(_pixels(step), caption=f"step {step}")
            row["gallery"] = [nbtrack.Image(_pixels(step, i)) for i in range(2)]
        if step % 5 == 0:
            row["weights"] = nbtrack.Histogram(np.arange(50.0) * (step + 1), bins=10)
        if step == 42:
            row["note"] = nbtrack.Markdown("**half way**")
        run.log(row)


def _expected(steps) -> set[tuple[str, int, int | None]]:
    out = set()
    for step in steps:
        if step % 10 == 0:
            out |= {("samples", step, None), ("gallery", step, 0), ("gallery", step, 1)}
        if step % 5 == 0:
            out.add(("weights", step, None))
        if step == 42:
            out.add(("note", step, None))
    return out


def _check_entries(entries, reader) -> None:
    """Every entry carries exactly what was logged (and stored)."""
    histograms = reader.histograms("weights").set_index("step")
    for e in entries:
        if e["key"] in ("samples", "gallery"):
            assert np.array_equal(decode_png(bytes(e["data"][0])), _pixels(e["step"], e["index"] or 0))
        elif e["key"] == "weights":
            assert _f64(e["data"][0]) == histograms.loc[e["step"], "edges"].tolist()
            assert _f64(e["data"][1]) == histograms.loc[e["step"], "counts"].tolist()
            assert e["meta"]["count"] == 50
        else:
            assert e["kind"] == "markdown" and e["data"] == [] and e["meta"]["text"] == "**half way**"


def test_snapshot_keeps_the_newest_steps_of_each_tag_and_spread_out_older_ones(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(100))
    run.finish()
    reader = read(run)
    media = media_of(reader, max_per_tag=3)
    got = {(e["key"], e["step"], e["index"]) for e in media}
    # 3 steps: the newest two and one from the older ones (pick_steps), every gallery index of each
    assert got == {("samples", s, None) for s in (0, 80, 90)} | {("gallery", s, i) for s in (0, 80, 90)
                                                                 for i in (0, 1)} \
        | {("weights", s, None) for s in (0, 90, 95)} | {("note", 42, None)}
    gallery = [(e["step"], e["index"]) for e in media if e["key"] == "gallery"]
    assert gallery == sorted(gallery)  # step, then index order within a tag
    _check_entries(media, reader)
    assert len(media_of(reader, max_per_tag=None)) == len(_expected(range(100)))
    assert media_of(reader, max_per_tag=0) == []
    assert len(media_of(reader)) == len(_expected(range(100)))  # 100 steps per tag by default


def test_snapshot_leaves_out_a_value_whose_file_is_gone(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(11))
    run.finish()
    reader = read(run)
    victim = reader.images("samples")["path"][0]
    (reader.path / victim).unlink()
    keys = {(e["key"], e["step"]) for e in snapshot_of([reader])["media"]}
    assert ("samples", 0) not in keys and ("samples", 10) in keys
    assert any(victim in d.file and "unreadable" in d.reason for d in reader.damage)


def test_snapshot_media_of_a_tag_stays_within_its_byte_budget():
    from nbtrack.dashboard.snapshot import _within_bytes

    entries = [{"step": s, "index": i, "data": [b"x" * 100]} for s in range(10) for i in (0, 1)]
    kept = _within_bytes(entries, limit=450)
    assert [e["step"] for e in kept] == [8, 8, 9, 9], "newest whole steps within the budget"
    assert _within_bytes(entries[-2:], limit=10) == entries[-2:], "the newest step always stays"


def test_snapshot_runs_carry_the_custom_scalars_layout_the_front_end_draws(tmp_path):
    """The browser's custom scalars section (js/src/customcharts.js) reads `layout` from the snapshot's runs."""
    tensorboardX = pytest.importorskip("tensorboardX")
    with tensorboardX.SummaryWriter(str(tmp_path / "a")) as w:
        w.add_custom_scalars({"Losses": {"all": ["Multiline", ["loss/.*"]],
                                         "band": ["Margin", ["m/value", "m/lower", "m/upper"]]}})
        for step in range(3):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
    with tensorboardX.SummaryWriter(str(tmp_path / "b")) as w:
        w.add_scalar("loss/train", 0.5, 0)
    snap = snapshot_of(sorted(nbtrack.open(tmp_path).readers(), key=lambda r: r.name))
    by_name = {r["name"]: r for r in snap["runs"]}
    assert "layout" not in by_name["b"]
    (category,) = by_name["a"]["layout"]["categories"]
    assert category["title"] == "Losses" and not category["closed"]
    charts = {c["title"]: c for c in category["charts"]}
    assert charts["all"]["multiline"] == ["loss/.*"]
    assert charts["band"]["margin"] == [{"value": "m/value", "lower": "m/lower", "upper": "m/upper"}]


def test_image_masks_travel_inline_and_boxes_with_meta(tmp_path):
    import base64

    mask = np.zeros((6, 8), np.uint8)
    mask[2:4, 3:6] = 2
    boxes = {"gt": {"box_data": [{"position": {"minX": 1, "maxX": 3, "minY": 1, "maxY": 2}, "domain": "pixel"}]}}
    with nbtrack.init(dir=tmp_path, name="r") as run:
        run.log({"img": nbtrack.Image(np.zeros((6, 8, 3), np.uint8), boxes=boxes,
                                      masks={"pred": {"mask_data": mask, "class_labels": {2: "cat"}}})})
    (entry,) = media_of(nbtrack.open(tmp_path).run("r"))
    pred = entry["meta"]["masks"]["pred"]
    np.testing.assert_array_equal(decode_png(base64.b64decode(pred["png"])), mask)
    assert pred["class_labels"] == {"2": "cat"} and "files" not in entry["meta"]
    assert entry["meta"]["boxes"]["gt"]["box_data"][0]["domain"] == "pixel"
