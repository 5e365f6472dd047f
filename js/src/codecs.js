// Decode binary buffers from the kernel into typed arrays.
//
// ipywidgets hands buffers to JS as DataViews whose byteOffset may not be a multiple of the element
// size; a typed array cannot be built on such an offset, so those are copied and all others are viewed
// zero-copy. Bytes are read in the platform's order, which is little-endian, like NumPy's native order,
// on every platform a browser runs Jupyter on.

/** @typedef {"float64" | "float32" | "int32" | "uint8" | "int64"} DType */
/** @typedef {ArrayBuffer | ArrayBufferView} Binary */
/** @typedef {{ buffer: ArrayBufferLike, byteOffset: number, byteLength: number }} Bytes */

const TWO_POW_32 = 2 ** 32;

/** @param {Binary} input @returns {Bytes} */
function asBytes(input) {
  if (ArrayBuffer.isView(input)) return input;
  if (input instanceof ArrayBuffer) return { buffer: input, byteOffset: 0, byteLength: input.byteLength };
  throw new TypeError(`expected a DataView, typed array or ArrayBuffer, got ${Object.prototype.toString.call(input)}`);
}

/**
 * Check that `bytes` holds a whole number of `size`-byte elements; returns the element count.
 * @param {Bytes} bytes @param {number} size @param {string} dtype
 */
function elementCount(bytes, size, dtype) {
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${dtype} buffer of ${bytes.byteLength} bytes is not a multiple of ${size} bytes`);
  }
  return bytes.byteLength / size;
}

/**
 * The buffer and offset at which `bytes` can be viewed as `size`-byte elements: itself when aligned,
 * else an aligned copy.
 * @param {Bytes} bytes @param {number} size
 * @returns {{ buffer: ArrayBufferLike, byteOffset: number }}
 */
function aligned(bytes, size) {
  if (bytes.byteOffset % size === 0) return bytes;
  const copy = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
  return { buffer: copy.buffer, byteOffset: 0 };
}

/** @param {Binary} input @returns {Float64Array} */
export function toFloat64Array(input) {
  const bytes = asBytes(input);
  const n = elementCount(bytes, 8, "float64");
  const { buffer, byteOffset } = aligned(bytes, 8);
  return new Float64Array(buffer, byteOffset, n);
}

/** @param {Binary} input @returns {Float32Array} */
export function toFloat32Array(input) {
  const bytes = asBytes(input);
  const n = elementCount(bytes, 4, "float32");
  const { buffer, byteOffset } = aligned(bytes, 4);
  return new Float32Array(buffer, byteOffset, n);
}

/** @param {Binary} input @returns {Int32Array} */
export function toInt32Array(input) {
  const bytes = asBytes(input);
  const n = elementCount(bytes, 4, "int32");
  const { buffer, byteOffset } = aligned(bytes, 4);
  return new Int32Array(buffer, byteOffset, n);
}

/** @param {Binary} input @returns {Uint8Array} */
export function toUint8Array(input) {
  const bytes = asBytes(input);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decode little-endian int64 values into a Float64Array (always a new array). Throws if any value is
 * not exactly representable as a float64, rather than rounding it.
 * @param {Binary} input @returns {Float64Array}
 */
export function int64ToFloat64Array(input) {
  const bytes = asBytes(input);
  const n = elementCount(bytes, 8, "int64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = view.getUint32(8 * i, true);
    const hi = view.getInt32(8 * i + 4, true);
    // |hi| < 2^21 means |value| < 2^53: exact, and computing it as a double is exact too.
    out[i] = hi >= -0x200000 && hi < 0x200000 ? hi * TWO_POW_32 + lo : exactInt64(view, i);
  }
  return out;
}

/** The int64 at element `i` as a number, if it converts exactly. @param {DataView} view @param {number} i */
function exactInt64(view, i) {
  const big = view.getBigInt64(8 * i, true);
  const value = Number(big);
  if (BigInt(value) !== big) {
    throw new RangeError(
      `int64 value ${big} at index ${i} is not exactly representable as float64 (beyond 2^53); refusing to round it`,
    );
  }
  return value;
}

/** @type {Record<DType, (input: Binary) => Float64Array | Float32Array | Int32Array | Uint8Array>} */
const DECODERS = {
  float64: toFloat64Array,
  float32: toFloat32Array,
  int32: toInt32Array,
  uint8: toUint8Array,
  int64: int64ToFloat64Array,
};

/**
 * Decode one array sent as `{dtype, shape}` plus a binary buffer. The result is flat (row-major);
 * its length must match the shape. int64 becomes a Float64Array, or a RangeError if that would round.
 * @param {{ dtype: string, shape: readonly number[] }} header
 * @param {Binary} input
 */
export function decodeArray({ dtype, shape }, input) {
  if (!Object.hasOwn(DECODERS, dtype)) {
    throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DECODERS).join(", ")}`);
  }
  const array = DECODERS[/** @type {DType} */ (dtype)](input);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (array.length !== expected) {
    throw new RangeError(`${dtype} buffer holds ${array.length} elements but shape [${shape.join(", ")}] needs ${expected}`);
  }
  return array;
}
