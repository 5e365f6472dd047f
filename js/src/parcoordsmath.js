// The maths of the parallel coordinates (parcoords.js): axis scales (linear, log, categorical) and their
// ticks, which config keys and metrics become axes, brushes and the runs they select, and the plot's
// geometry (axis positions, a run's path). Pure: no DOM.

import { asText, formatNumber } from "./format.js";
import { logTicks } from "./lines.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */
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

export const WIDTH = 640;
export const HEIGHT = 260;
export const MARGIN = { top: 44, right: 40, bottom: 14, left: 58 };
export const TOP = MARGIN.top;
export const BOTTOM = HEIGHT - MARGIN.bottom;
const MAX_TICKS = 5;
const MAX_CATEGORY_LABELS = 12;
export const MAX_AXES = 12; // config axes drawn at most (a 640 px plot holds about this many readable ones)
const LOG_DECADES = 2; // an axis of positive values spanning more than this many decades is drawn log
const NON_FINITE = new Map([["nan", NaN], ["inf", Infinity], ["-inf", -Infinity], ["infinity", Infinity],
  ["-infinity", -Infinity]]);

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

/** Whether a value is missing (undefined or null). @param {unknown} value */
export const missing = (value) => value === undefined || value === null;

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
  const axes = varyingConfig(runs).drawn;
  const values = metric ? runs.map((run) => axisValue(run, { source: "summary", name: metric })) : [];
  if (metric && values.some((v) => !missing(v))) axes.push({ key: `summary.${metric}`, name: metric, source: "summary", scale: scaleOf(values) });
  return axes;
}

/**
 * The config keys that vary between runs (with a single run, every key): the first MAX_AXES of them drawn as
 * axes, preferring keys more runs have (a sweep's own keys before a framework's hundred settings that one run
 * logged), in the order first seen; the rest named in `hidden`.
 * @param {readonly RunInfo[]} runs @returns {{ drawn: Axis[], hidden: string[] }}
 */
export function varyingConfig(runs) {
  /** @type {{ name: string, values: unknown[], present: number, order: number }[]} */
  const varying = [];
  for (const name of keysOf(runs, "config")) {
    const values = runs.map((run) => axisValue(run, { source: "config", name }));
    const distinct = new Set(values.map((v) => (missing(v) ? "\u0000" : categoryOf(v))));
    if (runs.length > 1 && distinct.size < 2) continue;
    varying.push({ name, values, present: values.filter((v) => !missing(v)).length, order: varying.length });
  }
  const chosen = [...varying].sort((a, b) => b.present - a.present || a.order - b.order).slice(0, MAX_AXES)
    .sort((a, b) => a.order - b.order);
  const kept = new Set(chosen.map((c) => c.name));
  return {
    drawn: chosen.map(({ name, values }) => ({ key: `config.${name}`, name, source: /** @type {const} */ ("config"),
      scale: scaleOf(values) })),
    hidden: varying.filter((v) => !kept.has(v.name)).map((v) => v.name),
  };
}

/** The config keys axesOf leaves out: the same in every run. @param {readonly RunInfo[]} runs */
export function constantKeys(runs) {
  if (runs.length < 2) return [];
  const { drawn, hidden } = varyingConfig(runs);
  const varying = new Set([...drawn.map((a) => a.name), ...hidden]);
  return keysOf(runs, "config").filter((name) => !varying.has(name));
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
export const yOf = (unit) => BOTTOM - unit * (BOTTOM - TOP);

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

/** A brush from data values: a range on a numeric axis, the categories from lo to hi on a categorical one.
 * @param {Scale} scale @param {number | string} lo @param {number | string} hi @returns {Brush} */
export function brushOf(scale, lo, hi) {
  if (scale.type !== "categorical") {
    const [a, b] = [Number(lo), Number(hi)];
    return { lo: Math.min(a, b), hi: Math.max(a, b) };
  }
  const [i, j] = [lo, hi].map((v) => scale.categories.indexOf(categoryOf(v)));
  if (i < 0 || j < 0) throw new Error(`${categoryOf(i < 0 ? lo : hi)} is not a category of this axis`);
  return { categories: scale.categories.slice(Math.min(i, j), Math.max(i, j) + 1) };
}

/** Whether two selections (null: all runs) are the same. @param {Set<string> | null} a @param {Set<string> | null} b */
export function sameSet(a, b) {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a].every((id) => b.has(id));
}
