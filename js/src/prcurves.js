// PR-curve panels: one per tag, every run's curve overlaid in its run colour, drawn with BokehJS like
// TensorBoard's PR curve plugin (precision over recall, both axes 0..1, a step label). A step slider and a
// "latest" switch move the dashboard's shared step cursor; each run shows its curve at the cursor's step
// (its last step at or before it). Hovering a point shows the run, step, threshold, precision, recall and
// the counts TP, FP, TN, FN. The tag is drawn as canvas text (the Bokeh title) and as a text node.

import { disposeViews } from "./bokeh.js";
import { runColor } from "./colors.js";
import { el } from "./dom.js";
import { formatStep } from "./format.js";
import { stepBar } from "./media.js";
import { runBadge } from "./panels.js";
import { curvePoints, decodePRCurve, runStep, unionSteps } from "./prcurvemath.js";
import { applyTheme, LIGHT, themeOfElement } from "./theme.js";

export const PR_CURVE_KIND = "pr_curve";
const WIDTH = 420;
const HEIGHT = 320;
const TOOLS = "pan,wheel_zoom,box_zoom,reset,save";
export const TOOLTIPS = [["run", "@run"], ["step", "@step"], ["threshold", "@threshold{0.000}"],
  ["precision", "@precision{0.0000}"], ["recall", "@recall{0.0000}"], ["TP", "@tp{0,0.[00]}"],
  ["FP", "@fp{0,0.[00]}"], ["TN", "@tn{0,0.[00]}"], ["FN", "@fn{0,0.[00]}"]];
const POINT_COLUMNS = ["recall", "precision", "threshold", "tp", "fp", "tn", "fn"];

/** @typedef {import("./store.js").MediaSeries} MediaSeries */
/** @typedef {import("./store.js").MediaRecord} MediaRecord */
/** @typedef {import("./prcurvemath.js").CurvePoints} CurvePoints */
/** @typedef {{ step: number | null, set: (step: number | null) => void, subscribe: (f: () => void) => () => void }} Cursor */

/** @type {WeakMap<MediaRecord, CurvePoints | Error>} */
const decoded = new WeakMap();

/** A record's points (decoded once per record), or the error that stops it from drawing. @param {MediaRecord} record */
export function pointsOf(record) {
  let points = decoded.get(record);
  if (!points) {
    try {
      if (!record.data[0]) throw new Error("the curve was too large to send to the browser");
      points = curvePoints(decodePRCurve(record.data[0]));
    } catch (error) {
      points = error instanceof Error ? error : new Error(String(error));
    }
    decoded.set(record, points);
  }
  return points;
}

/**
 * What one tag's figure draws at `step` (null: the newest): one line per run, and every point for hovering.
 * @param {readonly MediaSeries[]} series the tag's series, one per run, in run order
 * @param {number | null} step @param {(run: string) => { name: string, color: string }} runOf
 * @returns {{ lines: { xs: Float64Array[], ys: Float64Array[], color: string[], run: string[], step: number[] },
 *   points: Record<string, any[] | Float64Array>, problems: string[] }}
 */
export function drawnAt(series, step, runOf) {
  /** @type {{ xs: Float64Array[], ys: Float64Array[], color: string[], run: string[], step: number[] }} */
  const lines = { xs: [], ys: [], color: [], run: [], step: [] };
  /** @type {Record<string, number[]>} */
  const columns = Object.fromEntries(POINT_COLUMNS.map((c) => [c, []]));
  /** @type {{ run: string[], step: number[], color: string[] }} */
  const labels = { run: [], step: [], color: [] };
  /** @type {string[]} */
  const problems = [];
  for (const s of series) {
    const shown = runStep(s.steps(), step);
    if (shown === null) continue;
    const { name, color } = runOf(s.run);
    for (const record of s.at(shown)) {
      const points = pointsOf(record);
      if (points instanceof Error) {
        problems.push(`${name} at step ${formatStep(shown)}: ${points.message}`);
        continue;
      }
      lines.xs.push(points.recall);
      lines.ys.push(points.precision);
      lines.color.push(color);
      lines.run.push(name);
      lines.step.push(shown);
      for (const c of POINT_COLUMNS) columns[c].push(.../** @type {any} */ (points)[c]);
      for (let i = 0; i < points.recall.length; i++) {
        labels.run.push(name);
        labels.step.push(shown);
        labels.color.push(color);
      }
    }
  }
  const points = { ...Object.fromEntries(POINT_COLUMNS.map((c) => [c, Float64Array.from(columns[c])])), ...labels };
  return { lines, points, problems };
}

