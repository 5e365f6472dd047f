"""A figure travels to the browser with one file: a matplotlib figure's SVG (its PNG when the SVG is too big),
a Bokeh figure's JSON; ``meta["format"]`` names it. Stored (snapshots) and live (the feed) alike."""

from __future__ import annotations

import matplotlib
import pytest

import nbtrack
from nbtrack.dashboard import protocol
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.protocol import decode_media
from nbtrack.dashboard.snapshot import media_of
from nbtrack.store.batches import MediaItem

matplotlib.use("Agg")


@pytest.fixture
def mpl_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [2.0, 1.0, 3.0])
    yield fig
    plt.close(fig)


def _bokeh_figure():
    from bokeh.plotting import figure

    plot = figure(width=200, height=150)
    plot.line([0, 1], [1, 0])
    return plot


def _stored(tmp_path, value):
    with nbtrack.init(dir=tmp_path, name="r") as run:
        run.log({"fig": value})
    (entry,) = media_of(nbtrack.open(tmp_path).run("r"))
    return entry


def test_a_stored_matplotlib_figure_travels_as_its_svg(tmp_path, mpl_figure):
    entry = _stored(tmp_path, nbtrack.Figure(mpl_figure))
    assert entry["meta"]["format"] == "svg" and entry["meta"]["library"] == "matplotlib"
    (data,) = entry["data"]
    assert bytes(data).lstrip().startswith(b"<?xml") and b"<svg" in bytes(data)
    assert "files" not in entry["meta"], "stored paths stay in the kernel"


def test_a_too_big_svg_gives_way_to_the_png(tmp_path, mpl_figure):
    value = nbtrack.Figure(mpl_figure)
    value._files[".svg"] = b"<svg>" + b" " * protocol.MAX_OTHER_BYTES + b"</svg>"  # a figure of a million points
    entry = _stored(tmp_path, value)
    assert entry["meta"]["format"] == "png" and bytes(entry["data"][0]).startswith(b"\x89PNG")


def test_a_stored_bokeh_figure_travels_as_its_json(tmp_path):
    entry = _stored(tmp_path, nbtrack.Figure(_bokeh_figure()))
    assert entry["meta"]["format"] == "bokeh-json" and b'"roots"' in bytes(entry["data"][0])


def test_the_live_feed_sends_the_same_file(mpl_figure):
    sent = []
    feed = LiveFeed(lambda m, b: sent.append(decode_media(m, b)), run="r", max_rate=1e6)
    feed.write_media([MediaItem("mpl", 0, 0.0, nbtrack.Figure(mpl_figure).encode()),
                      MediaItem("bk", 0, 0.0, nbtrack.Figure(_bokeh_figure()).encode())])
    feed.flush()
    entries = {e["key"]: e for m in sent for e in m}
    assert entries["mpl"]["meta"]["format"] == "svg" and b"<svg" in bytes(entries["mpl"]["data"][0])
    assert entries["bk"]["meta"]["format"] == "bokeh-json"
