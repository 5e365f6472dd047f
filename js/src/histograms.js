// Histograms over steps (issue 12): one panel per histogram tag, drawn with BokehJS in one of three views.
//
// - overlay: the outline of each chosen step's histogram, all on one axis, colour-ramped from the oldest
//   step (light, faint) to the newest (dark, strong, thicker), with a colour bar of the steps.
// - ridgeline ("offset"): the same outlines, each lifted by an offset per step. Like TensorBoard's offset
//   view, the oldest step is at the top (at the back) and the newest at the bottom, in front; ridges are
//   filled with an opaque tint, so a ridge in front hides what it covers of the ones behind.
// - distribution: per step, the values at TensorBoard's quantiles (min, 7, 16, 31, 50, 69, 84, 93 %, max)
//   as nested shaded bands over steps, with the median as a line.
//
// Records keep their own edges (bins may differ between steps), so every outline is drawn on its own bins;
// heights are counts divided by that record's largest count (each outline peaks at 1, so steps logged with
// more values or other bin widths still compare by shape; tooltips give the real counts). With unequal bins
// inside one record (bins="tensorflow") an outline shows counts per bin, not density. Percentiles assume a
// uniform density inside each bin. Steps are chosen evenly by index, first and last always included: the
// panel draws 15 overlay outlines or 20 ridges (ridgelines() and overlayLines() default to MAX_LINES) and
// at most MAX_DISTRIBUTION_STEPS steps of the distribution. The pure functions above createHistogramPanel
// use no DOM and no Bokeh (unit tested in histograms.test.js, the panel against stand-ins).

/** @typedef {{ step: number, edges: Float64Array, counts: Float64Array }} HistogramRecord */
/** @typedef {"overlay" | "ridgeline" | "distribution"} HistogramView */
/** @typedef {{ histogramView: HistogramView }} HistogramSettings */
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
// what the panel draws: fewer than MAX_LINES, so that outlines stay apart in a 420 x 260 chart
const PANEL_OVERLAY_LINES = 15;
const PANEL_RIDGES = 20;
export const VIEWS = /** @type {const} */ (["overlay", "ridgeline", "distribution"]);

