import assert from "node:assert/strict";
import { test } from "node:test";
import { createBuckets } from "./buckets.js";

/** @param {string[]} runs @param {Record<string, object>} lines */
const entries = (runs, lines) => runs.map((run) => ({ run, line: lines[run] }));

test("runs go to the buckets in turn as first seen, and keep their bucket", () => {
  const lines = { a: {}, b: {}, c: {}, d: {}, e: {} };
  const buckets = createBuckets(2);
  const first = buckets.split(entries(["a", "b", "c"], lines), "");
  assert.deepEqual(first.map((b) => [b.index, b.entries.map((e) => e.run), b.changed]), [[0, ["a", "c"], true], [1, ["b"], true]]);
  // hiding "a" and showing new runs: "a" keeps its bucket, the new ones take the next turns
  const second = buckets.split(entries(["b", "c", "d", "e"], lines), "");
  assert.deepEqual(second.map((b) => [b.index, b.entries.map((e) => e.run), b.changed]),
    [[0, ["c", "e"], true], [1, ["b", "d"], true]]);
  assert.equal(buckets.bucketOf("a"), 0);
});

test("only the bucket whose run's line changed is marked changed", () => {
  const lines = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`r${i}`, {}]));
  const runs = Object.keys(lines);
  const buckets = createBuckets(4);
  buckets.split(entries(runs, lines), "x");
  const same = buckets.split(entries(runs, lines), "x");
  assert.deepEqual(same.map((b) => b.changed), [false, false, false, false]);
  lines.r21 = {}; // new points of run r21: a new line object
  const grown = buckets.split(entries(runs, lines), "x");
  assert.deepEqual(grown.map((b) => b.changed), [false, true, false, false]);
  assert.equal(grown[1].entries.length, 10);
});

test("a new mode changes every bucket; an emptied bucket is listed once, to be cleared", () => {
  const lines = { a: {}, b: {}, c: {} };
  const buckets = createBuckets(2);
  buckets.split(entries(["a", "b", "c"], lines), "raw");
  assert.deepEqual(buckets.split(entries(["a", "b", "c"], lines), "no raw").map((b) => b.changed), [true, true]);
  const emptied = buckets.split(entries(["a", "c"], lines), "no raw");
  assert.deepEqual(emptied.map((b) => [b.index, b.entries.length, b.changed]), [[0, 2, false], [1, 0, true]]);
  assert.deepEqual(buckets.split(entries(["a", "c"], lines), "no raw").map((b) => b.index), [0], "an empty bucket drops out");
});
