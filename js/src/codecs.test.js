import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeArray, int64ToFloat64Array, toFloat32Array, toFloat64Array, toInt32Array } from "./codecs.js";

/**
 * A DataView over `values` written at byte `offset` of a larger buffer, as ipywidgets may deliver it.
 * @param {ArrayBufferView} values @param {number} offset
 */
function viewAt(values, offset) {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const buffer = new ArrayBuffer(offset + bytes.length + 5);
  new Uint8Array(buffer).fill(0xee).set(bytes, offset);
  return new DataView(buffer, offset, bytes.length);
}

/** @param {bigint[]} values @param {number} offset */
function int64ViewAt(values, offset) {
  return viewAt(BigInt64Array.from(values), offset);
}

describe("fixed-width decoders", () => {
  test("float64 at an unaligned byteOffset is copied and correct", () => {
    const values = Float64Array.of(1.5, -0, NaN, Infinity, 1e-300);
    for (const offset of [1, 3, 4, 7]) {
      const dv = viewAt(values, offset);
      const out = toFloat64Array(dv);
      assert.deepEqual(out, values);
      assert.notEqual(out.buffer, dv.buffer);
    }
  });

  test("float64 at an aligned non-zero byteOffset is a zero-copy view", () => {
    const dv = viewAt(Float64Array.of(1, 2, 3), 16);
    const out = toFloat64Array(dv);
    assert.equal(out.buffer, dv.buffer);
    assert.equal(out.byteOffset, 16);
    assert.deepEqual(out, Float64Array.of(1, 2, 3));
  });

  test("int32 and float32 at unaligned offsets", () => {
    const ints = Int32Array.of(-2147483648, -1, 0, 2147483647);
    const floats = Float32Array.of(0.25, -3.5, 16777216);
    for (const offset of [1, 2, 3, 5]) {
      assert.deepEqual(toInt32Array(viewAt(ints, offset)), ints);
      assert.deepEqual(toFloat32Array(viewAt(floats, offset)), floats);
    }
    const aligned = viewAt(ints, 8);
    assert.equal(toInt32Array(aligned).buffer, aligned.buffer);
  });

  test("accepts an ArrayBuffer and a Uint8Array", () => {
    const values = Float64Array.of(4, 5);
    assert.deepEqual(toFloat64Array(values.slice().buffer), values);
    const dv = viewAt(values, 3);
    assert.deepEqual(toFloat64Array(new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength)), values);
  });

  test("rejects a length that is not a whole number of elements, and non-binary input", () => {
    assert.throws(() => toFloat64Array(new Uint8Array(12)), { name: "RangeError", message: /12 bytes.*multiple of 8/ });
    assert.throws(() => toInt32Array(new DataView(new ArrayBuffer(6))), RangeError);
    assert.throws(() => toFloat64Array(/** @type {any} */ ([1, 2])), TypeError);
  });
});

describe("int64", () => {
  test("values up to 2^53 decode exactly, at an unaligned offset", () => {
    const big = [0n, 1n, -1n, 2n ** 32n, -(2n ** 32n) - 7n, 2n ** 53n, -(2n ** 53n), 2n ** 53n - 1n];
    const out = int64ToFloat64Array(int64ViewAt(big, 3));
    assert.ok(out instanceof Float64Array);
    assert.deepEqual(Array.from(out), big.map(Number));
  });

  test("large values that a float64 holds exactly are accepted", () => {
    const big = [2n ** 60n, -(2n ** 63n), 3n * 2n ** 55n];
    assert.deepEqual(Array.from(int64ToFloat64Array(int64ViewAt(big, 0))), big.map(Number));
  });

  test("a value that would be rounded throws and names it", () => {
    assert.throws(() => int64ToFloat64Array(int64ViewAt([5n, 2n ** 53n + 1n], 1)), {
      name: "RangeError",
      message: /9007199254740993 at index 1 .*not exactly representable/,
    });
    assert.throws(() => int64ToFloat64Array(int64ViewAt([2n ** 63n - 1n], 0)), RangeError);
    assert.throws(() => int64ToFloat64Array(int64ViewAt([-(2n ** 53n) - 1n], 4)), RangeError);
  });
});

describe("decodeArray", () => {
  test("dispatches on dtype and returns the matching typed array", () => {
    const dv = viewAt(Float64Array.of(1, 2, 3, 4, 5, 6), 5);
    const f64 = decodeArray({ dtype: "float64", shape: [2, 3] }, dv);
    assert.ok(f64 instanceof Float64Array);
    assert.deepEqual(f64, Float64Array.of(1, 2, 3, 4, 5, 6));
    assert.ok(decodeArray({ dtype: "float32", shape: [1] }, viewAt(Float32Array.of(2), 1)) instanceof Float32Array);
    assert.ok(decodeArray({ dtype: "int32", shape: [2] }, viewAt(Int32Array.of(1, 2), 2)) instanceof Int32Array);
    const u8 = decodeArray({ dtype: "uint8", shape: [3] }, viewAt(Uint8Array.of(7, 8, 255), 1));
    assert.deepEqual(u8, Uint8Array.of(7, 8, 255));
    const i64 = decodeArray({ dtype: "int64", shape: [2] }, int64ViewAt([-3n, 2n ** 40n], 6));
    assert.deepEqual(i64, Float64Array.of(-3, 2 ** 40));
  });

  test("a scalar has shape [] and one element", () => {
    assert.deepEqual(decodeArray({ dtype: "float64", shape: [] }, viewAt(Float64Array.of(9), 0)), Float64Array.of(9));
  });

  test("rejects a shape that does not match the buffer, and unknown dtypes", () => {
    const dv = viewAt(Float64Array.of(1, 2, 3), 0);
    assert.throws(() => decodeArray({ dtype: "float64", shape: [2, 2] }, dv), { name: "RangeError", message: /3 elements.*\[2, 2\] needs 4/ });
    assert.throws(() => decodeArray({ dtype: "int16", shape: [3] }, dv), { name: "TypeError", message: /int16/ });
    assert.throws(() => decodeArray({ dtype: "toString", shape: [3] }, dv), TypeError);
  });

  test("int64 out of range is an error, not a truncation", () => {
    assert.throws(() => decodeArray({ dtype: "int64", shape: [1] }, int64ViewAt([2n ** 62n + 1n], 2)), RangeError);
  });
});
