// A chart's x axis: define_metric step metrics (glob matching, the latest value at or before a step, points
// dropped without one, a step metric that goes back) and the system group's relative time; and the charts
// drawn with them (fake BokehJS on happy-dom).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createChart } from "./chart.js";
import { DEFAULT_SETTINGS } from "./controls.js";
import { fakeBokeh } from "./fakebokeh.js";
import { lineData } from "./lines.js";
import { Store } from "./store.js";
import { withDocument } from "./testdom.js";
import { byX, chartAxis, globMatch, mapToStepMetric, stepMetricOf, stepMetricState, SYSTEM_LABEL } from "./xaxis.js";

const f64 = (/** @type {number[]} */ ...v) => Float64Array.from(v);
const cols = (/** @type {number[]} */ steps, /** @type {number[]} */ values, /** @type {number[]} */ times = steps) => ({
  steps: Float64Array.from(steps), values: Float64Array.from(values), times: Float64Array.from(times) });

test("globs match as define_metric's: * over any characters (slashes too), ? one, the rest literally", () => {
  assert.ok(globMatch("epoch/*", "epoch/loss"));
  assert.ok(globMatch("epoch/*", "epoch/val/loss"));
  assert.ok(!globMatch("epoch/*", "val/epoch/loss"));
  assert.ok(globMatch("*/acc", "train/acc") && globMatch("loss", "loss") && !globMatch("loss", "loss2"));
  assert.ok(globMatch("a?c", "abc") && !globMatch("a?c", "ac"));
  assert.ok(globMatch("x.(y)+[z]", "x.(y)+[z]") && !globMatch("x.*", "xyz"), "regex characters are literal");
  assert.ok(globMatch("a.*", "a.b"));
});

test("a tag's step metric: an exact definition first, else the last glob; never the metric itself", () => {
  const info = { metrics: [{ name: "*", step_metric: "global_step" }, { name: "epoch/*", step_metric: "epoch" },
    { name: "epoch/special", step_metric: "batch" }] };
  assert.equal(stepMetricOf(info, "epoch/loss"), "epoch");
  assert.equal(stepMetricOf(info, "epoch/special"), "batch");
  assert.equal(stepMetricOf(info, "train/loss"), "global_step");
  assert.equal(stepMetricOf(info, "global_step"), null, "the step metric's own chart stays against steps");
  assert.equal(stepMetricOf({ metrics: [{ name: "epoch/*", step_metric: "epoch" }] }, "epoch"), null);
  assert.equal(stepMetricOf({}, "loss"), null);
  assert.equal(stepMetricOf(undefined, "loss"), null);
  assert.equal(stepMetricOf({ metrics: [{ name: "loss" }, { name: 3, step_metric: "e" }, null] }, "loss"), null);
});

