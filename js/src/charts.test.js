import assert from "node:assert/strict";
import { test } from "node:test";
import { foldedGroups, groupOf, seriesByKey } from "./charts.js";

test("no group folds up to the limit; beyond it the groups after the first few do", () => {
  assert.deepEqual([...foldedGroups(new Map([["", 4], ["a", 40]]))], []);
  assert.deepEqual([...foldedGroups(new Map([["", 2], ["a", 10], ["b", 30], ["c", 30]]))], ["b", "c"]);
  // the first group always opens, however big
  assert.deepEqual([...foldedGroups(new Map([["g000", 50], ["g001", 50]]))], ["g001"]);
});

test("series are indexed by tag in one pass, in the store's order", () => {
  const series = new Map([["r1\0a", { run: "r1", key: "a" }], ["r1\0b/x", { run: "r1", key: "b/x" }],
    ["r2\0a", { run: "r2", key: "a" }]]);
  const byKey = seriesByKey(/** @type {any} */ ({ series }));
  assert.deepEqual([...byKey.keys()], ["a", "b/x"]);
  assert.deepEqual(byKey.get("a")?.map((s) => s.run), ["r1", "r2"]);
  assert.equal(groupOf("b/x"), "b");
});

test("cell width: as many columns as fit at the least width, sharing the rest", async () => {
  const { cellWidth } = await import("./charts.js");
  assert.equal(cellWidth(1000, 420, 8), 496);
  assert.equal(cellWidth(400, 420, 8), 400, "narrower than one chart: one column, as wide as the grid");
  assert.equal(cellWidth(1300, 420, 8), 428);
  assert.equal(cellWidth(1300, 300, 8), 319);
  assert.equal(cellWidth(0, 420, 8), 0);
});
