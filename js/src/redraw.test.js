import assert from "node:assert/strict";
import { test } from "node:test";
import { createArrivalClock, recordRedraw } from "./redraw.js";

test("arrival to paint: from the first store change since the last redraw, two frames after the update", () => {
  delete (/** @type {any} */ (globalThis)).__nbtrackStats;
  let t = 100;
  /** @type {(() => void)[]} */
  let frames = [];
  const clock = createArrivalClock(() => t, (cb) => frames.push(cb));
  const flush = () => { const run = frames; frames = []; for (const cb of run) cb(); };
  assert.equal(clock.take(), null, "nothing arrived: a redraw not for data");
  clock.painted(null);
  assert.equal(frames.length, 0);
  clock.note();
  t = 150;
  clock.note(); // a later change before the redraw does not move the start
  const since = clock.take();
  assert.equal(since, 100);
  assert.equal(clock.take(), null, "taken once");
  t = 180;
  clock.painted(since);
  flush(); // the first frame: before the paint
  assert.equal((/** @type {any} */ (globalThis)).__nbtrackStats?.arrivalToPaintMs.length ?? 0, 0);
  t = 200;
  flush(); // the second frame: after it
  const stats = (/** @type {any} */ (globalThis)).__nbtrackStats;
  assert.deepEqual(stats.arrivalToPaintMs, [100]);
  recordRedraw(5, 4); // the redraw timings share the object
  assert.deepEqual([stats.redraws, stats.redrawMs, stats.charts, stats.arrivalToPaintMs], [1, [5], [4], [100]]);
});
