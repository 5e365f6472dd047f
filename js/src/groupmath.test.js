import assert from "node:assert/strict";
import { test } from "node:test";
import { aggregate, bandEnvelope, bandOf, orderedPoints } from "./groupmath.js";

/** @param {ArrayLike<number>} a */
const list = (a) => Array.from(a);
/** @param {ArrayLike<number>} actual @param {number[]} expected */
function close(actual, expected, eps = 1e-12) {
  assert.equal(actual.length, expected.length, `length ${actual.length} != ${expected.length}`);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) assert.ok(Number.isNaN(actual[i]), `[${i}] ${actual[i]} is not NaN`);
    else assert.ok(Math.abs(actual[i] - e) <= eps * Math.max(1, Math.abs(e)), `[${i}] ${actual[i]} != ${e}`);
  });
}

test("same steps: mean, min, max, population std per step", () => {
  const g = aggregate([
    { steps: [0, 1, 2], values: [1, 2, 3] },
    { steps: [0, 1, 2], values: [3, 4, 5] },
    { steps: [0, 1, 2], values: [2, 6, 1] },
  ]);
  close(g.steps, [0, 1, 2]);
  close(g.mean, [2, 4, 3]);
  close(g.min, [1, 2, 1]);
  close(g.max, [3, 6, 5]);
  close(g.std, [Math.sqrt(2 / 3), Math.sqrt(8 / 3), Math.sqrt(8 / 3)]);
  assert.deepEqual(list(g.count), [3, 3, 3]);
  close(g.x, [0, 1, 2]);
});

test("a run that stopped early counts only where it has values", () => {
  const g = aggregate([{ steps: [0, 1, 2, 3], values: [1, 1, 1, 1] }, { steps: [0, 1], values: [3, 3] }]);
  close(g.mean, [2, 2, 1, 1]);
  assert.deepEqual(list(g.count), [2, 2, 1, 1]);
  close(g.std, [1, 1, 0, 0]);
  close(g.min, [1, 1, 1, 1]);
  close(g.max, [3, 3, 1, 1]);
});

test("interleaved steps: the union, each step from the runs that logged it", () => {
  const g = aggregate([{ steps: [0, 10, 20], values: [0, 10, 20] }, { steps: [5, 10, 15], values: [50, 30, 150] }]);
  close(g.steps, [0, 5, 10, 15, 20]);
  close(g.mean, [0, 50, 20, 150, 20]);
  assert.deepEqual(list(g.count), [1, 1, 2, 1, 1]);
});

test("non-finite values do not count; a step with none finite is a gap (NaN)", () => {
  const g = aggregate([{ steps: [0, 1, 2], values: [NaN, Infinity, 4] }, { steps: [0, 1, 2], values: [NaN, 2, 6] }]);
  close(g.mean, [NaN, 2, 5]);
  close(g.min, [NaN, 2, 4]);
  close(g.max, [NaN, 2, 6]);
  close(g.std, [NaN, 0, 1]);
  assert.deepEqual(list(g.count), [0, 1, 2]);
  close(g.steps, [0, 1, 2], 0); // the step stays, so the line breaks there
});

test("unsorted steps are ordered; a step logged twice keeps its last value; NaN steps are dropped", () => {
  assert.deepEqual(list(orderedPoints([2, 0, 1])), [1, 2, 0]);
  assert.deepEqual(list(orderedPoints([0, 1, 1, 2])), [0, 2, 3]);
  assert.deepEqual(list(orderedPoints([0, NaN, 1])), [0, 2]);
  assert.deepEqual(list(orderedPoints([NaN])), []);
  assert.deepEqual(list(orderedPoints([])), []);
  const g = aggregate([{ steps: [2, 0, 1, 1], values: [20, 0, 10, 11] }, { steps: [1], values: [13] }]);
  close(g.steps, [0, 1, 2]);
  close(g.mean, [0, 12, 20]);
});

test("x per step is the mean of the runs' x (time axes)", () => {
  const g = aggregate([{ steps: [0, 1], values: [1, 1], xs: [0, 10] }, { steps: [1, 2], values: [1, NaN], xs: [20, 30] }]);
  close(g.x, [0, 15, 30]); // a non-finite value still places its step in time
});

test("std stays exact for large offsets (two passes, no sum-of-squares cancellation)", () => {
  const big = 1e9;
  const g = aggregate([{ steps: [0], values: [big + 1] }, { steps: [0], values: [big + 3] }]);
  close(g.std, [1]);
  close(g.mean, [big + 2]);
});

test("empty inputs", () => {
  const g = aggregate([]);
  assert.equal(g.steps.length, 0);
  const h = aggregate([{ steps: [], values: [] }, { steps: [3], values: [7] }]);
  close(h.mean, [7]);
  assert.deepEqual(list(h.count), [1]);
});

test("one run: mean is the run, band has no width", () => {
  const g = aggregate([{ steps: Float64Array.of(0, 1), values: Float64Array.of(4, 5) }]);
  close(g.mean, [4, 5]);
  const [lo, hi] = bandOf(g, "std");
  close(lo, [4, 5]);
  close(hi, [4, 5]);
});

test("bandOf: min-max or mean +- std", () => {
  const g = aggregate([{ steps: [0], values: [1] }, { steps: [0], values: [3] }]);
  const [lo, hi] = bandOf(g, "minmax");
  close(lo, [1]);
  close(hi, [3]);
  const [slo, shi] = bandOf(g, "std");
  close(slo, [1]);
  close(shi, [3]);
});

test("bandEnvelope: short bands whole, without non-finite points", () => {
  const e = bandEnvelope([0, 1, 2, 3], [0, NaN, 0, 0], [1, 1, 5, 1], 0, 3, 100);
  close(e.x, [0, 2, 3]);
  close(e.hi, [1, 5, 1]);
  const zoomed = bandEnvelope([0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1], 1, 2, 100);
  close(zoomed.x, [1, 2]);
});

test("bandEnvelope: long bands keep each column's extremes at its first and last x", () => {
  const n = 10_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i);
  const lo = new Float64Array(n).fill(0);
  const hi = new Float64Array(n).fill(1);
  lo[5003] = -7;
  hi[7777] = 9;
  const e = bandEnvelope(xs, lo, hi, 0, n - 1, 100);
  assert.ok(e.x.length <= 200, `${e.x.length} points`);
  assert.ok(list(e.lo).includes(-7));
  assert.ok(list(e.hi).includes(9));
  assert.equal(e.x[0], 0);
  assert.equal(e.x[e.x.length - 1], n - 1);
  for (let i = 1; i < e.x.length; i++) assert.ok(e.x[i] > e.x[i - 1]);
});
