import assert from "node:assert/strict";
import { test } from "node:test";
import { compareLabels, groupChoices, groupLabel, groupRuns, MISSING } from "./rungroups.js";

/** @param {string} id @param {Record<string, unknown>} [extra] @returns {any} */
const run = (id, extra = {}) => ({ id, name: id, index: 0, ...extra });

test("choices: group when a run has one, then config keys sorted", () => {
  const runs = [run("a", { config: { "opt.lr": 0.1, seed: 1 } }), run("b", { group: "sweep", config: { bs: 32 } })];
  assert.deepEqual(groupChoices(runs), ["group", "bs", "opt.lr", "seed"]);
  assert.deepEqual(groupChoices([run("a"), run("b", { group: "" })]), []);
  assert.deepEqual(groupChoices([run("a", { config: { group: 1 } })]), [], "a config key named group is the group choice's");
});

test("labels: the value as text, (none) when missing", () => {
  assert.equal(groupLabel(run("a", { config: { lr: 0.001 } }), "lr"), "0.001");
  assert.equal(groupLabel(run("a", { config: {} }), "lr"), MISSING);
  assert.equal(groupLabel(run("a", { config: { lr: null } }), "lr"), MISSING);
  assert.equal(groupLabel(run("a", { group: "g1" }), "group"), "g1");
  assert.equal(groupLabel(run("a", { config: { layers: [1, 2] } }), "layers"), "[1,2]");
  assert.equal(groupLabel(run("a", { config: { flag: false } }), "flag"), "false");
});

test("labels order: numbers by value, then text, (none) last", () => {
  const labels = ["b", MISSING, "10", "2", "a", "0.5"];
  assert.deepEqual(labels.sort(compareLabels), ["0.5", "2", "10", "a", "b", MISSING]);
});

test("groupRuns: ids per label, in run order, labels sorted; none means no grouping", () => {
  const runs = [run("r1", { config: { lr: 0.1 } }), run("r2", { config: { lr: 0.01 } }), run("r3", { config: { lr: 0.1 } }),
    run("r4")];
  const groups = groupRuns(runs, "lr");
  assert.deepEqual([...(groups ?? [])], [["0.01", ["r2"]], ["0.1", ["r1", "r3"]], [MISSING, ["r4"]]]);
  assert.equal(groupRuns(runs, "none"), null);
  assert.equal(groupRuns(runs, ""), null);
  assert.equal(groupRuns(runs, undefined), null);
});
