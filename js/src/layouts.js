// TensorBoard's custom scalars layouts (pure: no DOM, no Bokeh). A run's info may carry `layout`
// ({categories: [{title, closed, charts: [{title, multiline: [regex]} | {title, margin: [{value, lower,
// upper}]}]}]}); mergeLayouts() joins every run's into one (same category title and chart title: one chart),
// layoutSeries() picks the store's series a layout chart draws (multiline: every tag any regex matches, as
// JavaScript RegExp searches; margin: each entry's value tag), and marginBand() the band between an
// entry's lower and upper tags at the steps both have.

import { bandEnvelope } from "./groupmath.js";
import { xOf } from "./lines.js";
import { smoothEMA } from "./smoothing.js";

/**
 * @typedef {{ value: string, lower: string, upper: string }} MarginEntry
 * @typedef {{ title: string, multiline: string[], margin: MarginEntry[] }} LayoutChart
 * @typedef {{ title: string, closed: boolean, charts: LayoutChart[] }} LayoutCategory
 * @typedef {import("./store.js").Series} Series
 */

/**
 * The custom scalars layout of all `runs` together: categories in the order first seen, each chart once
 * per (category title, chart title) with the union of the runs' regexes and margin entries. A category is
 * closed when the first run that has it says so. Malformed parts are skipped.
 * @example
 * mergeLayouts([{ layout: { categories: [{ title: "L", charts: [{ title: "c", multiline: ["a"] }] }] } },
 *   { layout: { categories: [{ title: "L", charts: [{ title: "c", multiline: ["b"] }] }] } }])
 * // [{ title: "L", closed: false, charts: [{ title: "c", multiline: ["a", "b"], margin: [] }] }]
 * @param {Iterable<{ layout?: unknown }>} runs @returns {LayoutCategory[]}
 */
export function mergeLayouts(runs) {
  /** @type {Map<string, LayoutCategory & { byTitle: Map<string, LayoutChart> }>} */
  const categories = new Map();
  for (const run of runs) {
    for (const category of listOf(/** @type {any} */ (run.layout)?.categories)) {
      const title = String(category?.title ?? "");
      let merged = categories.get(title);
      if (!merged) {
        merged = { title, closed: Boolean(category?.closed), charts: [], byTitle: new Map() };
        categories.set(title, merged);
      }
      for (const chart of listOf(category?.charts)) addChart(merged, chart);
    }
  }
  return [...categories.values()].map(({ title, closed, charts }) => ({ title, closed, charts }));
}

/** @param {unknown} value @returns {any[]} */
const listOf = (value) => (Array.isArray(value) ? value : []);

/** Merge one layout chart into its category. @param {LayoutCategory & { byTitle: Map<string, LayoutChart> }} category
 * @param {any} chart */
function addChart(category, chart) {
  const title = String(chart?.title ?? "");
  let merged = category.byTitle.get(title);
  if (!merged) {
    merged = { title, multiline: [], margin: [] };
    category.byTitle.set(title, merged);
    category.charts.push(merged);
  }
  for (const pattern of listOf(chart?.multiline)) {
    if (!merged.multiline.includes(String(pattern))) merged.multiline.push(String(pattern));
  }
  for (const entry of listOf(chart?.margin)) {
    const made = { value: String(entry?.value ?? ""), lower: String(entry?.lower ?? ""), upper: String(entry?.upper ?? "") };
    if (made.value && !merged.margin.some((m) => m.value === made.value && m.lower === made.lower && m.upper === made.upper)) {
      merged.margin.push(made);
    }
  }
}

/**
 * The regexes of a multiline chart; one that JavaScript cannot compile is listed in `errors` instead.
 * @param {string[]} patterns @returns {{ regexes: RegExp[], errors: string[] }}
 */
