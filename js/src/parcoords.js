// Parallel coordinates of the runs' hyperparameters: one vertical axis per config key that differs between
// runs (numbers on a linear or, spanning more than two decades of positive values, a log axis; anything else
// on a categorical axis with its distinct values spread evenly), then one axis for a chosen summary metric.
// Each run is a line in its colour. Dragging vertically on an axis brushes a range: runs outside any brush
// are drawn faint and left out of `state.selected`, which the run table (runtable.js) follows. Drawn as
// inline SVG with plain DOM calls; every logged name and value is set as text (textContent).

import { runColor } from "./charts.js";
import { logTicks } from "./lines.js";
import { asText, formatNumber } from "./panels.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */
/** @typedef {import("./runtable.js").TableState} TableState */
/** @typedef {{ value: number | string, unit: number, label: string }} Tick */
/**
 * How an axis places values: `toUnit` gives 0 (bottom) to 1 (top), NaN for a value it cannot place;
 * `fromUnit` inverts it (for categorical axes it gives a category's position, 0 to n-1).
 * @typedef {{ type: "linear" | "log" | "categorical", domain: [number, number], categories: string[],
 *   toUnit: (value: unknown) => number, fromUnit: (unit: number) => number, ticks: Tick[] }} Scale
 */
/** @typedef {{ key: string, name: string, source: "config" | "summary", scale: Scale }} Axis */
/** A brushed range in data units, or the categories brushed on a categorical axis.
 * @typedef {{ lo: number, hi: number } | { categories: string[] }} Brush */
/** @typedef {{ metric?: string, onMetricChange?: (metric: string) => void }} ParcoordsOptions */

const SVG_NS = "http://www.w3.org/2000/svg";
export const WIDTH = 640;
export const HEIGHT = 260;
const MARGIN = { top: 44, right: 40, bottom: 14, left: 58 };
const TOP = MARGIN.top;
const BOTTOM = HEIGHT - MARGIN.bottom;
const MAX_TICKS = 5;
const MAX_CATEGORY_LABELS = 12;
const LOG_DECADES = 2; // an axis of positive values spanning more than this many decades is drawn log
const DRAG_MIN = 3; // pixels a pointer moves before a press on an axis becomes a brush (less: a click)
const CHAR_WIDTH = 7; // of an 11-pixel bold axis title, for shortening names to the space between axes
const TICK_CHAR_WIDTH = 5.6; // of a 10-pixel tick label
const STAGGER_BELOW = 90; // pixels between axes under which titles alternate between two rows
const MIN_BRUSH = 5; // pixels: a brush on a tiny range stays visible
const NON_FINITE = new Map([["nan", NaN], ["inf", Infinity], ["-inf", -Infinity], ["infinity", Infinity],
  ["-infinity", -Infinity]]);

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

/** A value as a number: numbers, and the names JSON-safe snapshots give non-finite floats ("nan", "inf");
 * null for anything else. @param {unknown} value @returns {number | null} */
export function numberOf(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string") return NON_FINITE.get(value.toLowerCase()) ?? null;
  return null;
}

/** A category's name. @param {unknown} value */
export function categoryOf(value) {
  return typeof value === "number" ? formatNumber(value) : asText(value);
}

/** @param {unknown} value */
const missing = (value) => value === undefined || value === null;

/** A tick label: plain numbers, or powers of ten in e-notation when very small or large. @param {number} t */
function tickLabel(t) {
  const rounded = Number(t.toPrecision(3));
  const tiny = rounded !== 0 && (Math.abs(rounded) < 1e-3 || Math.abs(rounded) >= 1e6);
  return tiny ? rounded.toExponential().replace("e+", "e") : formatNumber(rounded);
}

/** About `max` round numbers inside [lo, hi]. @param {number} lo @param {number} hi @param {number} max */
function linearTicks(lo, hi, max) {
  const raw = (hi - lo) / Math.max(1, max - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5].map((m) => m * power).find((s) => s >= raw)) ?? 10 * power;
  const ticks = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * Ticks of a numeric axis: round values inside, plus both ends of the data (round values very close to
 * an end give way to it). @param {number} lo @param {number} hi @param {boolean} log
 * @param {(value: unknown) => number} toUnit @returns {Tick[]}
 */
