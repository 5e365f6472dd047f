import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  axesOf, axisPositions, brushFromUnits, brushUnits, constantKeys, createParallelCoordinates, defaultMetric,
  HEIGHT, numberOf, numericMetrics, runPath, scaleOf, selectRuns, shorten, WIDTH,
} from "./parcoords.js";
import { FakeElement, withFakeDocument } from "./testdom.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */

/** @param {number} a @param {number} b */
const near = (a, b, tolerance = 1e-9) => assert.ok(Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

/** 20 runs like a sweep: log-spaced learning rates, widths, two optimizers, a loss and an accuracy.
 * @returns {RunInfo[]} */
function sweep(n = 20) {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, name: `run-${i}`, index: i,
    config: { lr: 10 ** (-4 + (3 * i) / (n - 1)), width: [64, 128, 256, 512][i % 4], optimizer: i % 3 ? "adam" : "sgd",
      epochs: 10 },
    summary: { "val/acc": 0.5 + i / 100, "val/loss": 1 - i / 40, note: "ok" },
  }));
}

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
  /** @type {Map<string, import("./parcoords.js").Brush>} */
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

// ---- the view, in the stand-in DOM

/** @param {RunInfo[]} runs @param {Partial<import("./runtable.js").TableState>} [initial]
 * @param {import("./parcoords.js").ParcoordsOptions} [options] */
function mount(runs, initial = {}, options = {}) {
  const container = new FakeElement("div");
  /** @type {import("./runtable.js").TableState} */
  const state = { hidden: new Set(), filter: "", sort: null, selected: null, ...initial };
  const calls = { changes: 0 };
  const view = createParallelCoordinates(/** @type {any} */ (container), runs, state, () => { calls.changes += 1; }, options);
  const root = /** @type {FakeElement} */ (/** @type {unknown} */ (view.element));
  const lines = () => root.byClass("nbtrack-hparam-run");
  const plot = root.byClass("nbtrack-hparam-plot")[0];
  return { container, state, calls, view, root, lines, plot };
}

test("view: an SVG with the axes, one line per shown run in its colour, labels as text", () => withFakeDocument(() => {
  const runs = sweep();
  runs[3].name = "<img src=x onerror=alert(1)>";
  runs[0].config = { ...runs[0].config, "model.encoder.num_attention_heads": 4 };
  const { root, lines, plot, state } = mount(runs, { hidden: new Set(["r1", "r2"]) });
  assert.equal(plot.localName, "svg");
  assert.equal(plot.namespaceURI, "http://www.w3.org/2000/svg");
  assert.deepEqual([plot.getAttribute("width"), plot.getAttribute("height")], [String(WIDTH), String(HEIGHT)]);
  assert.equal(root.dataset.axes, "config.lr|config.width|config.optimizer|config.model.encoder.num_attention_heads|summary.val/loss");
  assert.equal(root.dataset.metric, "val/loss");
  assert.equal(root.dataset.selected, "20");
  assert.equal(root.dataset.drawn, "18");
  assert.equal(state.selected, null);
  assert.equal(lines().length, 18, "hidden runs are not drawn");
  assert.ok(!lines().some((g) => g.getAttribute("data-run") === "r1"));
  assert.equal(lines().find((g) => g.getAttribute("data-run") === "r0")?.getAttribute("stroke"), "#1f77b4");
  const tooltip = lines().find((g) => g.getAttribute("data-run") === "r3")?.byTag("title")[0];
  assert.match(String(tooltip?.textContent), /^<img src=x onerror=alert\(1\)>\nlr: /);
  assert.equal(root.byTag("img").length, 0);
  const titles = root.byTag("text").filter((t) => t.byTag("title").length);
  const long = titles.find((t) => t.byTag("title")[0].textContent === "config: model.encoder.num_attention_heads");
  assert.ok(long && long.textContent.includes("…"), "a long title is shortened; its full name in a tooltip");
  const select = root.byClass("nbtrack-hparam-metric")[0];
  assert.deepEqual(select.children.map((o) => o.value), ["val/acc", "val/loss"]);
  assert.equal(select.value, "val/loss");
  assert.ok(root.byTag("text").some((t) => t.text === "log scale"));
}));

test("view: brush() selects, dims the rest, calls onChange; null clears; categories by name", () => withFakeDocument(() => {
  const runs = sweep();
  const { root, lines, state, calls, view } = mount(runs, { hidden: new Set(["r19"]) });
  view.brush("config.lr", 1e-3, 1e-2);
  const inRange = runs.filter((r) => Number(r.config?.lr) >= 1e-3 && Number(r.config?.lr) <= 1e-2).map((r) => r.id);
  assert.deepEqual([...(state.selected ?? [])], inRange);
  assert.equal(root.dataset.selected, String(inRange.length));
  assert.equal(calls.changes, 1);
  const faint = lines().filter((g) => g.getAttribute("data-faint") === "true").length;
  assert.equal(faint, 19 - inRange.length);
  assert.equal(root.byClass("nbtrack-hparam-brush").length, 1);
  assert.equal(root.byClass("nbtrack-hparam-status")[0].textContent, `${inRange.length} of 20 runs selected`);
  view.brush("config.optimizer", "sgd");
  assert.deepEqual([...(state.selected ?? [])], inRange.filter((id) => Number(id.slice(1)) % 3 === 0));
  assert.equal(root.dataset.brushes, "2");
  view.brush("config.optimizer", "adam", "sgd");
  assert.deepEqual([...(state.selected ?? [])], inRange);
  assert.throws(() => view.brush("config.optimizer", "rmsprop"), /rmsprop is not a category/);
  assert.throws(() => view.brush("config.epochs", 1, 2), /no axis config.epochs/);
  view.brush("config.lr", null);
  view.brush("config.optimizer", null);
  assert.equal(state.selected, null);
  assert.equal(root.dataset.selected, "20");
  assert.equal(calls.changes, 5);
  assert.equal(root.byClass("nbtrack-hparam-brush").length, 0);
}));