export function compilePatterns(patterns) {
  /** @type {RegExp[]} */
  const regexes = [];
  /** @type {string[]} */
  const errors = [];
  for (const pattern of patterns) {
    try {
      regexes.push(new RegExp(pattern));
    } catch (error) {
      errors.push(`${pattern}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { regexes, errors };
}

/**
 * What a layout chart draws from the store's series (in the store's order): the series of every tag that a
 * multiline regex matches, and each margin entry's value series with its lower and upper series; `note` says
 * what could not be drawn (an invalid regex, nothing matched yet).
 * @param {LayoutChart} chart @param {Iterable<Series>} series
 * @returns {{ members: Series[], bands: { value: Series, lower: Series | null, upper: Series | null }[], note: string }}
 */
export function layoutSeries(chart, series) {
  const { regexes, errors } = compilePatterns(chart.multiline);
  const all = [...series];
  const members = all.filter((s) => regexes.some((r) => r.test(s.key)));
  /** @type {Map<string, Series>} */
  const byId = new Map(all.map((s) => [`${s.run}\u0000${s.key}`, s]));
  const bands = chart.margin.flatMap((entry) => all.filter((s) => s.key === entry.value).map((value) => ({
    value,
    lower: byId.get(`${value.run}\u0000${entry.lower}`) ?? null,
    upper: byId.get(`${value.run}\u0000${entry.upper}`) ?? null,
  })));
  for (const band of bands) if (!members.includes(band.value)) members.push(band.value);
  const notes = errors.map((e) => `invalid regex ${e}`);
  if (!members.length && !errors.length) notes.push("no scalar tag matches this chart yet");
  return { members, bands, note: notes.join("; ") };
}

/**
 * The band of a margin entry for one run: at each step that both the lower and the upper series have, x (in
 * the settings' x axis mode, from the lower series) and the two values, smoothed like the lines and reduced
 * to `width` columns. On a log axis the steps where either edge is not positive are left out, and the band
 * is cut there into segments (so it never bridges what cannot be drawn).
 * @param {import("./lines.js").Columns} lower @param {import("./lines.js").Columns} upper
 * @param {{ smoothing: number, xAxis: import("./lines.js").Settings["xAxis"], logY?: boolean }} settings
 * @param {number} width @returns {{ x: Float64Array, lo: Float64Array, hi: Float64Array }[]}
 */
export function marginBand(lower, upper, settings, width) {
  /** @type {Map<number, number>} */
  const upperAt = new Map();
  for (let i = 0; i < upper.steps.length; i++) upperAt.set(upper.steps[i], upper.values[i]);
  const xs = xOf(lower, settings.xAxis);
  /** @type {{ x: number[], lo: number[], hi: number[] }[]} */
  const segments = [];
  let open = false;
  for (let i = 0; i < lower.steps.length; i++) {
    const top = upperAt.get(lower.steps[i]);
    if (top === undefined) continue;
    if (settings.logY && !(top > 0 && lower.values[i] > 0)) {
      open = false;
      continue;
    }
    if (!open) segments.push({ x: [], lo: [], hi: [] });
    open = true;
    const segment = segments[segments.length - 1];
    segment.x.push(xs[i]);
    segment.lo.push(lower.values[i]);
    segment.hi.push(top);
  }
  const smooth = (/** @type {number[]} */ ys) => (settings.smoothing > 0 ? smoothEMA(Float64Array.from(ys), settings.smoothing)
    : Float64Array.from(ys));
  return segments.map(({ x, lo, hi }) => bandEnvelope(x, smooth(lo), smooth(hi), x[0], x[x.length - 1], width));
}

/** Dash patterns that tell a chart's tags apart (the run keeps its colour): the n-th tag gets the n-th. */
export const DASHES = ["solid", "dashed", "dotted", "dotdash", "dashdot", [6, 2, 2, 2, 2, 2]];

/**
 * Each tag of a chart's members with its dash pattern, in order of first appearance.
 * @param {Series[]} members @returns {Map<string, string | number[]>}
 */
export function dashesOf(members) {
  /** @type {Map<string, string | number[]>} */
  const out = new Map();
  for (const s of members) if (!out.has(s.key)) out.set(s.key, DASHES[out.size % DASHES.length]);
  return out;
}