function numericTicks(lo, hi, log, toUnit) {
  if (!(hi > lo)) return [{ value: lo, unit: 0.5, label: tickLabel(lo) }];
  const inner = (log ? logTicks(lo, hi, MAX_TICKS) : linearTicks(lo, hi, MAX_TICKS))
    .filter((t) => toUnit(t) > 0.09 && toUnit(t) < 0.91);
  return [lo, ...inner, hi].map((value) => ({ value, unit: toUnit(value), label: tickLabel(value) }));
}

/** @param {number[]} finite at least one finite number @returns {Scale} */
function numericScale(finite) {
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const log = lo > 0 && Math.log10(hi / lo) > LOG_DECADES;
  const [a, b] = log ? [Math.log10(lo), Math.log10(hi)] : [lo, hi];
  const forward = (/** @type {number} */ x) => (log ? Math.log10(x) : x);
  /** @param {unknown} value */
  const toUnit = (value) => {
    const x = numberOf(value);
    if (x === null || !Number.isFinite(x) || (log && x <= 0)) return NaN;
    return b > a ? (forward(x) - a) / (b - a) : x === lo ? 0.5 : x < lo ? 0 : 1;
  };
  /** @param {number} u */
  const fromUnit = (u) => (u <= 0 ? lo : u >= 1 ? hi : log ? 10 ** (a + u * (b - a)) : a + u * (b - a));
  return { type: log ? "log" : "linear", domain: [lo, hi], categories: [], toUnit, fromUnit,
    ticks: numericTicks(lo, hi, log, toUnit) };
}

/** @param {unknown[]} present values, none missing @returns {Scale} */
function categoricalScale(present) {
  const categories = [...new Set(present.map(categoryOf))].sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
  const n = categories.length;
  const unitOf = (/** @type {number} */ i) => (n > 1 ? i / (n - 1) : 0.5);
  const toUnit = (/** @type {unknown} */ value) => {
    const i = missing(value) ? -1 : categories.indexOf(categoryOf(value));
    return i < 0 ? NaN : unitOf(i);
  };
  const stride = Math.ceil(n / MAX_CATEGORY_LABELS);
  const ticks = categories.map((c, i) => ({ value: c, unit: unitOf(i), label: i % stride === 0 || i === n - 1 ? c : "" }));
  return { type: "categorical", domain: [0, Math.max(0, n - 1)], categories, toUnit,
    fromUnit: (u) => u * Math.max(0, n - 1), ticks };
}

/**
 * The scale of an axis holding these values (missing ones, undefined or null, are left out): numeric when
 * every value is a number (or a non-finite float's name) and one is finite; log when all are > 0 and span
 * more than two decades; otherwise categorical, its distinct values in natural order.
 * @param {readonly unknown[]} values @returns {Scale}
 */
export function scaleOf(values) {
  const present = values.filter((v) => !missing(v));
  const numbers = present.map(numberOf);
  const finite = /** @type {number[]} */ (numbers.filter((x) => x !== null && Number.isFinite(x)));
  if (finite.length && numbers.every((x) => x !== null)) return numericScale(finite);
  return categoricalScale(present);
}

/** @param {RunInfo} run @param {{ source: "config" | "summary", name: string }} axis */
export function axisValue(run, axis) {
  return run[axis.source]?.[axis.name];
}

/** Keys of one part of the runs, in the order first seen. @param {readonly RunInfo[]} runs
 * @param {"config" | "summary"} source */
function keysOf(runs, source) {
  /** @type {Set<string>} */
  const keys = new Set();
  for (const run of runs) for (const key of Object.keys(run[source] ?? {})) keys.add(key);
  return [...keys];
}

