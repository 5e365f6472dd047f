import assert from "node:assert/strict";
import { test } from "node:test";
import { staticModel } from "./static.js";

/** @param {ArrayBufferView} array */
const b64 = (array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");

test("staticModel decodes each series' columns in any form, and keeps unknown keys", () => {
  const payload = {
    report: { title: "r", created: 1, future: { nested: true } }, somethingNew: [1, 2],
    snapshot: { seq: 3, series: [
      { run: "a", key: "loss", n: 3, steps: b64(Float64Array.of(0, 1, 2)), values: b64(Float64Array.of(3, 2, 1)),
        times: b64(Float64Array.of(10, 11, 12)) },
      { run: "b", key: "loss", n: 3, steps: { range: [0, 5, 3] }, values: { f4: b64(Float32Array.of(0.5, 0.25, 1)) },
        times: { i4d: b64(Int32Array.of(0, 250, 1000)), start: 100, scale: 0.001 } },
      { run: "c", key: "empty", n: 0, steps: { range: [0, 1, 0] }, values: { f4: "" }, times: { i4d: "", start: 0, scale: 1 } },
    ] },
  };
  const model = staticModel(payload);
  const [a, b, c] = model.get("snapshot").series;
  assert.deepEqual([...a.values], [3, 2, 1]);
  assert.deepEqual([...b.steps], [0, 5, 10]);
  assert.deepEqual([...b.values], [0.5, 0.25, 1]);
  assert.deepEqual([...b.times], [100, 100.25, 101.25]);
  assert.ok([a, b, c].every((s) => s.steps instanceof Float64Array && s.times instanceof Float64Array));
  assert.equal(c.values.length, 0);
  assert.deepEqual(model.get("report"), payload.report);
  assert.equal(model.get("snapshot").seq, 3);
});

test("staticModel: a malformed column names its series, its column and its form", () => {
  const payload = { snapshot: { series: [{ run: "r1", key: "acc", steps: { range: [0, 1] }, values: "", times: "" }] } };
  assert.throws(() => staticModel(payload), /series "r1" "acc", steps: column form range/);
});

test("staticModel: no snapshot, or none of the series, is an empty dashboard", () => {
  assert.deepEqual(staticModel({}).get("snapshot").series, []);
  assert.deepEqual(staticModel({ snapshot: { seq: 1 } }).get("snapshot").media, []);
});
