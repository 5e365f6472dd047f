import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeColumn } from "./columns.js";

/** base64 of a typed array's bytes (little-endian on the test platforms). @param {ArrayBufferView} array */
const b64 = (array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");

test("a string is base64 of float64 values", () => {
  const values = Float64Array.of(0.1, -2.5, NaN, Infinity, 1e300);
  const out = decodeColumn(b64(values));
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...out], [...values]);
  assert.equal(decodeColumn("").length, 0);
});

test("f4: float32 values widened to float64", () => {
  const values = Float32Array.of(0.1, -3, NaN, -Infinity);
  const out = decodeColumn({ f4: b64(values) });
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...out], [...values].map(Number)); // 0.1 as float32, widened exactly
  assert.equal(out[0], Math.fround(0.1));
  assert.equal(decodeColumn({ f4: "" }).length, 0);
});

test("range: start + i * stride", () => {
  assert.deepEqual([...decodeColumn({ range: [5, 10, 4] })], [5, 15, 25, 35]);
  assert.deepEqual([...decodeColumn({ range: [0, -0.5, 3] })], [0, -0.5, -1]);
  const none = decodeColumn({ range: [3, 1, 0] });
  assert.ok(none instanceof Float64Array);
  assert.equal(none.length, 0);
});

test("i4d: running sums of int32 deltas, scaled, from start", () => {
  const steps = decodeColumn({ i4d: b64(Int32Array.of(0, 1, 1, 10, -3)), start: 100, scale: 1 });
  assert.deepEqual([...steps], [100, 101, 102, 112, 109]);
  // wall times: millisecond deltas from a start in seconds
  const times = decodeColumn({ i4d: b64(Int32Array.of(0, 1500, 2, -1)), start: 1_700_000_000.25, scale: 0.001 });
  assert.deepEqual([...times], [0, 1500, 1502, 1501].map((ms) => 1_700_000_000.25 + 0.001 * ms));
  assert.ok(Math.abs(times[3] - 1_700_000_001.751) < 1e-6);
  assert.equal(decodeColumn({ i4d: "", start: 0, scale: 1 }).length, 0);
  // sums beyond int32 stay exact (accumulated in float64)
  const big = decodeColumn({ i4d: b64(Int32Array.of(2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1)), start: 0, scale: 1 });
  assert.deepEqual([...big], [2 ** 31 - 1, 2 * (2 ** 31 - 1), 3 * (2 ** 31 - 1)]);
});

test("a malformed column throws an Error naming its form", () => {
  assert.throws(() => decodeColumn(42), /column: expected a base64 string/);
  assert.throws(() => decodeColumn(null), /got null/);
  assert.throws(() => decodeColumn([1, 2]), /got an array/);
  assert.throws(() => decodeColumn({ f8: "" }), /unknown form.*f8.*expected one of f4, range, i4d/);
  assert.throws(() => decodeColumn("AAAA"), /float64.*3 bytes is not a multiple of 8/);
  assert.throws(() => decodeColumn("!!not base64!!"), /float64.*not valid base64/);
  assert.throws(() => decodeColumn({ f4: "AAAAAAA=" }), /f4: 5 bytes is not a multiple of 4/);
  assert.throws(() => decodeColumn({ f4: 3 }), /f4: expected a base64 string, got number/);
  assert.throws(() => decodeColumn({ range: [0, 1] }), /range: expected \[start, stride, n\]/);
  assert.throws(() => decodeColumn({ range: [0, 1, -1] }), /range: n must be a whole number/);
  assert.throws(() => decodeColumn({ range: [0, 1, 2.5] }), /range: n must be a whole number/);
  assert.throws(() => decodeColumn({ range: [0, null, 2] }), /range: stride must be a finite number/);
  assert.throws(() => decodeColumn({ i4d: "AAAAAA==", start: 0 }), /i4d: scale must be a finite number/);
  assert.throws(() => decodeColumn({ i4d: "AAAAAA==", start: "0", scale: 1 }), /i4d: start must be a finite number/);
  assert.throws(() => decodeColumn({ i4d: "AAAAAAA=", start: 0, scale: 1 }), /i4d: 5 bytes is not a multiple of 4/);
  for (const bad of [42, { f4: 1 }, { range: 1 }, { i4d: 1, start: 0, scale: 1 }]) {
    assert.throws(() => decodeColumn(bad), (error) => error instanceof Error);
  }
});