/** The summary keys whose values are numbers. @param {readonly RunInfo[]} runs */
export function numericMetrics(runs) {
  return keysOf(runs, "summary").filter((name) => scaleOf(runs.map((r) => axisValue(r, { source: "summary", name }))).type !== "categorical");
}

/** The metric shown by default: the first summary key holding "loss", else the first. @param {string[]} metrics */
export function defaultMetric(metrics) {
  return metrics.find((m) => m.toLowerCase().includes("loss")) ?? metrics[0] ?? "";
}

/**
 * The axes for these runs: one per config key (in the order first seen) whose value is not the same in
 * every run (with a single run, every key), then the metric's axis (when a run has it).
 * @param {readonly RunInfo[]} runs @param {string | null | undefined} metric a summary key
 * @returns {Axis[]}
 */
export function axesOf(runs, metric) {
  /** @type {Axis[]} */
  const axes = [];
  for (const name of keysOf(runs, "config")) {
    const values = runs.map((run) => axisValue(run, { source: "config", name }));
    const distinct = new Set(values.map((v) => (missing(v) ? "\u0000" : categoryOf(v))));
    if (runs.length > 1 && distinct.size < 2) continue;
    axes.push({ key: `config.${name}`, name, source: "config", scale: scaleOf(values) });
  }
  const values = metric ? runs.map((run) => axisValue(run, { source: "summary", name: metric })) : [];
  if (metric && values.some((v) => !missing(v))) axes.push({ key: `summary.${metric}`, name: metric, source: "summary", scale: scaleOf(values) });
  return axes;
}

/** The config keys axesOf leaves out: the same in every run. @param {readonly RunInfo[]} runs */
export function constantKeys(runs) {
  if (runs.length < 2) return [];
  const shown = new Set(axesOf(runs, null).map((a) => a.name));
  return keysOf(runs, "config").filter((name) => !shown.has(name));
}

/** Whether a value lies in a brush. @param {unknown} value @param {Brush} brush */
export function inBrush(value, brush) {
  if (missing(value)) return false;
  if ("categories" in brush) return brush.categories.includes(categoryOf(value));
  const x = numberOf(value);
  return x !== null && x >= brush.lo && x <= brush.hi;
}

/**
 * The ids of the runs whose values lie within every brush of these axes (brushes of other axes are
 * ignored); null when no axis is brushed.
 * @param {readonly RunInfo[]} runs @param {readonly Axis[]} axes @param {Map<string, Brush>} brushes
 * @returns {Set<string> | null}
 */
export function selectRuns(runs, axes, brushes) {
  const active = axes.filter((axis) => brushes.has(axis.key));
  if (!active.length) return null;
  const inside = (/** @type {RunInfo} */ run) => active.every((axis) => inBrush(axisValue(run, axis), /** @type {Brush} */ (brushes.get(axis.key))));
  return new Set(runs.filter(inside).map((run) => run.id));
}

/**
 * A brush from a range of an axis in units (0 bottom, 1 top): the data range for a numeric axis; for a
 * categorical axis the categories inside it, or the one nearest its middle when none is.
 * @param {Scale} scale @param {number} u0 @param {number} u1 @returns {Brush}
 */
export function brushFromUnits(scale, u0, u1) {
  const [lo, hi] = [Math.max(0, Math.min(u0, u1)), Math.min(1, Math.max(u0, u1))];
  if (scale.type !== "categorical") return { lo: scale.fromUnit(lo), hi: scale.fromUnit(hi) };
  const inside = scale.categories.filter((c) => scale.toUnit(c) >= lo && scale.toUnit(c) <= hi);
  if (inside.length) return { categories: inside };
  const middle = (lo + hi) / 2;
  const distance = (/** @type {string} */ c) => Math.abs(scale.toUnit(c) - middle);
  return { categories: [scale.categories.reduce((best, c) => (distance(c) < distance(best) ? c : best))] };
}

/** The units a brush covers on its axis, [low, high], padded a little for categories. @param {Scale} scale
 * @param {Brush} brush @returns {[number, number]} */
