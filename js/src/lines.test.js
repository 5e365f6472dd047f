import assert from "node:assert/strict";
import { test } from "node:test";
import { lineData, xOf, yExtent } from "./lines.js";

/** @type {import("./lines.js").Settings} */
const BASE = { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false };

/** @param {number} n @param {(i: number) => number} f */
function columns(n, f, t0 = 1_700_000_000) {
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  return { steps, values: Float64Array.from(steps, f), times: Float64Array.from(steps, (s) => t0 + s / 10) };
}

test("x coordinates: steps, seconds since the first point, epoch milliseconds", () => {
  const c = columns(3, (i) => i);
  assert.deepEqual([...xOf(c, "step")], [0, 1, 2]);
  const relative = [...xOf(c, "relative")];
  assert.ok(Math.abs(relative[2] - 0.2) < 1e-6 && relative[0] === 0);
  assert.equal(xOf(c, "wall")[1], (1_700_000_000 + 0.1) * 1000);
});

test("a 1,000,000-point series keeps its one-step spike, first and last points, and marks a NaN", () => {
  const c = columns(1_000_000, (i) => (i === 777_777 ? 1000 : Math.sin(i / 1000)));
  c.values[5] = NaN;
  const d = lineData(c, BASE, 420, null, "run");
  assert.ok(d.raw.x.length <= 4 * 420 + 1);
  assert.equal(Math.max(...d.raw.y.filter(Number.isFinite)), 1000);
  assert.equal(d.raw.x[0], 0);
  assert.equal(d.raw.x[d.raw.x.length - 1], 999_999);
  assert.deepEqual([...d.bad], [5]);
  const [lo, hi] = yExtent([d], BASE);
  const marks = d.badPoints(lo, hi);
  assert.deepEqual([...marks.x], [5]);
  assert.deepEqual([...marks.y], [lo], "a NaN is marked at the bottom of the chart");
});

test("zooming in re-reduces over the visible range: full detail for a narrow range", () => {
  const c = columns(1_000_000, (i) => i % 17);
  const all = lineData(c, BASE, 420, null, "run");
  const zoomed = lineData(c, BASE, 420, [500_000, 500_200], "run");
  const inside = (/** @type {Float64Array} */ x) => x.filter((s) => s >= 500_000 && s <= 500_200).length;
  assert.ok(inside(all.raw.x) < 5);
  assert.equal(inside(zoomed.raw.x), 201, "every step of the range is drawn");
});

test("the smoothed line carries the hover columns: step, raw value, smoothed value, run", () => {
  const c = columns(50, (i) => i * 2);
  const d = lineData(c, { ...BASE, smoothing: 0.5 }, 420, null, "run <b>1</b>");
  assert.equal(d.smooth.step.length, d.smooth.x.length);
  assert.equal(d.smooth.value[10], 20);
  assert.ok(d.smooth.smoothed[10] < 20, "smoothing lags a rising line");
  assert.equal(d.smooth.run[0], "run <b>1</b>");
  assert.deepEqual([...d.newest.x], [49]);
});

test("wall-time x: the series' own times drive the reduction", () => {
  const c = columns(1000, (i) => i);
  const d = lineData(c, { ...BASE, xAxis: "wall" }, 100, null, "run");
  assert.equal(d.raw.x[0], 1_700_000_000_000);
  assert.equal(d.x1, (1_700_000_000 + 99.9) * 1000);
});

test("y extent: a constant series gets a span around its value, not -1..1", () => {
  const lr = { raw: { y: Float64Array.of(0.001, 0.001) }, smooth: { y: Float64Array.of(0.001, 0.001) } };
  const [lo, hi] = yExtent([lr], BASE);
  assert.ok(lo < 0.001 && hi > 0.001 && hi - lo < 0.001);
  const [llo, lhi] = yExtent([lr], { ...BASE, logY: true });
  assert.ok(llo > 0 && llo < 0.001 && lhi > 0.001);
  assert.deepEqual(yExtent([{ raw: { y: Float64Array.of(0) }, smooth: { y: Float64Array.of(0) } }], BASE), [-1, 1]);
});

