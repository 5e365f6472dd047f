import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeBokeh } from "./fakebokeh.js";
import { createMediaPanels } from "./mediapanels.js";
import { drawnAt, TOOLTIPS } from "./prcurves.js";
import { Store } from "./store.js";
import { findAll, fire, withDocument } from "./testdom.js";

const json = (/** @type {unknown} */ body) => new TextEncoder().encode(JSON.stringify(body));
/** A curve whose recall at each threshold is `r`, precision 1 - r / 2, with counts. @param {number[]} r */
const curve = (r) => json({ thresholds: r.map((_, i) => i / (r.length - 1)), precision: r.map((x) => 1 - x / 2),
  recall: r, tp: r.map((x) => 10 * x), fp: r.map(() => 1), tn: r.map(() => 3), fn: r.map((x) => 10 - 10 * x) });
const item = (/** @type {string} */ run, /** @type {number} */ step, /** @type {number[]} */ r, key = "pr") =>
  ({ run, key, kind: "pr_curve", step, index: null, meta: { caption: null }, data: [curve(r)] });

function bokeh() {
  const B = /** @type {any} */ (fakeBokeh());
  B.Range1d = function Range1d(/** @type {any} */ options) { Object.assign(this, options); };
  return B;
}

test("drawnAt: one line per run at its step, points with the run's name, step and counts", () => {
  const store = new Store();
  store.applySnapshot({ seq: 1, series: [], runs: [{ id: "a", name: "alpha" }, { id: "b", name: "beta" }],
    media: [item("a", 0, [1, 0.5, 0.2]), item("a", 10, [1, 0.8, 0.6]), item("b", 5, [1, 0.1])] });
  const series = [...store.media.values()];
  const runOf = (/** @type {string} */ run) => ({ name: run === "a" ? "alpha" : "beta", color: run === "a" ? "red" : "blue" });
  const at5 = drawnAt(series, 5, runOf);
  assert.deepEqual(at5.lines.step, [0, 5]);
  assert.deepEqual(at5.lines.xs.map((x) => [...x]), [[1, 0.5, 0.2], [1, 0.1]]);
  assert.deepEqual(at5.lines.color, ["red", "blue"]);
  assert.deepEqual(at5.points.run, ["alpha", "alpha", "alpha", "beta", "beta"]);
  assert.deepEqual([...at5.points.tp], [10, 5, 2, 10, 1]);
  assert.deepEqual([...at5.points.threshold], [0, 0.5, 1, 0, 1]);
  const newest = drawnAt(series, null, runOf);
  assert.deepEqual(newest.lines.step, [10, 5]);
  assert.deepEqual([...newest.lines.ys[0]], [0.5, 0.6, 0.7]);
  const broken = { run: "b", steps: () => [5], at: () => [{ step: 5, index: null, meta: {}, data: [json({ a: 1 })] }] };
  const bad = drawnAt([series[0], /** @type {any} */ (broken)], 5, runOf);
  assert.equal(bad.lines.xs.length, 1);
  assert.match(bad.problems[0], /^beta at step 5: a PR curve needs the list "thresholds"/);
});

test("one PR-curve panel per tag overlays the runs; the slider moves the shared cursor; the tag is text", async () => {
  await withDocument(async () => {
    const store = new Store();
    const tag = "<img src=x onerror=alert(1)>";
    store.applySnapshot({ seq: 1, series: [], runs: [{ id: "a", name: "alpha" }, { id: "b", name: "beta" }],
      media: [item("a", 0, [1, 0.5], tag), item("a", 10, [1, 0.8], tag), item("b", 0, [1, 0.3, 0.1], tag),
        item("b", 20, [1, 0.4, 0.2], tag), item("a", 0, [1, 0], "other")] });
    const box = document.createElement("div");
    const B = bokeh();
    const panels = createMediaPanels(store, box, { tagFilter: "" }, () => B, () => {});
    panels.update();
    const shown = findAll(box, ".nbtrack-pr-curve-panel");
    assert.equal(shown.length, 2, "one panel per tag, not per run");
    assert.equal(findAll(box, ".nbtrack-media-panel").length, 2);
    const panel = shown[0];
    assert.equal(panel.querySelector(".nbtrack-media-title")?.textContent, tag);
    assert.equal(findAll(box, "img").length, 0);
    assert.equal(panel.dataset.runs, "2");
    assert.equal(panel.dataset.points, "2,3");
    assert.equal(panel.dataset.runSteps, "10,20");
    assert.equal(panel.dataset.steps, "3");
    const legend = () => findAll(panel, ".nbtrack-pr-curve-run").map((r) => r.textContent);
    assert.deepEqual(legend(), ["alpha step 10", "beta step 20"], "each run's name and step, as text");
    const slider = /** @type {HTMLInputElement} */ (panel.querySelector(".nbtrack-step-slider"));
    assert.equal(slider.max, "2");
    slider.value = "0";
    fire(slider, "input");
    assert.equal(panels.cursor.step, 0);
    assert.equal(panel.dataset.runSteps, "0,0");
    assert.deepEqual(legend(), ["alpha step 0", "beta step 0"]);
    assert.match(String(panel.querySelector(".nbtrack-step-label")?.textContent), /^step 0 \(1 of 3\)/);
    panels.update();
    store.hidden.add("b");
    panels.update();
    assert.equal(panel.dataset.runs, "1", "a hidden run's curve is not drawn");
    const latest = /** @type {HTMLInputElement} */ (panel.querySelector(".nbtrack-latest"));
    latest.checked = true;
    fire(latest, "change");
    assert.equal(panels.cursor.step, null);
    assert.equal(panel.dataset.runSteps, "10");
    panels.dispose();
    assert.equal(findAll(box, ".nbtrack-pr-curve-panel").length, 0);
  });
});

test("the figure: axes 0..1 labelled recall and precision, a hover tool with threshold and counts", async () => {
  await withDocument(async () => {
    const store = new Store();
    store.applySnapshot({ seq: 1, series: [], runs: [{ id: "a", name: "alpha" }], media: [item("a", 0, [1, 0.5])] });
    const B = bokeh();
    /** @type {any[]} */
    const figures = [];
    const make = B.Plotting.figure;
    B.Plotting.figure = (/** @type {any} */ options) => { const f = make(options); figures.push(f); return f; };
    const box = document.createElement("div");
    const panels = createMediaPanels(store, box, { tagFilter: "" }, () => B, () => {});
    panels.update();
    const [fig] = figures;
    assert.equal(fig.options.x_axis_label, "recall");
    assert.equal(fig.options.y_axis_label, "precision");
    assert.deepEqual([fig.options.x_range.start, fig.options.x_range.end], [-0.02, 1.02]);
    const [hover] = fig.tools;
    assert.equal(hover.tooltips, TOOLTIPS);
    const fields = hover.tooltips.map((/** @type {string[]} */ t) => t[0]);
    for (const f of ["threshold", "precision", "recall", "TP", "FP", "TN", "FN"]) assert.ok(fields.includes(f), f);
    const scatter = fig.renderers.find((/** @type {any} */ r) => r.kind === "scatter");
    assert.deepEqual([...scatter.source.data.recall], [1, 0.5]);
    assert.equal(hover.renderers[0], scatter);
    const filtered = createMediaPanels(store, document.createElement("div"), { tagFilter: "nomatch" }, () => B, () => {});
    filtered.update();
    panels.dispose();
    filtered.dispose();
  });
});
