// What a chart draws for one series, computed from the full-resolution data (pure: no DOM, no Bokeh).
//
// lineData() smooths the whole series (debiased EMA), then M4-reduces the raw and the smoothed values to
// the chart's width over the visible x range, and lists the non-finite points to mark. yExtent() chooses
// the y range for all series of a chart: their min and max, or the 5th-95th percentile when outliers are
// ignored, with a sensible span for a constant series and only positive values on a log axis.

import { m4, minMax } from "./downsample.js";
import { smoothEMA } from "./smoothing.js";
import { byX } from "./xaxis.js";

/** @typedef {{ smoothing: number, logY: boolean, xAxis: "step" | "relative" | "wall", ignoreOutliers: boolean }} Settings */
/**
 * @typedef {{ steps: Float64Array, values: Float64Array, times: Float64Array, spacing?: number, xs?: Float64Array }} Columns
 * spacing: the step distance between original points of a reduced series (0 or absent: not reduced)
 * xs: the x of each point when already known (a group's mean x, a step metric's values: xaxis.js), instead of
 * xOf(columns, settings.xAxis); drawn in x order
 */
/** @typedef {{ x: Float64Array, y: Float64Array }} XY */
/**
 * @typedef {{ reduce?: "m4" | "minmax" }} LineOptions
 * reduce: points kept per pixel column, up to 4 (m4, the default: a lone line looks as drawn from every
 * point) or 2 (minmax: half the vertices, for charts of many overlaid lines)
 */
/** @typedef {[number, number]} Span the lowest and highest drawable y ([Infinity, -Infinity]: none) */

const EDGE_MARGIN = 0.05; // when zoomed, also reduce points this far (as a share of the range) past each edge

/**
 * The x coordinates of a series in an axis mode: steps, seconds since its first point, or epoch ms.
 * @param {Columns} columns @param {Settings["xAxis"]} mode @returns {Float64Array}
 */
export function xOf(columns, mode) {
  if (mode === "step") return columns.steps;
  const { times } = columns;
  const out = new Float64Array(times.length);
  const [offset, scale] = mode === "relative" ? [times[0] ?? 0, 1] : [0, 1000];
  for (let i = 0; i < times.length; i++) out[i] = (times[i] - offset) * scale;
  return out;
}

/**
 * The lines to draw for one series.
 * @example
 * const d = lineData(series.view(), { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false }, 420, null, "run-1");
 * d.raw.x.length <= 4 * 420 + 1 // true
 * @param {Columns} columns full-resolution data, in log order
 * @param {Settings} settings
 * @param {number} width pixel columns of the chart
 * @param {[number, number] | null} visible the x range shown, when the user zoomed; null for all
 * @param {string} runName shown in tooltips
 * @param {LineOptions} [options]
 */
export function lineData(columns, settings, width, visible, runName, options = {}) {
  if (columns.xs) columns = byX({ ...columns, xs: columns.xs }); // x that goes back (a restarted step metric): in x order
  const { steps, values } = columns;
  const xs = columns.xs ?? xOf(columns, settings.xAxis);
  const n = values.length;
  const empty = new Float64Array(0);
  if (!n) return emptyLines(empty);
  let [x0, x1] = [xs[0], xs[n - 1]];
  if (visible && Number.isFinite(visible[0]) && Number.isFinite(visible[1]) && visible[1] > visible[0]) {
    const margin = (visible[1] - visible[0]) * EDGE_MARGIN;
    [x0, x1] = [Math.max(x0, visible[0] - margin), Math.min(x1, visible[1] + margin)];
    if (!(x1 >= x0)) [x0, x1] = [xs[0], xs[n - 1]];
  }
  if (!Number.isFinite(x0) || !Number.isFinite(x1) || x1 < x0) [x0, x1] = [0, 0];
  const reduce = options.reduce === "minmax" ? minMax : m4;
  const raw = reduce(xs, values, x0, x1, width);
  const smoothed = settings.smoothing > 0 ? smoothEMA(values, settings.smoothing, steps, columns.spacing ?? 0) : values;
  const smooth = smoothed === values ? raw : reduce(xs, smoothed, x0, x1, width);
  const hover = {
    x: smooth.x, y: smooth.y, step: gather(steps, smooth.idx), value: gather(values, smooth.idx),
    smoothed: smooth.y, run: Array.from(smooth.idx, () => runName),
  };
  const bad = raw.nonFinite;
  return {
    raw: { x: raw.x, y: raw.y }, smooth: hover, x0: xs[0], x1: xs[n - 1], bad,
    newest: { x: xs.subarray(n - 1), y: smoothed.subarray(n - 1) },
    minRaw: finiteMin(raw.y),
    /** @type {{ raw: Span, smooth: Span }} the drawable y range of each line (made once: yExtent reuses it) */
    span: { raw: spanOf(raw.y, settings.logY), smooth: smoothed === values ? spanOf(raw.y, settings.logY)
      : spanOf(smooth.y, settings.logY) },
    /** Markers for the non-finite points: +Inf at the top of the extent, NaN and -Inf at the bottom.
     * @param {number} lo @param {number} hi @returns {XY} */
    badPoints(lo, hi) {
      return markNonFinite(xs, values, bad, lo, hi, [x0, x1], width);
    },
  };
}

/** @param {Float64Array} empty */
function emptyLines(empty) {
  const xy = { x: empty, y: empty };
  return {
    raw: xy, smooth: { ...xy, step: empty, value: empty, smoothed: empty, run: [] }, newest: xy,
    x0: NaN, x1: NaN, bad: new Int32Array(0), minRaw: Infinity, badPoints: () => xy,
    span: { raw: /** @type {Span} */ ([Infinity, -Infinity]), smooth: /** @type {Span} */ ([Infinity, -Infinity]) },
  };
}

