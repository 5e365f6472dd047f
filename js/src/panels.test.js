import assert from "node:assert/strict";
import { test } from "node:test";
import { formatNumber } from "./panels.js";

test("numbers in the summary table have at most 6 significant digits", () => {
  assert.equal(formatNumber(0.07526755080463468), "0.0752676");
  assert.equal(formatNumber(0.1), "0.1");
  assert.equal(formatNumber(1.5e-7), "1.5e-7");
  assert.equal(formatNumber(120000), "120000");
  assert.equal(formatNumber(123456.789), "123457");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-Infinity), "-Infinity");
});
