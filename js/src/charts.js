// One BokehJS line chart per metric, redrawn from the store: M4-downsampled to the chart's width, so a
// chart never draws more than about 4 points per pixel column and keeps every spike and the newest point.

import { m4 } from "./downsample.js";

const WIDTH = 420;
const HEIGHT = 200;
const MARK_ALL_BELOW = 100; // short series: a marker on every point (one point draws no line)

/** @typedef {{ figure: any, source: any, marks: any, box: HTMLElement }} Chart */

/**
 * Charts for every series of `store` inside `container`, created as series appear.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 */
export function createCharts(Bokeh, store, container) {
  /** @type {Map<string, Chart>} */
  const charts = new Map();
  /** @type {Set<any>} */
  const views = new Set();

  /** @param {import("./store.js").Series} series */
  async function chartFor(series) {
    const id = `${series.run}\u0000${series.key}`;
    let chart = charts.get(id);
    if (chart) return chart;
    const box = document.createElement("div");
    box.className = "nbtrack-chart";
    box.dataset.key = series.key;
    container.appendChild(box);
    const data = points(series);
    const source = new Bokeh.ColumnDataSource({ data });
    const marks = new Bokeh.ColumnDataSource({ data: markers(data) });
    const figure = Bokeh.Plotting.figure({
      width: WIDTH, height: HEIGHT, title: series.key, // a title is drawn as text, never parsed as HTML
      tools: "pan,wheel_zoom,box_zoom,reset", x_axis_label: "step",
    });
    figure.line({ field: "x" }, { field: "y" }, { source, line_width: 1.5 });
    figure.scatter({ field: "x" }, { field: "y" }, { source: marks, size: 5 });
    chart = { figure, source, marks, box };
    charts.set(id, chart);
    views.add(await Bokeh.Plotting.show(figure, box));
    return chart;
  }

  async function update() {
    for (const series of store.series.values()) {
      const chart = await chartFor(series);
      const data = points(series);
      chart.source.data = data;
      chart.marks.data = markers(data);
    }
  }

  function dispose() {
    for (const view of views) view?.remove?.();
    for (const chart of charts.values()) chart.box.remove();
    charts.clear();
  }

  return { update, dispose, charts };
}

/** Markers: every point of a short series, else the newest point only.
 * @param {{ x: Float64Array, y: Float64Array }} data */
function markers({ x, y }) {
  if (x.length < MARK_ALL_BELOW) return { x, y };
  return { x: x.subarray(x.length - 1), y: y.subarray(y.length - 1) };
}

/** @param {import("./store.js").Series} series */
function points(series) {
  const { steps, values } = series.view();
  if (!steps.length) return { x: new Float64Array(0), y: new Float64Array(0) };
  const reduced = m4(steps, values, steps[0], steps[steps.length - 1], WIDTH);
  return { x: reduced.x, y: reduced.y };
}