/** @param {ArrayLike<number>} source @param {Int32Array} idx */
function gather(source, idx) {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = source[idx[k]];
  return out;
}

/** @param {ArrayLike<number>} ys */
function finiteMin(ys) {
  let min = Infinity;
  for (let i = 0; i < ys.length; i++) if (Number.isFinite(ys[i]) && ys[i] < min) min = ys[i];
  return min;
}

/**
 * One marker per pixel column that holds non-finite points (so a series of NaNs stays cheap to draw).
 * @param {ArrayLike<number>} xs @param {ArrayLike<number>} values @param {Int32Array} bad
 * @param {number} lo @param {number} hi @param {[number, number]} range @param {number} width
 * @returns {XY}
 */
function markNonFinite(xs, values, bad, lo, hi, range, width) {
  const scale = range[1] > range[0] ? width / (range[1] - range[0]) : 0;
  const x = [];
  const y = [];
  let lastKey = "";
  for (const i of bad) {
    const top = values[i] === Infinity;
    const key = `${Math.floor((xs[i] - range[0]) * scale)}${top ? "+" : "-"}`;
    if (key === lastKey) continue;
    lastKey = key;
    x.push(xs[i]);
    y.push(top ? hi : lo);
  }
  return { x: Float64Array.from(x), y: Float64Array.from(y) };
}

/**
 * @typedef {{ raw: { y: ArrayLike<number> }, smooth: { y: ArrayLike<number> }, span?: { raw: Span, smooth: Span } }} ExtentLine
 * span: the lines' drawable y ranges when already known (lineData's), else computed here
 */
/** @typedef {("raw" | "smooth")[]} Parts */
/** @type {Parts} */
const BOTH = ["raw", "smooth"];

/**
 * The y range for the lines of one chart (of their `parts`: both lines by default, or only the smoothed
 * ones when the raw lines are not drawn).
 * @example
 * yExtent([{ raw: { y: Float64Array.of(0.001) }, smooth: { y: Float64Array.of(0.001) } }],
 *         { smoothing: 0, logY: false, xAxis: "step", ignoreOutliers: false }) // [0.0009, 0.0011]
 * @param {ExtentLine[]} lines
 * @param {Settings} settings
 * @param {Parts} [parts]
 * @returns {[number, number]}
 */
export function yExtent(lines, settings, parts = BOTH) {
  if (!settings.ignoreOutliers) return plainExtent(lines, settings, parts); // no sort of every value
  const ys = [];
  for (const line of lines) {
    for (const name of parts) {
      const part = line[name].y;
      for (let i = 0; i < part.length; i++) {
        const y = part[i];
        if (Number.isFinite(y) && (!settings.logY || y > 0)) ys.push(y);
      }
    }
  }
  ys.sort((a, b) => a - b);
  if (ys.length >= 20) return padded(quantile(ys, 0.05), quantile(ys, 0.95), settings.logY);
  return padded(ys[0] ?? Infinity, ys[ys.length - 1] ?? -Infinity, settings.logY);
}

/**
 * The lowest and highest drawable y of the lines (as yExtent without outliers ignored): each line's span
 * when lineData made it, else one pass over its values.
 * @param {ExtentLine[]} lines @param {{ logY: boolean }} settings @param {Parts} parts
 * @returns {[number, number]}
 */
function plainExtent(lines, settings, parts) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    for (const name of parts) {
      const [low, high] = line.span?.[name] ?? spanOf(line[name].y, settings.logY);
      if (low < lo) lo = low;
      if (high > hi) hi = high;
    }
  }
  return padded(lo, hi, settings.logY);
}

/**
 * The lowest and highest finite y (only positive ones on a log axis), in one pass.
 * @param {ArrayLike<number>} ys @param {boolean} logY @returns {Span}
 */
function spanOf(ys, logY) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y) || (logY && y <= 0)) continue;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  return [lo, hi];
}

/**
 * A drawable range from the lowest and highest y: a default with no values, a span around a constant one.
 * @param {number} lo @param {number} hi @param {boolean} logY @returns {[number, number]}
 */
function padded(lo, hi, logY) {
  if (lo > hi) return logY ? [0.1, 10] : [0, 1];
  if (lo === hi) {
    if (logY) return [lo / 2, hi * 2];
    const half = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - half, hi + half];
  }
  return [lo, hi];
}

/** @param {number[]} sorted @param {number} q */
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/**
 * Tick positions for a log axis over [lo, hi]: 1, 2, 5 (or 1 to 9 for a narrow range) times powers of ten,
 * thinned to at most `max`. BokehJS ticks ranges under two decades linearly, which piles the labels at the
 * top of a log axis.
 * @example
 * logTicks(0.01, 0.35) // [0.01, 0.02, 0.05, 0.1, 0.2]
 * @param {number} lo @param {number} hi @param {number} [max]
 * @returns {number[]}
 */
export function logTicks(lo, hi, max = 7) {
  if (!(lo > 0 && hi > lo && Number.isFinite(hi))) return [];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  /** @param {number[]} mantissas */
  const within = (mantissas) => {
    const ticks = [];
    for (let k = first; k <= last; k++) {
      for (const m of mantissas) {
        const tick = Number((m * 10 ** k).toPrecision(12));
        if (tick >= lo && tick <= hi) ticks.push(tick);
      }
    }
    return ticks;
  };
  for (const mantissas of [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 5], [1, 3], [1]]) {
    const ticks = within(mantissas);
    if (ticks.length <= max && (ticks.length >= 3 || mantissas.length === 9)) return ticks;
  }
  const decades = within([1]);
  const stride = Math.ceil(decades.length / max);
  return decades.filter((_, i) => i % stride === 0);
}
