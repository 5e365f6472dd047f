// The maths of the histogram panel (histograms.js): percentiles, distribution bands, evenly chosen steps
// and the geometry of overlay and ridgeline outlines with their colour ramp. Pure: no DOM, no Bokeh.
//
// Records keep their own edges (bins may differ between steps), so every outline is drawn on its own bins;
// heights are counts divided by that record's largest count (each outline peaks at 1, so steps logged with
// more values or other bin widths still compare by shape; tooltips give the real counts). With unequal bins
// inside one record (bins="tensorflow") an outline shows counts per bin, not density. Percentiles assume a
// uniform density inside each bin. Steps are chosen evenly by index, first and last always included
// (ridgelines() and overlayLines() default to MAX_LINES).

/** @typedef {{ step: number, edges: Float64Array, counts: Float64Array }} HistogramRecord */
/**
 * Hover columns: one invisible quad per bin of each drawn line (bottom..top is the area under the outline).
 * @typedef {{ left: Float64Array, right: Float64Array, bottom: Float64Array, top: Float64Array,
 *   count: Float64Array, step: Float64Array }} HoverColumns
 */
/**
 * @typedef {{ xs: Float64Array[], ys: Float64Array[], steps: Float64Array, offsets: Float64Array,
 *   spacing: number, top: number, colors: string[], fills: string[], hover: HoverColumns }} Ridgelines
 * @typedef {{ xs: Float64Array[], ys: Float64Array[], steps: Float64Array, colors: string[],
 *   alphas: Float64Array, widths: Float64Array, hover: HoverColumns }} OverlayLines
 */

/** TensorBoard's distribution basis points (0, 668, 1587, 3085, 5000, ...) rounded to hundredths. */
export const DISTRIBUTION_QUANTILES = Object.freeze([0, 0.07, 0.16, 0.31, 0.5, 0.69, 0.84, 0.93, 1]);
export const MAX_LINES = 30;
export const MAX_DISTRIBUTION_STEPS = 1000; // > 2 per pixel column of a 420-pixel chart

// Sequential blues from light to dark: old steps recede, new ones stand out, and a light ridge reads as "far".
const RAMP = [[198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];

/**
 * The values at quantiles `qs` (0..1) of a histogram, assuming uniform density inside each bin: linear
 * interpolation in the cumulative counts. q = 0 is the left edge of the first non-empty bin, q = 1 the
 * right edge of the last. Non-finite or negative counts count as 0; an empty histogram gives NaNs.
 * @example
 * percentiles(Float64Array.of(0, 1, 2), Float64Array.of(1, 3), [0, 0.5, 1]) // Float64Array [0, 1.333…, 2]
 * @param {ArrayLike<number>} edges n + 1, strictly increasing
 * @param {ArrayLike<number>} counts n
 * @param {ArrayLike<number>} qs
 * @returns {Float64Array}
 */
export function percentiles(edges, counts, qs) {
  const n = counts.length;
  const cumulative = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = counts[i];
    cumulative[i + 1] = cumulative[i] + (c > 0 && c < Infinity ? c : 0);
  }
  const total = cumulative[n];
  const out = new Float64Array(qs.length).fill(NaN);
  if (!(total > 0)) return out;
  for (let k = 0; k < qs.length; k++) {
    if (!Number.isFinite(qs[k])) continue;
    const target = Math.min(1, Math.max(0, qs[k])) * total;
    // the bin whose cumulative range holds the target; for target 0 the first bin with any count
    const j = firstAtLeast(cumulative, target, target === 0);
    const mass = cumulative[j] - cumulative[j - 1];
    const within = Math.min(1, Math.max(0, (target - cumulative[j - 1]) / mass));
    out[k] = edges[j - 1] + within * (edges[j] - edges[j - 1]);
  }
  return out;
}

/**
 * The smallest j in 1..n with cumulative[j] >= target (> target if `strictly`); cumulative is
 * non-decreasing and cumulative[n] >= target.
 * @param {Float64Array} cumulative @param {number} target @param {boolean} strictly
 */
