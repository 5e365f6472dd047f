// anywidget front end of nbtrack's live dashboard: this module only wires the panels together.
//
// initialize() feeds the model's store (store.js) from the snapshot trait and from "append" messages,
// before any view exists, so nothing sent early is lost. Each view renders from the store: the runs' names
// and status, their config and a summary per series (panels.js), the runs panel (runspanel.js), a BokehJS
// chart per tag (charts.js), and the media panels (mediapanels.js), with controls that work in the browser
// alone (controls.js), redrawn on the schedule of redraw.js. The same module renders a finished run's
// static output and an HTML report, given a small host object with the same model interface (static.js).
// The same bundle also serves the BokehJS loader model, recognised by its bokeh_core trait.

import { ensureBokeh, loaderOf } from "./bokeh.js";
import { createCharts } from "./charts.js";
import { createControls, settingsOf } from "./controls.js";
import { createCustomCharts } from "./customcharts.js";
import { detailOf, registerChannel } from "./detail.js";
import { el } from "./dom.js";
import { createMediaPanels } from "./mediapanels.js";
import { createHeader, createSummary, errorLine, injectStyle } from "./panels.js";
import { createArrivalClock, createRedraw, recordRedraw } from "./redraw.js";
import { createRunDetails } from "./rundetails.js";
import { createRunsPanel } from "./runspanel.js";
import { renderStaticWith } from "./static.js";
import { dropStore, storeOf } from "./store.js";

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

/** Seconds within which a %track view's last sign of life (its `alive` trait) counts as live. */
const ALIVE_WITHIN = 30;

/** A watched logdir of more runs than this first draws only the newest ones' lines (the run table shows all). */
const NEWEST_RUNS_SHOWN = 20;

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
  if (model.get("view_kind") === "logdir") store.hideAllButNewest(NEWEST_RUNS_SHOWN);
  model.on("change:snapshot", () => store.applySnapshot(model.get("snapshot")));
  model.on("msg:custom", (/** @type {any} */ message, /** @type {DataView[]} */ buffers) => {
    if (message && message.kind === "append") store.applyAppend(message, buffers);
    else if (message && message.kind === "media") store.applyMedia(message, buffers);
    else if (message && message.kind === "runs") store.applyRuns(message);
  });
  const uid = model.get("_uid");
  return () => { if (uid) dropStore(String(uid)); }; // anywidget calls this when the model is closed
}

/**
 * @param {{ model: Model, el: HTMLElement }} context
 * @returns {() => void} cleanup: removes the listeners and the elements
 */
function render({ model, el: host }) {
  const store = storeOf(model);
  const root = el("div", "nbtrack-dashboard");
  root.dataset.uid = String(model.get("_uid") ?? ""); // a %track companion output hides while this draws
  // %track: "live" while its kernel shows signs of life (a recent `alive`, or a change of it); a view
  // restored from saved widget state without a kernel never is, and its companion output draws instead
  const markLive = () => { root.dataset.live = "true"; };
  const alive = Number(model.get("alive") || 0);
  if (alive > 0 && Math.abs(Date.now() / 1000 - alive) < ALIVE_WITHIN) markLive();
  model.on("change:alive", markLive);
  const { header, update } = createHeader(model, store);
  const summary = createSummary(store);
  const runDetails = createRunDetails(store); // saved files, artifacts, alerts, environment (rundetails.js)
  const chartBox = el("div", "nbtrack-charts");
  const customBox = el("div", "nbtrack-custom"); // TensorBoard's custom scalars layouts, above the charts
  customBox.hidden = true;
  const mediaBox = el("div", "nbtrack-media");
  const runsBox = el("div", "nbtrack-runs");
  const { settings, save } = settingsOf(model);
  /** @type {any} */
  let Bokeh = null;
  const media = createMediaPanels(store, mediaBox, settings, () => Bokeh, () => save());
  const logdir = model.get("view_kind") === "logdir"; // %track: the run table from the first run on
  const runsPanel = createRunsPanel(store, runsBox, /** @type {any} */ (settings), () => redraw.now(), () => save(),
    logdir ? 1 : 2);
  /** @type {ReturnType<typeof createCharts> | null} */
  let charts = null;
  /** @type {ReturnType<typeof createCustomCharts> | null} */
  let custom = null;
  const rebuild = () => {
    if (!Bokeh) return;
    charts?.dispose(); // axis types are fixed per figure: rebuild, disposing of the old documents
    custom?.dispose();
    custom = createCustomCharts(Bokeh, store, customBox, settings, media.cursor);
    charts = createCharts(Bokeh, store, chartBox, settings, detailOf(model), media.cursor);
    redraw.now();
  };
  const controls = createControls(settings, { redraw: () => redraw.now(), rebuild, save });
  const notice = el("div", "nbtrack-notice");
  const showNotice = () => {
    const text = model.get("notice");
    notice.textContent = typeof text === "string" ? text : "";
    notice.hidden = !notice.textContent;
  };
  showNotice();
  const height = Number(model.get("height") || 0);
  if (height > 0) Object.assign(root.style, { maxHeight: `${height}px`, overflowY: "auto" });
  root.append(header, notice, runsBox, controls.element, customBox, chartBox, mediaBox, summary.element,
    runDetails.element);
  host.appendChild(root);
  injectStyle(root); // after attaching: a shadow root (marimo) gets its own copy
  let disposed = false;
  /** @param {unknown} error */
  const showError = (error) => chartBox.replaceChildren(errorLine(error));
  const arrival = createArrivalClock(); // new data to its paint, for benchmarks (redraw.js)
  const redraw = createRedraw(() => {
    const started = performance.now();
    const arrived = arrival.take();
    summary.update();
    runDetails.update();
    runsPanel.update();
    media.update();
    update();
    controls.update(store.runs.values(), store.runs.size);
    root.dataset.seq = String(store.seq);
    try {
      custom?.update();
    } catch (error) {
      console.error("nbtrack: the custom scalars failed", error); // never at the cost of the ordinary charts
    }
    charts?.update().then(() => {
      if (charts) controls.showFilter(charts.filtered);
      recordRedraw(performance.now() - started, charts?.charts.size ?? 0);
      arrival.painted(arrived);
    }, showError);
  });
  loaderOf(model).then(ensureBokeh).then((loaded) => {
    if (disposed) return;
    Bokeh = loaded;
    rebuild();
  }).catch(showError);
  const unsubscribe = store.subscribe(() => { arrival.note(); redraw.forData(); });
  model.on("change:run_name", update);
  model.on("change:status", update);
  model.on("change:notice", showNotice);
  redraw.now();
  return () => {
    disposed = true;
    charts?.dispose();
    custom?.dispose();
    media.dispose();
    runsPanel.dispose();
    unsubscribe();
    redraw.cancel();
    model.off("change:run_name", update);
    model.off("change:status", update);
    model.off("change:notice", showNotice);
    model.off("change:alive", markLive);
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
