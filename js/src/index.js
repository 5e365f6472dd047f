// anywidget front end of nbtrack's live dashboard.
//
// initialize() feeds the model's store (store.js) from the snapshot trait and from "append" messages,
// before any view exists, so nothing sent early is lost. Each view renders from the store: the runs' names
// and status, their config, a summary per series and a BokehJS chart per tag (charts.js), with controls
// that work in the browser alone. The same module renders a finished run's static output and an HTML
// report, given a small host object with the same model interface (static.js). The same bundle also serves
// the BokehJS loader model, recognised by its bokeh_core trait.

import { ensureBokeh, loaderOf } from "./bokeh.js";
import { createCharts } from "./charts.js";
import { createControls, DEFAULT_SETTINGS } from "./controls.js";
import { createHistogramPanel } from "./histograms.js";
import { createCursor, createMediaPanel } from "./media.js";
import { createParallelCoordinates } from "./parcoords.js";
import { createRunTable } from "./runtable.js";
import { toFloat64Array } from "./codecs.js";
import { fetcherFor, registerChannel } from "./detail.js";
import { createHeader, fillSummary, injectStyle } from "./panels.js";
import { renderStaticWith } from "./static.js";
import { dropStore, storeFor } from "./store.js";

/**
 * The part of anywidget's model interface this module uses (static.js implements it without a kernel).
 * @typedef {object} Model
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} [set]
 * @property {() => void} [save_changes]
 * @property {(event: string, callback: (...args: any[]) => void) => void} on
 * @property {(event: string, callback: (...args: any[]) => void) => void} off
 * @property {import("./detail.js").DetailFetch | null} [detail] zoom detail from the kernel (static outputs)
 */

const DATA_REDRAW_MS = 250;

/**
 * Page-wide redraw timings (milliseconds per view redraw, the newest 5,000), read by benchmarks and tests.
 * @param {number} ms @param {number} chartCount
 */
function recordRedraw(ms, chartCount) {
  const root = /** @type {any} */ (globalThis);
  const stats = (root.__nbtrackStats ??= { redraws: 0, redrawMs: [], charts: [] });
  stats.redraws += 1;
  stats.redrawMs.push(ms);
  stats.charts.push(chartCount);
  if (stats.redrawMs.length > 5000) {
    stats.redrawMs.splice(0, 1000);
    stats.charts.splice(0, 1000);
  }
}

/** @param {Model} model */
function storeOf(model) {
  const uid = model.get("_uid");
  return storeFor(uid == null || uid === "" ? "default" : String(uid));
}

/** @param {{ model: Model }} context */
function initialize({ model }) {
  if (typeof model.get("bokeh_core") === "string") {
    ensureBokeh(model).catch(() => {}); // the loader: start injecting now; never await here (2 s limit)
    registerChannel(model); // and serve zoom detail to this kernel's static outputs
    return;
  }
  const store = storeOf(model);
  const snapshot = model.get("snapshot");
  if (snapshot && Array.isArray(snapshot.series)) store.applySnapshot(snapshot);
  model.on("change:snapshot", () => store.applySnapshot(model.get("snapshot")));
  model.on("msg:custom", (/** @type {any} */ message, /** @type {DataView[]} */ buffers) => {
    if (message && message.kind === "append") store.applyAppend(message, buffers);
    else if (message && message.kind === "media") store.applyMedia(message, buffers);
  });
  const uid = model.get("_uid");
  return () => { if (uid) dropStore(String(uid)); }; // anywidget calls this when the model is closed
}

/**
 * The view's settings: the model's (a finished run's static output starts from the live view's), else
 * the defaults. Changes are written back to the model, so the static output keeps them.
 * @param {Model} model
 */
function settingsOf(model) {
  const saved = model.get("settings");
  const settings = { ...DEFAULT_SETTINGS, ...(saved && typeof saved === "object" ? saved : {}) };
  const save = () => {
    try {
      model.set?.("settings", { ...settings });
      model.save_changes?.();
    } catch {
      // a view without a kernel connection keeps its settings to itself
    }
  };
  return { settings, save };
}

/** @type {WeakMap<object, { step: number, edges: Float64Array, counts: Float64Array }>} */
const histogramItems = new WeakMap();

/** A histogram record as the histogram panel takes it (converted once per record).
 * @param {import("./store.js").MediaRecord} record */
