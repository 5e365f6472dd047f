// The columns of a static output's snapshot (steps, values, wall times of each series), in any of the
// forms nbtrack's Python side writes (nbtrack/_static.py): HTML reports keep them compact.
//
//   "<base64>"                                  float64 little-endian values
//   { f4: "<base64>" }                          float32 little-endian values, widened to float64
//   { range: [start, stride, n] }               start + i * stride for i < n
//   { i4d: "<base64>", start, scale }           int32 little-endian deltas: x[i] = start + scale * (d[0] + ... + d[i])
//
// i4d is for steps (scale 1) and wall times (scale 0.001: millisecond deltas). The running sum of the
// integer deltas is kept in float64, exact while it stays below 2^53, and scaled per element.

/** @typedef {string | { f4: string } | { range: [number, number, number] } | { i4d: string, start: number, scale: number }} Column */

/** @param {string} text base64 @returns {Uint8Array} */
export function fromBase64(text) {
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The values of base64 bytes read as little-endian elements of `size` bytes (read through a DataView, so
 * neither the platform's byte order nor the bytes' alignment matters).
 * @param {unknown} text @param {number} size @param {string} form the form's name, for errors
 * @param {(view: DataView, offset: number) => number} read
 */
function decodeBytes(text, size, form, read) {
  if (typeof text !== "string") throw new TypeError(`column form ${form}: expected a base64 string, got ${describe(text)}`);
  let bytes;
  try {
    bytes = fromBase64(text);
  } catch (error) {
    throw new TypeError(`column form ${form}: not valid base64 (${/** @type {Error} */ (error).message})`);
  }
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`column form ${form}: ${bytes.byteLength} bytes is not a multiple of ${size}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) out[i] = read(view, i * size);
  return out;
}

/** @param {unknown} value */
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys [${Object.keys(/** @type {object} */ (value)).join(", ")}]`;
  return typeof value;
}

/** base64 of float64 values: viewed in place (a fresh buffer, so aligned; the platform's order is
 * little-endian on every platform a browser runs on, see codecs.js). @param {string} text */
function decodeFloat64(text) {
  const form = "float64 (base64 string)";
  let bytes;
  try {
    bytes = fromBase64(text);
  } catch (error) {
    throw new TypeError(`column form ${form}: not valid base64 (${/** @type {Error} */ (error).message})`);
  }
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`column form ${form}: ${bytes.byteLength} bytes is not a multiple of 8`);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

/** @param {unknown} x @param {string} form @param {string} name */
function finiteNumber(x, form, name) {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new TypeError(`column form ${form}: ${name} must be a finite number, got ${describe(x)} ${String(x)}`);
  }
  return x;
}

/** @param {unknown} range */
function decodeRange(range) {
  if (!Array.isArray(range) || range.length !== 3) {
    throw new TypeError(`column form range: expected [start, stride, n], got ${describe(range)}`);
  }
  const start = finiteNumber(range[0], "range", "start");
  const stride = finiteNumber(range[1], "range", "stride");
  const n = finiteNumber(range[2], "range", "n");
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`column form range: n must be a whole number >= 0, got ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i * stride;
  return out;
}

/** @param {Record<string, unknown>} column */
function decodeDeltas(column) {
  const start = finiteNumber(column.start, "i4d", "start");
  const scale = finiteNumber(column.scale, "i4d", "scale");
  const deltas = decodeBytes(column.i4d, 4, "i4d", (view, offset) => view.getInt32(offset, true));
  let sum = 0;
  for (let i = 0; i < deltas.length; i++) {
    sum += deltas[i];
    deltas[i] = start + scale * sum;
  }
  return deltas;
}

/**
 * One column of a snapshot's series as a Float64Array (always a new array), from any form above.
 * @example
 * decodeColumn({ range: [0, 10, 3] }) // Float64Array [0, 10, 20]
 * @param {unknown} value @returns {Float64Array}
 */
export function decodeColumn(value) {
  if (typeof value === "string") return decodeFloat64(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`column: expected a base64 string or an object {f4}, {range} or {i4d}, got ${describe(value)}`);
  }
  const column = /** @type {Record<string, unknown>} */ (value);
  if ("f4" in column) return decodeBytes(column.f4, 4, "f4", (v, o) => v.getFloat32(o, true));
  if ("range" in column) return decodeRange(column.range);
  if ("i4d" in column) return decodeDeltas(column);
  throw new TypeError(`column: unknown form, ${describe(value)}; expected one of f4, range, i4d`);
}
