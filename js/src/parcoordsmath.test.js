import assert from "node:assert/strict";
import { test } from "node:test";
import {
  axesOf, axisPositions, brushFromUnits, brushUnits, constantKeys, defaultMetric, MAX_AXES, numberOf, numericMetrics,
  runPath, varyingConfig,
  scaleOf, selectRuns, shorten, WIDTH,
} from "./parcoordsmath.js";
import { sweep } from "./testdata.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */

/** @param {number} a @param {number} b */
const near = (a, b, tolerance = 1e-9) => assert.ok(Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

test("scale: linear from the smallest to the largest value, with round ticks and both ends labelled", () => {
  const s = scaleOf([64, 128, null, 256, 512, undefined]);
  assert.equal(s.type, "linear");
  assert.deepEqual(s.domain, [64, 512]);
  assert.equal(s.toUnit(64), 0);
  assert.equal(s.toUnit(512), 1);
  near(s.toUnit(288), 0.5);
  near(s.fromUnit(0.5), 288);
  assert.deepEqual(s.ticks.map((t) => t.label), ["64", "200", "400", "512"]);
  assert.ok(s.ticks.every((t) => near(t.unit, s.toUnit(t.value)) === undefined));
  assert.ok(Number.isNaN(s.toUnit(null)) && Number.isNaN(s.toUnit("x")) && Number.isNaN(s.toUnit("nan")));
  const constant = scaleOf([3, 3]);
  assert.equal(constant.toUnit(3), 0.5);
  assert.deepEqual(constant.ticks, [{ value: 3, unit: 0.5, label: "3" }]);
});

test("scale: positive values spanning more than two decades are log, with ticks at powers of ten", () => {
  const lrs = Array.from({ length: 20 }, (_, i) => 10 ** (-4 + (3 * i) / 19));
  const s = scaleOf(lrs);
  assert.equal(s.type, "log");
  near(s.toUnit(1e-3), 1 / 3);
  near(s.fromUnit(2 / 3), 1e-2);
  assert.deepEqual(s.ticks.map((t) => t.label), ["1e-4", "0.001", "0.01", "0.1"]);
  assert.ok(Number.isNaN(s.toUnit(0)) && Number.isNaN(s.toUnit(-1)));
  assert.equal(scaleOf([1, 100]).type, "linear", "exactly two decades stay linear");
  assert.equal(scaleOf([0, 1, 1000]).type, "linear", "a zero keeps it linear");
  assert.equal(scaleOf([-1e-4, 1]).type, "linear");
  assert.equal(scaleOf([3e-5, 0.5]).ticks[0].label, "3e-5");
});

test("scale: anything not numeric is categorical, its distinct values spread evenly in natural order", () => {
  const s = scaleOf(["sgd", "adam", "sgd", null]);
  assert.equal(s.type, "categorical");
  assert.deepEqual(s.categories, ["adam", "sgd"]);
  assert.deepEqual([s.toUnit("adam"), s.toUnit("sgd"), s.toUnit("rmsprop")], [0, 1, NaN]);
  assert.deepEqual(s.ticks.map((t) => [t.label, t.unit]), [["adam", 0], ["sgd", 1]]);
  const mixed = scaleOf(["layer10", "layer2", 3, true]);
  assert.deepEqual(mixed.categories, ["3", "layer2", "layer10", "true"]);
  near(mixed.toUnit("layer2"), 1 / 3);
  assert.equal(mixed.toUnit(3), 0, "a number is found by its text");
  assert.equal(scaleOf(["only"]).toUnit("only"), 0.5);
  const many = scaleOf(Array.from({ length: 30 }, (_, i) => `c${i}`));
  assert.ok(many.ticks.filter((t) => t.label).length <= 16, "labels thinned");
  assert.equal(many.ticks[29].label, "c29");
  assert.equal(scaleOf([]).categories.length, 0);
});

test("scale: non-finite floats (as snapshots name them) are numbers that cannot be placed", () => {
  assert.deepEqual([numberOf("nan"), numberOf("inf"), numberOf("-Infinity"), numberOf("x"), numberOf(true)], [NaN, Infinity, -Infinity, null, null]);
  const s = scaleOf([0.5, "nan", 0.25, "inf"]);
  assert.equal(s.type, "linear");
  assert.deepEqual(s.domain, [0.25, 0.5]);
  assert.ok(Number.isNaN(s.toUnit("nan")) && Number.isNaN(s.toUnit("inf")));
  assert.equal(scaleOf(["nan", "inf"]).type, "categorical", "no finite value: nothing to scale");
});

test("axes: config keys that vary, in the order first seen, then the metric; constant keys left out", () => {
  const runs = sweep();
  const axes = axesOf(runs, "val/loss");
  assert.deepEqual(axes.map((a) => a.key), ["config.lr", "config.width", "config.optimizer", "summary.val/loss"]);
  assert.deepEqual(axes.map((a) => a.scale.type), ["log", "linear", "categorical", "linear"]);
  assert.deepEqual(constantKeys(runs), ["epochs"]);
  assert.deepEqual(axesOf(runs, "missing").map((a) => a.key), ["config.lr", "config.width", "config.optimizer"]);
  assert.deepEqual(axesOf(runs, null).length, 3);
  assert.deepEqual(axesOf(runs.slice(0, 1), "val/acc").map((a) => a.key),
    ["config.lr", "config.width", "config.optimizer", "config.epochs", "summary.val/acc"], "one run: every key");
  const partial = [{ id: "a", name: "a", index: 0, config: { x: 1 } }, { id: "b", name: "b", index: 1, config: {} }];
  assert.deepEqual(axesOf(partial, null).map((a) => a.key), ["config.x"], "present vs missing differs");
  assert.deepEqual(axesOf([], "loss"), []);
});

test("axes: at most MAX_AXES config axes, preferring keys more runs have; the rest named as hidden", () => {
  const runs = [0, 1, 2].map((i) => ({ id: `r${i}`, name: `r${i}`, index: i,
    config: { lr: 10 ** -i, ...(i === 2 ? Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`hf.k${k}`, k])) : {}),
      seed: i } }));
  const { drawn, hidden } = varyingConfig(runs);
  assert.equal(drawn.length, MAX_AXES);
  assert.deepEqual(drawn.slice(0, 3).map((a) => a.name), ["lr", "seed", "hf.k0"], "first-seen order among those drawn");
  assert.ok(drawn.some((a) => a.name === "seed"), "a key every run has is drawn before keys one run has");
  assert.equal(hidden.length, 42 - MAX_AXES);
  assert.deepEqual(axesOf(runs, null).map((a) => a.name), drawn.map((a) => a.name));
  assert.deepEqual(constantKeys(runs), [], "hidden keys are not called constant");
});