function histogramItem(record) {
  let item = histogramItems.get(record);
  if (!item) {
    item = { step: record.step, edges: toFloat64Array(record.data[0]), counts: toFloat64Array(record.data[1]) };
    histogramItems.set(record, item);
  }
  return item;
}

/**
 * A panel per media tag (images, text, audio, ... and histograms over steps), made when the tag first
 * appears and redrawn when its records change; the media panels share one step cursor.
 * @param {import("./store.js").Store} store @param {HTMLElement} box
 * @param {{ histogramView?: string }} settings @param {() => any} bokeh BokehJS once loaded, else null
 * @param {() => void} save
 */
function createMediaPanels(store, box, settings, bokeh, save) {
  const cursor = createCursor();
  /** @type {Map<string, { panel: { update: (items?: any) => unknown, dispose: () => void }, version: number }>} */
  const panels = new Map();
  /** @param {import("./store.js").MediaSeries} series */
  const make = (series) => {
    if (series.kind !== "histogram") {
      const panel = createMediaPanel(series, cursor);
      box.appendChild(panel.element);
      return panel;
    }
    const Bokeh = bokeh();
    if (!Bokeh) return null; // drawn once BokehJS is there
    const holder = document.createElement("div");
    holder.className = "nbtrack-media-panel nbtrack-histogram-panel";
    Object.assign(holder.dataset, { key: series.key, kind: "histogram", run: series.run });
    box.appendChild(holder);
    const histogram = createHistogramPanel(Bokeh, holder, /** @type {any} */ (settings),
      { title: series.key, onViewChange: save });
    const update = () => histogram.update(series.records.map(histogramItem)).catch(() => {});
    update();
    const follow = () => histogram.setCursor(cursor.step);
    const unsubscribe = cursor.subscribe(follow);
    follow();
    return { update, dispose: () => { unsubscribe(); histogram.dispose(); holder.remove(); } };
  };
  const update = () => {
    for (const [id, series] of store.media) {
      try { // one panel that fails must not stop the others, nor the charts
        const entry = panels.get(id);
        if (!entry) {
          const panel = make(series);
          if (panel) panels.set(id, { panel, version: series.version });
        } else if (entry.version !== series.version) {
          entry.version = series.version;
          entry.panel.update();
        }
      } catch (error) {
        console.error(`nbtrack: the panel of ${series.key} failed`, error);
      }
    }
  };
  const dispose = () => {
    for (const { panel } of panels.values()) panel.dispose();
    panels.clear();
  };
  return { update, dispose, cursor };
}

/**
 * For several runs: the hyperparameter view (parallel coordinates, brushing selects runs) and the run
 * table (filter, sort, show/hide). Hidden runs, and runs outside a brush, leave every chart.
 * @param {import("./store.js").Store} store @param {HTMLElement} box @param {{ hparamMetric?: string }} settings
 * @param {() => void} redraw @param {() => void} save
 */
function createRunsPanel(store, box, settings, redraw, save) {
  /** @type {{ hidden: Set<string>, filter: string, sort: any, selected: Set<string> | null }} */
  const state = { hidden: store.hidden, filter: "", sort: null, selected: null };
  /** @type {{ table: ReturnType<typeof createRunTable>, plot: ReturnType<typeof createParallelCoordinates> } | null} */
  let parts = null;
  let count = 0;
  const changed = () => {
    store.selected = state.selected;
    const runs = [...store.runs.values()];
    parts?.plot.update(runs);
    parts?.table.update(runs);
    redraw();
  };
  const update = () => {
    if (store.runs.size < 2 || store.runs.size === count) return;
    count = store.runs.size;
    const runs = [...store.runs.values()];
    if (!parts) {
      box.replaceChildren();
      const plot = createParallelCoordinates(box, runs, state, changed, {
        metric: settings.hparamMetric, onMetricChange: (metric) => { settings.hparamMetric = metric; save(); },
      });
      parts = { plot, table: createRunTable(box, runs, state, changed) };
    } else {
      parts.plot.update(runs);
      parts.table.update(runs);
    }
  };
  const dispose = () => {
    parts?.plot.dispose();
    parts?.table.dispose();
    parts = null;
  };
  return { update, dispose, state, get plot() { return parts?.plot ?? null; } };
}

/** Where zoom detail comes from: a static output's channel, a live dashboard's own comm, or nowhere.
 * @param {Model} model */
function detailOf(model) {
  if (model.detail !== undefined) return model.detail;
  const token = model.get("detail_token");
  const live = /** @type {any} */ (model);
  return token && typeof live.send === "function" ? fetcherFor(live, String(token)) : null;
}

