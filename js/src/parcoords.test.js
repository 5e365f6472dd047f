import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createParallelCoordinates } from "./parcoords.js";
import { HEIGHT, WIDTH } from "./parcoordsmath.js";
import { sweep } from "./testdata.js";
import { findAll, fire, withDocument } from "./testdom.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */

// The view, in happy-dom.

/** @param {RunInfo[]} runs @param {Partial<import("./runtable.js").TableState>} [initial]
 * @param {import("./parcoords.js").ParcoordsOptions} [options] */
function mount(runs, initial = {}, options = {}) {
  const container = document.createElement("div");
  /** @type {import("./runtable.js").TableState} */
  const state = { hidden: new Set(), filter: "", sort: null, selected: null, ...initial };
  const calls = { changes: 0 };
  const view = createParallelCoordinates(container, runs, state, () => { calls.changes += 1; }, options);
  const root = view.element;
  const lines = () => findAll(root, ".nbtrack-hparam-run");
  const plot = findAll(root, ".nbtrack-hparam-plot")[0];
  return { container, state, calls, view, root, lines, plot };
}

test("view: an SVG with the axes, one line per shown run in its colour, labels as text", () => withDocument(() => {
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
  const tooltip = lines().find((g) => g.getAttribute("data-run") === "r3")?.querySelector("title");
  assert.match(String(tooltip?.textContent), /^<img src=x onerror=alert\(1\)>\nlr: /);
  assert.equal(findAll(root, "img").length, 0);
  const titles = findAll(root, "text").filter((t) => t.querySelector("title"));
  const long = titles.find((t) => t.querySelector("title")?.textContent === "config: model.encoder.num_attention_heads");
  assert.ok(long && long.textContent.includes("…"), "a long title is shortened; its full name in a tooltip");
  const select = findAll(root, ".nbtrack-hparam-metric")[0];
  assert.deepEqual([.../** @type {HTMLSelectElement} */ (select).options].map((o) => o.value), ["val/acc", "val/loss"]);
  assert.equal(select.value, "val/loss");
  assert.ok(findAll(root, "text").some((t) => t.textContent === "log scale"));
}));

test("view: brush() selects, dims the rest, calls onChange; null clears; categories by name", () => withDocument(() => {
  const runs = sweep();
  const { root, lines, state, calls, view } = mount(runs, { hidden: new Set(["r19"]) });
  view.brush("config.lr", 1e-3, 1e-2);
  const inRange = runs.filter((r) => Number(r.config?.lr) >= 1e-3 && Number(r.config?.lr) <= 1e-2).map((r) => r.id);
  assert.deepEqual([...(state.selected ?? [])], inRange);
  assert.equal(root.dataset.selected, String(inRange.length));
  assert.equal(calls.changes, 1);
  const faint = lines().filter((g) => g.getAttribute("data-faint") === "true").length;
  assert.equal(faint, 19 - inRange.length);
  assert.equal(findAll(root, ".nbtrack-hparam-brush").length, 1);
  assert.equal(findAll(root, ".nbtrack-hparam-status")[0].textContent, `${inRange.length} of 20 runs selected`);
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
  assert.equal(findAll(root, ".nbtrack-hparam-brush").length, 0);
}));

