// The panel, in happy-dom with a stand-in for BokehJS (the page test draws the real one).

import assert from "node:assert/strict";
import { test } from "node:test";
import { createHistogramPanel } from "./histograms.js";
import { drifting, record } from "./testdata.js";
import { dataOf, fire, withDocument } from "./testdom.js";

/** A BokehJS stand-in that records figures, glyphs and shown views (an index of root views, as BokehJS keeps). */
function fakeBokeh() {
  const log = { figures: 0, shown: 0, removed: 0, cleared: 0 };
  const index = new Set();
  class Model {
    /** @param {Record<string, any>} [attrs] */
    constructor(attrs = {}) {
      Object.assign(this, attrs);
    }
  }
  const renderer = () => new Model({ visible: true });
  /** @param {Record<string, any>} attrs */
  const figure = (attrs) => {
    log.figures += 1;
    const axis = () => [new Model({ ticker: new Model({}), formatter: null })];
    return new Model({
      attrs, xaxis: axis(), yaxis: axis(), ygrids: [new Model({ visible: true })], tools: [], layouts: [],
      multi_line: renderer, patches: renderer, quad: renderer, varea: renderer, line: renderer, scatter: renderer,
      /** @param {any} tool */
      add_tools(tool) { this.tools.push(tool); },
      /** @param {any} item */
      add_layout(item) { this.layouts.push(item); },
    });
  };
  /** @param {any} fig @param {HTMLElement} el */
  const show = async (fig, el) => {
    log.shown += 1;
    const document = { clear: () => { log.cleared += 1; } };
    const view = { model: { document }, remove: () => { log.removed += 1; index.delete(view); }, fig };
    index.add(view);
    index.add({ model: { document }, remove() {} }); // the per-document notifications root
    el.appendChild(el.ownerDocument.createElement("canvas"));
    return view;
  };
  const Bokeh = new Proxy({ Plotting: { figure, show }, index: { get roots() { return [...index]; }, /** @param {any} v */ delete: (v) => index.delete(v) } }, {
    get: (target, name) => (name in target ? /** @type {any} */ (target)[name] : Model),
  });
  return { Bokeh, log, index };
}

test("panel: updates reuse the figure, the select rebuilds it, dispose leaves no BokehJS roots", () => withDocument(async () => {
  const { Bokeh, log, index } = fakeBokeh();
  const container = document.createElement("div");
  /** @type {import("./histograms.js").HistogramSettings} */
  const settings = { histogramView: "ridgeline" };
  /** @type {string[]} */
  const changes = [];
  const panel = createHistogramPanel(Bokeh, container, settings, {
    title: "<img src=x onerror=alert(1)>", onViewChange: (view) => changes.push(view),
  });
  const items = drifting(50);
  await Promise.all([panel.update(items.slice(0, 10)), panel.update(items.slice(0, 20)), panel.update(items)]);
  assert.equal(log.figures, 1, "calls during a redraw collapse; one figure");
  const el = panel.element;
  assert.deepEqual(dataOf(el), { view: "ridgeline", steps: "50", lastStep: "4900", bins: "64", cursor: "" });
  assert.equal(el.querySelector(".nbtrack-histogram-note")?.textContent, "20 of 50 steps drawn (evenly spaced, first and last included)");
  await panel.update(items.concat(record([0, 1, 2], [1, 1], 5000)));
  assert.equal(log.figures, 1, "new data refills the same figure");
  assert.equal(el.dataset.bins, "2");

  const select = /** @type {HTMLSelectElement} */ (el.querySelector(".nbtrack-histogram-view"));
  select.value = "distribution";
  fire(select, "change");
  await panel.update(items);
  assert.equal(settings.histogramView, "distribution");
  assert.deepEqual(changes, ["distribution"]);
  assert.equal(log.figures, 2);
  assert.equal(el.dataset.view, "distribution");
  assert.equal(index.size, 2, "the old figure's view and notifications root are gone");

  panel.dispose();
  assert.equal(index.size, 0);
  assert.equal(container.children.length, 0);
  assert.equal(log.cleared, 2);
}));

test("panel: no records draws an empty chart with a note; an unknown view falls back to overlay", () => withDocument(async () => {
  const { Bokeh } = fakeBokeh();
  const container = document.createElement("div");
  const settings = /** @type {any} */ ({ histogramView: "bogus" });
  const panel = createHistogramPanel(Bokeh, container, settings);
  await panel.update([]);
  const el = panel.element;
  assert.deepEqual(dataOf(el), { view: "overlay", steps: "0", lastStep: "", bins: "0", cursor: "" });
  assert.equal(el.querySelector(".nbtrack-histogram-note")?.textContent, "no histograms logged yet");
  panel.dispose();
}));

test("panel: its own step slider highlights a step; the shared cursor takes over when it moves", () => withDocument(async () => {
  const { Bokeh } = fakeBokeh();
  const container = document.createElement("div");
  const panel = createHistogramPanel(Bokeh, container, { histogramView: "overlay" });
  const items = drifting(10);
  await panel.update(items);
  const el = panel.element;
  const slider = /** @type {HTMLInputElement} */ (el.querySelector("input.nbtrack-histogram-step"));
  const label = () => el.querySelector(".nbtrack-histogram-step-label")?.textContent;
  assert.deepEqual([slider.max, slider.value, el.dataset.cursor, label()], ["9", "9", "", "none"]);
  slider.value = "3";
  fire(slider, "input");
  assert.equal(el.dataset.cursor, String(items[3].step));
  assert.equal(label(), String(items[3].step));
  await panel.update(items.concat(record([0, 1, 2], [1, 1], items[9].step + 100)));
  assert.equal(el.dataset.cursor, String(items[3].step), "new data keeps the picked step");
  assert.equal(slider.max, "10");
  panel.setCursor(items[6].step + 1);
  assert.deepEqual([el.dataset.cursor, slider.value], [String(items[6].step), "6"]);
  panel.setCursor(null);
  assert.deepEqual([el.dataset.cursor, slider.value], ["", "10"]);
  panel.dispose();
}));
