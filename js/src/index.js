// anywidget front end of nbtrack's live dashboard.
//
// initialize() feeds the model's store (store.js) from the snapshot trait and from "append" messages,
// before any view exists, so nothing sent early is lost. Each view renders from the store: the run's name
// and status, a summary per series (points, last step, last value) and a BokehJS line chart per series.
// The same bundle serves the BokehJS loader model, recognised by its bokeh_core trait.

import { ensureBokeh, loaderOf } from "./bokeh.js";
import { createCharts } from "./charts.js";
import { storeFor } from "./store.js";

/**
 * The part of anywidget's model interface this module uses (an HTML report's static host implements
 * the same methods).
 * @typedef {object} Model
 * @property {(name: string) => any} get
 * @property {(event: string, callback: (...args: any[]) => void) => void} on
 * @property {(event: string, callback: (...args: any[]) => void) => void} off
 */

/** @param {unknown} value */
function asText(value) {
  return value == null ? "" : String(value);
}

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
  return storeFor(asText(model.get("_uid")) || "default");
}

/** @param {{ model: Model }} context */
function initialize({ model }) {
  if (typeof model.get("bokeh_core") === "string") {
    ensureBokeh(model).catch(() => {}); // the loader: start injecting now; never await here (2 s limit)
    return;
  }
  const store = storeOf(model);
  const snapshot = model.get("snapshot");
  if (snapshot && Array.isArray(snapshot.series)) store.applySnapshot(snapshot);
  model.on("change:snapshot", () => store.applySnapshot(model.get("snapshot")));
  model.on("msg:custom", (/** @type {any} */ message, /** @type {DataView[]} */ buffers) => {
    if (message && message.kind === "append") store.applyAppend(message, buffers);
  });
}

/**
 * Build the header element; the returned `update` copies the traits into it (as text, never as HTML).
 * @param {Model} model
 */
function createHeader(model) {
  const header = document.createElement("div");
  header.className = "nbtrack-header";
  const name = document.createElement("span");
  name.className = "nbtrack-run-name";
  const status = document.createElement("span");
  status.className = "nbtrack-status";
  header.append(name, " ", status);
  const update = () => {
    name.textContent = asText(model.get("run_name"));
    status.textContent = asText(model.get("status"));
  };
  update();
  return { header, update };
}

/**
 * The view's controls: a smoothing slider and a log-y switch. Plain DOM inputs, handled in the browser,
 * so they work while the kernel is busy.
 * @param {{ smoothing: number, logY: boolean }} settings
 * @param {() => void} onSmoothing @param {() => void} onLogY
 */
function createControls(settings, onSmoothing, onLogY) {
  const bar = document.createElement("div");
  bar.className = "nbtrack-controls";
  const slider = document.createElement("input");
  Object.assign(slider, { type: "range", min: "0", max: "0.99", step: "0.01", value: String(settings.smoothing) });
  slider.className = "nbtrack-smoothing";
  const shown = document.createElement("span");
  shown.textContent = settings.smoothing.toFixed(2);
  slider.addEventListener("input", () => {
    settings.smoothing = Math.min(0.99, Math.max(0, Number(slider.value)));
    shown.textContent = settings.smoothing.toFixed(2);
    onSmoothing();
  });
  const log = document.createElement("input");
  log.type = "checkbox";
  log.className = "nbtrack-log-y";
  log.addEventListener("change", () => {
    settings.logY = log.checked;
    onLogY();
  });
  const smoothingLabel = document.createElement("label");
  smoothingLabel.append("smoothing ", slider, " ", shown);
  const logLabel = document.createElement("label");
  logLabel.append(log, " log y");
  bar.append(smoothingLabel, "  ", logLabel);
  return bar;
}

/** @param {import("./store.js").Store} store @param {HTMLTableSectionElement} body */
function fillTable(store, body) {
  const rows = [];
  for (const series of store.series.values()) {
    const { steps, values } = series.view();
    const n = series.length;
    const tr = document.createElement("tr");
    tr.className = "nbtrack-series";
    tr.dataset.key = series.key;
    tr.dataset.points = String(n);
    for (const text of [series.key, String(n), n ? String(steps[n - 1]) : "", n ? String(values[n - 1]) : ""]) {
      const td = document.createElement("td");
      td.textContent = text; // logged names are data: never parsed as HTML
      tr.appendChild(td);
    }
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

/**
 * @param {{ model: Model, el: HTMLElement }} context
 * @returns {() => void} cleanup: removes the listeners and the elements
 */
function render({ model, el }) {
  const store = storeOf(model);
  const { header, update } = createHeader(model);
  const table = document.createElement("table");
  table.className = "nbtrack-summary";
  const head = table.createTHead().insertRow();
  for (const title of ["metric", "points", "last step", "last value"]) head.insertCell().textContent = title;
  const body = table.createTBody();
  const chartBox = document.createElement("div");
  chartBox.className = "nbtrack-charts";
  chartBox.style.cssText = "display:flex;flex-wrap:wrap;gap:8px";
  const settings = { smoothing: 0.6, logY: false };
  /** @type {any} */
  let Bokeh = null;
  const controls = createControls(settings, () => redraw(), () => {
    if (!Bokeh) return;
    charts?.dispose(); // the y-axis type is fixed per figure: rebuild, disposing of the old documents
    charts = createCharts(Bokeh, store, chartBox, settings);
    redraw();
  });
  el.append(header, table, controls, chartBox);
  /** @type {ReturnType<typeof createCharts> | null} */
  let charts = null;
  let disposed = false;
  let scheduled = 0;
  const redraw = () => {
    if (scheduled) return; // at most one redraw per frame, however many messages arrive
    scheduled = requestAnimationFrame(() => {
      scheduled = 0;
      const started = performance.now();
      fillTable(store, body);
      el.dataset.seq = String(store.seq);
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
    charts = createCharts(Bokeh, store, chartBox, settings);
    redraw();
  }).catch(showError);
  const unsubscribe = store.subscribe(redraw);
  model.on("change:run_name", update);
  model.on("change:status", update);
  redraw();
  return () => {
    disposed = true;
    charts?.dispose();
    unsubscribe();
    if (scheduled) cancelAnimationFrame(scheduled);
    model.off("change:run_name", update);
    model.off("change:status", update);
    header.remove();
    table.remove();
    controls.remove();
    chartBox.remove();
  };
}

export default { initialize, render };
