import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, minMaxColumns, parseWav } from "./waveform.js";

/** A WAV file. @param {number} format @param {number} bits @param {number} channels @param {number} rate
 * @param {number[]} samples interleaved, in [-1, 1] @param {boolean} [extra] a chunk before "fmt " */
function wav(format, bits, channels, rate, samples, extra = false) {
  const width = bits / 8;
  const data = new DataView(new ArrayBuffer(samples.length * width));
  samples.forEach((x, i) => {
    if (format === 3) data.setFloat32(i * width, x, true);
    else data.setInt16(i * width, Math.round(x * 32767), true);
  });
  const parts = [];
  const chunk = (/** @type {string} */ id, /** @type {Uint8Array} */ body) => {
    const head = new DataView(new ArrayBuffer(8));
    [...id].forEach((c, i) => head.setUint8(i, c.charCodeAt(0)));
    head.setUint32(4, body.length, true);
    parts.push(new Uint8Array(head.buffer), body);
    if (body.length % 2) parts.push(new Uint8Array(1));
  };
  if (extra) chunk("LIST", Uint8Array.of(1, 2, 3));
  const fmt = new DataView(new ArrayBuffer(16));
  fmt.setUint16(0, format, true);
  fmt.setUint16(2, channels, true);
  fmt.setUint32(4, rate, true);
  fmt.setUint32(8, rate * channels * width, true);
  fmt.setUint16(12, channels * width, true);
  fmt.setUint16(14, bits, true);
  chunk("fmt ", new Uint8Array(fmt.buffer));
  chunk("data", new Uint8Array(data.buffer));
  const body = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(12 + body);
  out.set([..."RIFF"].map((c) => c.charCodeAt(0)), 0);
  new DataView(out.buffer).setUint32(4, 4 + body, true);
  out.set([..."WAVE"].map((c) => c.charCodeAt(0)), 8);
  let at = 12;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

test("parseWav: 16-bit PCM mono, its duration from the header", () => {
  const w = parseWav(wav(1, 16, 1, 8000, Array.from({ length: 4000 }, (_, i) => Math.sin(i / 10) * 0.5)));
  assert.deepEqual([w.sampleRate, w.channels, w.frames, w.duration, w.bits, w.float], [8000, 1, 4000, 0.5, 16, false]);
  assert.ok(Math.abs(w.sample(10, 0) - Math.sin(1) * 0.5) < 1e-4);
});

test("parseWav: float32 stereo, after an unknown chunk", () => {
  const w = parseWav(wav(3, 32, 2, 100, [0.25, -0.5, 1, -1, 0, 0.75], true));
  assert.deepEqual([w.channels, w.frames, w.float], [2, 3, true]);
  assert.deepEqual([0, 1, 2].map((f) => [w.sample(f, 0), w.sample(f, 1)]), [[0.25, -0.5], [1, -1], [0, 0.75]]);
});

test("parseWav: refuses what it cannot read", () => {
  assert.throws(() => parseWav(Uint8Array.of(1, 2, 3)), /not a WAV/);
  const bytes = wav(1, 16, 1, 8000, [0]);
  new DataView(bytes.buffer).setUint16(20, 2, true); // ADPCM
  assert.throws(() => parseWav(bytes), /format 2/);
});

test("minMaxColumns: the min and max of each column, over every channel", () => {
  const w = parseWav(wav(3, 32, 2, 100, [0.1, -0.2, 0.3, 0.0, -0.9, 0.5, 0.2, 0.2]));
  const { min, max } = minMaxColumns(w, 2);
  assert.deepEqual([...min].map((x) => +x.toFixed(4)), [-0.2, -0.9]);
  assert.deepEqual([...max].map((x) => +x.toFixed(4)), [0.3, 0.5]);
  assert.equal(minMaxColumns(w, 300).min.length, 4, "never more columns than frames");
});

test("formatDuration: minutes and seconds", () => {
  assert.equal(formatDuration(0.5), "0:00.5");
  assert.equal(formatDuration(62.25), "1:02.3");
});