export function brushUnits(scale, brush) {
  if ("categories" in brush) {
    const units = brush.categories.map((c) => scale.toUnit(c)).filter((u) => !Number.isNaN(u));
    const pad = scale.categories.length > 1 ? 0.25 / (scale.categories.length - 1) : 0.1;
    return units.length ? [Math.max(0, Math.min(...units) - pad), Math.min(1, Math.max(...units) + pad)] : [0, 0];
  }
  const clamp = (/** @type {number} */ u) => Math.max(0, Math.min(1, Number.isNaN(u) ? 0 : u));
  const ends = [brush.lo, brush.hi].map((x) => clamp(scale.type === "log" && x <= 0 ? 0 : scale.toUnit(x)));
  return [Math.min(...ends), Math.max(...ends)];
}

/** A long name cut to `max` characters, keeping its start and end around an ellipsis. @param {string} name
 * @param {number} max */
export function shorten(name, max) {
  if (name.length <= max) return name;
  if (max < 2) return "…";
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

/** The x of each of n axes. @param {number} n */
export function axisPositions(n) {
  const inner = WIDTH - MARGIN.left - MARGIN.right;
  return Array.from({ length: n }, (_, i) => MARGIN.left + (n > 1 ? (i * inner) / (n - 1) : inner / 2));
}

/** A y in the plot from an axis unit. @param {number} unit */
const yOf = (unit) => BOTTOM - unit * (BOTTOM - TOP);

/**
 * The SVG path of a run across the axes; a missing value breaks the line. Also the points with no
 * neighbour drawn (they are marked with a dot).
 * @param {RunInfo} run @param {readonly Axis[]} axes @param {number[]} xs
 */
export function runPath(run, axes, xs) {
  /** @type {string[]} */
  const parts = [];
  /** @type {[number, number][]} */
  const lonely = [];
  const units = axes.map((axis) => axis.scale.toUnit(axisValue(run, axis)));
  units.forEach((u, i) => {
    if (Number.isNaN(u)) return;
    const joined = i > 0 && !Number.isNaN(units[i - 1]);
    parts.push(`${joined ? "L" : "M"}${xs[i].toFixed(1)},${yOf(u).toFixed(1)}`);
    if (!joined && (i === units.length - 1 || Number.isNaN(units[i + 1]))) lonely.push([xs[i], yOf(u)]);
  });
  return { d: parts.join(""), lonely };
}

// ---------------------------------------------------------------------------------------------------------
// Drawing

/** @template {keyof SVGElementTagNameMap} K @param {K} tag @param {Record<string, string | number>} [attrs]
 * @returns {SVGElementTagNameMap[K]} */
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** An SVG text with its text set as text. @param {string} text @param {Record<string, string | number>} attrs */
function label(text, attrs) {
  const node = svg("text", attrs);
  node.textContent = text;
  return node;
}

/** A tooltip (SVG title) holding text. @param {string} text */
function tooltip(text) {
  const node = svg("title");
  node.textContent = text;
  return node;
}

/**
 * One axis: its line, ticks, title (shortened to the space it has; the full name in a tooltip), its brush
 * rectangle and a wide transparent strip that takes the pointer.
 * @param {Axis} axis @param {number} x @param {Brush | undefined} brush
 * @param {{ room: number, gap: number, row: number, isMetric: boolean }} layout room: pixels a title may take;
 * gap: pixels to the axis before (tick labels sit left of the axis); row: -1 for a title with the scale's
 * kind under it, 0 or 1 for staggered titles (crowded axes)
 */
function drawAxis(axis, x, brush, layout) {
  const g = svg("g", { class: "nbtrack-hparam-axis", "data-axis": axis.key });
  g.append(svg("line", { x1: x, x2: x, y1: TOP, y2: BOTTOM, stroke: "#555", "stroke-width": 1 }));
  for (const tick of axis.scale.ticks) {
    const y = yOf(tick.unit);
    g.append(svg("line", { x1: x - 3, x2: x, y1: y, y2: y, stroke: "#555" }));
    if (tick.label) {
      g.append(label(shorten(tick.label, Math.max(6, Math.floor((layout.gap - 12) / TICK_CHAR_WIDTH))), { x: x - 5, y: y + 3, "text-anchor": "end", "font-size": 10,
        fill: "#444", stroke: "#fff", "stroke-width": 3, "paint-order": "stroke", "stroke-linejoin": "round" }));
    }
  }
  g.append(axisTitle(axis, x, layout));
  const kind = layout.isMetric ? "metric" : axis.scale.type === "linear" ? "" : axis.scale.type;
  if (kind && layout.row < 0) {
    g.append(label(kind === "log" ? "log scale" : kind, { x, y: TOP - 9, "text-anchor": "middle", "font-size": 9, fill: "#888" }));
  }
  if (brush) {
    const [u0, u1] = brushUnits(axis.scale, brush);
    const [y0, y1] = [yOf(u1), yOf(u0)];
    const height = Math.max(MIN_BRUSH, y1 - y0);
    g.append(svg("rect", { class: "nbtrack-hparam-brush", x: x - 8, width: 16, y: Math.min(y0, BOTTOM - height),
      height, fill: "#1f77b4", "fill-opacity": 0.18, stroke: "#1f77b4", "stroke-width": 1, rx: 2, "pointer-events": "none" }));
  }
  g.append(svg("rect", { class: "nbtrack-hparam-hit", "data-axis": axis.key, x: x - 12, width: 24, y: TOP - 4,
    height: BOTTOM - TOP + 8, fill: "#000", "fill-opacity": 0, "pointer-events": "all", cursor: "ns-resize" }));
  return g;
}

/** An axis's title, shortened to its room, kept inside the plot, with the full name as a tooltip.
 * @param {Axis} axis @param {number} x @param {{ room: number, gap: number, row: number, isMetric: boolean }} layout */
function axisTitle(axis, x, layout) {
  const title = shorten(axis.name, Math.max(4, Math.floor((layout.room - 6) / CHAR_WIDTH)));
  const half = (title.length * CHAR_WIDTH) / 2;
  const y = layout.row < 0 ? TOP - 22 : layout.row === 0 ? TOP - 30 : TOP - 16;
  const text = label(title, { x: Math.min(WIDTH - 2 - half, Math.max(2 + half, x)), y, "text-anchor": "middle",
    "font-size": 11, "font-weight": layout.isMetric ? 700 : 600, fill: layout.isMetric ? "#1f4e79" : "#222" });
  text.append(tooltip(`${axis.source}: ${axis.name}`));
  return text;
}

/** A run's tooltip: its name and its value on each axis. @param {RunInfo} run @param {readonly Axis[]} axes */
function runTooltip(run, axes) {
  const values = axes.map((axis) => {
    const value = axisValue(run, axis);
    return `${axis.name}: ${missing(value) ? "–" : categoryOf(value)}`;
  });
  return [run.name, ...values].join("\n");
}

/**
 * The runs' lines: faint ones (outside the selection) first, behind the selected ones.
 * @param {readonly RunInfo[]} runs drawn runs @param {readonly Axis[]} axes @param {Set<string> | null} selected
 */
function drawLines(runs, axes, selected) {
  const g = svg("g", { class: "nbtrack-hparam-lines", fill: "none" });
  const xs = axisPositions(axes.length);
  const faint = (/** @type {RunInfo} */ run) => selected !== null && !selected.has(run.id);
  for (const run of [...runs.filter(faint), ...runs.filter((r) => !faint(r))]) {
    const color = runColor(run.index);
    const line = svg("g", { class: "nbtrack-hparam-run", "data-run": run.id, "data-faint": String(faint(run)),
      stroke: color, "stroke-opacity": faint(run) ? 0.13 : 0.9 });
    const { d, lonely } = runPath(run, axes, xs);
    const path = svg("path", { d, "stroke-width": 1.6, "stroke-linejoin": "round" });
    line.append(path, ...lonely.map(([cx, cy]) => svg("circle", { cx, cy, r: 2.5, fill: color, stroke: "none" })));
    line.append(tooltip(runTooltip(run, axes)));
    line.addEventListener("pointerenter", () => path.setAttribute("stroke-width", "3.2"));
    line.addEventListener("pointerleave", () => path.setAttribute("stroke-width", "1.6"));
    g.append(line);
  }
  return g;
}

/** @template {keyof HTMLElementTagNameMap} K @param {K} tag @param {string} className @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]} */
function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------------------------------------------------
// The view

/**
 * The parallel coordinates inside `container`: a metric selector, the SVG plot and a note. Hidden runs
 * (`state.hidden`) are not drawn, and the axes and scales follow the runs drawn. Brushing (a vertical drag
 * on an axis; a click on an axis clears its brush) sets `state.selected` and calls `onChange()`; so does
 * `brush(axisKey, lo, hi)` (data units; categories by name on a categorical axis; lo null clears), and an
 * `update` that changes the selection (the caller then updates the run table). Brushes of axes that go away
 * (hidden runs, another metric) are dropped. The element carries data-axes (axis keys joined by "|"),
 * data-selected (runs selected: all runs when nothing is brushed), data-brushes, data-drawn, data-metric.
 * @param {HTMLElement} container @param {readonly RunInfo[]} runs @param {TableState} state
 * @param {() => void} onChange @param {ParcoordsOptions} [options]
 */
export function createParallelCoordinates(container, runs, state, onChange, options = {}) {
  const view = frame();
  container.appendChild(view.element);
  const model = { runs, metric: options.metric ?? "", axes: /** @type {Axis[]} */ ([]),
    brushes: /** @type {Map<string, Brush>} */ (new Map()) };

  const drawnRuns = () => model.runs.filter((run) => !state.hidden.has(run.id));
  /** @param {Set<string> | null} selected */
  const paint = (selected) => {
    const drawn = drawnRuns();
    draw(view, drawn, model.axes, model.brushes, selected);
    describe(view, model, drawn, constantKeys(drawn), selected);
  };

  /** Redraw and recompute the selection; returns whether the selection changed. */
  function render() {
    const metrics = numericMetrics(model.runs);
    if (!metrics.includes(model.metric)) model.metric = defaultMetric(metrics);
    fillSelect(view.select, metrics, model.metric);
    model.axes = axesOf(drawnRuns(), model.metric);
    for (const key of model.brushes.keys()) if (!model.axes.some((a) => a.key === key)) model.brushes.delete(key);
    const before = state.selected;
    state.selected = selectRuns(model.runs, model.axes, model.brushes);
    paint(state.selected);
    return !sameSet(before, state.selected);
  }
  /** After a brush changed (by the pointer, the API, the clear button or the metric). */
  const brushed = () => {
    render();
    onChange();
  };

  view.select.addEventListener("change", () => {
    model.metric = view.select.value;
    options.onMetricChange?.(model.metric);
    brushed();
  });
  view.clear.addEventListener("click", () => {
    model.brushes.clear();
    brushed();
  });
  const preview = () => paint(selectRuns(model.runs, model.axes, model.brushes));
  const stopBrushing = attachBrushing(view, model, preview, (changed) => (changed ? brushed() : undefined));
  render();
  return {
    element: view.element,
    /** @param {readonly RunInfo[]} next */
    update(next) {
      model.runs = next;
      if (render()) onChange();
    },
    /** Brush an axis programmatically (lo null clears its brush). @param {string} axisKey
     * @param {number | string | null} lo @param {number | string | null} [hi] */
    brush(axisKey, lo, hi = lo) {
      const axis = model.axes.find((a) => a.key === axisKey);
      if (!axis) throw new Error(`no axis ${axisKey}; the axes are ${model.axes.map((a) => a.key).join(", ")}`);
      if (lo === null) model.brushes.delete(axisKey);
      else model.brushes.set(axisKey, brushOf(axis.scale, lo, hi ?? lo));
      brushed();
    },
    dispose() {
      stopBrushing();
      view.element.remove();
    },
  };
}

/** A brush from data values: a range on a numeric axis, the categories from lo to hi on a categorical one.
 * @param {Scale} scale @param {number | string} lo @param {number | string} hi @returns {Brush} */
function brushOf(scale, lo, hi) {
  if (scale.type !== "categorical") {
    const [a, b] = [Number(lo), Number(hi)];
    return { lo: Math.min(a, b), hi: Math.max(a, b) };
  }
  const [i, j] = [lo, hi].map((v) => scale.categories.indexOf(categoryOf(v)));
  if (i < 0 || j < 0) throw new Error(`${categoryOf(i < 0 ? lo : hi)} is not a category of this axis`);
  return { categories: scale.categories.slice(Math.min(i, j), Math.max(i, j) + 1) };
}

/** @param {Set<string> | null} a @param {Set<string> | null} b */
function sameSet(a, b) {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a].every((id) => b.has(id));
}

