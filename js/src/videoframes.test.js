import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32, framePng, parseApng, videoMime } from "./videoframes.js";

/** A chunk. @param {string} type @param {number[]} body */
function chunk(type, body) {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return [...out];
}

/** fcTL body. @param {number} seq @param {number} w @param {number} h */
function fctl(seq, w, h) {
  const b = new DataView(new ArrayBuffer(26));
  b.setUint32(0, seq);
  b.setUint32(4, w);
  b.setUint32(8, h);
  b.setUint16(20, 1);
  b.setUint16(22, 5);
  return [...new Uint8Array(b.buffer)];
}

const IHDR = [0, 0, 0, 4, 0, 0, 0, 2, 8, 2, 0, 0, 0];
const APNG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, ...chunk("IHDR", IHDR),
  ...chunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0]), ...chunk("fcTL", fctl(0, 4, 2)), ...chunk("IDAT", [1, 2, 3]),
  ...chunk("fcTL", fctl(1, 4, 2)), ...chunk("fdAT", [0, 0, 0, 2, 7, 8]), ...chunk("IEND", [])]);

test("crc32: PNG's checksum", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

test("parseApng: frames, their delays and data; fdAT without its sequence number", () => {
  const apng = parseApng(APNG);
  assert.ok(apng);
  assert.deepEqual([apng.width, apng.height, apng.frames.length], [4, 2, 2]);
  assert.deepEqual(apng.frames.map((f) => [f.delay, [...f.data[0]]]), [[0.2, [1, 2, 3]], [0.2, [7, 8]]]);
});

test("framePng: a frame as a PNG of its own, its data in IDAT", () => {
  const apng = /** @type {import("./videoframes.js").Apng} */ (parseApng(APNG));
  const png = framePng(apng, apng.frames[1]);
  const expected = [137, 80, 78, 71, 13, 10, 26, 10, ...chunk("IHDR", IHDR), ...chunk("IDAT", [7, 8]), ...chunk("IEND", [])];
  assert.deepEqual([...png], expected);
});

test("parseApng: a still PNG or other bytes are not an APNG", () => {
  const still = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, ...chunk("IHDR", IHDR), ...chunk("IDAT", [1]),
    ...chunk("IEND", [])]);
  assert.equal(parseApng(still), null);
  assert.equal(parseApng(Uint8Array.of(1, 2, 3)), null);
});

test("videoMime: by the stored format", () => {
  assert.equal(videoMime({ format: "mp4" }), "video/mp4");
  assert.equal(videoMime({ format: "webm" }), "video/webm");
  assert.equal(videoMime({ format: "gif" }), "image/gif");
  assert.equal(videoMime({ format: "apng" }), "image/apng");
  assert.equal(videoMime({}), "image/apng");
});
