"""Video, Table, Figure, PRCurve and Embedding logged in a run and read back equal."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import nbtrack

RNG = np.random.default_rng(3)


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_video_frames_read_back_identical(logdir):
    frames = RNG.integers(0, 256, (6, 10, 12, 3), dtype=np.uint8)
    r = _log_and_read(logdir, clip=nbtrack.Video(frames, fps=8, caption="rollout"))
    row = r.media("clip", decode=True).iloc[0]
    decoded, fps = row["value"]
    np.testing.assert_array_equal(decoded, frames)
    assert fps == 8 and row["kind"] == "video" and row["path"].endswith(".png")


def test_table_cells_read_back_identical(logdir):
    img = RNG.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    table = nbtrack.Table(columns=["id", "text", "score", "ok", "picture"],
                          data=[[1, "猫 🐱", 0.25, True, nbtrack.Image(img)],
                                [2, "<script>x()</script>", math.nan, False, None],
                                [3, None, 1e300, None, nbtrack.Image(img[::-1])]])
    r = _log_and_read(logdir, preds=table)
    got = r.tables("preds").table[0]
    assert list(got.columns) == ["id", "text", "score", "ok", "picture"]
    assert got["id"].tolist() == [1, 2, 3] and got["text"].tolist() == ["猫 🐱", "<script>x()</script>", None]
    assert got["score"][0] == 0.25 and math.isnan(got["score"][1]) and got["score"][2] == 1e300
    np.testing.assert_array_equal(got["picture"][0], img)
    np.testing.assert_array_equal(got["picture"][2], img[::-1])
    assert got["picture"][1] is None


def test_table_from_a_dataframe(logdir):
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})
    got = _log_and_read(logdir, t=nbtrack.Table(dataframe=df)).tables("t").table[0]
    pd.testing.assert_frame_equal(got, df, check_dtype=False, check_column_type=False)


def test_ragged_table_row_is_explained():
    with pytest.raises(ValueError, match=r"row 1 has 2 cells"):
        nbtrack.Table(columns=["a", "b", "c"], data=[[1, 2, 3], [1, 2]])


def test_pr_curve_round_trip(logdir):
    labels = RNG.integers(0, 2, 500).astype(bool)
    scores = np.clip(labels * 0.3 + RNG.random(500) * 0.7, 0, 1)
    curve = nbtrack.PRCurve(labels, scores, num_thresholds=11)
    expected = curve.encode()
    r = _log_and_read(logdir, pr=curve)
    value = r.media("pr", decode=True).value[0]
    import json

    reference = json.loads(expected.files[".json"])
    assert value == reference
    assert len(value["precision"]) == 11 and value["tp"][0] == int(labels.sum())


def test_embedding_round_trip(logdir):
    vectors = RNG.normal(size=(20, 5)).astype(np.float32)
    labels = [f"item {i} 😀" for i in range(20)]
    thumbs = RNG.integers(0, 256, (20, 6, 6, 3), dtype=np.uint8)
    r = _log_and_read(logdir, emb=nbtrack.Embedding(vectors, metadata=labels, images=thumbs))
    value = r.media("emb", decode=True).value[0]
    np.testing.assert_array_equal(value["vectors"], vectors)
    assert value["metadata"] == labels and value["sprite"] is not None


def test_figures_round_trip(logdir):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    from bokeh.plotting import figure as bokeh_figure

    bk = bokeh_figure(width=200, height=200)
    bk.line([0, 1], [0, 1])
    r = _log_and_read(logdir, mpl=nbtrack.Figure(fig), bk=nbtrack.Figure(bk))
    plt.close(fig)
    mpl = r.media("mpl", decode=True).value[0]
    assert mpl["png"].startswith(b"\x89PNG") and b"<svg" in mpl["svg"]
    bokeh = r.media("bk", decode=True).value[0]
    assert b'"doc"' in bokeh["json"] or b'"doc"' in next(iter(bokeh.values()))


def test_rows_added_after_logging_a_table_are_not_logged(logdir):
    table = nbtrack.Table(columns=["a"], data=[[1]])
    run = nbtrack.init()
    run.log({"t": table})
    table.add_data(2)
    run.finish()
    assert nbtrack.open(logdir).run(run.id).tables("t").table[0]["a"].tolist() == [1]