/** The view's fixed parts. */
function frame() {
  const element = el("div", "nbtrack-hparams");
  Object.assign(element.style, { font: '12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif', color: "#222",
    margin: "6px 0", maxWidth: `${WIDTH}px` });
  const bar = el("div", "nbtrack-hparam-bar");
  Object.assign(bar.style, { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "4px 12px" });
  const select = el("select", "nbtrack-hparam-metric");
  select.title = "the summary value drawn on the last axis";
  const metricLabel = el("label", "nbtrack-hparam-metric-label");
  metricLabel.append("metric ", select);
  const status = el("span", "nbtrack-hparam-status");
  status.style.color = "#666";
  const clear = el("button", "nbtrack-hparam-clear", "clear selection");
  clear.type = "button";
  bar.append(metricLabel, status, clear);
  const plot = svg("svg", { class: "nbtrack-hparam-plot", width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    "font-family": 'system-ui, -apple-system, "Segoe UI", sans-serif' });
  Object.assign(plot.style, { display: "block", maxWidth: "100%", height: "auto", touchAction: "none", userSelect: "none" });
  const note = el("div", "nbtrack-hparam-note");
  Object.assign(note.style, { fontSize: "11px", color: "#777", minHeight: "14px" });
  element.append(bar, plot, note);
  return { element, select, status, clear, plot, note };
}