/**
 * The PR-curve panels of a dashboard, one per tag of kind pr_curve, inside `box`. `update(match)` makes
 * panels for new tags, redraws the ones whose records changed, and hides those whose tag `match` rejects.
 * @param {import("./store.js").Store} store @param {HTMLElement} box @param {Cursor} cursor
 * @param {() => any} bokeh BokehJS once loaded, else null (panels are made once it is there)
 */
export function createPRCurvePanels(store, box, cursor, bokeh) {
  /** @type {Map<string, ReturnType<typeof prCurvePanel>>} */
  const panels = new Map();
  /** @param {(key: string) => boolean} [match] */
  const update = (match = () => true) => {
    /** @type {Map<string, MediaSeries[]>} */
    const byTag = new Map();
    for (const series of store.media.values()) {
      if (series.kind !== PR_CURVE_KIND) continue;
      if (!byTag.has(series.key)) byTag.set(series.key, []);
      /** @type {MediaSeries[]} */ (byTag.get(series.key)).push(series);
    }
    const Bokeh = bokeh();
    for (const [key, series] of byTag) {
      try { // one panel that fails must not stop the others
        let panel = panels.get(key);
        if (!panel) {
          if (!Bokeh) continue; // made once BokehJS is there
          panel = prCurvePanel(Bokeh, store, key, cursor);
          box.appendChild(panel.element);
          panels.set(key, panel);
        }
        panel.update(series);
      } catch (error) {
        console.error(`nbtrack: the PR curve panel of ${key} failed`, error);
      }
    }
    for (const [key, panel] of panels) {
      const hidden = !match(key);
      if (panel.element.hidden !== hidden) panel.element.hidden = hidden;
    }
  };
  const dispose = () => {
    for (const panel of panels.values()) panel.dispose();
    panels.clear();
  };
  return { update, dispose };
}

/**
 * One tag's panel: a bar (title, step slider, step label, "latest") over the BokehJS figure and a note.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {string} key @param {Cursor} cursor
 */
