import assert from "node:assert/strict";
import { test } from "node:test";
import { createHeader, HEADER_RUNS } from "./panels.js";
import { findAll, withDocument } from "./testdom.js";

/** @param {number} count */
function storeWith(count) {
  const runs = new Map();
  for (let i = 0; i < count; i++) runs.set(`r${i}`, { id: `r${i}`, name: `run-${i}`, index: i });
  return /** @type {any} */ ({ runs });
}

const model = /** @type {any} */ ({ get: (/** @type {string} */ name) => (name === "config" ? {} : "finished") });

test("header: every run named while there are few", () => withDocument(() => {
  const { header } = createHeader(model, storeWith(3));
  assert.deepEqual(findAll(header, ".nbtrack-run-label").map((e) => e.textContent), ["run-0", "run-1", "run-2"]);
  assert.equal(findAll(header, ".nbtrack-more-runs").length, 0);
}));

test("header: beyond HEADER_RUNS runs, the first are named and the rest counted", () => withDocument(() => {
  const { header } = createHeader(model, storeWith(1000));
  assert.equal(findAll(header, ".nbtrack-run-label").length, HEADER_RUNS);
  assert.equal(findAll(header, ".nbtrack-more-runs")[0].textContent,
    `and ${1000 - HEADER_RUNS} more runs (the run table lists them)`);
}));
