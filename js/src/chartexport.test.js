// A chart's PNG and CSV buttons, with a fake BokehJS (fakebokeh.js) on happy-dom.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createChart } from "./chart.js";
import { DEFAULT_SETTINGS } from "./controls.js";
import { fakeBokeh } from "./fakebokeh.js";
import { Store } from "./store.js";
import { fire, findAll, withDocument } from "./testdom.js";

/** Runs r0 (named "a,b") and r1 ("=cmd") logging "train/loss" at steps 0..2. */
function storeOf() {
  const store = new Store();
  store.runInfo("r0", "a,b");
  store.runInfo("r1", "=cmd");
  for (const run of ["r0", "r1"]) {
    store.get(run, "train/loss").append(Float64Array.of(0, 1, 2), Float64Array.of(1, NaN, 3), Float64Array.of(10, 11, 12.5));
  }
  return store;
}

/** @param {any} window @param {any} settings @param {Store} store */
function chartIn(window, settings, store) {
  /** @type {{ blob: Blob, name: string }[]} */
  const saved = [];
  const chart = createChart(fakeBokeh(), "train/loss", { store, settings, detail: null, cursor: null,
    nextFrame: (redraw) => redraw(), download: (blob, name) => saved.push({ blob, name }) });
  window.document.body.appendChild(chart.box);
  chart.fill();
  return { chart, saved };
}

/** Wait for a button's click handler to finish. @param {HTMLElement} button */
async function settled(button) {
  for (let i = 0; i < 50 && button.dataset.state === "busy"; i++) await new Promise((r) => setTimeout(r, 0));
}

test("a chart's header has PNG and CSV buttons with tooltips and labels", () => withDocument(async (window) => {
  const { chart } = chartIn(window, { ...DEFAULT_SETTINGS }, storeOf());
  const buttons = findAll(chart.box, ".nbtrack-chart-head button");
  assert.deepEqual(buttons.map((b) => [b.dataset.action, b.textContent, b.getAttribute("aria-label")]),
    [["png", "PNG", "PNG of chart train/loss"], ["csv", "CSV", "CSV of chart train/loss"]]);
  assert.ok(buttons.every((b) => b.title.length > 10 && b.getAttribute("type") === "button"));
  assert.match(buttons[0].title, /train_loss\.png/);
}));

test("CSV: every point of the shown runs, escaped, with the smoothed column", () => withDocument(async (window) => {
  const store = storeOf();
  const { chart, saved } = chartIn(window, { ...DEFAULT_SETTINGS, smoothing: 0.5 }, store);
  const csv = /** @type {HTMLElement} */ (chart.box.querySelector('[data-action="csv"]'));
  fire(csv, "click");
  await settled(csv);
  assert.equal(csv.dataset.state, "done");
  assert.equal(saved.length, 1);
  assert.equal(saved[0].name, "train_loss.csv");
  assert.match(saved[0].blob.type, /^text\/csv/);
  const text = await saved[0].blob.text();
  assert.equal(text, ["run,step,wall_time,value,smoothed", '"a,b",0,10,1,1', '"a,b",1,11,nan,nan', '"a,b",2,12.5,3,2.3333333333333335',
    "'=cmd,0,10,1,1", "'=cmd,1,11,nan,nan", "'=cmd,2,12.5,3,2.3333333333333335", ""].join("\r\n"));
  store.hidden.add("r1"); // a hidden run leaves the CSV
  fire(csv, "click");
  await settled(csv);
  const rows = (await saved[1].blob.text()).trimEnd().split("\r\n");
  assert.equal(rows.length, 4);
  assert.ok(rows.slice(1).every((row) => row.startsWith('"a,b"')));
}));

test("PNG: the figure view's picture, once the chart is shown; before, the button says why not", () => withDocument(async (window) => {
  const { chart, saved } = chartIn(window, { ...DEFAULT_SETTINGS }, storeOf());
  const png = /** @type {HTMLElement} */ (chart.box.querySelector('[data-action="png"]'));
  const warn = console.warn;
  console.warn = () => {};
  try {
    fire(png, "click");
    await settled(png);
  } finally {
    console.warn = warn;
  }
  assert.equal(png.dataset.state, "error");
  assert.match(png.title, /failed: the chart is not drawn yet/);
  const root = /** @type {any} */ (globalThis);
  const savedWindow = root.window;
  root.window = window;
  try {
    await chart.show(() => false);
  } finally {
    root.window = savedWindow;
  }
  fire(png, "click");
  await settled(png);
  assert.equal(png.dataset.state, "done");
  assert.deepEqual(saved.map((s) => s.name), ["train_loss.png"]);
  assert.equal(await saved[0].blob.text(), "fake png");
}));
