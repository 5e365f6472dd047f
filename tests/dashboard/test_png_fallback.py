"""The kernel-side PNG of a dashboard (for outputs without JavaScript): lines, smoothing, newest media."""

from __future__ import annotations

import sys

import numpy as np

import nbtrack
from nbtrack.codecs import decode_png
from nbtrack.dashboard.png_fallback import chart_order, render_png, smooth_ema
from nbtrack.dashboard.snapshot import snapshot_of


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


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


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


def test_the_kernel_side_png_also_pictures_the_newest_media(logdir, read):
    from nbtrack.dashboard.png_fallback import render_png

    run = nbtrack.init()
    _log_media(run, range(20))
    run.finish()
    snap = snapshot_of([read(run)])
    assert snap["media"] and render_png(snap) != render_png({**snap, "media": []})
