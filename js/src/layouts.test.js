// Custom scalars layouts (layouts.js) and their section (customcharts.js, with a fake BokehJS on happy-dom).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_SETTINGS } from "./controls.js";
import { createCustomCharts } from "./customcharts.js";
import { fakeBokeh } from "./fakebokeh.js";
import { compilePatterns, dashesOf, layoutSeries, marginBand, mergeLayouts } from "./layouts.js";
import { Store } from "./store.js";
import { findAll, withDocument } from "./testdom.js";

const LAYOUT = { categories: [
  { title: "Losses", closed: false, charts: [{ title: "all", multiline: ["loss/.*"] },
    { title: "band", margin: [{ value: "m/value", lower: "m/lower", upper: "m/upper" }] }] },
  { title: "Closed", closed: true, charts: [{ title: "acc", multiline: ["^acc$"] }] },
] };

/** @param {Store} store @param {string} run @param {string} key @param {number[]} values @param {number[]} [steps] */
function log(store, run, key, values, steps = values.map((_, i) => i)) {
  store.get(run, key).append(Float64Array.from(steps), Float64Array.from(values), Float64Array.from(steps, (s) => 100 + s));
}

/** Two runs with the layout (run b's adds a regex to "all" and a chart of its own). */
function storeOf() {
  const store = new Store();
  Object.assign(store.runInfo("a", "run-a"), { layout: LAYOUT });
  Object.assign(store.runInfo("b", "run-b"), { layout: { categories: [{ title: "Losses", closed: true,
    charts: [{ title: "all", multiline: ["^aux$", "loss/.*"] }, { title: "extra", multiline: ["(broken"] }] }] } });
  for (const run of ["a", "b"]) {
    for (const key of ["loss/train", "loss/val", "aux", "acc", "m/value"]) log(store, run, key, [1, 2, 3]);
    log(store, run, "m/lower", [0, 1, 2]);
    log(store, run, "m/upper", [3, 4], [0, 2]); // step 1 missing: no band there
  }
  return store;
}

test("layouts merge: same category and chart title is one chart with the union of regexes", () => {
  const merged = mergeLayouts([{ layout: LAYOUT }, { layout: null }, { layout: { categories: "junk" } },
    { layout: { categories: [{ title: "Losses", closed: true, charts: [{ title: "all", multiline: ["^aux$", "loss/.*"] },
      { title: "band", margin: [{ value: "m/value", lower: "m/lower", upper: "m/upper" }, { value: "n/value" }] }] }] } }]);
  assert.deepEqual(merged.map((c) => [c.title, c.closed, c.charts.map((ch) => ch.title)]),
    [["Losses", false, ["all", "band"]], ["Closed", true, ["acc"]]], "the first run's closed wins");
  assert.deepEqual(merged[0].charts[0].multiline, ["loss/.*", "^aux$"]);
  assert.deepEqual(merged[0].charts[1].margin.map((m) => m.value), ["m/value", "n/value"]);
  assert.deepEqual(mergeLayouts([{}]), []);
});

