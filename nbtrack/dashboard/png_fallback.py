"""A static PNG of a dashboard's charts, for viewers that run no JavaScript (GitHub, untrusted notebooks).

Drawn in the kernel from the same snapshot the browser renders: one small chart per tag,
in the browser's order (grouped by tag prefix), the raw line faint behind the smoothed one,
one colour per run, and the newest image and histogram of each media tag. matplotlib (Agg, no
pyplot state) draws it when installed; without it Pillow's ``ImageDraw`` does: the same lines,
a frame per chart with the step and value range at its corners, the tag as title, in Pillow's
default font. The picture is bounded: at most ``MAX_CHARTS`` charts (the first in the browser's
order), a line saying how many more the interactive dashboard has, and at most ``MAX_LEGEND`` run names.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from nbtrack.codecs import decode_image, encode_png

from .m4 import reduce_m4

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
COLUMNS = 3
PANEL = (300, 180)  # width, height of one chart drawn by Pillow
GAP = 10
BLANK = np.full((40, 200, 3), 255, np.uint8)
MAX_CHARTS = 24  # the picture shows this many charts at most, and says how many more the dashboard has
MAX_LEGEND = 10  # and names at most this many runs
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


def pictured(series: list[dict[str, Any]], limit: int = MAX_CHARTS) -> tuple[list[dict[str, Any]], int]:
    """The series of the first ``limit`` charts (in the browser's order), and how many charts are left out.

    >>> pictured([{"key": k} for k in ("b/x", "a", "b/y", "c/z")], limit=2)
    ([{'key': 'b/x'}, {'key': 'a'}], 2)
    """
    keys = chart_order([s["key"] for s in series])
    kept = set(keys[:limit])
    return [s for s in series if s["key"] in kept], max(0, len(keys) - limit)


def _lines(series: list[dict[str, Any]], smoothing: float, run_index: dict[str, int]) -> dict[str, list[Any]]:
    """Per tag: (run index, steps, raw values, smoothed values), reduced for drawing."""
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
    every = snapshot.get("series", [])
    run_index = {run: n for n, run in enumerate(dict.fromkeys(s["run"] for s in every))}
    series, more = pictured(every)
    lines = _lines(series, smoothing, run_index)
    media = _latest_media(snapshot.get("media", []))
    if not lines and not media:
        return encode_png(BLANK)
    log_y, runs = bool(settings.get("logY")), snapshot.get("runs", [])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return _pillow(lines, log_y, runs, media, more)
    return _matplotlib(lines, log_y, runs, media, more)


def more_text(more: int) -> str:
    """The line under a bounded picture.

    >>> more_text(1976)
    '+ 1976 more charts in the interactive dashboard (not pictured)'
    """
    return f"+ {more} more chart{'s' if more != 1 else ''} in the interactive dashboard (not pictured)"


def _legend_names(runs: list[dict[str, str]]) -> list[str]:
    """The run names a legend lists: at most ``MAX_LEGEND``, then how many more runs there are."""
    names = [r.get("name", "") for r in runs[:MAX_LEGEND]]
    return names + ([f"+ {len(runs) - MAX_LEGEND} more runs"] if len(runs) > MAX_LEGEND else [])


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
        try:
            pixels = decode_image(bytes(entry["data"][0]))
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
                media: list[dict[str, Any]] | None = None, more: int = 0) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = chart_order(list(lines))
    media = media or []
    panels = len(keys) + len(media)
    rows = -(-panels // COLUMNS)
    footer = 0.3 if more else 0.0
    fig = Figure(figsize=(3.3 * min(panels, COLUMNS), 2.3 * rows + footer), dpi=72)
    FigureCanvasAgg(fig)
    for n, entry in enumerate(media):
        ax = fig.add_subplot(rows, min(panels, COLUMNS), len(keys) + n + 1)
        _draw_media(ax, entry)
        ax.tick_params(labelsize=7)
    for n, key in enumerate(keys):
        ax = fig.add_subplot(rows, min(panels, COLUMNS), n + 1)
        _plot_runs(ax, lines[key], runs)
        _axis_range(ax, lines[key], log_y)
        ax.set_title(key, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(runs) > 1 and n == 0:
            if len(runs) > MAX_LEGEND:
                ax.plot([], [], " ", label=_legend_names(runs)[-1])
            ax.legend(fontsize=6, loc="best")
    _layout(fig, footer)
    if more:
        fig.text(0.01, 0.1 * footer / fig.get_figheight(), more_text(more), fontsize=9, color="#555555")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _layout(fig: Any, footer: float) -> None:
    """Fixed margins in inches (tight_layout measures every tick label: seconds for 24 charts)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    fig.subplots_adjust(left=0.55 / width, right=1 - 0.15 / width, top=1 - 0.3 / height,
                        bottom=(0.35 + footer) / height, wspace=0.35, hspace=0.55)


def _plot_runs(ax: Any, lines: list[Any], runs: list[dict[str, str]]) -> None:
    """The raw lines (faint) and the smoothed ones of every run: two line collections per chart, so that
    1,000 runs cost two artists, not 2,000; the legend's runs get proxy lines."""
    from matplotlib.collections import LineCollection

    colors = [PALETTE[index % len(PALETTE)] for index, *_ in lines]
    raw = [np.column_stack([s, v]) for _, s, v, _, _ in lines]
    smooth = [np.column_stack([s, v]) for _, _, _, s, v in lines]
    ax.add_collection(LineCollection(raw, colors=colors, alpha=0.25, linewidths=0.8))
    ax.add_collection(LineCollection(smooth, colors=colors, linewidths=1.4))
    ax.autoscale_view()
    for index, *_ in lines:
        if len(runs) > 1 and index < min(len(runs), MAX_LEGEND):
            ax.plot([], [], color=PALETTE[index % len(PALETTE)], linewidth=1.4, label=runs[index]["name"])


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


def _pillow(lines: dict[str, list[Any]], log_y: bool, runs: list[dict[str, str]],
            media: list[dict[str, Any]], more: int = 0) -> bytes:
    """Without matplotlib: the charts, then the media, drawn with Pillow, as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    keys = chart_order(list(lines))
    panels = len(keys) + len(media)
    columns, rows = min(panels, COLUMNS), -(-panels // COLUMNS)
    footer = 16 if more else 0
    canvas = Image.new("RGB", (columns * (PANEL[0] + GAP) + GAP, rows * (PANEL[1] + GAP) + GAP + footer), "white")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default()
    for n in range(panels):
        left, top = GAP + (n % COLUMNS) * (PANEL[0] + GAP), GAP + (n // COLUMNS) * (PANEL[1] + GAP)
        box = (left, top, left + PANEL[0], top + PANEL[1])
        if n < len(keys):
            names = _legend_names(runs) if len(runs) > 1 and n == 0 else []
            _draw_chart(draw, font, box, keys[n], lines[keys[n]], log_y, names)
        else:
            _draw_media_tile(canvas, draw, font, box, media[n - len(keys)])
    if more:
        draw.text((GAP, canvas.height - footer), more_text(more), fill=(90, 90, 90), font=font)
    return encode_png(np.asarray(canvas))


def _plot_area(draw: Any, font: Any, box: tuple[int, int, int, int], title: str) -> tuple[int, int, int, int]:
    """Draw the title and the frame of a panel; the frame's inside, where the content goes."""
    left, top, right, bottom = box
    draw.text((left + 2, top), title, fill="black", font=font)
    area = (left + 56, top + 16, right - 4, bottom - 16)
    draw.rectangle(area, outline=(160, 160, 160))
    return area


def _draw_chart(draw: Any, font: Any, box: tuple[int, int, int, int], key: str, lines: list[Any],
                log_y: bool, names: list[str]) -> None:
    """One tag's lines (raw faint, smoothed strong), the step and value ranges at the frame's corners."""
    area = _plot_area(draw, font, box, key)
    shown = [(i, s, _y(v, log_y), ss, _y(sm, log_y)) for i, s, v, ss, sm in lines]
    finite = np.concatenate([v[np.isfinite(v)] for _, _, v, _, _ in shown])
    y_lo, y_hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    x_all = np.concatenate([s for _, s, _, _, _ in shown])
    x_lo, x_hi = float(x_all.min()), float(x_all.max())
    x_hi = x_hi if x_hi > x_lo else x_lo + 1
    for index, steps, values, steps_s, smoothed in shown:
        color = PALETTE[index % len(PALETTE)]
        faint = tuple(255 - (255 - int(color[i:i + 2], 16)) // 4 for i in (1, 3, 5))
        for xs, ys, fill, width in ((steps, values, faint, 1), (steps_s, smoothed, color, 2)):
            for points in _segments(xs, ys, (x_lo, x_hi), (y_lo, y_hi), area):
                if len(points) > 1:
                    draw.line(points, fill=fill, width=width)
                else:
                    draw.point(points, fill=fill)
    left, top, right, bottom = area
    labels = [(_number(y_hi, log_y), top), (_number(y_lo, log_y), bottom - 10)]
    for text, y in labels:
        _text_left_of(draw, font, (left - 4, y), text, (90, 90, 90))
    draw.text((left, bottom + 2), _number(x_lo, False), fill=(90, 90, 90), font=font)
    _text_left_of(draw, font, (right, bottom + 2), _number(x_hi, False), (90, 90, 90))
    for n, name in enumerate(names):
        _text_left_of(draw, font, (right - 4, top + 2 + 11 * n), name, PALETTE[n % len(PALETTE)])


def _text_left_of(draw: Any, font: Any, at: tuple[float, float], text: str, fill: Any) -> None:
    """``text`` ending at ``at`` (no text anchors: Pillow's bitmap font, the default before 10.1, has none)."""
    draw.text((at[0] - draw.textlength(text, font=font), at[1]), text, fill=fill, font=font)


def _y(values: np.ndarray, log_y: bool) -> np.ndarray:
    """Values as drawn: their log10 on a log axis (non-positive values are left out)."""
    if not log_y:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def _number(value: float, log_y: bool) -> str:
    """A tick label: 4 significant digits (of 10 ** value on a log axis)."""
    return f"{10 ** value if log_y else value:.4g}"


def _segments(xs: np.ndarray, ys: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
              area: tuple[int, int, int, int]) -> list[list[tuple[float, float]]]:
    """The points in pixels, split where a value is not finite (a gap in the line)."""
    left, top, right, bottom = area
    px = left + 1 + (xs - x_range[0]) / (x_range[1] - x_range[0]) * (right - left - 2)
    py = bottom - 1 - (ys - y_range[0]) / (y_range[1] - y_range[0]) * (bottom - top - 2)
    ok = np.isfinite(py)
    breaks = np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1
    out = []
    for part in np.split(np.arange(len(ys)), breaks):
        if len(part) and ok[part[0]]:
            out.append(list(zip(px[part].tolist(), py[part].tolist())))
    return out


def _draw_media_tile(canvas: Any, draw: Any, font: Any, box: tuple[int, int, int, int],
                     entry: dict[str, Any]) -> None:
    """The newest image of a tag, scaled into the panel, or its newest histogram as bars."""
    area = _plot_area(draw, font, box, f"{entry['key']} (step {entry['step']})")
    if entry["kind"] == "image":
        _paste_image(canvas, draw, font, area, bytes(entry["data"][0]))
        return
    edges = np.frombuffer(bytes(entry["data"][0]), dtype=np.float64)
    counts = np.frombuffer(bytes(entry["data"][1]), dtype=np.float64)
    if not len(counts) or len(edges) != len(counts) + 1 or not np.isfinite(edges).all():
        return
    left, top, right, bottom = area
    span = (edges[-1] - edges[0]) or 1.0
    peak = float(np.nanmax(counts)) or 1.0
    for lo, hi, count in zip(edges[:-1], edges[1:], counts):
        x0 = left + 1 + (lo - edges[0]) / span * (right - left - 2)
        x1 = left + 1 + (hi - edges[0]) / span * (right - left - 2)
        y = bottom - 1 - (count / peak if np.isfinite(count) else 0) * (bottom - top - 2)
        draw.rectangle((x0, y, max(x0, x1 - 1), bottom - 1), fill=(143, 187, 217))


def _paste_image(canvas: Any, draw: Any, font: Any, area: tuple[int, int, int, int], data: bytes) -> None:
    """Decode an image (PNG, JPEG, GIF, WebP) and paste it, fitted into ``area``, centred."""
    from PIL import Image

    left, top, right, bottom = area
    try:
        pixels = decode_image(data)
    except ValueError:
        _text_left_of(draw, font, ((left + right + draw.textlength("(image)", font=font)) / 2, (top + bottom) / 2),
                      "(image)", "black")
        return
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    image = Image.fromarray(pixels).convert("RGBA")
    scale = min((right - left - 2) / image.width, (bottom - top - 2) / image.height)
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    image = image.resize(size, Image.Resampling.NEAREST if scale > 1 else Image.Resampling.BILINEAR)
    x, y = left + 1 + (right - left - 2 - size[0]) // 2, top + 1 + (bottom - top - 2 - size[1]) // 2
    canvas.paste(image, (x, y), image)