// Sequential blues from light to dark: old steps recede, new ones stand out, and a light ridge reads as "far".
const RAMP = [[198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
const BAND_COLOR = "#3182bd";
const MEDIAN_COLOR = "#08306b";

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

/**
 * A step as a short tick label: "1200", "999999", "1.25M".
 * @param {number} step
 */
export function formatStep(step) {
  const size = Math.abs(step);
  if (!Number.isFinite(step) || size < 1e6) return String(step);
  const [unit, suffix] = size >= 1e12 ? [1e12, "T"] : size >= 1e9 ? [1e9, "G"] : [1e6, "M"];
  return `${Number((step / unit).toPrecision(4))}${suffix}`;
}

/** A quantile's name in tooltips: "min", "7%", "median", "max". @param {number} q */
export function quantileLabel(q) {
  if (q === 0) return "min";
  if (q === 1) return "max";
  if (q === 0.5) return "median";
  return `${Number((q * 100).toFixed(2))}%`;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering (BokehJS)

const WIDTH = 420;
const HEIGHT = 260;
const MAX_STEP_LABELS = 7; // ridgeline y ticks: about one per 30 pixels
const MARK_BELOW = 30; // distribution: a marker on every median point when there are fewer steps
const VIEW_LABELS = { overlay: "overlay", ridgeline: "offset (ridgeline)", distribution: "distribution" };
const TOOLS = "pan,wheel_zoom,box_zoom,reset,save";
const BIN_TOOLTIPS = [["step", "@step"], ["bin", "@left{%.4g} to @right{%.4g}"], ["count", "@count{%.6g}"]];
const BIN_FORMATTERS = { "@left": "printf", "@right": "printf", "@count": "printf" };

/**
 * A view's figure and how to fill it from records (returns the note shown under the chart).
 * @typedef {{ figure: any, fill: (items: readonly HistogramRecord[]) => string,
 *   mark: (record: HistogramRecord | null) => void }} ViewChart
 * `mark` draws the dashboard's step cursor: the record at that step outlined in red (overlay, ridgeline),
 * or a dashed line at the step (distribution); null removes it.
 */
/** @typedef {{ title?: string, onViewChange?: (view: HistogramView) => void }} PanelOptions */

/**
 * A histogram panel inside `container`: a view selector and one BokehJS figure. The selector changes
 * `settings.histogramView` in place and redraws in the browser alone (no kernel needed); `onViewChange`
 * lets the caller save the choice. `update(items)` coalesces calls made while a redraw is in progress,
 * reuses the figure's sources when only the data changed, and rebuilds the figure only when the view did.
 * @param {any} Bokeh @param {HTMLElement} container @param {HistogramSettings} settings
 * @param {PanelOptions} [options] title: the tag, drawn as a Bokeh title (canvas text, never HTML)
 * @returns {{ update: (items: readonly HistogramRecord[]) => Promise<void>, dispose: () => void, element: HTMLElement,
 *   setCursor: (step: number | null) => void }}
 */
export function createHistogramPanel(Bokeh, container, settings, options = {}) {
  const element = document.createElement("div");
  element.className = "nbtrack-histogram";
  const { label, select } = viewSelect(settings, () => {
    options.onViewChange?.(settings.histogramView);
    schedule().catch(() => {}); // a failed redraw leaves the previous chart; the next update retries
  });
  const plot = box("nbtrack-histogram-plot");
  const note = box("nbtrack-histogram-note");
  Object.assign(note.style, { fontSize: "11px", color: "#666", minHeight: "14px" });
  element.append(label, plot, note);
  container.appendChild(element);

  /** @type {{ kind: HistogramView, chart: ViewChart, view: any } | null} */
  let shown = null;
  /** @type {readonly HistogramRecord[]} */
  let latest = [];
  let drawnKey = "";
  let disposed = false;
  let running = Promise.resolve();
  let queued = false;

  async function draw() {
    if (disposed) return;
    const kind = viewOf(settings);
    select.value = kind;
    const key = `${kind}|${dataKey(latest)}`;
    if (shown?.kind !== kind) {
      removeShown();
      const chart = BUILDERS[kind](Bokeh, options.title ?? "");
      note.textContent = chart.fill(latest);
      chart.mark(cursorRecord());
      shown = { kind, chart, view: await Bokeh.Plotting.show(chart.figure, plot) };
      if (disposed) removeShown();
    } else if (key !== drawnKey) {
      note.textContent = shown.chart.fill(latest); // setting the sources' data repaints the same figure
    }
    shown?.chart.mark(cursorRecord());
    element.dataset.cursor = String(cursorRecord()?.step ?? "");
    drawnKey = key;
    describe(element, kind, latest);
  }

  /** One redraw at a time; calls made meanwhile collapse into one more redraw with the newest items. */
  function schedule() {
    if (!queued) {
      queued = true;
      running = running.catch(() => {}).then(() => {
        queued = false;
        return draw();
      });
    }
    return running;
  }

  /** @type {number | null} */
  let cursorStep = null;
  /** The record the cursor points at: the last one at or before its step (none when it follows the newest). */
  function cursorRecord() {
    if (cursorStep === null) return null;
    let found = null;
    for (const item of latest) if (item.step <= cursorStep) found = item;
    return found;
  }

  function removeShown() {
    if (shown) disposeView(Bokeh, shown.view);
    shown = null;
    plot.replaceChildren();
  }

  return {
    element,
    /** @param {readonly HistogramRecord[]} items */
    update(items) {
      latest = items;
      return schedule();
    },
    /** Show the dashboard's step cursor (null: none). @param {number | null} step */
    setCursor(step) {
      cursorStep = step;
      shown?.chart.mark(cursorRecord());
      element.dataset.cursor = String(cursorRecord()?.step ?? "");
    },
    dispose() {
      disposed = true;
      removeShown();
      element.remove();
    },
  };
}

/** @param {HistogramSettings} settings @returns {HistogramView} */
function viewOf(settings) {
  return VIEWS.includes(settings.histogramView) ? settings.histogramView : "overlay";
}

/** @param {string} className */
function box(className) {
  const el = document.createElement("div");
  el.className = className;
  return el;
}

/** The view selector, inside a label. @param {HistogramSettings} settings @param {() => void} changed */
function viewSelect(settings, changed) {
  const select = document.createElement("select");
  select.className = "nbtrack-histogram-view";
  for (const value of VIEWS) {
    const option = document.createElement("option");
    Object.assign(option, { value, textContent: VIEW_LABELS[value], selected: viewOf(settings) === value });
    select.appendChild(option);
  }
  select.addEventListener("change", () => {
    settings.histogramView = /** @type {HistogramView} */ (select.value);
    changed();
  });
  const label = document.createElement("label");
  label.style.fontSize = "12px";
  label.append("view ", select);
  return { label, select };
}

/** @type {WeakMap<object, number>} */
const recordIds = new WeakMap();
let nextRecordId = 1;
/** What a redraw depends on: the count and the identity of the first and last records (records are
 * appended, not edited, so this changes exactly when there is something new to draw).
 * @param {readonly HistogramRecord[]} items */
function dataKey(items) {
  const id = (/** @type {HistogramRecord | undefined} */ item) => {
    if (!item) return 0;
    if (!recordIds.has(item)) recordIds.set(item, nextRecordId++);
    return recordIds.get(item);
  };
  return `${items.length}:${id(items[0])}:${id(items[items.length - 1])}`;
}

/** What is drawn, readable by tests and tools.
 * @param {HTMLElement} element @param {HistogramView} kind @param {readonly HistogramRecord[]} items */
function describe(element, kind, items) {
  const last = items[items.length - 1];
  Object.assign(element.dataset, {
    view: kind, steps: String(items.length), lastStep: last ? String(last.step) : "",
    bins: String(last?.counts.length ?? 0),
  });
}

/**
 * Remove a shown figure's view and clear its BokehJS document, with the document's other root views
 * (BokehJS adds a notifications view per document, which stays in Bokeh.index unless removed too).
 * @param {any} Bokeh @param {any} view
 */
function disposeView(Bokeh, view) {
  const doc = view?.model?.document;
  view?.remove?.();
  doc?.clear?.();
  for (const root of [...(Bokeh.index?.roots ?? [])]) {
    const rootDoc = root?.model?.document;
    if (rootDoc == null || rootDoc === doc) {
      root.remove?.();
      Bokeh.index.delete?.(root);
    }
  }
}

/** The note under a chart. @param {number} total records @param {number} drawn of them */
function drawnNote(total, drawn) {
  if (!total) return "no histograms logged yet";
  return drawn < total ? `${drawn} of ${total} steps drawn (evenly spaced, first and last included)` : "";
}

/** @param {any} Bokeh @param {string} title @param {string} xLabel @param {string} yLabel @param {boolean} stepX */
function makeFigure(Bokeh, title, xLabel, yLabel, stepX) {
  const figure = Bokeh.Plotting.figure({
    width: WIDTH, height: HEIGHT, title, // drawn as canvas text, never parsed as HTML
    tools: TOOLS, active_scroll: null, toolbar_location: "right",
    x_axis_label: xLabel, y_axis_label: yLabel, min_border_left: 50,
  });
  const [xAxis] = figure.xaxis ?? figure.below ?? [];
  if (xAxis) {
    // steps: "500.05k", not "5.0005e+5"; values: plain decimals down to 1e-5
    xAxis.formatter = stepX ? new Bokeh.NumeralTickFormatter({ format: "0.[00]a" })
      : new Bokeh.BasicTickFormatter({ power_limit_low: -5 });
    xAxis.ticker.desired_num_ticks = 5;
  }
  return figure;
}

/**
 * An invisible point pair that gives a chart without records a 0..1 extent (else BokehJS has no range
 * and draws no axes, which looks broken).
 * @param {any} Bokeh @param {any} figure
 * @returns {(empty: boolean) => void}
 */
function emptyExtent(Bokeh, figure) {
  const source = new Bokeh.ColumnDataSource({ data: { x: [], y: [] } });
  figure.scatter({ field: "x" }, { field: "y" }, { source, alpha: 0 });
  let shown = false;
  return (empty) => {
    if (empty !== shown) source.data = empty ? { x: [0, 1], y: [0, 1] } : { x: [], y: [] };
    shown = empty;
  };
}

/**
 * Invisible quads over the bins of the drawn lines, with a hover tool that shows one bin: the first hit
 * after sorting by `sortBy` (the hit quads overlap where lines do).
 * @param {any} Bokeh @param {any} figure @param {[string, number][]} sortBy
 * @returns {any} the quads' source
 */
function binHover(Bokeh, figure, sortBy) {
  const source = new Bokeh.ColumnDataSource({ data: { left: [], right: [], bottom: [], top: [], count: [], step: [] } });
  const quads = figure.quad({
    left: { field: "left" }, right: { field: "right" }, bottom: { field: "bottom" }, top: { field: "top" },
    source, fill_alpha: 0, line_alpha: 0,
  });
  figure.add_tools(new Bokeh.HoverTool({
    renderers: [quads], tooltips: BIN_TOOLTIPS, formatters: BIN_FORMATTERS, sort_by: sortBy, limit: 1,
    point_policy: "follow_mouse",
  }));
  return source;
}

/** @param {Float64Array} steps @returns {[number, number]} */
function stepSpan(steps) {
  const [low, high] = steps.length ? [steps[0], steps[steps.length - 1]] : [0, 1];
  return [low, high > low ? high : low + 1];
}

/** @param {any} Bokeh @param {string} title @returns {ViewChart} */
function overlayChart(Bokeh, title) {
  const figure = makeFigure(Bokeh, title, "value", "count / peak count", false);
  const lines = new Bokeh.ColumnDataSource({ data: { xs: [], ys: [], color: [], alpha: [], width: [] } });
  figure.multi_line({ field: "xs" }, { field: "ys" }, {
    source: lines, line_color: { field: "color" }, line_alpha: { field: "alpha" }, line_width: { field: "width" },
  });
  // hovering shows the bin of the outline just above the pointer: the lowest top among the quads hit
  const bins = binHover(Bokeh, figure, [["top", 1]]);
  const extent = emptyExtent(Bokeh, figure);
  const mapper = new Bokeh.LinearColorMapper({ palette: Array.from({ length: 64 }, (_, i) => rampColor(i / 63)) });
  const colorBar = new Bokeh.ColorBar({
    color_mapper: mapper, title: "step", width: 8, padding: 4, label_standoff: 4,
    formatter: new Bokeh.NumeralTickFormatter({ format: "0.[00]a" }),
    ticker: new Bokeh.BasicTicker({ desired_num_ticks: 4 }),
    major_label_text_font_size: "10px", title_text_font_size: "10px", title_text_font_style: "normal",
  });
  figure.add_layout(colorBar, "right");
  const mark = markedOutline(Bokeh, figure);
  return {
    figure,
    mark: (record) => mark(record, 0),
    fill(items) {
      const o = overlayLines(items, PANEL_OVERLAY_LINES);
      lines.data = { xs: o.xs, ys: o.ys, color: o.colors, alpha: o.alphas, width: o.widths };
      bins.data = o.hover;
      [mapper.low, mapper.high] = stepSpan(o.steps);
      colorBar.visible = o.steps.length > 1; // one step has no ramp to explain
      extent(!items.length);
      return drawnNote(items.length, o.steps.length);
    },
  };
}

/** @param {any} Bokeh @param {string} title @returns {ViewChart} */
function ridgelineChart(Bokeh, title) {
  const figure = makeFigure(Bokeh, title, "value", "step", false);
  const ridges = new Bokeh.ColumnDataSource({ data: { xs: [], ys: [], color: [], fill: [] } });
  figure.patches({ field: "xs" }, { field: "ys" }, {
    source: ridges, line_color: { field: "color" }, fill_color: { field: "fill" }, line_width: 1.25,
  });
  // a point can lie in several ridges' areas; the one in front (newest) is the one seen there
  const bins = binHover(Bokeh, figure, [["step", -1]]);
  const [yAxis] = figure.yaxis ?? figure.left ?? [];
  const ticker = new Bokeh.FixedTicker({ ticks: [] }); // a tick at the baseline of some ridges, labelled by step
  if (yAxis) yAxis.ticker = ticker;
  for (const grid of figure.ygrids ?? []) grid.visible = false; // the baselines are the ridges' own
  const extent = emptyExtent(Bokeh, figure);
  const outline = markedOutline(Bokeh, figure);
  /** @type {{ steps: Float64Array, offsets: Float64Array, spacing: number } | null} */
  let placed = null;
  return {
    figure,
    mark(record) {
      const k = record && placed ? placed.steps.indexOf(record.step) : -1;
      outline(k >= 0 ? record : null, placed?.offsets[k] ?? 0);
    },
    fill(items) {
      const r = ridgelines(items, PANEL_RIDGES);
      placed = r;
      ridges.data = { xs: r.xs, ys: r.ys, color: r.colors, fill: r.fills };
      bins.data = r.hover;
      extent(!items.length);
      const labelled = Array.from(evenIndices(r.steps.length, MAX_STEP_LABELS), (k) => k);
      ticker.ticks = labelled.map((k) => r.offsets[k]);
      if (yAxis) yAxis.major_label_overrides = new Map(labelled.map((k) => [r.offsets[k], formatStep(r.steps[k])]));
      return drawnNote(items.length, r.steps.length);
    },
  };
}

/** @param {any} Bokeh @param {string} title @returns {ViewChart} */
function distributionChart(Bokeh, title) {
  const qs = DISTRIBUTION_QUANTILES;
  const field = (/** @type {number} */ k) => `q${k}`;
  const figure = makeFigure(Bokeh, title, "step", "value", true);
  const [yAxis] = figure.yaxis ?? figure.left ?? [];
  if (yAxis) yAxis.formatter = new Bokeh.BasicTickFormatter({ power_limit_low: -5 });
  const columns = () => Object.fromEntries(["step", ...qs.map((_, k) => field(k))].map((c) => [c, []]));
  // two sources with the same columns: hovering inspects the median's source, and an area glyph sharing
  // an inspected source draws only the inspected point (the bands would vanish while hovering)
  const [areas, points] = [new Bokeh.ColumnDataSource({ data: columns() }), new Bokeh.ColumnDataSource({ data: columns() })];
  const x = { field: "step" };
  // nested bands, outermost (min..max) first; each adds the same tint, so the middle is darkest
  for (let k = 0; k < Math.floor(qs.length / 2); k++) {
    figure.varea({ x, y1: { field: field(k) }, y2: { field: field(qs.length - 1 - k) }, source: areas, fill_color: BAND_COLOR, fill_alpha: 0.2 });
  }
  const mid = Math.floor(qs.length / 2);
  const median = figure.line(x, { field: field(mid) }, { source: points, line_color: MEDIAN_COLOR, line_width: 1.5 });
  const marks = figure.scatter(x, { field: field(mid) }, { source: points, color: MEDIAN_COLOR, size: 4 });
  const extent = emptyExtent(Bokeh, figure);
  const span = new Bokeh.Span({ location: null, dimension: "height", line_color: "#d62728", line_dash: "dashed",
    line_width: 1.5, visible: false });
  figure.add_layout(span);
  const tooltips = [["step", "@step"], ...[...qs.keys()].reverse().map((k) => [quantileLabel(qs[k]), `@${field(k)}{%.4g}`])];
  const formatters = Object.fromEntries(qs.map((_, k) => [`@${field(k)}`, "printf"]));
  figure.add_tools(new Bokeh.HoverTool({ mode: "vline", renderers: [median], tooltips, formatters }));
  /** @type {WeakMap<object, Float64Array>} */
  const cache = new WeakMap(); // percentiles per record: a growing run only computes its new records
  return {
    figure,
    mark(record) {
      span.location = record?.step ?? null;
      span.visible = record !== null;
    },
    fill(items) {
      const chosen = Array.from(evenIndices(items.length, MAX_DISTRIBUTION_STEPS), (i) => items[i]);
      const { steps, bands } = distributionBands(chosen, qs, cache);
      const data = { step: steps, ...Object.fromEntries(bands.map((band, k) => [field(k), band])) };
      points.data = data;
      // one step spans no area: widen it to a column one step wide, so its bands still show
      const widen = (/** @type {Float64Array} */ a) => (a === steps ? Float64Array.of(a[0] - 0.5, a[0] + 0.5) : Float64Array.of(a[0], a[0]));
      areas.data = steps.length === 1 ? Object.fromEntries(Object.entries(data).map(([c, a]) => [c, widen(a)])) : { ...data };
      marks.visible = steps.length < MARK_BELOW;
      extent(!items.length);
      return drawnNote(items.length, steps.length);
    },
  };
}

/**
 * A red outline for the record under the step cursor, scaled like the drawn outlines (peak 1, lifted by
 * `offset`); returns the function that moves it.
 * @param {any} Bokeh @param {any} figure
 */
function markedOutline(Bokeh, figure) {
  const empty = () => ({ x: new Float64Array(0), y: new Float64Array(0) });
  const source = new Bokeh.ColumnDataSource({ data: empty() });
  figure.line({ field: "x" }, { field: "y" }, { source, line_color: "#d62728", line_width: 2.5 });
  /** @param {HistogramRecord | null} record @param {number} offset */
  return (record, offset) => {
    source.data = record ? stepOutline(record.edges, normalizedHeights(record.counts), offset) : empty();
  };
}

/** @type {Record<HistogramView, (Bokeh: any, title: string) => ViewChart>} */
const BUILDERS = { overlay: overlayChart, ridgeline: ridgelineChart, distribution: distributionChart };