/** @param {HTMLSelectElement} select @param {string[]} metrics @param {string} chosen */
function fillSelect(select, metrics, chosen) {
  const have = [...select.children].map((o) => /** @type {HTMLOptionElement} */ (o).value);
  if (have.join("\u0000") !== metrics.join("\u0000")) {
    select.replaceChildren(...metrics.map((m) => Object.assign(el("option", "", m), { value: m, selected: m === chosen })));
  }
  select.value = chosen;
  select.disabled = metrics.length === 0;
}

/**
 * Draw the plot. @param {ReturnType<typeof frame>} view @param {readonly RunInfo[]} drawn
 * @param {readonly Axis[]} axes @param {Map<string, Brush>} brushes @param {Set<string> | null} selected
 */
function draw(view, drawn, axes, brushes, selected) {
  const xs = axisPositions(axes.length);
  const room = axes.length > 1 ? xs[1] - xs[0] : WIDTH / 2;
  const parts = [];
  if (!axes.length) {
    parts.push(label(drawn.length ? "no config or numeric summary to compare" : "no runs shown",
      { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", "font-size": 12, fill: "#888" }));
  }
  parts.push(drawLines(drawn, axes, selected));
  const stagger = room < STAGGER_BELOW && axes.length > 2;
  axes.forEach((axis, i) => parts.push(drawAxis(axis, xs[i], brushes.get(axis.key), {
    room: stagger ? 2 * room : room, gap: i > 0 ? room : MARGIN.left, row: stagger ? i % 2 : -1,
    isMetric: axis.source === "summary" })));
  view.plot.replaceChildren(...parts);
}

/**
 * The status line, the note and the data attributes. @param {ReturnType<typeof frame>} view
 * @param {{ runs: readonly RunInfo[], metric: string, axes: Axis[], brushes: Map<string, Brush> }} model
 * @param {readonly RunInfo[]} drawn @param {string[]} constant @param {Set<string> | null} selected
 */
function describe(view, model, drawn, constant, selected) {
  const count = selected ? selected.size : model.runs.length;
  view.status.textContent = selected ? `${count} of ${model.runs.length} runs selected`
    : model.axes.length ? "drag along an axis to select runs" : "";
  view.clear.style.visibility = selected ? "visible" : "hidden";
  const shown = constant.slice(0, 4).map((name) => `${name}=${categoryOf(drawn[0]?.config?.[name])}`);
  const more = constant.length > 4 ? `, … (${constant.length - 4} more)` : "";
  view.note.textContent = constant.length ? `same in every run: ${shown.join(", ")}${more}` : "";
  Object.assign(view.element.dataset, { axes: model.axes.map((a) => a.key).join("|"), selected: String(count),
    drawn: String(drawn.length), metric: model.metric, brushes: String(model.axes.filter((a) => model.brushes.has(a.key)).length) });
}

/**
 * Pointer brushing on the plot: a press on an axis strip then a vertical drag sets that axis's brush
 * (redrawn live with `preview`; `commit` when released); a press released without dragging clears it;
 * a cancelled drag puts back the brush there was.
 * Returns a function that removes the listeners.
 * @param {ReturnType<typeof frame>} view
 * @param {{ axes: Axis[], brushes: Map<string, Brush> }} model
 * @param {() => void} preview @param {(changed: boolean) => void} commit
 */
function attachBrushing(view, model, preview, commit) {
  /** @type {{ key: string, y: number, id: number, moved: boolean, before: Brush | undefined } | null} */
  let drag = null;
  /** @param {PointerEvent} event */
  const yAt = (event) => {
    const box = view.plot.getBoundingClientRect();
    return (event.clientY - box.top) * (box.height > 0 ? HEIGHT / box.height : 1);
  };
  const unitAt = (/** @type {number} */ y) => Math.max(0, Math.min(1, (BOTTOM - y) / (BOTTOM - TOP)));
  /** @param {Event} e */
  const down = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    const key = /** @type {Element} */ (event.target).getAttribute?.("data-axis");
    if (!key || event.button > 0) return;
    event.preventDefault();
    drag = { key, y: yAt(event), id: event.pointerId, moved: false, before: model.brushes.get(key) };
    view.plot.setPointerCapture?.(event.pointerId);
  };
  /** @param {Event} e */
  const move = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    const axis = drag && model.axes.find((a) => a.key === drag?.key);
    if (!drag || !axis || event.pointerId !== drag.id) return;
    const y = yAt(event);
    if (!drag.moved && Math.abs(y - drag.y) < DRAG_MIN) return;
    drag.moved = true;
    model.brushes.set(axis.key, brushFromUnits(axis.scale, unitAt(drag.y), unitAt(y)));
    preview();
  };
  /** @param {Event} e */
  const up = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    if (!drag || event.pointerId !== drag.id) return;
    const { key, moved, before } = drag;
    drag = null;
    view.plot.releasePointerCapture?.(event.pointerId);
    if (event.type === "pointercancel") {
      if (before) model.brushes.set(key, before);
      else model.brushes.delete(key);
      preview();
      return;
    }
    if (!moved) model.brushes.delete(key);
    commit(moved || before !== undefined);
  };
  const listeners = /** @type {[string, (e: Event) => void][]} */ ([["pointerdown", down], ["pointermove", move],
    ["pointerup", up], ["pointercancel", up]]);
  for (const [type, fn] of listeners) view.plot.addEventListener(type, fn);
  return () => { for (const [type, fn] of listeners) view.plot.removeEventListener(type, fn); };
}
