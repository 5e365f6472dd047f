import assert from "node:assert/strict";
import { test } from "node:test";
import { smoothEMA } from "./smoothing.js";

/** @param {ArrayLike<number>} actual @param {number[]} expected */
function assertClose(actual, expected, tolerance = 1e-12) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isFinite(e)) assert.ok(Math.abs(a - e) <= tolerance, `index ${i}: ${a} != ${e}`);
    else assert.ok(Object.is(a, e), `index ${i}: ${a} is not ${e}`);
  }
}

test("matches hand-computed debiased EMA values", () => {
  // w = 0.5: last = 0.5, 1.25, 2.125; debias by 1 - 0.5^n = 0.5, 0.75, 0.875.
  assertClose(smoothEMA(Float64Array.of(1, 2, 3), 0.5), [1, 5 / 3, 17 / 7]);
  // w = 0.9, y = 10, 0: last = 1, 0.9; debias 0.1, 0.19.
  assertClose(smoothEMA(Float64Array.of(10, 0), 0.9), [10, 0.9 / 0.19]);
});

test("non-finite values pass through and are not counted", () => {
  const out = smoothEMA(Float64Array.of(1, NaN, 3, Infinity, -Infinity, 5), 0.5);
  // Finite values are 1, 3, 5 as if alone: last = 0.5, 1.75, 3.375; debias 0.5, 0.75, 0.875.
  assertClose(out, [1, NaN, 7 / 3, Infinity, -Infinity, 3.375 / 0.875]);
});

test("a leading NaN does not shift the first smoothed value", () => {
  // last = 2, then 4; debias by 0.5, then 0.75.
  assertClose(smoothEMA(Float64Array.of(NaN, 4, 6), 0.5), [NaN, 4, 4 / 0.75]);
});

test("a constant series is returned exactly, even around non-finite values", () => {
  const lr = new Float64Array(1000).fill(0.001);
  const out = smoothEMA(lr, 0.99);
  assert.ok(out.every((v) => v === 0.001));
  assertClose(smoothEMA(Float64Array.of(2, NaN, 2, Infinity, 2), 0.6), [2, NaN, 2, Infinity, 2], 0);
});

test("weight 0 returns an equal copy; the input is never modified", () => {
  const values = Float64Array.of(3, 1, 4, 1, 5);
  const out = smoothEMA(values, 0);
  assert.deepEqual(out, values);
  assert.notEqual(out, values);
  smoothEMA(values, 0.7);
  assert.deepEqual(values, Float64Array.of(3, 1, 4, 1, 5));
});

test("empty input gives an empty Float64Array", () => {
  const out = smoothEMA(new Float64Array(0), 0.5);
  assert.ok(out instanceof Float64Array);
  assert.equal(out.length, 0);
});

test("weight outside [0, 1) is a RangeError naming the argument and value", () => {
  for (const weight of [-0.1, 1, 1.5, NaN, Infinity]) {
    assert.throws(() => smoothEMA(Float64Array.of(1, 2), weight), {
      name: "RangeError",
      message: new RegExp(`weight must be in \\[0, 1\\), got ${weight}`),
    });
  }
  assert.throws(() => smoothEMA(Float64Array.of(1), /** @type {any} */ ("0.5")), RangeError);
});

test("with x values and the original spacing, a reduced series smooths like its full-resolution source", () => {
  // Full resolution: a spike at step 100 among 1,000 steps of 1.0; reduced: every 10th step plus the spike.
  const full = Float64Array.from({ length: 1000 }, (_, i) => (i === 100 ? 1000 : 1));
  const smoothFull = smoothEMA(full, 0.9);
  const keep = [...Array(100).keys()].map((k) => k * 10).concat([101]).sort((a, b) => a - b);
  const xs = Float64Array.from(keep);
  const reduced = Float64Array.from(keep, (i) => full[i]);
  const aware = smoothEMA(reduced, 0.9, xs, 1);
  const naive = smoothEMA(reduced, 0.9);
  const at = keep.indexOf(300); // 200 steps after the spike: the true average is back near 1
  assert.ok(Math.abs(smoothFull[300] - 1) < 1e-3);
  assert.ok(Math.abs(aware[at] - 1) < 1e-3, `gap-aware: ${aware[at]}`);
  assert.ok(naive[at] > 5, `per-point smoothing drags the spike on: ${naive[at]}`);
  // equal gaps of one spacing: exactly the plain formula
  const steps = Float64Array.from({ length: 50 }, (_, i) => i * 3);
  const ys = Float64Array.from(steps, (s) => Math.sin(s));
  assert.deepEqual([...smoothEMA(ys, 0.7, steps, 3)], [...smoothEMA(ys, 0.7)]);
});
