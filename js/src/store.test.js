import assert from "node:assert/strict";
import { test } from "node:test";

import { Series, Store, storeFor } from "./store.js";

/** An append message and its buffers, as the kernel sends them (nbtrack/_protocol.py). */
function append(seq, series) {
  const headers = [];
  const buffers = [];
  for (const [key, steps, values] of series) {
    headers.push({ run: "r", key, n: steps.length });
    buffers.push(new DataView(new Float64Array(steps).buffer));
    buffers.push(new DataView(new Float64Array(values).buffer));
    buffers.push(new DataView(new Float64Array(steps.map(() => 1.5)).buffer));
  }
  return [{ kind: "append", v: 1, seq, series: headers }, buffers];
}

test("deltas append in order and grow past the initial capacity", () => {
  const store = new Store();
  for (let seq = 1; seq <= 50; seq++) {
    const steps = Array.from({ length: 10 }, (_, i) => (seq - 1) * 10 + i);
    store.applyAppend(...append(seq, [["loss", steps, steps.map((s) => s * 2)]]));
  }
  const { steps, values, times } = store.get("r", "loss").view();
  assert.equal(steps.length, 500);
  assert.deepEqual(Array.from(steps), Array.from({ length: 500 }, (_, i) => i));
  assert.equal(values[499], 998);
  assert.equal(times[0], 1.5);
  assert.equal(store.seq, 50);
});

test("a message already covered is ignored, a missing one is recorded as a gap", () => {
  const store = new Store();
  assert.equal(store.applyAppend(...append(1, [["a", [0], [1]]])), true);
  assert.equal(store.applyAppend(...append(1, [["a", [0], [1]]])), false);
  store.applyAppend(...append(4, [["a", [3], [1]]]));
  assert.equal(store.get("r", "a").length, 2);
  assert.deepEqual(store.gaps, [2, 3]);
});

test("late display: snapshot then only newer deltas end identical to a store fed from the start", () => {
  const live = new Store();
  const messages = [];
  for (let seq = 1; seq <= 20; seq++) {
    const m = append(seq, [["x", [seq], [seq * 0.5]], ["y", [seq], [-seq]]]);
    messages.push(m);
    live.applyAppend(...m);
  }
  // a snapshot taken after message 12, applied by a view that then receives every message again
  const snap = { seq: 12, series: ["x", "y"].map((key) => {
    const v = live.get("r", key).view();
    return { run: "r", key, steps: v.steps.slice(0, 12), values: v.values.slice(0, 12), times: v.times.slice(0, 12) };
  }) };
  const late = new Store();
  late.applySnapshot(snap);
  for (const m of messages) late.applyAppend(...m);
  for (const key of ["x", "y"]) {
    assert.deepEqual(Array.from(late.get("r", key).view().values), Array.from(live.get("r", key).view().values));
  }
  assert.equal(late.applySnapshot({ ...snap, seq: 5 }), false); // an older snapshot never rolls back
});

test("unaligned buffers decode, and malformed messages are refused clearly", () => {
  const store = new Store();
  const raw = new ArrayBuffer(8 * 2 + 3);
  const shifted = new DataView(raw, 3, 16);
  shifted.setFloat64(0, 7, true);
  shifted.setFloat64(8, 9, true);
  const message = { kind: "append", v: 1, seq: 1, series: [{ run: "r", key: "k", n: 2 }] };
  store.applyAppend(message, [shifted, shifted, shifted]);
  assert.deepEqual(Array.from(store.get("r", "k").view().values), [7, 9]);
  assert.throws(() => store.applyAppend({ ...message, seq: 2, v: 9 }, []), /protocol version 1/);
  assert.throws(() => store.applyAppend({ ...message, seq: 3 }, [shifted]), /needs 3 buffers, got 1/);
  assert.throws(() => store.applyAppend({ ...message, seq: 4, series: [{ run: "r", key: "k", n: 5 }] },
    [shifted, shifted, shifted]), /do not hold 5 points/);
});

test("listeners hear changes; one registry per page keyed by uid", () => {
  const a = storeFor("uid-1");
  assert.equal(storeFor("uid-1"), a);
  assert.notEqual(storeFor("uid-2"), a);
  let calls = 0;
  const stop = a.subscribe(() => calls++);
  a.applyAppend(...append(1, [["k", [0], [0]]]));
  stop();
  a.applyAppend(...append(2, [["k", [1], [0]]]));
  assert.equal(calls, 1);
});