test("y extent: ignoring outliers clips a spike; log y ignores values <= 0", () => {
  const ys = Float64Array.from({ length: 200 }, (_, i) => (i === 100 ? 1e6 : i % 10));
  const line = { raw: { y: ys }, smooth: { y: ys } };
  assert.equal(yExtent([line], BASE)[1], 1e6);
  const [, hi] = yExtent([line], { ...BASE, ignoreOutliers: true });
  assert.ok(hi < 10);
  const mixed = { raw: { y: Float64Array.of(-5, 0, 2, 8) }, smooth: { y: Float64Array.of(2) } };
  assert.deepEqual(yExtent([mixed], { ...BASE, logY: true }), [2, 8]);
  assert.equal(lineData(columns(3, (i) => i - 1), BASE, 10, null, "r").minRaw, -1);
});

test("an empty series draws nothing", () => {
  const d = lineData(columns(0, (i) => i), BASE, 100, null, "run");
  assert.equal(d.raw.x.length, 0);
  assert.equal(d.badPoints(0, 1).x.length, 0);
});

test("log ticks: 1-2-5 steps within the range instead of linear ticks piled at the top", async () => {
  const { logTicks } = await import("./lines.js");
  assert.deepEqual(logTicks(0.01, 0.35), [0.01, 0.02, 0.05, 0.1, 0.2]);
  assert.deepEqual(logTicks(0.5, 0.9), [0.5, 0.6, 0.7, 0.8, 0.9]);
  const wide = logTicks(1e-8, 1e8);
  assert.ok(wide.length <= 7 && wide.every((t) => Number.isInteger(Math.log10(t))));
  assert.deepEqual(logTicks(-1, 1), []);
});

test("yExtent without outliers ignored is the min and max of every drawable y, in one pass", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let trial = 0; trial < 50; trial++) {
    const lines = Array.from({ length: 1 + (trial % 5) }, () => ({
      raw: { y: Array.from({ length: 30 }, () => (rand() < 0.1 ? NaN : (rand() - 0.3) * 100)) },
      smooth: { y: Array.from({ length: 30 }, () => (rand() - 0.5) * 10) },
    }));
    for (const logY of [false, true]) {
      const ys = lines.flatMap((l) => [...l.raw.y, ...l.smooth.y]).filter((y) => Number.isFinite(y) && (!logY || y > 0));
      const [lo, hi] = yExtent(lines, { ...BASE, logY, ignoreOutliers: false });
      assert.deepEqual([lo, hi], [Math.min(...ys), Math.max(...ys)]);
    }
  }
  assert.deepEqual(yExtent([{ raw: { y: [NaN] }, smooth: { y: [] } }], { ...BASE, ignoreOutliers: false }), [0, 1]);
});

test("2 points per pixel column on request; each line's y span is made once and used by yExtent", () => {
  const c = columns(100_000, (i) => Math.sin(i / 50) + (i === 5000 ? 9 : 0));
  const four = lineData(c, BASE, 200, null, "run");
  const two = lineData(c, BASE, 200, null, "run", { reduce: "minmax" });
  assert.ok(two.raw.x.length <= 2 * 200 + 1 && two.raw.x.length < four.raw.x.length);
  assert.equal(Math.max(...two.raw.y), Math.max(...four.raw.y), "spikes survive");
  assert.deepEqual(two.span.raw, [Math.min(...two.raw.y), Math.max(...two.raw.y)]);
  assert.deepEqual(yExtent([two], BASE), [Math.min(...two.raw.y, ...two.smooth.y), Math.max(...two.raw.y, ...two.smooth.y)]);
  const [, high] = yExtent([two], BASE, ["smooth"]);
  assert.ok(high < 9, "the smoothed lines alone: the raw spike does not stretch the chart");
});