function firstAtLeast(cumulative, target, strictly) {
  let [lo, hi] = [1, cumulative.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = cumulative[mid];
    if (v < target || (strictly && v === target)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per step the value at each quantile (the distribution view's bands).
 * @param {readonly HistogramRecord[]} items sorted by step
 * @param {readonly number[]} [qs]
 * @param {WeakMap<object, Float64Array>} [cache] per-record results kept across calls (keyed by the counts
 *   array, so use one cache per `qs`); repeated redraws of a growing run then only compute the new records
 * @returns {{ steps: Float64Array, bands: Float64Array[] }} bands[k][i]: quantile qs[k] of items[i]
 */
export function distributionBands(items, qs = DISTRIBUTION_QUANTILES, cache) {
  const steps = Float64Array.from(items, (item) => item.step);
  const bands = qs.map(() => new Float64Array(items.length));
  items.forEach((item, i) => {
    let values = cache?.get(item.counts);
    if (!values) {
      values = percentiles(item.edges, item.counts, qs);
      cache?.set(item.counts, values);
    }
    for (let k = 0; k < qs.length; k++) bands[k][i] = values[k];
  });
  return { steps, bands };
}

/**
 * At most `max` indices of 0..n-1, evenly spread, always the first and the last (just the last for max 1).
 * @example
 * evenIndices(10, 4) // Int32Array [0, 3, 6, 9]
 * @param {number} n @param {number} max
 * @returns {Int32Array}
 */
export function evenIndices(n, max) {
  const m = Math.min(n, Math.max(1, Math.floor(max) || 1));
  if (n <= 0) return new Int32Array(0);
  if (m === n) return Int32Array.from({ length: n }, (_, i) => i);
  if (m === 1) return Int32Array.of(n - 1);
  // consecutive targets are more than 1 apart (m < n), so the rounded indices are distinct
  return Int32Array.from({ length: m }, (_, k) => Math.round((k * (n - 1)) / (m - 1)));
}

/**
 * Per bin its range and count, for tooltips.
 * @param {ArrayLike<number>} edges @param {ArrayLike<number>} counts
 * @returns {{ left: number, right: number, count: number }[]}
 */
export function binTooltipRows(edges, counts) {
  return Array.from({ length: counts.length }, (_, i) => ({ left: edges[i], right: edges[i + 1], count: counts[i] }));
}

/**
 * Bin heights scaled so the largest is 1 (all 0 for an empty histogram; non-finite counts as 0).
 * @param {ArrayLike<number>} counts
 * @returns {Float64Array}
 */
export function normalizedHeights(counts) {
  const heights = Float64Array.from(counts, (c) => (c > 0 && c < Infinity ? c : 0));
  let peak = 0;
  for (const h of heights) if (h > peak) peak = h;
  if (peak > 0) for (let i = 0; i < heights.length; i++) heights[i] /= peak;
  return heights;
}

/**
 * A histogram's outline as a polyline: up from the baseline at the first edge, across each bin at its
 * height, down to the baseline at the last edge (2n + 2 points; closes into a polygon along the baseline).
 * @param {ArrayLike<number>} edges @param {Float64Array} heights @param {number} offset the baseline
 * @returns {{ x: Float64Array, y: Float64Array }}
 */
export function stepOutline(edges, heights, offset) {
  const n = heights.length;
  const x = new Float64Array(2 * n + 2);
  const y = new Float64Array(2 * n + 2).fill(offset);
  x[0] = edges[0];
  for (let i = 0; i < n; i++) {
    [x[2 * i + 1], x[2 * i + 2]] = [edges[i], edges[i + 1]];
    y[2 * i + 1] = y[2 * i + 2] = offset + heights[i];
  }
  x[2 * n + 1] = edges[n];
  return { x, y };
}

/**
 * The colour at t in [0, 1] of the step ramp (0: oldest, light; 1: newest, dark), as "#rrggbb".
 * @param {number} t @param {number} [whiten] mix with white by this share (ridge fills)
 */
export function rampColor(t, whiten = 0) {
  const at = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(at));
  const f = at - i;
  const channel = (/** @type {number} */ c) => {
    const v = RAMP[i][c] + (RAMP[i + 1][c] - RAMP[i][c]) * f;
    return Math.round(v + (255 - v) * whiten).toString(16).padStart(2, "0");
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/** Position of line k of m on the ramp (a single line is the newest). @param {number} k @param {number} m */
const rampAt = (k, m) => (m > 1 ? k / (m - 1) : 1);

/**
 * Hover quads for drawn lines: per bin of each line, from its baseline to its (normalized) height.
 * @param {readonly HistogramRecord[]} chosen @param {Float64Array[]} heights @param {ArrayLike<number>} offsets
 * @returns {HoverColumns}
 */
function hoverColumns(chosen, heights, offsets) {
  const total = heights.reduce((n, h) => n + h.length, 0);
  const cols = { left: new Float64Array(total), right: new Float64Array(total), bottom: new Float64Array(total),
    top: new Float64Array(total), count: new Float64Array(total), step: new Float64Array(total) };
  let at = 0;
  chosen.forEach((item, k) => {
    binTooltipRows(item.edges, item.counts).forEach((row, i) => {
      cols.left[at] = row.left;
      cols.right[at] = row.right;
      cols.bottom[at] = offsets[k];
      cols.top[at] = offsets[k] + heights[k][i];
      cols.count[at] = row.count;
      cols.step[at++] = item.step;
    });
  });
  return cols;
}

/**
 * Ridge spacing for m ridges of height 1: 2 or 3 ridges barely overlap; from 10 ridges on, each ridge is
 * three spacings tall (a ridge's peak then reaches over the next two baselines, enough to read its shape,
 * while the ridges in front still leave most of it visible).
 * @param {number} m
 */
export function ridgeSpacing(m) {
  return m > 1 ? Math.min(0.8, Math.max(1 / 3, 3 / (m - 1))) : 1;
}

/**
 * The offset (ridgeline) view: at most `maxLines` steps, oldest at the top, newest at offset 0 in front.
 * Lines are listed oldest first, which is also the drawing order (back to front).
 * @param {readonly HistogramRecord[]} items sorted by step
 * @param {number} [maxLines]
 * @returns {Ridgelines} top: the highest y any ridge reaches
 */
export function ridgelines(items, maxLines = MAX_LINES) {
  const chosen = Array.from(evenIndices(items.length, maxLines), (i) => items[i]);
  const m = chosen.length;
  const spacing = ridgeSpacing(m);
  const offsets = Float64Array.from(chosen, (_, k) => (m - 1 - k) * spacing);
  const heights = chosen.map((item) => normalizedHeights(item.counts));
  const outlines = chosen.map((item, k) => stepOutline(item.edges, heights[k], offsets[k]));
  return {
    xs: outlines.map((o) => o.x), ys: outlines.map((o) => o.y), steps: Float64Array.from(chosen, (it) => it.step),
    offsets, spacing, top: m ? (m - 1) * spacing + 1 : 1,
    colors: chosen.map((_, k) => rampColor(rampAt(k, m))),
    fills: chosen.map((_, k) => rampColor(rampAt(k, m), 0.7)),
    hover: hoverColumns(chosen, heights, offsets),
  };
}

/**
 * The overlay view: at most `maxLines` outlines on one baseline, oldest first (drawn first, so the newest
 * is on top), with colour, opacity and width rising from the oldest (faint) to the newest (strong).
 * @param {readonly HistogramRecord[]} items sorted by step
 * @param {number} [maxLines]
 * @returns {OverlayLines}
 */
export function overlayLines(items, maxLines = MAX_LINES) {
  const chosen = Array.from(evenIndices(items.length, maxLines), (i) => items[i]);
  const m = chosen.length;
  const heights = chosen.map((item) => normalizedHeights(item.counts));
  const outlines = chosen.map((item, k) => stepOutline(item.edges, heights[k], 0));
  return {
    xs: outlines.map((o) => o.x), ys: outlines.map((o) => o.y), steps: Float64Array.from(chosen, (it) => it.step),
    colors: chosen.map((_, k) => rampColor(rampAt(k, m))),
    alphas: Float64Array.from(chosen, (_, k) => 0.35 + 0.65 * rampAt(k, m)),
    widths: Float64Array.from(chosen, (_, k) => (k === m - 1 ? 2 : 1.25)),
    hover: hoverColumns(chosen, heights, new Float64Array(m)),
  };
}

/** A quantile's name in tooltips: "min", "7%", "median", "max". @param {number} q */
export function quantileLabel(q) {
  if (q === 0) return "min";
  if (q === 1) return "max";
  if (q === 0.5) return "median";
  return `${Number((q * 100).toFixed(2))}%`;
}
