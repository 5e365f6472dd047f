import assert from "node:assert/strict";
import { test } from "node:test";
import {
  binTooltipRows, DISTRIBUTION_QUANTILES, distributionBands, evenIndices, normalizedHeights, overlayLines, percentiles,
  quantileLabel, rampColor, ridgelines, stepOutline,
} from "./histmath.js";
import { drifting, record } from "./testdata.js";

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

test("bin tooltip rows, quantile names, ramp colours", () => {
  assert.deepEqual(binTooltipRows([0, 0.5, 2], [3, 4]), [{ left: 0, right: 0.5, count: 3 }, { left: 0.5, right: 2, count: 4 }]);
  assert.deepEqual(DISTRIBUTION_QUANTILES.map(quantileLabel), ["min", "7%", "16%", "31%", "median", "69%", "84%", "93%", "max"]);
  assert.match(rampColor(0), /^#[0-9a-f]{6}$/);
  assert.equal(rampColor(0.5, 1), "#ffffff");
  assert.equal(rampColor(NaN), rampColor(1));
});
