import assert from "node:assert/strict";
import { test } from "node:test";
import { groupLineData, groupsOf } from "./grouplines.js";
import { Store } from "./store.js";

const base = { smoothing: 0, logY: false, xAxis: /** @type {const} */ ("step"), ignoreOutliers: false };
/** @param {number[]} steps @param {number[]} values @param {number[]} [times] */
const columns = (steps, values, times) => ({ steps: Float64Array.from(steps), values: Float64Array.from(values),
  times: Float64Array.from(times ?? steps.map(() => 0)) });

test("the group's line is the mean; hover names the group and counts runs per step", () => {
  const d = groupLineData([columns([0, 1, 2], [1, 2, 3]), columns([0, 1], [3, 4])], base, 400, null, "lr=0.1", 2);
  assert.deepEqual(Array.from(d.raw.y), [2, 3, 3]);
  assert.deepEqual(d.smooth.run, ["lr=0.1", "lr=0.1", "lr=0.1"]);
  assert.deepEqual(d.smooth.runs, ["2 of 2", "2 of 2", "1 of 2"]);
  assert.deepEqual(Array.from(d.band.lo), [1, 2, 3]);
  assert.deepEqual(Array.from(d.band.hi), [3, 4, 3]);
  assert.equal(d.x0, 0);
  assert.equal(d.x1, 2);
});

test("std band and smoothing: the band is smoothed as the line is", () => {
  const members = [columns([0, 1, 2, 3], [0, 10, 0, 10]), columns([0, 1, 2, 3], [2, 12, 2, 12])];
  const d = groupLineData(members, { ...base, smoothing: 0.5, groupBand: "std" }, 400, null, "g", 2);
  assert.deepEqual(Array.from(d.raw.y), [1, 11, 1, 11]);
  const smooth = Array.from(d.smooth.y);
  assert.equal(smooth[0], 1);
  assert.ok(smooth[1] > 1 && smooth[1] < 11);
  d.band.lo.forEach((lo, i) => assert.ok(Math.abs(lo - (smooth[i] - 1)) < 1e-9, `lo[${i}]`));
  d.band.hi.forEach((hi, i) => assert.ok(Math.abs(hi - (smooth[i] + 1)) < 1e-9, `hi[${i}]`));
});

test("relative time axis: x is the mean over runs of seconds since each run's start", () => {
  const members = [columns([0, 1], [1, 1], [100, 110]), columns([0, 1], [1, 1], [500, 530])];
  const d = groupLineData(members, { ...base, xAxis: "relative" }, 400, null, "g", 2);
  assert.deepEqual(Array.from(d.raw.x), [0, 20]);
  assert.deepEqual(Array.from(d.smooth.step), [0, 1], "hover still shows steps");
});

test("groups: colours fixed among all groups, only shown runs, empty groups left out", () => {
  const store = new Store();
  for (const [id, lr] of [["a", 0.1], ["b", 0.01], ["c", 0.1]]) Object.assign(store.runInfo(id), { config: { lr } });
  assert.equal(groupsOf(store, { groupBy: "none" }), null);
  const groups = groupsOf(store, { groupBy: "lr" }) ?? [];
  assert.deepEqual(groups.map((g) => [g.label, [...g.runs], g.size]), [["0.01", ["b"], 1], ["0.1", ["a", "c"], 2]]);
  store.hidden.add("b");
  const after = groupsOf(store, { groupBy: "lr" }) ?? [];
  assert.deepEqual(after.map((g) => g.label), ["0.1"]);
  assert.equal(after[0].color, groups[1].color, "a group keeps its colour when another is hidden");
});
