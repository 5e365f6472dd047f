import assert from "node:assert/strict";
import { test } from "node:test";
import {
  binTooltipRows, createHistogramPanel, DISTRIBUTION_QUANTILES, distributionBands, evenIndices, formatStep,
  normalizedHeights, overlayLines, percentiles, quantileLabel, rampColor, ridgelines, stepOutline,
} from "./histograms.js";

/** @param {number[]} edges @param {number[]} counts @param {number} [step] */
function record(edges, counts, step = 0) {
  return { step, edges: Float64Array.from(edges), counts: Float64Array.from(counts) };
}

/** Steps of a normal(mean, sd) histogram with 64 bins over mean ± 4 sd: the drift and widening of weights.
 * @param {number} n */
function drifting(n) {
  return Array.from({ length: n }, (_, s) => {
    const [mean, sd] = [s * 0.1, 1 + s * 0.05];
    const edges = Array.from({ length: 65 }, (_, i) => mean - 4 * sd + (i * 8 * sd) / 64);
    const counts = edges.slice(0, 64).map((e, i) => 1000 * Math.exp(-0.5 * (((e + edges[i + 1]) / 2 - mean) / sd) ** 2));
    return record(edges, counts, s * 100);
  });
}

/** @param {ArrayLike<number>} actual @param {number[]} expected */
function near(actual, expected, tolerance = 1e-9) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}]: ${actual[i]} is not ${expected[i]}`);
  }
}

test("percentiles interpolate linearly inside bins (uniform density per bin)", () => {
  const h = record([0, 1, 2], [1, 3]);
  near(percentiles(h.edges, h.counts, [0, 0.25, 0.5, 1]), [0, 1, 1 + 1 / 3, 2]);
  const one = record([10, 20], [4]);
  near(percentiles(one.edges, one.counts, [0, 0.1, 0.5, 0.9, 1]), [10, 11, 15, 19, 20]);
});

test("percentiles: min and max are the outer edges of the non-empty bins; gaps and odd counts", () => {
  const h = record([0, 1, 2, 3, 4, 5], [0, 2, 0, 2, 0]);
  near(percentiles(h.edges, h.counts, [0, 0.5, 1]), [1, 2, 4], 1e-12);
  near(percentiles(h.edges, h.counts, [0.75]), [3.5]);
  const bad = record([0, 1, 2, 3], [NaN, 2, Infinity]);
  near(percentiles(bad.edges, bad.counts, [0, 1]), [1, 2], 0);
  near(percentiles(h.edges, h.counts, [-1, 2]), [1, 4], 0); // clamped to 0..1
  assert.ok(Number.isNaN(percentiles(h.edges, h.counts, [NaN])[0]));
});

test("percentiles of an empty histogram are NaN", () => {
  const empty = record([0, 1, 2], [0, 0]);
  assert.ok(percentiles(empty.edges, empty.counts, [0, 0.5, 1]).every(Number.isNaN));
  assert.equal(percentiles(empty.edges, empty.counts, []).length, 0);
});

test("distribution bands: one band per quantile, ordered, median follows the drifting mean", () => {
  const items = drifting(50);
  const { steps, bands } = distributionBands(items);
  assert.equal(bands.length, DISTRIBUTION_QUANTILES.length);
  assert.equal(steps.length, 50);
  assert.equal(steps[49], 4900);
  for (let i = 0; i < 50; i++) {
    for (let k = 1; k < bands.length; k++) assert.ok(bands[k][i] >= bands[k - 1][i]);
    assert.ok(Math.abs(bands[4][i] - i * 0.1) < 1e-9, "a symmetric histogram's median is its centre");
    assert.equal(bands[0][i], items[i].edges[0]);
  }
  const spread = (/** @type {number} */ i) => bands[6][i] - bands[2][i]; // 84% - 16%: about 2 sd
  assert.ok(Math.abs(spread(0) - 2) < 0.1 && Math.abs(spread(49) - 2 * 3.45) < 0.3);
});

test("distribution bands: a cache computes each record once; empty records give NaN", () => {
  const items = [...drifting(3), record([0, 1], [0], 300)];
  /** @type {WeakMap<object, Float64Array>} */
  const cache = new WeakMap();
  const first = distributionBands(items, [0.5], cache);
  assert.ok(cache.has(items[0].counts));
  items[0].counts.fill(0); // a cached record is not recomputed (records are never edited in place)
  assert.equal(distributionBands(items, [0.5], cache).bands[0][0], first.bands[0][0]);
  assert.ok(Number.isNaN(first.bands[0][3]));
  assert.deepEqual(distributionBands([]).bands.map((b) => b.length), DISTRIBUTION_QUANTILES.map(() => 0));
});

test("even indices: at most max, spread evenly, first and last always included", () => {
  assert.deepEqual([...evenIndices(10, 4)], [0, 3, 6, 9]);
  assert.deepEqual([...evenIndices(3, 30)], [0, 1, 2]);
  assert.deepEqual([...evenIndices(5, 1)], [4]);
  assert.deepEqual([...evenIndices(0, 30)], []);
  for (const [n, max] of [[31, 30], [50, 30], [1000, 7], [2, 2]]) {
    const idx = [...evenIndices(n, max)];
    assert.equal(idx.length, Math.min(n, max));
    assert.equal(idx[0], 0);
    assert.equal(idx[idx.length - 1], n - 1);
    assert.ok(idx.every((v, i) => i === 0 || v > idx[i - 1]), "distinct, increasing");
  }
});

test("step outline: up at the first edge, across each bin, down at the last edge", () => {
  const o = stepOutline(Float64Array.of(0, 1, 3), Float64Array.of(0.5, 1), 2);
  assert.deepEqual([...o.x], [0, 0, 1, 1, 3, 3]);
  assert.deepEqual([...o.y], [2, 2.5, 2.5, 3, 3, 2]);
  assert.deepEqual([...normalizedHeights(Float64Array.of(2, 4, NaN))], [0.5, 1, 0]);
  assert.deepEqual([...normalizedHeights(Float64Array.of(0, 0))], [0, 0]);
});

test("ridgelines: at most 30 steps, first and last, oldest on top, each ridge peaking at 1", () => {
  const items = drifting(50);
  const r = ridgelines(items);
  assert.equal(r.steps.length, 30);
  assert.equal(r.steps[0], 0);
  assert.equal(r.steps[29], 4900);
  assert.equal(r.xs.length, 30);
  assert.equal(r.offsets[29], 0, "the newest ridge is at the bottom, in front");
  assert.ok(r.offsets.every((o, k) => k === 0 || o < r.offsets[k - 1]), "older ridges higher up");
  for (let k = 0; k < 30; k++) {
    assert.ok(Math.abs(Math.max(...r.ys[k]) - r.offsets[k] - 1) < 1e-12);
    assert.equal(Math.min(...r.ys[k]), r.offsets[k]);
    assert.equal(r.xs[k].length, 2 * 64 + 2);
  }
  assert.equal(r.top, r.offsets[0] + 1);
  assert.ok(r.spacing > 0 && r.spacing < 1, "30 ridges overlap");
  assert.equal(r.colors.length, 30);
  assert.notEqual(r.colors[0], r.colors[29]);
});

test("ridgelines: bins may differ per step; hover quads hold each bin's range, count and step", () => {
  const items = [record([0, 1, 2], [1, 3], 1), record([-5, 0, 5, 10], [2, 0, 8], 2)];
  const r = ridgelines(items);
  assert.deepEqual([...r.xs[1]], [-5, -5, 0, 0, 5, 5, 10, 10]);
  assert.deepEqual([...r.hover.left], [0, 1, -5, 0, 5]);
  assert.deepEqual([...r.hover.right], [1, 2, 0, 5, 10]);
  assert.deepEqual([...r.hover.count], [1, 3, 2, 0, 8]);
  assert.deepEqual([...r.hover.step], [1, 1, 2, 2, 2]);
  assert.deepEqual([...r.hover.bottom], [r.spacing, r.spacing, 0, 0, 0]);
  assert.deepEqual([...r.hover.top], [r.spacing + 1 / 3, r.spacing + 1, 0.25, 0, 1]);
  const none = ridgelines([]);
  assert.equal(none.xs.length, 0);
  assert.equal(none.hover.left.length, 0);
});

test("overlay lines: no offsets; colour, opacity and width rise from the oldest to the newest", () => {
  const o = overlayLines(drifting(50), 10);
  assert.equal(o.xs.length, 10);
  assert.deepEqual([o.steps[0], o.steps[9]], [0, 4900]);
  assert.ok(o.ys.every((y) => Math.min(...y) === 0 && Math.max(...y) === 1));
  assert.ok(o.alphas.every((a, k) => k === 0 || a > o.alphas[k - 1]));
  assert.equal(o.alphas[9], 1);
  assert.ok(o.widths[9] > o.widths[0]);
  assert.equal(o.colors[9], rampColor(1));
  assert.deepEqual([...o.hover.bottom].filter((b) => b !== 0), []);
  assert.equal(overlayLines(drifting(1)).colors[0], rampColor(1), "a single step is drawn as the newest");
});

test("bin tooltip rows, step labels, quantile names, ramp colours", () => {
  assert.deepEqual(binTooltipRows([0, 0.5, 2], [3, 4]), [{ left: 0, right: 0.5, count: 3 }, { left: 0.5, right: 2, count: 4 }]);
  assert.deepEqual([formatStep(1200), formatStep(999_999), formatStep(1_250_000), formatStep(3e9)], ["1200", "999999", "1.25M", "3G"]);
  assert.deepEqual(DISTRIBUTION_QUANTILES.map(quantileLabel), ["min", "7%", "16%", "31%", "median", "69%", "84%", "93%", "max"]);
  assert.match(rampColor(0), /^#[0-9a-f]{6}$/);
  assert.equal(rampColor(0.5, 1), "#ffffff");
  assert.equal(rampColor(NaN), rampColor(1));
});

// ---- the panel, with a minimal stand-in for the DOM and for BokehJS (the page test draws the real one)

class FakeElement {
  /** @param {string} tag */
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    /** @type {FakeElement[]} */
    this.children = [];
    /** @type {FakeElement | null} */
    this.parentElement = null;
    /** @type {Record<string, string>} */
    this.dataset = {};
    /** @type {Record<string, string>} */
    this.style = {};
    /** @type {Record<string, (() => void)[]>} */
    this.listeners = {};
    this.className = "";
    this.textContent = "";
    this.value = "";
    this.selected = false;
  }
  /** @param {...(FakeElement | string)} nodes */
  append(...nodes) {
    for (const node of nodes) if (typeof node !== "string") this.appendChild(node);
  }
  /** @param {FakeElement} node */
  appendChild(node) {
    node.remove();
    node.parentElement = this;
    this.children.push(node);
    if (node.tagName === "OPTION" && (node.selected || this.children.length === 1)) this.value = node.value;
    return node;
  }
  replaceChildren() {
    for (const child of [...this.children]) child.remove();
  }
  remove() {
    const parent = this.parentElement;
    if (parent) parent.children = parent.children.filter((c) => c !== this);
    this.parentElement = null;
  }
  /** @param {string} type @param {() => void} fn */
  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }
  /** @param {string} type */
  fire(type) {
    for (const fn of this.listeners[type] ?? []) fn();
  }
  /** @param {string} className @returns {FakeElement | null} */
  find(className) {
    for (const child of this.children) {
      if (child.className === className) return child;
      const deeper = child.find(className);
      if (deeper) return deeper;
    }
    return null;
  }
}

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
  /** @param {any} fig @param {FakeElement} el */
  const show = async (fig, el) => {
    log.shown += 1;
    const document = { clear: () => { log.cleared += 1; } };
    const view = { model: { document }, remove: () => { log.removed += 1; index.delete(view); }, fig };
    index.add(view);
    index.add({ model: { document }, remove() {} }); // the per-document notifications root
    el.appendChild(new FakeElement("canvas"));
    return view;
  };
  const Bokeh = new Proxy({ Plotting: { figure, show }, index: { get roots() { return [...index]; }, /** @param {any} v */ delete: (v) => index.delete(v) } }, {
    get: (target, name) => (name in target ? /** @type {any} */ (target)[name] : Model),
  });
  return { Bokeh, log, index };
}

/** @param {() => Promise<void>} body */
async function withDocument(body) {
  const root = /** @type {any} */ (globalThis);
  root.document = { createElement: (/** @type {string} */ tag) => new FakeElement(tag) };
  try {
    await body();
  } finally {
    delete root.document;
  }
}

test("panel: updates reuse the figure, the select rebuilds it, dispose leaves no BokehJS roots", () => withDocument(async () => {
  const { Bokeh, log, index } = fakeBokeh();
  const container = new FakeElement("div");
  /** @type {import("./histograms.js").HistogramSettings} */
  const settings = { histogramView: "ridgeline" };
  /** @type {string[]} */
  const changes = [];
  const panel = createHistogramPanel(Bokeh, /** @type {any} */ (container), settings, {
    title: "<img src=x onerror=alert(1)>", onViewChange: (view) => changes.push(view),
  });
  const items = drifting(50);
  await Promise.all([panel.update(items.slice(0, 10)), panel.update(items.slice(0, 20)), panel.update(items)]);
  assert.equal(log.figures, 1, "calls during a redraw collapse; one figure");
  const el = /** @type {any} */ (panel.element);
  assert.deepEqual({ ...el.dataset }, { view: "ridgeline", steps: "50", lastStep: "4900", bins: "64", cursor: "" });
  assert.equal(el.find("nbtrack-histogram-note").textContent, "20 of 50 steps drawn (evenly spaced, first and last included)");
  await panel.update(items.concat(record([0, 1, 2], [1, 1], 5000)));
  assert.equal(log.figures, 1, "new data refills the same figure");
  assert.equal(el.dataset.bins, "2");

  const select = el.find("nbtrack-histogram-view");
  select.value = "distribution";
  select.fire("change");
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
  const container = new FakeElement("div");
  const settings = /** @type {any} */ ({ histogramView: "bogus" });
  const panel = createHistogramPanel(Bokeh, /** @type {any} */ (container), settings);
  await panel.update([]);
  const el = /** @type {any} */ (panel.element);
  assert.deepEqual({ ...el.dataset }, { view: "overlay", steps: "0", lastStep: "", bins: "0", cursor: "" });
  assert.equal(el.find("nbtrack-histogram-note").textContent, "no histograms logged yet");
  panel.dispose();
}));
