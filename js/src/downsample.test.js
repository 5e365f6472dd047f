import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { m4, minMax } from "./downsample.js";

/**
 * Straightforward reference: the same selection rule, written per column with plain arrays.
 * @param {ArrayLike<number>} xs @param {ArrayLike<number>} ys
 * @param {number} x0 @param {number} x1 @param {number} width
 */
function referenceM4(xs, ys, x0, x1, width) {
  /** @type {Map<number, number[]>} */
  const columns = new Map();
  const nonFinite = [];
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < x0 || xs[i] > x1) continue;
    const c = x1 === x0 ? 0 : Math.min(Math.floor(((xs[i] - x0) / (x1 - x0)) * width), width - 1);
    columns.set(c, [...(columns.get(c) ?? []), i]);
    if (!Number.isFinite(ys[i])) nonFinite.push(i);
  }
  const kept = new Set();
  for (const members of columns.values()) {
    kept.add(members[0]).add(members[members.length - 1]);
    const finite = members.filter((i) => Number.isFinite(ys[i]));
    if (finite.length === 0) continue;
    kept.add(finite.reduce((a, b) => (ys[b] < ys[a] ? b : a)));
    kept.add(finite.reduce((a, b) => (ys[b] > ys[a] ? b : a)));
  }
  const last = xs.length - 1;
  if (last >= 0 && !kept.has(last)) {
    kept.add(last);
    if (!Number.isFinite(ys[last])) nonFinite.push(last);
  }
  return { idx: [...kept].sort((a, b) => a - b), nonFinite };
}

/** Deterministic pseudo-random numbers in [0, 1). @param {number} seed */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** @param {ReturnType<typeof m4>} result @param {ArrayLike<number>} xs @param {ArrayLike<number>} ys */
function assertConsistent(result, xs, ys) {
  assert.equal(result.x.length, result.idx.length);
  assert.equal(result.y.length, result.idx.length);
  for (let k = 0; k < result.idx.length; k++) {
    if (k > 0) assert.ok(result.idx[k] > result.idx[k - 1], "idx strictly increasing");
    if (k > 0) assert.ok(result.x[k] >= result.x[k - 1], "x sorted");
    assert.ok(Object.is(result.x[k], xs[result.idx[k]]));
    assert.ok(Object.is(result.y[k], ys[result.idx[k]]));
  }
}