test("view: a vertical drag on an axis brushes it; a click on it clears it; a cancelled drag restores", () => withFakeDocument(() => {
  const runs = sweep();
  const { root, plot, state, calls } = mount(runs);
  const hit = root.byClass("nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "summary.val/loss");
  assert.ok(hit);
  const top = Number(hit.getAttribute("y")) + 4;
  const bottom = top + Number(hit.getAttribute("height")) - 8;
  const at = (/** @type {number} */ unit) => bottom - unit * (bottom - top);
  plot.fire("pointerdown", { target: hit, clientY: at(1), pointerId: 1 });
  plot.fire("pointermove", { clientY: at(1) + 1, pointerId: 1 });
  assert.equal(root.byClass("nbtrack-hparam-brush").length, 0, "not yet a drag");
  plot.fire("pointermove", { clientY: at(0.5), pointerId: 1 });
  assert.equal(root.byClass("nbtrack-hparam-brush").length, 1, "drawn while dragging");
  assert.equal(calls.changes, 0);
  plot.fire("pointerup", { clientY: at(0.5), pointerId: 1 });
  const losses = runs.map((r) => Number(r.summary?.["val/loss"]));
  const middle = (Math.min(...losses) + Math.max(...losses)) / 2;
  const expected = runs.filter((r, i) => losses[i] >= middle - 1e-9).map((r) => r.id);
  assert.deepEqual([...(state.selected ?? [])], expected);
  assert.equal(calls.changes, 1);
  assert.equal(plot.captured.size, 0, "pointer released");

  const lrHit = root.byClass("nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "config.lr");
  plot.fire("pointerdown", { target: lrHit, clientY: at(0), pointerId: 2 });
  plot.fire("pointermove", { clientY: at(0.2), pointerId: 2 });
  plot.fire("pointercancel", { pointerId: 2 });
  assert.deepEqual([...(state.selected ?? [])], expected, "cancelled: the lr brush is gone again");
  assert.equal(root.dataset.brushes, "1");

  const lossHit = root.byClass("nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "summary.val/loss");
  plot.fire("pointerdown", { target: lossHit, clientY: at(0.9), pointerId: 3 });
  plot.fire("pointerup", { clientY: at(0.9), pointerId: 3 });
  assert.equal(state.selected, null, "a click clears the axis's brush");
  assert.equal(calls.changes, 2);
  plot.fire("pointerdown", { target: lossHit, clientY: at(0.9), pointerId: 4 });
  plot.fire("pointerup", { clientY: at(0.9), pointerId: 4 });
  assert.equal(calls.changes, 2, "a click on an axis with no brush changes nothing");
  plot.fire("pointerdown", { target: plot, clientY: at(0.9), pointerId: 5 });
  plot.fire("pointermove", { clientY: at(0.1), pointerId: 5 });
  assert.equal(root.byClass("nbtrack-hparam-brush").length, 0, "a press off the axes does nothing");
}));

test("view: the metric selector changes the last axis; update follows hidden runs and new data", () => withFakeDocument(() => {
  const runs = sweep();
  /** @type {string[]} */
  const chosen = [];
  const { root, state, calls, view, lines } = mount(runs, {}, { onMetricChange: (m) => chosen.push(m) });
  view.brush("summary.val/loss", 0, 0.7);
  const select = root.byClass("nbtrack-hparam-metric")[0];
  select.value = "val/acc";
  select.fire("change");
  assert.deepEqual(chosen, ["val/acc"]);
  assert.ok(root.dataset.axes?.endsWith("|summary.val/acc"));
  assert.equal(state.selected, null, "the brush of an axis that went away is dropped");
  assert.equal(calls.changes, 2);
  view.brush("config.width", 500, 600);
  const changes = calls.changes;
  state.hidden.add("r0");
  view.update(runs);
  assert.equal(lines().length, 19);
  assert.equal(calls.changes, changes, "same selection: no onChange from update");
  view.update(runs.map((r) => (r.id === "r0" ? { ...r, config: { ...r.config, width: 512 } } : r)));
  assert.ok(state.selected?.has("r0"), "a hidden run in the brush stays selected (the table still lists it)");
  assert.equal(calls.changes, changes + 1, "the selection changed: onChange");
  const other = mount(runs, {}, { metric: "val/acc" });
  assert.equal(other.root.dataset.metric, "val/acc");
  view.dispose();
  assert.equal(root.parentElement, null);
  assert.equal(root.byClass("nbtrack-hparam-plot")[0].listeners.pointerdown?.length ?? 0, 0);
}));

test("view: nothing to show is said so", () => withFakeDocument(() => {
  const { root } = mount([]);
  assert.equal(root.dataset.axes, "");
  assert.ok(root.byTag("text").some((t) => t.text === "no runs shown"));
  const bare = mount([{ id: "a", name: "a", index: 0 }]);
  assert.ok(bare.root.byTag("text").some((t) => t.text === "no config or numeric summary to compare"));
}));

test("nothing logged is parsed as HTML", () => {
  const source = readFileSync(new URL("./parcoords.js", import.meta.url), "utf8");
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write/);
});
