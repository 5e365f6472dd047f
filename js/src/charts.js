// The grid of scalar charts: one chart per tag (chart.js), grouped by tag prefix into sections in name
// order, made as tags appear and redrawn from the store entirely in the browser (the kernel may be busy in a
// training loop), each only when its data or the settings changed.

import { disposeViews } from "./bokeh.js";
import { createChart } from "./chart.js";
import { el } from "./dom.js";

/** @typedef {import("./chart.js").Settings} Settings */
/** @typedef {import("./chart.js").XAxis} XAxis */
/** @typedef {ReturnType<typeof createChart>} Chart */

/** The group a tag is shown in: the text before its first "/" ("" for none). @param {string} key */
export function groupOf(key) {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "";
}

/**
 * Charts for every scalar tag of `store` inside `container`, created as tags appear. Axis types are fixed
 * when a figure is made, so changing `logY` or `xAxis` means disposing of these charts and making new ones.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 * @param {Settings} settings
 * @param {import("./detail.js").DetailFetch | null} [detail] zoom detail from the kernel, for reduced series
 * @param {import("./chart.js").Cursor | null} [cursor]
 *   the dashboard's step cursor: drawn as a dashed line; a click on a chart (x axis: step) moves it
 */
export function createCharts(Bokeh, store, container, settings, detail = null, cursor = null) {
  /** @type {Map<string, Chart>} */
  const charts = new Map();
  /** @type {Map<string, HTMLElement>} */
  const groups = new Map();
  let disposed = false;
  let zoomPending = 0;
  /** @type {import("./chart.js").ChartContext} */
  const context = {
    store, settings, detail, cursor,
    nextFrame(redraw) { // one zoom redraw per frame, whichever chart was zoomed
      if (zoomPending) return;
      zoomPending = requestAnimationFrame(() => {
        zoomPending = 0;
        redraw();
      });
    },
  };

  /** @param {string} key */
  function groupBox(key) {
    const name = groupOf(key);
    let box = groups.get(name);
    if (box) return box;
    const section = el("section", "nbtrack-group");
    section.dataset.group = name;
    if (name) section.appendChild(el("div", "nbtrack-group-title", name)); // a logged name is data: text only
    box = el("div", "nbtrack-group-charts");
    section.appendChild(box);
    const after = [...groups.keys()].sort().find((other) => other > name);
    container.insertBefore(section, after === undefined ? null : groups.get(after)?.parentElement ?? null);
    groups.set(name, box);
    return box;
  }

  /** @param {string} key */
  async function chartFor(key) {
    let chart = charts.get(key);
    if (chart) return chart;
    chart = createChart(Bokeh, key, context);
    groupBox(key).appendChild(chart.box);
    charts.set(key, chart);
    chart.fill();
    await chart.show(() => disposed);
    return chart;
  }

  const moveSpans = () => {
    for (const chart of charts.values()) chart.markCursor();
  };
  const unsubscribeCursor = cursor?.subscribe(moveSpans) ?? (() => {});

  /** @type {Map<string, string>} what each chart last drew: its series' sizes and the settings */
  const drawnState = new Map();

  /** Redraw the charts whose data or settings changed since they were last drawn (BokehJS repaints a
   * chart whenever one of its sources is set, and that paint is most of a redraw's cost). */
  async function update() {
    if (disposed) return;
    const sizes = new Map();
    for (const s of store.series.values()) {
      sizes.set(s.key, `${sizes.get(s.key) ?? ""}${s.run}:${s.length}:${s.total};`);
    }
    const looks = JSON.stringify([settings.smoothing, settings.logY, settings.xAxis, settings.ignoreOutliers,
      [...store.runs.keys()].filter((run) => !store.shown(run))]);
    for (const [key, size] of sizes) {
      const state = `${size}|${looks}`;
      const fresh = !charts.has(key);
      const chart = await chartFor(key);
      if (!fresh && drawnState.get(key) !== state) chart.fill();
      drawnState.set(key, state);
    }
  }

  /** Remove the views and clear their BokehJS documents (rebuilding without this leaks documents). */
  function dispose() {
    disposed = true;
    unsubscribeCursor();
    disposeViews(Bokeh, [...charts.values()].map((chart) => chart.view));
    for (const box of groups.values()) box.parentElement?.remove();
    charts.clear();
    groups.clear();
    drawnState.clear();
  }

  return { update, dispose, charts };
}