test("x is the step metric's latest value at or before each step; points without one are dropped", () => {
  const epoch = cols([2, 5, 9], [0, 1, 2]);
  const loss = cols([0, 2, 3, 5, 7, 9, 12], [9, 8, 7, 6, 5, 4, 3], [10, 12, 13, 15, 17, 19, 22]);
  const mapped = mapToStepMetric(loss, epoch);
  assert.deepEqual([...mapped.steps], [2, 3, 5, 7, 9, 12], "step 0 comes before the first epoch: dropped");
  assert.deepEqual([...mapped.xs], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual([...mapped.values], [8, 7, 6, 5, 4, 3]);
  assert.deepEqual([...mapped.times], [12, 13, 15, 17, 19, 22]);
  assert.equal(mapToStepMetric(loss, null).values.length, 0, "no step metric logged: nothing to draw");
  // a non-finite metric value drops the point; at one step, the value logged last wins
  const odd = mapToStepMetric(cols([0, 1, 2], [1, 2, 3]), cols([0, 1, 1, 2], [NaN, 5, 6, Infinity]));
  assert.deepEqual([...odd.steps], [1]);
  assert.deepEqual([...odd.xs], [6]);
});

test("a step metric that goes back (restarted) maps as it was logged, and is drawn in x order", () => {
  const epoch = cols([0, 10, 20, 30], [0, 1, 0, 1]); // restarted at step 20
  const loss = cols([0, 10, 20, 30], [4, 3, 2, 1]);
  const mapped = mapToStepMetric(loss, epoch);
  assert.deepEqual([...mapped.xs], [0, 1, 0, 1]);
  const ordered = byX(mapped);
  assert.deepEqual([...ordered.xs], [0, 0, 1, 1]);
  assert.deepEqual([...ordered.values], [4, 2, 3, 1]);
  assert.deepEqual([...ordered.steps], [0, 20, 10, 30], "each point keeps its step (the hover shows it)");
  assert.equal(byX(ordered), ordered, "already in order: the same columns");
  const line = lineData(mapped, { ...DEFAULT_SETTINGS, smoothing: 0 }, 400, null, "r");
  assert.deepEqual([...line.raw.x], [0, 0, 1, 1]);
  assert.deepEqual([...line.raw.y], [4, 2, 3, 1]);
  // a step metric logged out of step order (log_point) is looked up by step
  assert.deepEqual([...mapToStepMetric(cols([5, 15], [1, 2]), cols([10, 0], [7, 3])).xs], [3, 7]);
});

test("the chart's axis: the control's, relative time for the system group, the step metric's name", () => {
  assert.deepEqual(chartAxis("loss", "step", [null]), { mode: "step", label: "step" });
  assert.deepEqual(chartAxis("system/gpu.0.util", "step", [null]), { mode: "relative", label: SYSTEM_LABEL });
  assert.match(SYSTEM_LABEL, /relative time/);
  assert.deepEqual(chartAxis("system/cpu", "wall", [null]), { mode: "wall", label: "wall time" });
  assert.deepEqual(chartAxis("system/cpu", "relative", [null]), { mode: "relative", label: "relative time (s)" });
  assert.deepEqual(chartAxis("epoch/loss", "step", ["epoch", "epoch"]), { mode: "metric", label: "epoch" });
  assert.deepEqual(chartAxis("epoch/loss", "step", ["epoch", null]), { mode: "metric", label: "epoch / step" });
  assert.deepEqual(chartAxis("epoch/loss", "relative", ["epoch"]), { mode: "relative", label: "relative time (s)" });
});

test("a series' redraw state follows its step metric's size", () => {
  const store = new Store();
  const s = store.get("r", "epoch/loss");
  assert.equal(stepMetricState(store, s), "");
  Object.assign(store.runInfo("r"), { metrics: [{ name: "epoch/*", step_metric: "epoch" }] });
  assert.equal(stepMetricState(store, s), "epoch:0:0");
  store.get("r", "epoch").append(f64(0), f64(0), f64(0));
  assert.equal(stepMetricState(store, s), "epoch:1:1");
});

/** A chart of `key` in a fresh document, drawn once. @param {any} window @param {Store} store @param {string} key
 * @param {any} [settings] */
function chartOf(window, store, key, settings = { ...DEFAULT_SETTINGS, smoothing: 0 }) {
  /** @type {number | null} */
  let step = null;
  const cursor = { get step() { return step; }, set: (/** @type {number | null} */ s) => { step = s; }, subscribe: () => () => {} };
  const chart = createChart(fakeBokeh(), key, { store, settings, detail: null, cursor, nextFrame: (redraw) => redraw() });
  window.document.body.appendChild(chart.box);
  chart.fill();
  const line = chart.lines.get(`r\u0000${key}`);
  return { chart, line, xLabel: () => chart.figure.xaxis[0].axis_label, span: () => chart.figure.layouts[0] };
}

test("a chart of a tag with a step metric plots against it, titled by it; the metric's own chart keeps steps",
  () => withDocument(async (window) => {
    const store = new Store();
    store.runInfo("r", "run");
    // run.log({"epoch/loss": x, "epoch": e}) at steps 0..5, e = step // 2
    store.get("r", "epoch/loss").append(f64(0, 1, 2, 3, 4, 5), f64(6, 5, 4, 3, 2, 1), f64(0, 1, 2, 3, 4, 5));
    store.get("r", "epoch").append(f64(0, 1, 2, 3, 4, 5), f64(0, 0, 1, 1, 2, 2), f64(0, 1, 2, 3, 4, 5));
    const before = chartOf(window, store, "epoch/loss");
    assert.equal(before.xLabel(), "step", "no definition yet");
    assert.deepEqual([...before.line.raw.data.x], [0, 1, 2, 3, 4, 5]);
    // the definition arrives (a snapshot, or a `runs` message after define_metric)
    store.applyRuns({ kind: "runs", v: 1, seq: 1, runs: [{ id: "r", metrics: [{ name: "epoch/*", step_metric: "epoch" }] }] });
    before.chart.fill();
    assert.equal(before.xLabel(), "epoch");
    assert.deepEqual([...before.line.raw.data.x], [0, 0, 1, 1, 2, 2]);
    assert.deepEqual([...before.line.raw.data.y], [6, 5, 4, 3, 2, 1]);
    assert.equal(before.chart.box.dataset.xMode, "metric");
    assert.equal(before.span().visible, false, "no step cursor on an axis that is not steps");
    const own = chartOf(window, store, "epoch");
    assert.equal(own.xLabel(), "step");
    assert.deepEqual([...own.line.raw.data.x], [0, 1, 2, 3, 4, 5]);
    // new points of the step metric alone redraw the chart's line
    store.get("r", "epoch/loss").append(f64(6), f64(0.5), f64(6));
    before.chart.fill();
    const last = () => [before.line.raw.data.x.at(-1), before.line.raw.data.y.at(-1)];
    assert.deepEqual(last(), [2, 0.5], "step 6 has no epoch yet: the latest one, at step 5");
    store.get("r", "epoch").append(f64(6), f64(3), f64(6));
    before.chart.fill();
    assert.deepEqual(last(), [3, 0.5]);
    // relative time is unchanged by the definition
    const relative = chartOf(window, store, "epoch/loss", { ...DEFAULT_SETTINGS, smoothing: 0, xAxis: "relative" });
    assert.equal(relative.xLabel(), "relative time (s)");
    assert.deepEqual([...relative.line.raw.data.x], [0, 1, 2, 3, 4, 5, 6]);
  }));

test("system charts use relative time under the step control, saying so; other charts keep steps",
  () => withDocument(async (window) => {
    const store = new Store();
    store.runInfo("r", "run");
    // three samples at step 4 (the run's current step), at their own times
    store.get("r", "system/cpu").append(f64(4, 4, 4, 9), f64(10, 20, 30, 40), f64(100, 102, 104, 106));
    store.get("r", "loss").append(f64(0, 4, 9), f64(1, 2, 3), f64(100, 103, 106));
    const system = chartOf(window, store, "system/cpu");
    assert.equal(system.xLabel(), SYSTEM_LABEL);
    assert.deepEqual([...system.line.raw.data.x], [0, 2, 4, 6]);
    assert.equal(system.chart.box.dataset.xMode, "relative");
    assert.equal(system.chart.box.dataset.xAxis, "step", "the control is unchanged");
    const loss = chartOf(window, store, "loss");
    assert.equal(loss.xLabel(), "step");
    assert.deepEqual([...loss.line.raw.data.x], [0, 4, 9]);
    const wall = chartOf(window, store, "system/cpu", { ...DEFAULT_SETTINGS, smoothing: 0, xAxis: "wall" });
    assert.equal(wall.xLabel(), "wall time");
    assert.deepEqual([...wall.line.raw.data.x], [100000, 102000, 104000, 106000]);
  }));

test("grouped runs: a step-metric chart's group mean is drawn against the metric", () => withDocument(async (window) => {
  const store = new Store();
  for (const [run, group] of [["r", "g"], ["s", "g"]]) {
    Object.assign(store.runInfo(run, run), { group, metrics: [{ name: "val/*", step_metric: "epoch" }] });
    store.get(run, "val/acc").append(f64(1, 3), run === "r" ? f64(0.5, 0.7) : f64(0.7, 0.9), f64(1, 3));
    store.get(run, "epoch").append(f64(0, 2), f64(1, 2), f64(0, 2));
  }
  const chart = createChart(fakeBokeh(), "val/acc", { store, settings: { ...DEFAULT_SETTINGS, smoothing: 0, groupBy: "group" },
    detail: null, cursor: null, nextFrame: (redraw) => redraw() });
  window.document.body.appendChild(chart.box);
  chart.fill();
  const raw = chart.figure.renderers.filter((/** @type {any} */ r) => r.kind === "line").map((/** @type {any} */ r) => r.source.data)
    .find((/** @type {any} */ d) => d.x?.length === 2);
  assert.deepEqual([...raw.x], [1, 2]);
  assert.deepEqual([...raw.y].map((v) => Number(v.toFixed(6))), [0.6, 0.8]);
  assert.equal(chart.figure.xaxis[0].axis_label, "epoch");
}));