describe("m4", () => {
  test("1,000,000 points with one 1000x spike: spike, first and last kept, <= 4 x width points", () => {
    const n = 1_000_000;
    const width = 800;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = i;
      ys[i] = 1 + Math.sin(i / 997) * 0.5;
    }
    const spike = 654_321;
    ys[spike] = 1000 * 1.5;
    ys[123_456] = NaN;
    ys[777_777] = -Infinity;
    const result = m4(xs, ys, 0, n - 1, width);
    assert.ok(result.idx.length <= 4 * width, `${result.idx.length} points`);
    assert.ok(result.idx.length >= 2 * width);
    assert.ok(result.idx.includes(spike));
    assert.equal(Math.max(...result.y.filter(Number.isFinite)), 1500);
    assert.equal(result.idx[0], 0);
    assert.equal(result.idx[result.idx.length - 1], n - 1);
    assert.deepEqual(Array.from(result.nonFinite), [123_456, 777_777]);
    assertConsistent(result, xs, ys);
  });

  test("a hand-worked example: two columns of five points", () => {
    const xs = Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    const ys = Float64Array.of(5, 1, 9, 4, 3, 3, 8, 2, 6, 7);
    // Columns: x 0..4 -> first 0, min 1, max 2, last 4; x 5..9 -> first 5, max 6, min 7, last 9.
    const result = m4(xs, ys, 0, 9, 2);
    assert.deepEqual(Array.from(result.idx), [0, 1, 2, 4, 5, 6, 7, 9]);
    assert.deepEqual(Array.from(result.y), [5, 1, 9, 3, 3, 8, 2, 7]);
    assert.equal(result.nonFinite.length, 0);
  });

  test("points that are both first/last and min/max appear once", () => {
    const result = m4(Float64Array.of(0, 1, 2), Float64Array.of(1, 2, 3), 0, 2, 1);
    assert.deepEqual(Array.from(result.idx), [0, 2]);
  });

  test("non-finite values are never min or max, and are reported", () => {
    const xs = Float64Array.of(0, 1, 2, 3, 4, 5);
    const ys = Float64Array.of(2, NaN, Infinity, -Infinity, 1, 3);
    const result = m4(xs, ys, 0, 5, 1);
    // first 0, min 4 (y=1), max 5 (y=3), last 5: the infinities are not picked as extremes.
    assert.deepEqual(Array.from(result.idx), [0, 4, 5]);
    assert.deepEqual(Array.from(result.nonFinite), [1, 2, 3]);
  });

  test("a column of only non-finite values keeps its first and last point", () => {
    const xs = Float64Array.of(0, 1, 2, 10, 11, 12);
    const ys = Float64Array.of(NaN, NaN, NaN, 1, 2, 3);
    const result = m4(xs, ys, 0, 12, 2);
    assert.deepEqual(Array.from(result.idx), [0, 2, 3, 5]);
    assert.deepEqual(Array.from(result.nonFinite), [0, 1, 2]);
  });

  test("points outside [x0, x1] are dropped, except the newest", () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i);
    const ys = Float64Array.from({ length: 100 }, (_, i) => (i % 7 === 0 ? NaN : i % 5));
    const result = m4(xs, ys, 10, 20, 3);
    assert.ok(Array.from(result.idx).every((i) => (i >= 10 && i <= 20) || i === 99));
    assert.equal(result.idx[0], 10);
    assert.equal(result.idx[result.idx.length - 2], 20);
    assert.equal(result.idx[result.idx.length - 1], 99);
    assert.deepEqual(Array.from(result.nonFinite), [14]);
    assertConsistent(result, xs, ys);
  });

  test("a non-finite newest point outside the range is kept and reported", () => {
    const result = m4(Float64Array.of(0, 1, 2, 3), Float64Array.of(1, 2, 3, NaN), 0, 1, 4);
    assert.deepEqual(Array.from(result.idx), [0, 1, 3]);
    assert.deepEqual(Array.from(result.nonFinite), [3]);
  });

  test("matches a straightforward reference on random data with repeated x", () => {
    const rand = random(42);
    for (const [n, width] of [[10_000, 37], [500, 1], [50, 200], [3000, 640]]) {
      const xs = new Float64Array(n);
      const ys = new Float64Array(n);
      let x = -50;
      for (let i = 0; i < n; i++) {
        x += rand() < 0.2 ? 0 : rand() * 3;
        xs[i] = x;
        const r = rand();
        ys[i] = r < 0.02 ? NaN : r < 0.03 ? Infinity : (rand() - 0.5) * 100;
      }
      for (const [x0, x1] of [[xs[0], xs[n - 1]], [xs[n >> 2], xs[n >> 1]], [xs[10], xs[10]]]) {
        const result = m4(xs, ys, x0, x1, width);
        const expected = referenceM4(xs, ys, x0, x1, width);
        assert.deepEqual(Array.from(result.idx), expected.idx, `n=${n} width=${width} [${x0}, ${x1}]`);
        assert.deepEqual(Array.from(result.nonFinite), expected.nonFinite);
        assert.ok(result.idx.length <= 4 * width + 1);
        assertConsistent(result, xs, ys);
      }
    }
  });

  test("x0 === x1 makes a single column", () => {
    const result = m4(Float64Array.of(5, 5, 5, 5), Float64Array.of(3, 9, 1, 4), 5, 5, 100);
    assert.deepEqual(Array.from(result.idx), [0, 1, 2, 3]);
  });

  test("empty input gives empty typed arrays", () => {
    const result = m4(new Float64Array(0), new Float64Array(0), 0, 1, 10);
    assert.ok(result.x instanceof Float64Array && result.y instanceof Float64Array);
    assert.ok(result.idx instanceof Int32Array && result.nonFinite instanceof Int32Array);
    assert.equal(result.idx.length + result.nonFinite.length, 0);
  });

  test("bad arguments are RangeErrors", () => {
    const xs = Float64Array.of(0, 1);
    for (const width of [0, -3, 1.5, NaN, Infinity]) {
      assert.throws(() => m4(xs, xs, 0, 1, width), { name: "RangeError", message: /width must be a positive integer/ });
    }
    assert.throws(() => m4(xs, xs, 1, 0, 10), { name: "RangeError", message: /x0 <= x1/ });
    assert.throws(() => m4(xs, xs, NaN, 1, 10), RangeError);
    assert.throws(() => m4(xs, Float64Array.of(1), 0, 1, 10), { name: "RangeError", message: /ys has 1/ });
  });
});

describe("minMax", () => {
  test("per pixel column the min and max in index order, at most 2 x width points plus the newest", () => {
    const next = random(11);
    const n = 50_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i);
    const ys = Float64Array.from({ length: n }, () => next());
    ys[31_337] = 50;
    const width = 300;
    const result = minMax(xs, ys, 0, n - 1, width);
    assertConsistent(result, xs, ys);
    assert.ok(result.x.length <= 2 * width + 1);
    assert.ok(result.y.includes(50), "the spike is kept");
    assert.equal(result.idx[result.idx.length - 1], n - 1, "the newest point is kept");
    // each column's kept points are its min and max
    const scale = width / (n - 1);
    for (const i of result.idx.slice(0, -1)) {
      const c = Math.min(Math.floor(i * scale), width - 1);
      const members = Array.from(ys).filter((_, j) => Math.min(Math.floor(j * scale), width - 1) === c);
      assert.ok(ys[i] === Math.min(...members) || ys[i] === Math.max(...members));
    }
  });

  test("the documented example; a column of NaN keeps its first point, so the line breaks there", () => {
    const small = minMax([0, 1, 2, 3], [5, 1, 9, 2], 0, 3, 1);
    assert.deepEqual([...small.x], [1, 2, 3]);
    assert.deepEqual([...small.y], [1, 9, 2]);
    const gap = minMax([0, 1, 2, 3, 4, 5], [1, 2, NaN, NaN, 3, 4], 0, 6, 3);
    assert.deepEqual([...gap.idx], [0, 1, 2, 4, 5]);
    assert.deepEqual([...gap.nonFinite], [2, 3]);
  });
});