test("a series above its point budget keeps recent points exact and older ones reduced with their extremes", () => {
  const s = new Series("r", "x");
  s.maxPoints = 100_000;
  const n = 300_000;
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  const values = Float64Array.from(steps, (i) => (i === 12_345 ? 1000 : Math.sin(i / 100)));
  values[54_321] = NaN;
  for (let at = 0; at < n; at += 10_000) {
    s.append(steps.subarray(at, at + 10_000), values.subarray(at, at + 10_000), steps.subarray(at, at + 10_000));
  }
  assert.ok(s.length <= 100_000, `bounded: ${s.length}`);
  assert.equal(s.total, n);
  const view = s.view();
  assert.ok(view.values.includes(1000), "the spike survives compaction");
  assert.ok(view.values.some(Number.isNaN), "the NaN stays marked");
  assert.equal(view.steps[0], 0);
  assert.equal(view.steps[s.length - 1], n - 1);
  for (let i = 1; i < s.length; i++) assert.ok(view.steps[i] > view.steps[i - 1], "steps stay increasing");
  const recent = view.steps.subarray(s.length - 20_000);
  assert.ok(recent.every((v, i) => i === 0 || v === recent[i - 1] + 1), "recent points at full resolution");
  assert.ok(s.reducedTo > 0 && s.reducedTo < n);
});

test("media messages: buffers split per item, records ordered by step and index, seq shared with appends", () => {
  const store = new Store();
  const png = Uint8Array.of(137, 80, 78, 71);
  const edges = new Float64Array([0, 1, 2]);
  const counts = new Float64Array([3, 4]);
  const applied = store.applyMedia({
    kind: "media", v: 1, seq: 1, items: [
      { run: "r", key: "samples", kind: "image", step: 10, index: 1, meta: { caption: "b" }, buffers: 1 },
      { run: "r", key: "samples", kind: "image", step: 10, index: 0, meta: { caption: "a" }, buffers: 1 },
      { run: "r", key: "w", kind: "histogram", step: 10, index: null, meta: {}, buffers: 2 },
      { run: "r", key: "note", kind: "text", step: 5, index: null, meta: { text: "<b>x</b>" }, buffers: 0 },
    ],
  }, [png, png, new DataView(edges.buffer), new DataView(counts.buffer)]);
  assert.ok(applied);
  const images = store.media.get("r\u0000samples");
  assert.deepEqual(images?.records.map((r) => r.meta.caption), ["a", "b"]);
  assert.deepEqual([...(images?.records[0].data[0] ?? [])], [...png]);
  assert.deepEqual(store.media.get("r\u0000w")?.records[0].data.length, 2);
  assert.equal(store.media.get("r\u0000note")?.records[0].meta.text, "<b>x</b>");
  // an append with a lower seq is ignored; the next seq applies
  assert.equal(store.applyMedia({ kind: "media", v: 1, seq: 1, items: [] }, []), false);
  assert.throws(() => store.applyMedia({ kind: "media", v: 1, seq: 2, items: [
    { run: "r", key: "x", kind: "image", step: 1, buffers: 1 }] }, []), /needs 1 buffers, got 0/);
});

test("a media tag keeps its newest records within the bound, and snapshots bring media", async () => {
  const { MAX_MEDIA_RECORDS } = await import("./store.js");
  const store = new Store();
  for (let step = 0; step < MAX_MEDIA_RECORDS + 20; step++) {
    store.addMedia({ run: "r", key: "img", kind: "image", step }, [Uint8Array.of(step % 256)]);
  }
  const series = store.media.get("r\u0000img");
  assert.equal(series?.records.length, MAX_MEDIA_RECORDS);
  assert.equal(series?.steps()[0], 20);
  store.applySnapshot({ seq: 3, series: [], media: [{ run: "q", key: "t", kind: "text", step: 2, meta: { text: "hi" } }] });
  assert.deepEqual([...store.media.keys()], ["q\u0000t"]);
});

test("a runs message updates run info and the runs version; an old one is ignored", () => {
  const store = new Store();
  store.applySnapshot({ seq: 0, runs: [{ id: "a", name: "a", status: "running" }], series: [] });
  const version = store.runsVersion;
  assert.equal(store.applyRuns({ kind: "runs", v: 1, seq: 1, runs: [{ id: "a", status: "crashed" },
    { id: "b", name: "new run", status: "running" }] }), true);
  assert.equal(store.runs.get("a")?.status, "crashed");
  assert.equal(store.runs.get("a")?.name, "a");
  assert.equal(store.runs.get("b")?.name, "new run");
  assert.equal(store.runs.get("b")?.index, 1);
  assert.ok(store.runsVersion > version);
  assert.equal(store.applyRuns({ kind: "runs", v: 1, seq: 1, runs: [{ id: "a", status: "finished" }] }), false);
  assert.equal(store.runs.get("a")?.status, "crashed");
});

test("hideAllButNewest keeps the newest runs shown", () => {
  const store = new Store();
  const runs = Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, name: `r${i}`, created: i }));
  store.applySnapshot({ seq: 0, runs, series: [] });
  assert.equal(store.hideAllButNewest(20), 5);
  assert.deepEqual([...store.hidden].sort(), ["r0", "r1", "r2", "r3", "r4"]);
  assert.equal(new Store().hideAllButNewest(20), 0);
});
