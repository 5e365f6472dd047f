import assert from "node:assert/strict";
import { test } from "node:test";
import { createRunsPanel } from "./runspanel.js";
import { Store } from "./store.js";
import { findAll, withDocument } from "./testdom.js";

/** @param {number} seq @param {{ id: string, name: string, status: string }[]} runs */
const runsMessage = (seq, runs) => ({ kind: "runs", v: 1, seq, runs });

test("runs panel: a status change of a known run (running -> crashed) reaches the run table", () => withDocument(() => {
  const store = new Store();
  const box = document.createElement("div");
  const panel = createRunsPanel(store, box, {}, () => {}, () => {});
  store.applyRuns(runsMessage(1, [{ id: "a", name: "alpha", status: "running" }, { id: "b", name: "beta", status: "running" }]));
  panel.update();
  const statuses = () => findAll(box, "td[data-status]").map((td) => td.dataset.status);
  assert.deepEqual(statuses(), ["running", "running"]);
  store.applyRuns(runsMessage(2, [{ id: "a", name: "alpha", status: "crashed" }]));
  panel.update();
  assert.deepEqual(statuses(), ["crashed", "running"]);
  panel.update(); // nothing new: nothing redrawn
  assert.deepEqual(statuses(), ["crashed", "running"]);
}));