test("view: a vertical drag on an axis brushes it; a click on it clears it; a cancelled drag restores", () => withDocument(() => {
  const runs = sweep();
  const { root, plot, state, calls } = mount(runs);
  const hit = findAll(root, ".nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "summary.val/loss");
  assert.ok(hit);
  const top = Number(hit.getAttribute("y")) + 4;
  const bottom = top + Number(hit.getAttribute("height")) - 8;
  const at = (/** @type {number} */ unit) => bottom - unit * (bottom - top);
  fire(hit, "pointerdown", { clientY: at(1), pointerId: 1 });
  assert.ok(plot.hasPointerCapture(1), "the plot follows the pointer");
  fire(plot, "pointermove", { clientY: at(1) + 1, pointerId: 1 });
  assert.equal(findAll(root, ".nbtrack-hparam-brush").length, 0, "not yet a drag");
  fire(plot, "pointermove", { clientY: at(0.5), pointerId: 1 });
  assert.equal(findAll(root, ".nbtrack-hparam-brush").length, 1, "drawn while dragging");
  assert.equal(calls.changes, 0);
  fire(plot, "pointerup", { clientY: at(0.5), pointerId: 1 });
  const losses = runs.map((r) => Number(r.summary?.["val/loss"]));
  const middle = (Math.min(...losses) + Math.max(...losses)) / 2;
  const expected = runs.filter((r, i) => losses[i] >= middle - 1e-9).map((r) => r.id);
  assert.deepEqual([...(state.selected ?? [])], expected);
  assert.equal(calls.changes, 1);
  assert.equal(plot.hasPointerCapture(1), false, "pointer released");

  const lrHit = findAll(root, ".nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "config.lr");
  fire(lrHit, "pointerdown", { clientY: at(0), pointerId: 2 });
  fire(plot, "pointermove", { clientY: at(0.2), pointerId: 2 });
  fire(plot, "pointercancel", { pointerId: 2 });
  assert.deepEqual([...(state.selected ?? [])], expected, "cancelled: the lr brush is gone again");
  assert.equal(root.dataset.brushes, "1");

  const lossHit = findAll(root, ".nbtrack-hparam-hit").find((h) => h.getAttribute("data-axis") === "summary.val/loss");
  fire(lossHit, "pointerdown", { clientY: at(0.9), pointerId: 3 });
  fire(plot, "pointerup", { clientY: at(0.9), pointerId: 3 });
  assert.equal(state.selected, null, "a click clears the axis's brush");
  assert.equal(calls.changes, 2);
  fire(lossHit, "pointerdown", { clientY: at(0.9), pointerId: 4 });
  fire(plot, "pointerup", { clientY: at(0.9), pointerId: 4 });
  assert.equal(calls.changes, 2, "a click on an axis with no brush changes nothing");
  fire(plot, "pointerdown", { clientY: at(0.9), pointerId: 5 });
  fire(plot, "pointermove", { clientY: at(0.1), pointerId: 5 });
  assert.equal(findAll(root, ".nbtrack-hparam-brush").length, 0, "a press off the axes does nothing");
}));

test("view: the metric selector changes the last axis; update follows hidden runs and new data", () => withDocument(() => {
  const runs = sweep();
  /** @type {string[]} */
  const chosen = [];
  const { root, state, calls, view, lines } = mount(runs, {}, { onMetricChange: (m) => chosen.push(m) });
  view.brush("summary.val/loss", 0, 0.7);
  const select = findAll(root, ".nbtrack-hparam-metric")[0];
  select.value = "val/acc";
  fire(select, "change");
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
  const plot = findAll(root, ".nbtrack-hparam-plot")[0];
  fire(findAll(root, ".nbtrack-hparam-hit")[0], "pointerdown", { clientY: 60, pointerId: 9 });
  assert.equal(plot.hasPointerCapture(9), false, "no pointer listener is left on the plot");
  fire(plot, "pointermove", { clientY: 160, pointerId: 9 });
  fire(plot, "pointerup", { clientY: 160, pointerId: 9 });
  assert.equal(calls.changes, changes + 1, "a drag after dispose brushes nothing");
}));

test("view: nothing to show is said so", () => withDocument(() => {
  const { root } = mount([]);
  assert.equal(root.dataset.axes, "");
  assert.ok(findAll(root, "text").some((t) => t.textContent === "no runs shown"));
  const bare = mount([{ id: "a", name: "a", index: 0 }]);
  assert.ok(findAll(bare.root, "text").some((t) => t.textContent === "no config or numeric summary to compare"));
}));

test("nothing logged is parsed as HTML", () => {
  const source = readFileSync(new URL("./parcoords.js", import.meta.url), "utf8");
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write/);
});

test("view: axes, tick labels and titles take JupyterLab's theme colours, with light fallbacks", () => withDocument(() => {
  const { root } = mount(sweep());
  const axis = findAll(root, ".nbtrack-hparam-axis line")[0];
  assert.match(axis.getAttribute("style") ?? "", /stroke: var\(--jp-ui-font-color2, #555\)/);
  assert.equal(axis.getAttribute("stroke"), "#555", "the colour where no theme is defined");
  const texts = findAll(root, ".nbtrack-hparam-axis text");
  const styles = texts.map((t) => t.getAttribute("style") ?? "");
  assert.ok(styles.some((s) => s.includes("var(--jp-ui-font-color1, #444)") && s.includes("var(--jp-layout-color0, #fff)")),
    "tick labels: theme text on a halo of the theme background");
  assert.ok(styles.some((s) => s.includes("var(--jp-brand-color1")), "the metric's title");
  assert.ok(styles.some((s) => s.includes("var(--jp-ui-font-color0")), "the other titles");
}));