test("metrics: the numeric summary keys; the default is the first holding 'loss', else the first", () => {
  const runs = sweep(4);
  assert.deepEqual(numericMetrics(runs), ["val/acc", "val/loss"]);
  assert.equal(defaultMetric(numericMetrics(runs)), "val/loss");
  assert.equal(defaultMetric(["acc", "Train_Loss"]), "Train_Loss");
  assert.equal(defaultMetric(["acc", "f1"]), "acc");
  assert.equal(defaultMetric([]), "");
});

test("selection: runs within every brush of the shown axes; null without brushes", () => {
  const runs = sweep();
  const axes = axesOf(runs, "val/loss");
  /** @type {Map<string, import("./parcoordsmath.js").Brush>} */
  const brushes = new Map();
  assert.equal(selectRuns(runs, axes, brushes), null);
  brushes.set("config.lr", { lo: 1e-3, hi: 1e-2 });
  const byLr = runs.filter((r) => Number(r.config?.lr) >= 1e-3 && Number(r.config?.lr) <= 1e-2).map((r) => r.id);
  assert.deepEqual([...(selectRuns(runs, axes, brushes) ?? [])], byLr);
  brushes.set("config.optimizer", { categories: ["sgd"] });
  assert.deepEqual([...(selectRuns(runs, axes, brushes) ?? [])], byLr.filter((id) => Number(id.slice(1)) % 3 === 0));
  brushes.clear();
  brushes.set("config.epochs", { lo: 0, hi: 100 });
  assert.equal(selectRuns(runs, axes, brushes), null, "a brush on an axis not shown does not count");
  brushes.set("config.width", { lo: 64, hi: 64 });
  assert.deepEqual([...(selectRuns(runs, axes, brushes) ?? [])], ["r0", "r4", "r8", "r12", "r16"], "ends included");
  const lacking = [...runs, { id: "x", name: "x", index: 20, config: { lr: 0.001 } }];
  assert.ok(!selectRuns(lacking, axes, brushes)?.has("x"), "a run without a value is outside a brush");
  brushes.set("config.width", { lo: 1000, hi: 2000 });
  assert.equal(selectRuns(runs, axes, brushes)?.size, 0);
});

