"""Snapshots of stored runs, the M4 reduction of long series, and the static HTML+PNG output."""

from __future__ import annotations

import base64
import json
import re
import sys

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png
from nbtrack.dashboard.m4 import reduce_m4
from nbtrack.dashboard.png_fallback import chart_order, render_png, smooth_ema
from nbtrack.dashboard.snapshot import snapshot_of
from nbtrack.dashboard.static_output import StaticDashboard, json_for_html, static_bundle
from nbtrack.errors import RunNotFoundError

PAYLOAD = '<img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>'


def _payload_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" data-part="payload">(.*?)</script>', html, re.S)
    assert match, "the static output holds its payload block"
    return json.loads(match.group(1))


def _f64(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float64)


# -- M4 reduction --------------------------------------------------------------------------------
def test_reduce_keeps_a_one_step_spike_the_first_and_last_points_and_a_nan_marker():
    steps = np.arange(1_000_000, dtype=np.float64)
    values = np.sin(steps / 5000)
    values[654_321] = 1000.0
    values[100] = np.nan
    s, v, t = reduce_m4(steps, values, steps * 2, buckets=1000)
    assert len(v) <= 4 * 1000 + 1000
    assert np.nanmax(v) == 1000.0 and s[np.nanargmax(v)] == 654_321
    assert s[0] == 0 and s[-1] == 999_999
    assert np.isnan(v).sum() == 1 and s[np.isnan(v)][0] == 100
    assert np.array_equal(t, s * 2), "times travel with their steps"
    assert np.all(np.diff(s) > 0), "kept points stay in log order, without duplicates"


def test_reduce_keeps_each_buckets_extremes_exactly():
    rng = np.random.default_rng(1)
    steps = np.arange(200_000.0)
    values = rng.normal(size=200_000)
    s, v, _ = reduce_m4(steps, values, steps, buckets=100)
    for b in range(100):
        inside = (steps >= b * 2000) & (steps < (b + 1) * 2000)
        kept = (s >= b * 2000) & (s < (b + 1) * 2000)
        assert v[kept].max() == values[inside].max() and v[kept].min() == values[inside].min()


def test_reduce_leaves_short_series_alone_and_handles_unsorted_steps():
    steps = np.arange(10.0)
    assert reduce_m4(steps, steps, steps, buckets=8)[0] is steps
    shuffled = np.random.default_rng(2).permutation(100_000).astype(np.float64)
    s, v, _ = reduce_m4(shuffled, shuffled * 3, shuffled, buckets=100)
    assert np.all(np.diff(s) >= 0) and s[0] == 0 and s[-1] == 99_999 and np.array_equal(v, s * 3)


def test_reduce_of_a_bucket_of_only_nans_keeps_a_marker():
    steps = np.arange(100_000.0)
    values = np.ones_like(steps)
    values[50_000:51_000] = np.nan  # a whole bucket of 1,000 steps
    _, v, _ = reduce_m4(steps, values, steps, buckets=100)
    assert np.isnan(v).sum() >= 1 and np.nanmax(v) == 1.0


# -- snapshots of stored runs ---------------------------------------------------------------------
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


# -- the static output ----------------------------------------------------------------------------
def test_static_bundle_round_trips_its_data_and_settings(tmp_path):
    logdir = _runs(tmp_path, n_runs=1)
    reader = logdir.run("run-0")
    dash = reader.show(settings={"smoothing": 0.9, "logY": True})
    bundle = dash._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    payload = _payload_of(bundle["text/html"])
    assert payload["settings"] == {"smoothing": 0.9, "logY": True}
    assert payload["config"] == {"lr": 1.0} and payload["status"] == "finished"
    loss = next(s for s in payload["snapshot"]["series"] if s["key"] == "train/loss")
    assert np.allclose(_f64(loss["values"]), 1.0 / np.arange(1, 51))
    assert bundle["text/html"].count('<script type="module">') == 1


def test_static_html_carries_what_it_needs_offline():
    snap = {"seq": 0, "runs": [{"id": "r", "name": "r"}],
            "series": [{"run": "r", "key": "x", "steps": b"", "values": b"", "times": b""}]}
    html = static_bundle(snap, run_name="r", status="finished")["text/html"]
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    module = re.search(r'data-part="module">([^<]*)<', html).group(1)
    assert b"renderStatic" in base64.b64decode(module)
    for part in ("bokeh-core", "bokeh-api"):
        assert re.search(rf'data-part="{part}">[A-Za-z0-9+/=]{{1000,}}<', html)


def test_logged_names_never_reach_the_html_unescaped(tmp_path):
    with nbtrack.init(dir=tmp_path, name=PAYLOAD, config={"note": PAYLOAD}) as run:
        run.log({f"tag{PAYLOAD}": 1.0})
    html = nbtrack.open(tmp_path).show()._repr_mimebundle_()["text/html"]
    assert "<img src=x" not in html and "<script>window" not in html and "</script><script>" not in html
    payload = _payload_of(html)
    assert payload["run_name"] == PAYLOAD and payload["config"] == {"note": PAYLOAD}
    assert payload["snapshot"]["series"][0]["key"] == f"tag{PAYLOAD}"


