import assert from "node:assert/strict";
import { test } from "node:test";
import { createControls, DEFAULT_SETTINGS, settingsOf } from "./controls.js";
import { findAll, fire, withDocument } from "./testdom.js";

/** @param {any} settings */
function controlsFor(settings) {
  const calls = { redraw: 0, rebuild: 0, save: 0 };
  const controls = createControls(settings, { redraw: () => calls.redraw++, rebuild: () => calls.rebuild++, save: () => calls.save++ });
  return { controls, calls };
}

test("the tag filter redraws as you type, saves on change, and shows its status", () => withDocument(() => {
  const settings = { ...DEFAULT_SETTINGS };
  const { controls, calls } = controlsFor(settings);
  const [input] = /** @type {HTMLInputElement[]} */ (findAll(controls.element, ".nbtrack-tag-filter"));
  input.value = "loss";
  fire(input, "input");
  assert.equal(settings.tagFilter, "loss");
  assert.deepEqual(calls, { redraw: 1, rebuild: 0, save: 0 });
  fire(input, "change");
  assert.equal(calls.save, 1);
  const [status] = findAll(controls.element, ".nbtrack-tag-filter-status");
  controls.showFilter({ shown: 2, total: 5, error: null, active: true });
  assert.equal(status.textContent, "2 of 5 charts");
  controls.showFilter({ shown: 5, total: 5, error: "invalid regular expression: x", active: false });
  assert.equal(status.textContent, "invalid regular expression: x");
  assert.equal(input.dataset.error, "true");
}));

test("group runs by: hidden for one run, offers group and config keys (as text), band shown when grouping", () => withDocument(() => {
  const settings = { ...DEFAULT_SETTINGS };
  const { controls, calls } = controlsFor(settings);
  const [select] = /** @type {HTMLSelectElement[]} */ (findAll(controls.element, ".nbtrack-group-by"));
  const grouping = /** @type {HTMLElement} */ (select.parentElement);
  const band = /** @type {HTMLElement} */ (findAll(controls.element, ".nbtrack-group-band")[0].parentElement);
  controls.update([{ id: "a", name: "a", index: 0, config: { lr: 1 } }], 1);
  assert.equal(grouping.hidden, true);
  const runs = [{ id: "a", name: "a", index: 0, group: "g", config: { lr: 1, "<b>x</b>": 2 } },
    { id: "b", name: "b", index: 1, config: { lr: 2 } }];
  controls.update(runs, 2);
  assert.equal(grouping.hidden, false);
  assert.deepEqual([...select.options].map((o) => o.value), ["none", "group", "<b>x</b>", "lr"]);
  assert.equal(select.options[2].textContent, "<b>x</b>", "names are text");
  assert.equal(band.hidden, true);
  select.value = "lr";
  fire(select, "change");
  assert.equal(settings.groupBy, "lr");
  assert.equal(band.hidden, false);
  assert.deepEqual(calls, { redraw: 1, rebuild: 0, save: 1 });
  controls.update(runs, 2);
  assert.equal(select.value, "lr");
}));

test("a saved grouping stays offered before its runs arrive; size rebuilds", () => withDocument(() => {
  const settings = { ...DEFAULT_SETTINGS, groupBy: "opt.lr" };
  const { controls, calls } = controlsFor(settings);
  controls.update([], 0);
  const [select] = /** @type {HTMLSelectElement[]} */ (findAll(controls.element, ".nbtrack-group-by"));
  assert.equal(select.value, "opt.lr");
  const [size] = /** @type {HTMLSelectElement[]} */ (findAll(controls.element, ".nbtrack-chart-size"));
  assert.equal(size.value, "medium");
  size.value = "small";
  fire(size, "change");
  assert.equal(settings.chartSize, "small");
  assert.equal(calls.rebuild, 1);
}));

test("settings: new keys default, saved ones persist", () => {
  const model = /** @type {any} */ ({ get: () => ({ tagFilter: "acc", chartSize: "large" }), set() {}, save_changes() {} });
  const { settings } = settingsOf(model);
  assert.equal(settings.tagFilter, "acc");
  assert.equal(settings.chartSize, "large");
  assert.equal(settings.groupBy, "none");
  assert.equal(settings.groupBand, "minmax");
});
