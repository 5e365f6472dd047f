// The chart grid with a fake BokehJS (fakebokeh.js) on happy-dom: the tag filter, run grouping, sizes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createCharts } from "./charts.js";
import { DEFAULT_SETTINGS } from "./controls.js";
import { fakeBokeh } from "./fakebokeh.js";
import { Store } from "./store.js";
import { findAll, withDocument } from "./testdom.js";

/** A store of runs r0..r(n-1) with config lr and a group, each logging `keys` at steps 0..9. */
function storeOf(n = 4, keys = ["train/loss", "train/acc", "val/loss"]) {
  const store = new Store();
  for (let r = 0; r < n; r++) {
    Object.assign(store.runInfo(`r${r}`, `run-${r}`), { config: { lr: r % 2 ? 0.1 : 0.01 }, group: r < 2 ? "a" : "b" });
    for (const key of keys) {
      const steps = Float64Array.from({ length: 10 }, (_, i) => i);
      store.get(`r${r}`, key).append(steps, steps.map((s) => s + r), steps.map(() => 0));
    }
  }
  return store;
}

/** @param {(window: any) => Promise<void>} body */
const inPage = (body) => withDocument(async (window) => {
  const root = /** @type {any} */ (globalThis);
  const saved = { window: root.window, requestAnimationFrame: root.requestAnimationFrame };
  root.window = window;
  root.requestAnimationFrame = (/** @type {() => void} */ f) => setTimeout(f, 0);
  try {
    await body(window);
  } finally {
    root.window = saved.window;
    root.requestAnimationFrame = saved.requestAnimationFrame;
  }
});

test("the tag filter hides charts and empty groups, and counts what it shows", () => inPage(async (window) => {
  const container = window.document.createElement("div");
  window.document.body.appendChild(container);
  const settings = { ...DEFAULT_SETTINGS, tagFilter: "loss" };
  const charts = createCharts(fakeBokeh(), storeOf(1), container, settings);
  await charts.update();
  assert.deepEqual(charts.filtered, { shown: 2, total: 3, error: null, active: true });
  const hidden = findAll(container, ".nbtrack-chart-slot").filter((s) => s.hidden).map((s) => s.dataset.key);
  assert.deepEqual(hidden, ["train/acc"]);
  assert.equal(charts.charts.has("train/acc"), false, "a hidden chart is not built");
  settings.tagFilter = "/^val\\//";
  await charts.update();
  const sections = findAll(container, ".nbtrack-group");
  assert.deepEqual(sections.map((s) => [s.dataset.group, s.hidden]), [["train", true], ["val", false]]);
  settings.tagFilter = "/(/";
  await charts.update();
  assert.equal(charts.filtered.shown, 3);
  assert.match(charts.filtered.error ?? "", /invalid regular expression/);
  assert.equal(charts.charts.size, 3, "shown again: built");
  charts.dispose();
}));

test("grouped runs: one mean line and band per group, per-run lines hidden", () => inPage(async (window) => {
  const container = window.document.createElement("div");
  window.document.body.appendChild(container);
  const store = storeOf(4, ["loss"]);
  const settings = { ...DEFAULT_SETTINGS, smoothing: 0, groupBy: "group" };
  const charts = createCharts(fakeBokeh(), store, container, settings);
  await charts.update();
  const chart = /** @type {any} */ (charts.charts.get("loss"));
  assert.equal(chart.box.dataset.groups, "2");
  assert.equal(chart.box.dataset.runs, "4");
  const bands = chart.figure.renderers.filter((/** @type {any} */ r) => r.kind === "varea");
  assert.equal(bands.length, 2);
  // group a = runs 0 and 1 (values s and s + 1): mean s + 0.5, min s, max s + 1
  assert.deepEqual(Array.from(bands[0].source.data.lo).slice(0, 3), [0, 1, 2]);
  assert.deepEqual(Array.from(bands[0].source.data.hi).slice(0, 3), [1, 2, 3]);
  const means = chart.figure.renderers.filter((/** @type {any} */ r) => r.kind === "line" && r.line_width === 2);
  assert.deepEqual(Array.from(means[1].source.data.y).slice(0, 2), [2.5, 3.5]);
  assert.deepEqual(means[0].source.data.run.slice(0, 1), ["a"]);
  assert.deepEqual(means[0].source.data.runs.slice(0, 1), ["2 of 2"]);
  // hiding a run takes it out of its group
  store.hidden.add("r3");
  await charts.update();
  assert.deepEqual(Array.from(means[1].source.data.y).slice(0, 2), [2, 3]);
  assert.equal(chart.box.dataset.runs, "3");
  // back to runs: group glyphs hidden, runs drawn
  settings.groupBy = "none";
  await charts.update();
  assert.ok(bands.every((/** @type {any} */ b) => b.visible === false));
  assert.equal(chart.box.dataset.groups, "0");
  assert.equal(chart.box.dataset.runs, "3");
  charts.dispose();
}));

