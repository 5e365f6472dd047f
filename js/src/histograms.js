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
// The panel draws 15 overlay outlines or 20 ridges and at most MAX_DISTRIBUTION_STEPS steps of the
// distribution, computed by histmath.js; this module only draws (tested in histograms.test.js against a
// BokehJS stand-in).

import { disposeViews } from "./bokeh.js";
import { el } from "./dom.js";
import { formatStep } from "./format.js";
import {
  DISTRIBUTION_QUANTILES, distributionBands, evenIndices, MAX_DISTRIBUTION_STEPS, normalizedHeights, overlayLines,
  quantileLabel, rampColor, ridgelines, stepOutline,
} from "./histmath.js";
import { applyTheme, LIGHT, themeOfElement } from "./theme.js";

/** @typedef {import("./histmath.js").HistogramRecord} HistogramRecord */
/** @typedef {"overlay" | "ridgeline" | "distribution"} HistogramView */
/** @typedef {{ histogramView: HistogramView }} HistogramSettings */

export const VIEWS = /** @type {const} */ (["overlay", "ridgeline", "distribution"]);
// what the panel draws: fewer than MAX_LINES, so that outlines stay apart in a 420 x 260 chart
const PANEL_OVERLAY_LINES = 15;
const PANEL_RIDGES = 20;
const BAND_COLOR = "#3182bd";
const MEDIAN_COLOR = "#08306b";

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
  const element = el("div", "nbtrack-histogram");
  const { label, select } = viewSelect(settings, () => {
    options.onViewChange?.(settings.histogramView);
    schedule().catch(() => {}); // a failed redraw leaves the previous chart; the next update retries
  });
  const steps = stepSlider((index) => {
    ownStep = latest[index]?.step ?? null;
    marked();
  });
  const plot = el("div", "nbtrack-histogram-plot");
  const note = el("div", "nbtrack-histogram-note");
  Object.assign(note.style, { fontSize: "11px", color: "#666", minHeight: "14px" });
  element.append(label, steps.element, plot, note);
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
    marked();
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
  /** @type {number | null} the step picked with the panel's own slider, until the shared cursor moves */
  let ownStep = null;
  /** The record the cursor points at: the last one at or before its step (none when it follows the newest). */
  function cursorRecord() {
    const step = ownStep ?? cursorStep;
    if (step === null) return null;
    let found = null;
    for (const item of latest) if (item.step <= step) found = item;
    return found;
  }

  /** Draw the highlighted record and set the slider to it. */
  function marked() {
    const record = cursorRecord();
    shown?.chart.mark(record);
    element.dataset.cursor = String(record?.step ?? "");
    steps.show(latest, record);
  }

  function removeShown() {
    if (shown) disposeViews(Bokeh, [shown.view]);
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
      ownStep = null;
      marked();
    },
    dispose() {
      disposed = true;
      removeShown();
      element.remove();
    },
  };
}

/**
 * The panel's own step slider: picks the record drawn highlighted, in the browser alone.
 * @param {(index: number) => void} picked called with the index of the chosen record
 */
function stepSlider(picked) {
  const element = el("label", "nbtrack-histogram-steps");
  Object.assign(element.style, { fontSize: "12px", marginLeft: "12px" });
  const slider = el("input", "nbtrack-histogram-step");
  Object.assign(slider, { type: "range", min: "0", step: "1", title: "the step drawn highlighted" });
  slider.style.width = "110px";
  slider.style.verticalAlign = "middle";
  const text = el("span", "nbtrack-histogram-step-label");
  element.append("step ", slider, " ", text);
  slider.addEventListener("input", () => picked(Number(slider.value)));
  return {
    element,
    /** @param {readonly HistogramRecord[]} items @param {HistogramRecord | null} record the highlighted one */
    show(items, record) {
      const index = record ? items.indexOf(record) : items.length - 1;
      slider.max = String(Math.max(0, items.length - 1));
      slider.value = String(Math.max(0, index));
      slider.disabled = items.length < 2;
      text.textContent = record ? formatStep(record.step) : "none";
    },
  };
}

/** @param {HistogramSettings} settings @returns {HistogramView} */
function viewOf(settings) {
  return VIEWS.includes(settings.histogramView) ? settings.histogramView : "overlay";
}

/** The view selector, inside a label. @param {HistogramSettings} settings @param {() => void} changed */
function viewSelect(settings, changed) {
  const select = el("select", "nbtrack-histogram-view");
  for (const value of VIEWS) {
    const option = el("option", "", VIEW_LABELS[value]);
    Object.assign(option, { value, selected: viewOf(settings) === value });
    select.appendChild(option);
  }
  select.addEventListener("change", () => {
    settings.histogramView = /** @type {HistogramView} */ (select.value);
    changed();
  });
  const label = el("label");
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
  applyTheme(figure, typeof document !== "undefined" && document.body ? themeOfElement(document.body) : LIGHT);
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
