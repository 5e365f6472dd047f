// One BokehJS line chart per metric, redrawn from the store, entirely in the browser (the kernel may be
// busy in a training loop). Smoothing is the TensorBoard-compatible debiased EMA on the full-resolution
// data; the raw line stays faint behind. Both lines are then M4-downsampled to the chart's width, so a
// chart never draws more than about 4 points per pixel column and keeps every spike and the newest point.

import { m4 } from "./downsample.js";
import { smoothEMA } from "./smoothing.js";

const WIDTH = 420;
const HEIGHT = 200;
const MARK_ALL_BELOW = 100; // short series: a marker on every point (one point draws no line)

/** @typedef {{ smoothing: number, logY: boolean }} Settings */
/** @typedef {{ figure: any, raw: any, smooth: any, marks: any, box: HTMLElement }} Chart */

/**
 * Charts for every series of `store` inside `container`, created as series appear. A y-axis type is
 * fixed when a figure is made, so changing `logY` means disposing of these charts and making new ones.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 * @param {Settings} settings
 */
export function createCharts(Bokeh, store, container, settings) {
  /** @type {Map<string, Chart>} */
  const charts = new Map();
  /** @type {any[]} */
  const views = [];

  /** @param {import("./store.js").Series} series */
  async function chartFor(series) {
    const id = `${series.run}\u0000${series.key}`;
    let chart = charts.get(id);
    if (chart) return chart;
    const box = document.createElement("div");
    box.className = "nbtrack-chart";
    box.dataset.key = series.key;
    container.appendChild(box);
    const { raw, smooth } = lines(series, settings.smoothing);
    const figure = Bokeh.Plotting.figure({
      width: WIDTH, height: HEIGHT, title: series.key, // a title is drawn as text, never parsed as HTML
      tools: "pan,wheel_zoom,box_zoom,reset", x_axis_label: "step",
      y_axis_type: settings.logY ? "log" : "linear",
    });
    chart = {
      figure, box,
      raw: new Bokeh.ColumnDataSource({ data: raw }),
      smooth: new Bokeh.ColumnDataSource({ data: smooth }),
      marks: new Bokeh.ColumnDataSource({ data: markers(smooth) }),
    };
    figure.line({ field: "x" }, { field: "y" }, { source: chart.raw, line_width: 1, line_alpha: 0.25 });
    figure.line({ field: "x" }, { field: "y" }, { source: chart.smooth, line_width: 1.5 });
    figure.scatter({ field: "x" }, { field: "y" }, { source: chart.marks, size: 5 });
    charts.set(id, chart);
    views.push(await Bokeh.Plotting.show(figure, box));
    return chart;
  }

  async function update() {
    for (const series of store.series.values()) {
      const chart = await chartFor(series);
      const { raw, smooth } = lines(series, settings.smoothing);
      chart.raw.data = raw;
      chart.smooth.data = smooth;
      chart.marks.data = markers(smooth);
      Object.assign(chart.box.dataset, { // what is drawn, readable by tests and tools
        smoothing: settings.smoothing.toFixed(2), logY: String(settings.logY), points: String(series.length),
        rawLast: String(raw.y[raw.y.length - 1] ?? ""), smoothLast: String(smooth.y[smooth.y.length - 1] ?? ""),
      });
    }
  }

  /** Remove the views and clear their BokehJS documents (rebuilding without this leaks documents). */
  function dispose() {
    for (const view of views.flat()) {
      const doc = view?.model?.document;
      view?.remove?.();
      doc?.clear?.();
    }
    for (const chart of charts.values()) chart.box.remove();
    charts.clear();
  }

  return { update, dispose, charts };
}

/**
 * The raw and smoothed lines of a series, each reduced to the chart's width.
 * @param {import("./store.js").Series} series @param {number} weight
 */
function lines(series, weight) {
  const { steps, values } = series.view();
  if (!steps.length) {
    const empty = { x: new Float64Array(0), y: new Float64Array(0) };
    return { raw: empty, smooth: empty };
  }
  const [x0, x1] = [steps[0], steps[steps.length - 1]];
  const raw = m4(steps, values, x0, x1, WIDTH);
  const smoothed = weight > 0 ? smoothEMA(values, weight) : values;
  const smooth = weight > 0 ? m4(steps, smoothed, x0, x1, WIDTH) : raw;
  return { raw: { x: raw.x, y: raw.y }, smooth: { x: smooth.x, y: smooth.y } };
}

/** Markers: every point of a short series, else the newest point only.
 * @param {{ x: Float64Array, y: Float64Array }} data */
function markers({ x, y }) {
  if (x.length < MARK_ALL_BELOW) return { x, y };
  return { x: x.subarray(x.length - 1), y: y.subarray(y.length - 1) };
}