/**
 * @param {{ model: Model, el: HTMLElement }} context
 * @returns {() => void} cleanup: removes the listeners and the elements
 */
function render({ model, el }) {
  injectStyle();
  const store = storeOf(model);
  const root = document.createElement("div");
  root.className = "nbtrack-dashboard";
  const { header, update } = createHeader(model, store);
  const table = document.createElement("table");
  table.className = "nbtrack-summary";
  // last values per series: open for one run; folded for several (the run table shows their summaries)
  const summaryBox = document.createElement("details");
  summaryBox.className = "nbtrack-summary-box";
  summaryBox.open = true;
  const summaryTitle = document.createElement("summary");
  summaryTitle.textContent = "last values";
  summaryBox.append(summaryTitle, table);
  let foldedForRuns = false;
  const chartBox = document.createElement("div");
  chartBox.className = "nbtrack-charts";
  const mediaBox = document.createElement("div");
  mediaBox.className = "nbtrack-media";
  const runsBox = document.createElement("div");
  runsBox.className = "nbtrack-runs";
  const { settings, save } = settingsOf(model);
  /** @type {any} */
  let Bokeh = null;
  const media = createMediaPanels(store, mediaBox, settings, () => Bokeh, () => save());
  const runsPanel = createRunsPanel(store, runsBox, /** @type {any} */ (settings), () => redraw(), () => save());
  /** @type {ReturnType<typeof createCharts> | null} */
  let charts = null;
  const rebuild = () => {
    if (!Bokeh) return;
    charts?.dispose(); // axis types are fixed per figure: rebuild, disposing of the old documents
    charts = createCharts(Bokeh, store, chartBox, settings, detailOf(model), media.cursor);
    redraw();
  };
  const controls = createControls(settings, { redraw: () => redraw(), rebuild, save });
  root.append(header, runsBox, controls, chartBox, mediaBox, summaryBox);
  el.appendChild(root);
  let disposed = false;
  let scheduled = 0;
  let lastDataRedraw = 0;
  let pendingData = 0;
  // New data redraws at most every DATA_REDRAW_MS (each redraw makes BokehJS repaint the changed charts,
  // about 40 ms of main-thread work for 4 charts in JupyterLab); the controls redraw at once.
  const redrawForData = () => {
    if (pendingData || scheduled) return;
    const wait = DATA_REDRAW_MS - (performance.now() - lastDataRedraw);
    if (wait <= 0) return redraw();
    pendingData = window.setTimeout(() => {
      pendingData = 0;
      redraw();
    }, wait);
  };
  const redraw = () => {
    if (scheduled) return; // at most one redraw per frame, however many messages arrive
    scheduled = requestAnimationFrame(() => {
      scheduled = 0;
      lastDataRedraw = performance.now();
      const started = performance.now();
      fillSummary(store, table);
      if (store.runs.size > 1 && !foldedForRuns) summaryBox.open = !(foldedForRuns = true);
      runsPanel.update();
      media.update();
      update();
      root.dataset.seq = String(store.seq);
      charts?.update().then(() => recordRedraw(performance.now() - started, charts?.charts.size ?? 0), showError);
    });
  };
  /** @param {unknown} error */
  const showError = (error) => {
    const line = document.createElement("div");
    line.className = "nbtrack-error";
    line.textContent = `nbtrack: ${error instanceof Error ? error.message : String(error)}`;
    chartBox.replaceChildren(line);
  };
  loaderOf(model).then(ensureBokeh).then((loaded) => {
    if (disposed) return;
    Bokeh = loaded;
    rebuild();
  }).catch(showError);
  const unsubscribe = store.subscribe(redrawForData);
  model.on("change:run_name", update);
  model.on("change:status", update);
  redraw();
  return () => {
    disposed = true;
    charts?.dispose();
    media.dispose();
    runsPanel.dispose();
    unsubscribe();
    if (scheduled) cancelAnimationFrame(scheduled);
    if (pendingData) clearTimeout(pendingData);
    model.off("change:run_name", update);
    model.off("change:status", update);
    root.remove();
  };
}

const widget = { initialize, render };

/**
 * Render a static output (a finished run's saved cell output, or a report) with this module.
 * @param {HTMLElement} box
 */
export function renderStatic(box) {
  return renderStaticWith(box, widget);
}

export default widget;