def test_json_for_html_cannot_close_its_script_block():
    text = json_for_html({"a": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->"}


def test_config_values_that_json_cannot_hold_are_shown_as_text(tmp_path):
    snap = {"seq": 0, "runs": [], "series": []}
    html = static_bundle(snap, run_name="r", status="finished",
                         config={"nan": float("nan"), "obj": object, "nested": {"inf": float("inf")}})["text/html"]
    config = _payload_of(html)["config"]
    assert config["nan"] == "nan" and config["nested"] == {"inf": "inf"} and "class" in config["obj"]


# -- the PNG --------------------------------------------------------------------------------------
def _snapshot_for_png():
    steps = np.arange(500.0)
    series = [{"run": "a", "key": k, "steps": steps.tobytes(), "values": v.tobytes(), "times": steps.tobytes()}
              for k, v in (("train/loss", np.exp(-steps / 100)), ("lr", np.full(500, 0.001)))]
    return {"seq": 0, "runs": [{"id": "a", "name": "a"}], "series": series}


def test_png_of_the_charts_is_a_real_picture():
    pixels = decode_png(render_png(_snapshot_for_png()))
    assert pixels.shape[0] > 100 and pixels.shape[1] > 300
    assert pixels.std() > 10, "not blank"


def test_png_without_matplotlib_still_draws_the_lines(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    pixels = decode_png(render_png(_snapshot_for_png()))
    colored = np.abs(pixels[..., :3].astype(int) - pixels[..., :3].mean(axis=-1, keepdims=True)).sum(-1) > 60
    assert colored.sum() > 300, "the coloured lines are drawn"


def test_png_smoothing_matches_the_browsers_formula():
    assert np.allclose(smooth_ema(np.array([1.0, 2.0, 3.0]), 0.5), [1, 5 / 3, 17 / 7])
    assert np.array_equal(smooth_ema(np.full(5, 0.001), 0.9), np.full(5, 0.001))
    assert chart_order(["b/x", "loss", "a/y", "b/z"]) == ["loss", "a/y", "b/x", "b/z"]


# -- show() ---------------------------------------------------------------------------------------
def test_logdir_show_overlays_the_chosen_runs(tmp_path):
    logdir = _runs(tmp_path, n_runs=3)
    dash = logdir.show(runs=["run-2", "run-0"])
    assert isinstance(dash, StaticDashboard) and dash.run_name == "2 runs"
    assert [r["name"] for r in dash.snapshot["runs"]] == ["run-2", "run-0"]
    assert len(logdir.show().snapshot["runs"]) == 3
    assert logdir.show(runs="run-1").run_name == "run-1"
    with pytest.raises(RunNotFoundError, match="nope"):
        logdir.show(runs=["nope"])
    with pytest.raises(TypeError, match=r"runs=.*got int"):
        logdir.show(runs=3)


def test_show_of_a_finished_run_is_static_and_of_a_live_run_is_the_widget(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="r", config={"lr": 0.1})
    run.log({"loss": 1.0})
    live = run.show()
    assert type(live).__name__ == "Dashboard" and live.config == {"lr": 0.1}
    run.finish()
    done = run.show()
    assert isinstance(done, StaticDashboard) and done.status == "finished"
    assert np.frombuffer(done.snapshot["series"][0]["values"]).tolist() == [1.0]
    live.close()


def test_a_live_dashboards_static_output_keeps_the_views_settings(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="r")
    for i in range(10):
        run.log({"loss": float(i)})
    dash = run.show()
    dash.settings = {"smoothing": 0.25, "xAxis": "relative", "logY": False, "ignoreOutliers": True}
    run.finish()
    payload = _payload_of(dash.static().bundle()["text/html"])
    assert payload["settings"]["xAxis"] == "relative" and payload["settings"]["smoothing"] == 0.25
    assert len(_f64(payload["snapshot"]["series"][0]["steps"])) == 10
    dash.close()


def test_open_on_a_run_folder_shows_that_run_and_an_empty_logdir_says_so(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name="only") as run:
        run.log({"x": 1.0})
    assert nbtrack.open(run.dir).show().run_name == "only"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no runs under .*empty"):
        nbtrack.open(tmp_path / "empty").show()


def test_batchwise_reduction_keeps_what_reducing_the_whole_series_keeps():
    from nbtrack.dashboard.m4 import reduced_series

    rng = np.random.default_rng(5)
    steps = np.arange(300_000, dtype=np.float64)
    values = rng.normal(size=300_000)
    values[rng.integers(0, 300_000, 50)] = np.nan
    values[123_456] = 1e6
    cuts = np.sort(rng.integers(0, 300_000, 40))
    pieces = [(steps[a:b], values[a:b], steps[a:b] * 2) for a, b in zip(np.r_[0, cuts], np.r_[cuts, 300_000])]
    (s, v, t), total = reduced_series(pieces, max_points=10_000, buckets=1000)
    whole_s, whole_v, _ = reduce_m4(steps, values, steps, buckets=1000)
    assert total == 300_000 and np.array_equal(t, s * 2)
    assert set(whole_s.tolist()) <= set(s.tolist()), "every point the whole-series reduction keeps is kept"
    assert np.nanmax(v) == 1e6 and s[0] == 0 and s[-1] == 299_999
    assert np.isnan(v).sum() == np.isnan(whole_v).sum()
    (s2, _, _), _ = reduced_series(pieces, max_points=10**9)
    assert np.array_equal(s2, steps), "short enough: joined unchanged"


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


def test_png_shows_the_newest_image_and_histogram_of_each_tag(tmp_path):
    with nbtrack.init(dir=tmp_path, name="m") as run:
        for step in range(3):
            run.log({"loss": 1.0 / (step + 1), "w": nbtrack.Histogram(np.arange(100.0) * step, bins=8),
                     "pic": nbtrack.Image(np.full((8, 8, 3), 40 + 100 * step, np.uint8))})
    snap = snapshot_of([nbtrack.open(tmp_path).run("m")])
    with_media = decode_png(render_png(snap))
    without = decode_png(render_png({**snap, "media": []}))
    assert with_media.shape[1] > without.shape[1], "the image and histogram get panels of their own"
    grey = np.all(with_media[..., :3] == 240, axis=-1)  # the newest picture's pixels (40 + 200)
    assert grey.sum() > 200
