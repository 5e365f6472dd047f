"""``nbtrack.Figure``: a matplotlib figure as PNG and SVG, or a Bokeh figure as Bokeh JSON."""

from __future__ import annotations

import io
import json
from typing import Any

from nbtrack.codecs import png_size

from ._base import Encoded, Value, check_caption

ACCEPTED = "a matplotlib Figure (e.g. plt.gcf() or fig from plt.subplots()) or a Bokeh figure or layout"


class Figure(Value):
    """A plot: a matplotlib figure, or a Bokeh figure or layout.

    The figure is drawn at once, in the calling thread (matplotlib is not thread-safe),
    so later changes to it are not recorded. A matplotlib figure is stored as PNG (at
    the figure's dpi, cropped to its content) and as SVG; a Bokeh figure as the JSON of
    ``bokeh.embed.json_item``, which the panels render interactively. Neither library
    is imported by nbtrack unless you pass one of its figures.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or bokeh model
    caption : str, optional

    Examples
    --------
    >>> from bokeh.plotting import figure
    >>> from nbtrack.values.figure import Figure
    >>> plot = figure(width=300, height=200)
    >>> _ = plot.line([0, 1, 2], [3.0, 1.0, 2.0])
    >>> enc = Figure(plot, caption="loss").encode()
    >>> enc.meta["library"], list(enc.files)
    ('bokeh', ['.bokeh.json'])

    A matplotlib figure (``fig, ax = plt.subplots()``) gives ``.png`` and ``.svg`` files.
    """

    KIND = "figure"

    def __init__(self, fig: Any, caption: str | None = None) -> None:
        self.caption = check_caption(caption, "Figure()")
        if _is_bokeh(fig):
            self.library = "bokeh"
            self._meta, self._files = _render_bokeh(fig)
        elif hasattr(fig, "savefig") and hasattr(fig, "canvas"):
            self.library = "matplotlib"
            self._meta, self._files = _render_matplotlib(fig)
        else:
            hint = " (an Axes: pass ax.figure)" if hasattr(getattr(fig, "figure", None), "savefig") else ""
            raise TypeError(f"Figure(): a {type(fig).__module__}.{type(fig).__name__}{hint} is not accepted; "
                            f"pass {ACCEPTED}")

    @property
    def nbytes(self) -> int:
        return sum(len(data) for data in self._files.values())

    def encode(self) -> Encoded:
        meta = {"caption": self.caption, "library": self.library, **self._meta}
        return Encoded(self.KIND, meta, dict(self._files))


def _is_bokeh(fig: Any) -> bool:
    return type(fig).__module__.split(".", 1)[0] == "bokeh"


def _render_matplotlib(fig: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    """PNG and SVG bytes of a matplotlib figure, and the PNG's size in pixels."""
    files = {}
    for fmt, extra in (("png", {}), ("svg", {"metadata": {"Date": None}})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=fig.dpi, bbox_inches="tight", **extra)
        files[f".{fmt}"] = buffer.getvalue()
    width, height = png_size(files[".png"])
    return {"width": int(width), "height": int(height), "format": "png"}, files


def _render_bokeh(fig: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The JSON of ``bokeh.embed.json_item(fig)`` and bokeh's version."""
    import bokeh
    from bokeh.embed import json_item
    from bokeh.model import Model

    if not isinstance(fig, Model):
        raise TypeError(f"Figure(): a {type(fig).__module__}.{type(fig).__name__} is not a Bokeh model; "
                        f"pass {ACCEPTED}")
    had_document = fig.document is not None
    item = json_item(fig)
    if not had_document and fig.document is not None:  # json_item leaves a fresh figure in a hidden document,
        fig.document.remove_root(fig)  # which would stop it from being shown or laid out later
    data = json.dumps(item, ensure_ascii=False, allow_nan=True).encode("utf-8")
    return {"bokeh_version": bokeh.__version__, "format": "bokeh-json"}, {".bokeh.json": data}
