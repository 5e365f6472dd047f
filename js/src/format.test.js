import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, formatNumber, formatStep, formatTime } from "./format.js";

test("numbers in the summary table have at most 6 significant digits", () => {
  assert.equal(formatNumber(0.07526755080463468), "0.0752676");
  assert.equal(formatNumber(0.1), "0.1");
  assert.equal(formatNumber(1.5e-7), "1.5e-7");
  assert.equal(formatNumber(120000), "120000");
  assert.equal(formatNumber(123456.789), "123457");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-Infinity), "-Infinity");
});

test("durations and times read like people write them", () => {
  assert.equal(formatDuration(45), "45 s");
  assert.equal(formatDuration(0.4), "0 s");
  assert.equal(formatDuration(59.6), "1 min 00 s");
  assert.equal(formatDuration(125), "2 min 05 s");
  assert.equal(formatDuration(3725), "1 h 02 min");
  assert.equal(formatDuration(86400 + 2 * 3600 + 59), "1 d 02 h");
  for (const bad of [null, undefined, NaN, -1, Infinity, "12"]) assert.equal(formatDuration(bad), "");
  const local = new Date(2025, 2, 7, 14, 5, 30).getTime() / 1000;
  assert.equal(formatTime(local), "2025-03-07 14:05");
  assert.equal(formatTime(null), "");
});

test("steps as short tick labels", () => {
  assert.deepEqual([formatStep(1200), formatStep(999_999), formatStep(1_250_000), formatStep(3e9)], ["1200", "999999", "1.25M", "3G"]);
});
