"""Figure: matplotlib PNG/SVG and Bokeh JSON, rendered when constructed, read back from a run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_png, png_size
from nbtrack.values.figure import Figure


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_figure_matplotlib_png_and_svg(plt):
    fig, ax = plt.subplots(figsize=(3, 2), dpi=80)
    ax.plot([0, 1, 2], [3, 1, 2], label="loss 📉")
    ax.set_title("training")
    figure = Figure(fig, caption="curve")
    enc = figure.encode()
    assert enc.kind == "figure" and list(enc.files) == [".png", ".svg"]
    png, svg = enc.files[".png"], enc.files[".svg"]
    width, height = png_size(png)
    assert enc.meta == {"caption": "curve", "library": "matplotlib", "width": width, "height": height,
                        "format": "png"}
    assert 0.5 * 3 * 80 < width < 1.5 * 3 * 80 and 0.5 * 2 * 80 < height < 1.5 * 2 * 80  # tight bbox, figure's dpi
    assert decode_png(png).shape[:2] == (height, width)
    assert b"<svg" in svg[:1000] and figure.nbytes == len(png) + len(svg)


def test_figure_is_rendered_in_the_constructor(plt):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.plot([0, 1])
    figure = Figure(fig)
    before = figure.encode().files
    ax.plot([1, 0], linewidth=8)
    fig.set_size_inches(6, 6)
    assert figure.encode().files == before


def test_figure_bokeh_json():
    pytest.importorskip("bokeh")
    import bokeh
    from bokeh.layouts import column
    from bokeh.plotting import figure as bokeh_figure

    plot = bokeh_figure(title="loss", width=300, height=200)
    plot.line([0, 1, 2], [3.0, 1.0, 2.0])
    for make in (lambda: plot, lambda: column(plot)):  # logging leaves the figure usable in a layout
        fig = make()
        enc = Figure(fig, caption="interactive").encode()
        assert list(enc.files) == [".bokeh.json"]
        item = json.loads(enc.files[".bokeh.json"])
        assert set(item) >= {"doc", "root_id"} and item["doc"]["roots"]
        assert enc.meta == {"caption": "interactive", "library": "bokeh", "bokeh_version": bokeh.__version__,
                            "format": "bokeh-json"}
        assert fig.document is None


def test_figure_bokeh_non_model_is_rejected():
    pytest.importorskip("bokeh")
    from bokeh.document import Document

    with pytest.raises(TypeError, match=r"Document is not a Bokeh model; pass a matplotlib Figure"):
        Figure(Document())


@pytest.mark.parametrize("fig", [None, 3, "plot.png", np.zeros((3, 3))])
def test_figure_rejects_other_objects(fig):
    with pytest.raises(TypeError, match=r"is not accepted; pass a matplotlib Figure .* or a Bokeh figure or layout"):
        Figure(fig)


def test_figure_axes_hint_and_caption(plt):
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match=r"Axes \(an Axes: pass ax\.figure\) is not accepted"):
        Figure(ax)
    with pytest.raises(TypeError, match=r"caption must be a str, got int"):
        Figure(fig, caption=1)


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


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