test("brushes from a dragged range: data units back from the axis; categories inside or the nearest", () => {
  const log = scaleOf([1e-4, 1e-1]);
  const b = brushFromUnits(log, 2 / 3, 1 / 3);
  assert.ok("lo" in b);
  near(b.lo, 1e-3, 1e-15);
  near(b.hi, 1e-2, 1e-14);
  const clamped = brushFromUnits(log, -0.5, 2);
  assert.deepEqual(clamped, { lo: 1e-4, hi: 1e-1 }, "the ends are exact: a brush to the end holds the end's runs");
  const cat = scaleOf(["a", "b", "c", "d", "e"]);
  assert.deepEqual(brushFromUnits(cat, 0.2, 0.55), { categories: ["b", "c"] });
  assert.deepEqual(brushFromUnits(cat, 0.3, 0.4), { categories: ["b"] }, "none inside: the nearest");
  assert.deepEqual(brushFromUnits(cat, 0.4, 0.45), { categories: ["c"] });
  assert.deepEqual(brushUnits(cat, { categories: ["b", "c"] }), [0.25 - 0.0625, 0.5 + 0.0625]);
  assert.deepEqual(brushUnits(log, { lo: 1e-5, hi: 1e-3 }).map((u) => Number(u.toFixed(9))), [0, 0.333333333]);
});

test("axis titles are shortened around an ellipsis; lines break at missing values", () => {
  assert.equal(shorten("optimizer", 12), "optimizer");
  assert.equal(shorten("model.encoder.num_attention_heads", 12), "model.…heads");
  assert.equal(shorten("model.encoder.num_attention_heads", 12).length, 12);
  assert.equal(shorten("abc", 1), "…");
  const xs = axisPositions(4);
  assert.equal(xs.length, 4);
  assert.ok(xs[0] > 0 && xs[3] < WIDTH);
  near(xs[1] - xs[0], xs[3] - xs[2]);
  assert.deepEqual(axisPositions(1), [(xs[0] + xs[3]) / 2]);
  const runs = [{ id: "a", name: "a", index: 0, config: { p: 0, q: 1, s: 0 } },
    { id: "b", name: "b", index: 1, config: { p: 1, s: 1, t: 2 } }];
  const axes = axesOf(runs, null);
  assert.deepEqual(axes.map((a) => a.name), ["p", "q", "s", "t"]);
  const a = runPath(runs[0], axes, axisPositions(4));
  assert.deepEqual([(a.d.match(/M/g) ?? []).length, a.lonely.length], [1, 0]);
  const b = runPath(runs[1], axes, axisPositions(4));
  assert.deepEqual([(b.d.match(/M/g) ?? []).length, b.lonely.length], [2, 1], "p alone (with a dot), then s to t");
  assert.match(b.d, /^M58\.0,\d+\.\dM\d+\.\d,\d+\.\dL/);
});