test("multiline regexes search the tags; an invalid one is a note, not an error", () => {
  const store = storeOf();
  const all = layoutSeries({ title: "all", multiline: ["loss/.*", "^aux$"], margin: [] }, store.series.values());
  assert.deepEqual(all.members.map((s) => `${s.run}:${s.key}`), ["a:loss/train", "a:loss/val", "a:aux", "b:loss/train",
    "b:loss/val", "b:aux"]);
  assert.equal(all.note, "");
  const broken = layoutSeries({ title: "x", multiline: ["(broken", "^acc$"], margin: [] }, store.series.values());
  assert.deepEqual(broken.members.map((s) => s.key), ["acc", "acc"]);
  assert.match(broken.note, /^invalid regex \(broken: /);
  assert.deepEqual(compilePatterns(["a", "["]).regexes.map(String), ["/a/"]);
  assert.equal(layoutSeries({ title: "x", multiline: ["nothing"], margin: [] }, []).note, "no scalar tag matches this chart yet");
  assert.deepEqual([...dashesOf(all.members).values()].slice(0, 3), ["solid", "dashed", "dotted"]);
});

test("margin: each run's value series with its lower and upper; the band at the steps both have", () => {
  const store = storeOf();
  const chart = { title: "band", multiline: [], margin: [{ value: "m/value", lower: "m/lower", upper: "m/upper" }] };
  const { members, bands } = layoutSeries(chart, store.series.values());
  assert.deepEqual(members.map((s) => `${s.run}:${s.key}`), ["a:m/value", "b:m/value"]);
  assert.deepEqual(bands.map((b) => [b.value.run, b.lower?.key, b.upper?.key]), [["a", "m/lower", "m/upper"],
    ["b", "m/lower", "m/upper"]]);
  const [a] = bands;
  const [band] = marginBand(/** @type {any} */ (a.lower).view(), /** @type {any} */ (a.upper).view(),
    { smoothing: 0, xAxis: "step" }, 400);
  assert.deepEqual([...band.x], [0, 2]);
  assert.deepEqual([...band.lo], [0, 2]);
  assert.deepEqual([...band.hi], [3, 4]);
  const [relative] = marginBand(/** @type {any} */ (a.lower).view(), /** @type {any} */ (a.upper).view(),
    { smoothing: 0, xAxis: "relative" }, 400);
  assert.deepEqual([...relative.x], [0, 2], "seconds since the run's first point");
  const log = marginBand(/** @type {any} */ (a.lower).view(), /** @type {any} */ (a.upper).view(),
    { smoothing: 0, xAxis: "step", logY: true }, 400);
  assert.deepEqual(log.map((segment) => [...segment.x]), [[2]], "on a log axis the step whose lower edge is 0 is left out");
  const cut = marginBand({ steps: Float64Array.of(0, 1, 2, 3), values: Float64Array.of(1, -1, 1, 1), times: new Float64Array(4) },
    { steps: Float64Array.of(0, 1, 2, 3), values: Float64Array.of(2, 2, 2, 2), times: new Float64Array(4) },
    { smoothing: 0, xAxis: "step", logY: true }, 400);
  assert.deepEqual(cut.map((segment) => [...segment.x]), [[0], [2, 3]], "cut where it cannot be drawn, never bridged");
  const missing = layoutSeries({ ...chart, margin: [{ value: "m/value", lower: "m/nope", upper: "m/upper" }] }, store.series.values());
  assert.equal(missing.bands[0].lower, null);
});

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

/** The line renderers of a built chart, as "label|dash" of their hover's run name. @param {any} chart */
const lineNames = (chart) => chart.figure.renderers.filter((/** @type {any} */ r) => r.kind === "line" && r.line_width === 1.75)
  .map((/** @type {any} */ r) => `${r.source.data.run?.[0]}|${r.line_dash}|${r.color}|${r.visible}`);

test("the section: a block per category, a chart per layout chart, drawn from the store and redrawn live", () => inPage(async (window) => {
  const container = window.document.createElement("div");
  window.document.body.appendChild(container);
  const store = storeOf();
  const settings = { ...DEFAULT_SETTINGS, smoothing: 0 };
  const custom = createCustomCharts(fakeBokeh(), store, container, settings);
  custom.update();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const blocks = findAll(container, "details.nbtrack-custom-category");
  assert.deepEqual(blocks.map((b) => [b.querySelector("summary")?.textContent, /** @type {any} */ (b).open]),
    [["Losses", true], ["Closed", false]]);
  assert.deepEqual(custom.entries.map((e) => [e.layout.title, Boolean(e.chart)]),
    [["all", true], ["band", true], ["extra", true], ["acc", false]], "a closed category's charts wait for it to open");
  const [all, band, extra] = custom.entries;
  assert.equal(all.chart?.figure.options.title, "all");
  assert.deepEqual(lineNames(all.chart), ["run-a · loss/train|solid|#1f77b4|true", "run-a · loss/val|dashed|#1f77b4|true",
    "run-a · aux|dotted|#1f77b4|true", "run-b · loss/train|solid|#ff7f0e|true", "run-b · loss/val|dashed|#ff7f0e|true",
    "run-b · aux|dotted|#ff7f0e|true"], "coloured by run, dashed by tag, named \"run · tag\"");
  assert.deepEqual(findAll(all.legend, ".nbtrack-custom-tag").map((t) => t.textContent), ["loss/train", "loss/val", "aux"]);
  assert.match(extra.note.textContent ?? "", /invalid regex \(broken/);
  const varea = band.chart?.figure.renderers.filter((/** @type {any} */ r) => r.kind === "varea") ?? [];
  assert.equal(varea.length, 2, "a band per run");
  assert.deepEqual([...varea[0].source.data.hi], [3, 4]);
  // live: new points redraw; hiding a run hides its lines and its band
  log(store, "a", "loss/train", [9], [3]);
  store.hidden.add("b");
  custom.update();
  assert.equal(all.chart?.box.dataset.points, "10", "run a's three tags, one of them with a new point");
  assert.deepEqual(lineNames(all.chart).map((s) => s.split("|")[3]), ["true", "true", "true", "false", "false", "false"]);
  assert.deepEqual(varea.map((r) => r.visible), [true, false]);
  // a closed category builds its chart when opened
  /** @type {any} */ (blocks[1]).open = true;
  blocks[1].dispatchEvent(new window.Event("toggle"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(custom.entries[3].chart, "built on open");
  custom.dispose();
  assert.equal(container.children.length, 0);
}));

test("no layout: the section stays hidden and empty", () => inPage(async (window) => {
  const container = window.document.createElement("div");
  const store = new Store();
  log(store, "a", "loss", [1, 2]);
  const custom = createCustomCharts(fakeBokeh(), store, container, { ...DEFAULT_SETTINGS });
  custom.update();
  assert.equal(container.hidden, true);
  assert.equal(custom.entries.length, 0);
}));
