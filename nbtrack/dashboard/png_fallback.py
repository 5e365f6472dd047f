"""A static PNG of a dashboard's charts, for viewers that run no JavaScript (GitHub, untrusted notebooks).

Drawn in the kernel from the same snapshot the browser renders: one small chart per tag,
in the browser's order (grouped by tag prefix), the raw line faint behind the smoothed one,
one colour per run. matplotlib (Agg, no pyplot state) draws it when installed; without it a
plain numpy raster of the lines, with no text, is drawn instead.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from nbtrack.codecs.png import encode_png

from .m4 import reduce_m4

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
COLUMNS = 3
EXACT_SMOOTHING_BELOW = 50_000  # longer series are reduced (M4) before they are smoothed for the picture


def smooth_ema(values: np.ndarray, weight: float, steps: np.ndarray | None = None,
               spacing: float = 0.0) -> np.ndarray:
    """TensorBoard's debiased EMA (the browser's ``smoothEMA``); non-finite values pass through.
    With ``steps`` and the original ``spacing`` of a reduced series, a gap of ``k`` spacings
    decays the average by ``weight ** k``, as the points it stands for would have.

    >>> smooth_ema(np.array([1.0, np.nan, 3.0]), 0.5).round(4).tolist()
    [1.0, nan, 2.3333]
    """
    out = np.array(values, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(out))
    if weight <= 0 or len(finite) == 0 or np.all(out[finite] == out[finite[0]]):
        return out
    gaps = steps is not None and spacing > 0
    last, kept, previous = 0.0, 1.0, 0.0
    for i in finite.tolist():
        decay = weight ** max(1.0, (steps[i] - previous) / spacing) if gaps and kept < 1 else weight
        last = last * decay + (1 - decay) * out[i]
        kept *= decay
        previous = steps[i] if gaps else 0.0
        out[i] = last / (1 - kept)
    return out


def chart_order(keys: list[str]) -> list[str]:
    """Tags in the order the browser shows them: ungrouped first, then by prefix, each in log order."""
    def group(key: str) -> str:
        slash = key.find("/")
        return key[:slash] if slash > 0 else ""
    return sorted(dict.fromkeys(keys), key=group)


def _lines(series: list[dict[str, Any]], smoothing: float) -> dict[str, list[Any]]:
    """Per tag: (run index, steps, raw values, smoothed values), reduced for drawing."""
    run_index: dict[str, int] = {}
    out: dict[str, list[Any]] = {}
    for s in series:
        index = run_index.setdefault(s["run"], len(run_index))
        steps = np.frombuffer(s["steps"], dtype=np.float64)
        values = np.frombuffer(s["values"], dtype=np.float64)
        total = int(s.get("n", len(values)))
        if len(values) > EXACT_SMOOTHING_BELOW:
            steps, values, _ = reduce_m4(steps, values, steps, buckets=EXACT_SMOOTHING_BELOW // 4)
        spacing = (steps[-1] - steps[0]) / (total - 1) if total > len(values) > 1 else 0.0
        smoothed = smooth_ema(values, smoothing, steps, spacing)
        if len(values) > 2000:
            steps_r, values_r, _ = reduce_m4(steps, values, steps, buckets=500)
            steps_s, smoothed_s, _ = reduce_m4(steps, smoothed, steps, buckets=500)
            out.setdefault(s["key"], []).append((index, steps_r, values_r, steps_s, smoothed_s))
        else:
            out.setdefault(s["key"], []).append((index, steps, values, steps, smoothed))
    return out


def render_png(snapshot: dict[str, Any], settings: dict[str, Any] | None = None,
               run_names: dict[str, str] | None = None) -> bytes:
    """The charts of ``snapshot`` as PNG bytes (see the module docstring)."""
    settings = settings or {}
    smoothing = float(settings.get("smoothing", 0.6))
    lines = _lines(snapshot.get("series", []), smoothing)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return _raster(lines) if lines else encode_png(np.full((40, 200, 3), 255, np.uint8))
    media = _latest_media(snapshot.get("media", []))
    if not lines and not media:
        return encode_png(np.full((40, 200, 3), 255, np.uint8))
    return _matplotlib(lines, bool(settings.get("logY")), snapshot.get("runs", []), media)


def _latest_media(entries: list[dict[str, Any]], limit: int = 6) -> list[dict[str, Any]]:
    """The newest image and histogram of each tag (the first run's), at most ``limit`` of them."""
    newest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("kind") in ("image", "histogram") and entry.get("data"):
            key = entry["key"]
            if key not in newest or entry["step"] > newest[key]["step"]:
                newest[key] = entry
    return [newest[k] for k in chart_order(list(newest))][:limit]


def _draw_media(ax: Any, entry: dict[str, Any]) -> None:
    """An image at its own pixels, or a histogram's bins as a filled outline."""
    if entry["kind"] == "image":
        from nbtrack.codecs.png import decode_png

        try:
            pixels = decode_png(bytes(entry["data"][0]))
        except ValueError:
            ax.text(0.5, 0.5, "(image)", ha="center", va="center", transform=ax.transAxes)
        else:
            grey = pixels.ndim == 2 or pixels.shape[-1] == 1
            ax.imshow(pixels.squeeze(), cmap="gray" if grey else None, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        edges = np.frombuffer(bytes(entry["data"][0]), dtype=np.float64)
        counts = np.frombuffer(bytes(entry["data"][1]), dtype=np.float64)
        ax.stairs(counts, edges, fill=True, color="#1f77b4", alpha=0.6)
    ax.set_title(f"{entry['key']} (step {entry['step']})", fontsize=9)


def _matplotlib(lines: dict[str, list[Any]], log_y: bool, runs: list[dict[str, str]],
                media: list[dict[str, Any]] | None = None) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = chart_order(list(lines))
    media = media or []
    panels = len(keys) + len(media)
    rows = -(-panels // COLUMNS)
    fig = Figure(figsize=(3.3 * min(panels, COLUMNS), 2.3 * rows), dpi=72)
    FigureCanvasAgg(fig)
    for n, entry in enumerate(media):
        ax = fig.add_subplot(rows, min(panels, COLUMNS), len(keys) + n + 1)
        _draw_media(ax, entry)
        ax.tick_params(labelsize=7)
    for n, key in enumerate(keys):
        ax = fig.add_subplot(rows, min(panels, COLUMNS), n + 1)
        for index, steps, values, steps_s, smoothed in lines[key]:
            color = PALETTE[index % len(PALETTE)]
            ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
            label = runs[index]["name"] if index < len(runs) and len(runs) > 1 else None
            ax.plot(steps_s, smoothed, color=color, linewidth=1.4, label=label)
        _axis_range(ax, lines[key], log_y)
        ax.set_title(key, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(runs) > 1 and n == 0:
            ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _axis_range(ax: Any, lines: list[Any], log_y: bool) -> None:
    """A constant series gets a span around its value (else 0.001 would sit on a -1..1 axis)."""
    finite = np.concatenate([v[np.isfinite(v)] for _, _, v, _, _ in lines])
    if log_y:
        finite = finite[finite > 0]
        if len(finite):
            ax.set_yscale("log")
    if len(finite) and finite.min() == finite.max():
        v = float(finite[0])
        half = abs(v) * 0.1 or 1.0
        ax.set_ylim(v / 2, v * 2) if log_y and v > 0 else ax.set_ylim(v - half, v + half)


def _raster(lines: dict[str, list[Any]], width: int = 300, height: int = 160) -> bytes:
    """Without matplotlib: the lines on white, a grey frame per chart, no text."""
    keys = chart_order(list(lines))
    rows = -(-len(keys) // COLUMNS)
    image = np.full((rows * (height + 10), min(len(keys), COLUMNS) * (width + 10), 3), 255, np.uint8)
    for n, key in enumerate(keys):
        top, left = (n // COLUMNS) * (height + 10) + 5, (n % COLUMNS) * (width + 10) + 5
        panel = image[top:top + height, left:left + width]
        panel[[0, -1], :] = 200
        panel[:, [0, -1]] = 200
        finite = np.concatenate([v[np.isfinite(v)] for _, _, v, _, _ in lines[key]] or [np.zeros(1)])
        y_lo, y_hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if y_hi == y_lo:
            y_lo, y_hi = y_lo - 1, y_hi + 1
        x_all = np.concatenate([s for _, s, _, _, _ in lines[key]])
        x_lo, x_hi = float(x_all.min()), float(x_all.max()) or 1.0
        for index, steps, values, steps_s, smoothed in lines[key]:
            rgb = np.array([int(PALETTE[index % 10][i:i + 2], 16) for i in (1, 3, 5)], np.uint8)
            faint = (255 - (255 - rgb.astype(int)) // 4).astype(np.uint8)
            for xs, ys, color in ((steps, values, faint), (steps_s, smoothed, rgb)):
                _polyline(panel, xs, ys, (x_lo, x_hi), (y_lo, y_hi), color)
    return encode_png(image)


def _polyline(panel: np.ndarray, xs: np.ndarray, ys: np.ndarray, x_range: tuple[float, float],
              y_range: tuple[float, float], color: np.ndarray) -> None:
    """Draw a line through the finite points by sampling each segment densely."""
    h, w = panel.shape[:2]
    ok = np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if not len(xs):
        return
    px = (xs - x_range[0]) / ((x_range[1] - x_range[0]) or 1) * (w - 3) + 1
    py = (1 - (ys - y_range[0]) / ((y_range[1] - y_range[0]) or 1)) * (h - 3) + 1
    t = np.linspace(0, 1, 8)[None, :]
    sx = (px[:-1, None] * (1 - t) + px[1:, None] * t).ravel() if len(px) > 1 else px
    sy = (py[:-1, None] * (1 - t) + py[1:, None] * t).ravel() if len(py) > 1 else py
    panel[np.clip(sy.round().astype(int), 0, h - 1), np.clip(sx.round().astype(int), 0, w - 1)] = color