test("the size control sets the grid's least chart width and the figures' height; figures stretch", () => inPage(async (window) => {
  const container = window.document.createElement("div");
  window.document.body.appendChild(container);
  const charts = createCharts(fakeBokeh(), storeOf(1, ["loss"]), container, { ...DEFAULT_SETTINGS, chartSize: "large" });
  await charts.update();
  assert.equal(container.style.getPropertyValue("--nbtrack-chart-width"), "640px");
  const { options } = /** @type {any} */ (charts.charts.get("loss")).figure;
  assert.equal(options.height, 320);
  assert.equal(options.sizing_mode, "stretch_width");
  charts.dispose();
}));

test("the modules that show logged names never parse HTML", async () => {
  const { readFile } = await import("node:fs/promises");
  for (const name of ["charts.js", "chart.js", "grouplines.js", "controls.js", "mediapanels.js", "tagfilter.js", "rungroups.js"]) {
    const source = await readFile(new URL(name, import.meta.url), "utf8");
    assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write/, name);
  }
});

/** The data objects of every source of a chart's renderers (a source set anew gets a new object). @param {any} chart */
const dataOf = (chart) => chart.figure.renderers.map((/** @type {any} */ r) => r.source?.data);

test("many runs: 4 multi_lines share the lines; new points of one run re-set its bucket only, in its tag's chart only",
  () => inPage(async (window) => {
    const container = window.document.createElement("div");
    window.document.body.appendChild(container);
    const store = storeOf(40, ["loss", "acc"]);
    const settings = { ...DEFAULT_SETTINGS, smoothing: 0.6 };
    const charts = createCharts(fakeBokeh(), store, container, settings);
    await charts.update();
    const chart = /** @type {any} */ (charts.charts.get("loss"));
    const multi = () => chart.figure.renderers.filter((/** @type {any} */ r) => r.kind === "multi_line");
    const smoothed = multi();
    assert.equal(smoothed.length, 4, "more than 20 runs: the smoothed lines only, no raw multi_lines");
    assert.ok(smoothed.every((/** @type {any} */ r) => r.line_width === 1 && r.line_alpha === undefined));
    assert.deepEqual(smoothed.map((/** @type {any} */ r) => r.source.data.xs.length), [10, 10, 10, 10]);
    const hover = chart.figure.tools.find((/** @type {any} */ t) => t.tooltips?.[0]?.[1] === "@run" && t.line_policy);
    assert.deepEqual(hover.renderers, smoothed, "the hover names the run on every bucket's smoothed lines");
    assert.equal(smoothed[1].source.data.run[0], "run-1");
    const otherChart = /** @type {any} */ (charts.charts.get("acc"));
    const [before, otherBefore] = [dataOf(chart), dataOf(otherChart)];
    store.get("r20", "loss").append(Float64Array.of(10), Float64Array.of(3), Float64Array.of(0));
    await charts.update();
    const after = dataOf(chart);
    const reset = chart.figure.renderers.filter((/** @type {any} */ _, /** @type {number} */ i) => after[i] !== before[i]);
    assert.deepEqual(reset.map((/** @type {any} */ r) => r.kind), ["scatter", "scatter", "multi_line"],
      "the extent (step 10 widens it), the markers of the newest points and run r20's bucket");
    assert.equal(reset[2], smoothed[0], "r20 is the 21st run seen: bucket 0");
    assert.deepEqual(dataOf(otherChart), otherBefore, "the chart of a tag without new points is not redrawn");
    // 12 runs: the faint raw lines too, behind the smoothed ones
    for (let r = 12; r < 40; r++) store.hidden.add(`r${r}`);
    await charts.update();
    assert.equal(chart.box.dataset.runs, "12");
    const raw = multi().filter((/** @type {any} */ r) => r.line_alpha === 0.12);
    assert.equal(raw.length, 4);
    assert.deepEqual(chart.figure.renderers.slice(0, 4), raw, "drawn first: behind every other glyph");
    assert.ok(raw.every((/** @type {any} */ r) => r.visible && r.source.data.xs.length === 3));
    charts.dispose();
  }));