function prCurvePanel(Bokeh, store, key, cursor) {
  const element = el("div", "nbtrack-media-panel nbtrack-pr-curve-panel");
  Object.assign(element.dataset, { key, kind: PR_CURVE_KIND });
  const { bar, slider, latest, label } = stepBar(key);
  const plot = el("div", "nbtrack-pr-curve-plot");
  const legend = el("div", "nbtrack-pr-curve-legend");
  Object.assign(legend.style, { display: "flex", flexWrap: "wrap", gap: "2px 12px", fontSize: "11px" });
  const note = el("div", "nbtrack-pr-curve-note");
  Object.assign(note.style, { fontSize: "11px", color: "#666", minHeight: "14px", whiteSpace: "pre-wrap" });
  element.append(bar, plot, legend, note);

  const chart = makeChart(Bokeh, key);
  /** @type {any} */
  let view = null;
  let disposed = false;
  Bokeh.Plotting.show(chart.figure, plot).then((/** @type {any} */ v) => {
    view = v;
    if (disposed) disposeViews(Bokeh, [view]);
  }).catch((/** @type {unknown} */ error) => console.error("nbtrack: a PR curve did not draw", error));

  /** @type {readonly MediaSeries[]} */
  let series = [];
  let drawnKey = "";
  /** @type {number[]} */
  let steps = [];
  const runOf = (/** @type {string} */ run) => {
    const info = store.runInfo(run);
    return { name: String(info.name ?? run), color: runColor(info.index) };
  };
  const redraw = () => {
    steps = unionSteps(series.map((s) => s.steps()));
    const step = runStep(steps, cursor.step);
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = String(step === null ? 0 : steps.indexOf(step));
    slider.disabled = steps.length < 2;
    latest.checked = cursor.step === null;
    label.textContent = step === null ? "" : `step ${formatStep(step)} (${steps.indexOf(step) + 1} of ${steps.length})`;
    const shownRuns = series.filter((s) => store.shown(s.run));
    const versions = shownRuns.map((s) => `${s.run}:${s.version}`).join(",");
    const key = `${step}|${versions}|${shownRuns.map((s) => runOf(s.run).name).join(",")}`;
    Object.assign(element.dataset, { step: String(step ?? ""), steps: String(steps.length) });
    if (key === drawnKey) return;
    drawnKey = key;
    const drawn = drawnAt(shownRuns, step, runOf);
    chart.lines.data = drawn.lines;
    chart.points.data = drawn.points;
    note.textContent = drawn.problems.join("\n");
    // each drawn run, as text: its colour, name and the step its curve is from
    legend.replaceChildren(...shownRuns.filter((s) => s.steps().length).map((s) => {
      const item = el("span", "nbtrack-pr-curve-run");
      item.append(runBadge(store.runInfo(s.run)), ` step ${formatStep(/** @type {number} */ (runStep(s.steps(), step)))}`);
      return item;
    }));
    Object.assign(element.dataset, {
      runs: String(drawn.lines.xs.length), points: String(drawn.lines.xs.map((x) => x.length).join(",")),
      runSteps: drawn.lines.step.join(","),
    });
  };
  slider.addEventListener("input", () => cursor.set(steps[Number(slider.value)] ?? null));
  latest.addEventListener("change", () => cursor.set(latest.checked ? null : runStep(steps, null)));
  const unsubscribe = cursor.subscribe(redraw);
  return {
    element,
    /** @param {readonly MediaSeries[]} next the tag's series, one per run */
    update(next) {
      series = next;
      redraw();
    },
    dispose() {
      disposed = true;
      unsubscribe();
      if (view) disposeViews(Bokeh, [view]);
      element.remove();
    },
  };
}

/** The figure: axes 0..1 (recall, precision), a multi-line of the runs' curves, hoverable points.
 * @param {any} Bokeh @param {string} title */
function makeChart(Bokeh, title) {
  const figure = Bokeh.Plotting.figure({
    width: WIDTH, height: HEIGHT, title, // drawn as canvas text, never parsed as HTML
    tools: TOOLS, active_scroll: null, toolbar_location: "right",
    x_axis_label: "recall", y_axis_label: "precision", min_border_left: 50,
    x_range: new Bokeh.Range1d({ start: -0.02, end: 1.02 }), y_range: new Bokeh.Range1d({ start: -0.02, end: 1.02 }),
  });
  applyTheme(figure, typeof document !== "undefined" && document.body ? themeOfElement(document.body) : LIGHT);
  const lines = new Bokeh.ColumnDataSource({ data: { xs: [], ys: [], color: [], run: [], step: [] } });
  figure.multi_line({ field: "xs" }, { field: "ys" }, { source: lines, line_color: { field: "color" }, line_width: 2 });
  const points = new Bokeh.ColumnDataSource({
    data: { ...Object.fromEntries(POINT_COLUMNS.map((c) => [c, []])), run: [], step: [], color: [] },
  });
  const dots = figure.scatter({ field: "recall" }, { field: "precision" }, {
    source: points, size: 4, fill_color: { field: "color" }, line_color: { field: "color" }, fill_alpha: 0.6,
  });
  figure.add_tools(new Bokeh.HoverTool({ renderers: [dots], tooltips: TOOLTIPS }));
  return { figure, lines, points };
}
