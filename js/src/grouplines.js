// A chart's lines when runs are grouped ("group runs by" in the controls): one line per group, the mean of
// its shown runs at each step (groupmath.js), smoothed and reduced to the chart's width as a run's line is
// (lines.js), over a band of min-max or mean +- 1 std drawn as a BokehJS varea in the group's colour. The
// hover names the group and how many runs have a value at that step. groupLineData() is pure;
// createGroupLines() owns the glyphs of one figure.

import { runColor } from "./colors.js";
import { aggregate, bandEnvelope, bandOf } from "./groupmath.js";
import { lineData, xOf } from "./lines.js";
import { groupRuns } from "./rungroups.js";
import { smoothEMA } from "./smoothing.js";

const MARK_ALL_BELOW = 100; // short groups: a marker on every point (one point draws no line)
const TOOLTIPS = [["group", "@run"], ["runs", "@runs"], ["step", "@step"], ["mean", "@value{%.6g}"],
  ["smoothed", "@smoothed{%.6g}"]];

/** @typedef {import("./chart.js").Settings} Settings */
/** @typedef {import("./lines.js").Columns} Columns */
/** @typedef {{ label: string, color: string, runs: Set<string>, size: number }} Group */
/** @typedef {ReturnType<typeof groupLineData>} GroupData */

/**
 * The groups the charts draw under the settings' grouping: every group of the store's runs (its colour
 * fixed by its place among all groups), holding only its shown runs; groups with no shown run are left out.
 * Null when runs are not grouped.
 * @param {import("./store.js").Store} store @param {{ groupBy?: string }} settings @returns {Group[] | null}
 */
export function groupsOf(store, settings) {
  const groups = groupRuns(store.runs.values(), settings.groupBy);
  if (!groups) return null;
  return [...groups].map(([label, ids], i) => ({
    label, color: runColor(i), size: ids.length, runs: new Set(ids.filter((id) => store.shown(id))),
  })).filter((group) => group.runs.size > 0);
}

/**
 * What a chart draws for one group (pure): the mean line as lineData() makes it for a run (smoothed, reduced
 * to `width` over the visible range; hover columns `run` = the group's label, `runs` = "k of n"), and the band
 * (smoothed like the line, reduced by bandEnvelope).
 * @param {Columns[]} members the group's runs' columns for this tag
 * @param {Settings & { groupBand?: "minmax" | "std" }} settings
 * @param {number} width @param {[number, number] | null} visible @param {string} label @param {number} size runs in the group
 */
export function groupLineData(members, settings, width, visible, label, size) {
  const stats = aggregate(members.map((c) => ({ steps: c.steps, values: c.values,
    xs: c.xs ?? (settings.xAxis === "step" ? null : xOf(c, settings.xAxis)) })));
  const line = lineData({ steps: stats.steps, values: stats.mean, times: stats.x, xs: stats.x }, settings, width, visible, label);
  const runs = Array.from(line.smooth.step, (step) => `${stats.count[search(stats.steps, step)] ?? 0} of ${size}`);
  let [lo, hi] = bandOf(stats, settings.groupBand === "std" ? "std" : "minmax");
  if (settings.smoothing > 0) [lo, hi] = [smoothEMA(lo, settings.smoothing), smoothEMA(hi, settings.smoothing)];
  const n = stats.x.length;
  let [x0, x1] = n ? [stats.x[0], stats.x[n - 1]] : [0, 0];
  if (visible && visible[1] > visible[0]) [x0, x1] = [visible[0] - (visible[1] - visible[0]) * 0.05, visible[1] + (visible[1] - visible[0]) * 0.05];
  const band = bandEnvelope(stats.x, lo, hi, x0, x1, width);
  return { ...line, smooth: { ...line.smooth, runs }, band, stats };
}

/** The index of `value` in ascending `sorted` (or where it would go). @param {Float64Array} sorted @param {number} value */
function search(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The group glyphs of one figure: per group a band, a faint raw mean, the smoothed mean and markers.
 * @param {any} Bokeh @param {any} figure
 */
export function createGroupLines(Bokeh, figure) {
  /** @type {Map<string, { band: any, raw: any, smooth: any, marks: any, renderers: any[] }>} */
  const glyphs = new Map();
  const hover = new Bokeh.HoverTool({ mode: "vline", renderers: [], tooltips: TOOLTIPS,
    formatters: { "@value": "printf", "@smoothed": "printf" } });
  figure.add_tools(hover);

  /** @param {Group} group */
  function glyphsFor(group) {
    let made = glyphs.get(group.label);
    if (made) return made;
    const source = () => new Bokeh.ColumnDataSource({ data: { x: [], y: [] } });
    const color = group.color;
    made = { band: new Bokeh.ColumnDataSource({ data: { x: [], lo: [], hi: [] } }), raw: source(), smooth: source(),
      marks: source(), renderers: [] };
    const xy = [{ field: "x" }, { field: "y" }];
    const band = figure.varea({ field: "x" }, { field: "lo" }, { field: "hi" }, { source: made.band, fill_color: color,
      fill_alpha: 0.18 });
    const raw = figure.line(...xy, { source: made.raw, color, line_width: 1, line_alpha: 0.2 });
    const smooth = figure.line(...xy, { source: made.smooth, color, line_width: 2 });
    const marks = figure.scatter(...xy, { source: made.marks, color, size: 5 });
    made.renderers = [band, raw, smooth, marks];
    hover.renderers = [...hover.renderers, smooth];
    glyphs.set(group.label, made);
    return made;
  }

  /**
   * Draw these groups (data from groupLineData, in the same order); hide the other groups' glyphs.
   * @param {Group[]} groups @param {GroupData[]} data
   */
  function fill(groups, data) {
    const drawn = new Set(groups.map((g) => g.label));
    for (const [label, made] of glyphs) made.renderers.forEach((r) => { r.visible = drawn.has(label); });
    groups.forEach((group, i) => {
      const made = glyphsFor(group);
      const d = data[i];
      made.band.data = { x: d.band.x, lo: d.band.lo, hi: d.band.hi };
      made.raw.data = d.raw;
      made.smooth.data = d.smooth;
      made.marks.data = d.raw.x.length < MARK_ALL_BELOW ? d.smooth : d.newest;
    });
  }

  /** Hide every group glyph (runs are not grouped). */
  function hide() {
    for (const made of glyphs.values()) made.renderers.forEach((r) => { r.visible = false; });
  }

  return { fill, hide, glyphs };
}
