import assert from "node:assert/strict";
import { test } from "node:test";
import { createHeader, HEADER_RUNS, injectStyle } from "./panels.js";
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

test("style: once in the document, and once in each shadow root holding a view (marimo)", () => withDocument((window) => {
  const doc = window.document;
  const plain = doc.createElement("div");
  doc.body.appendChild(plain);
  injectStyle(/** @type {any} */ (plain));
  injectStyle(/** @type {any} */ (plain));
  assert.equal(doc.head.querySelectorAll("style#nbtrack-style").length, 1);
  const host = doc.createElement("div");
  doc.body.appendChild(host);
  const shadow = host.attachShadow({ mode: "open" });
  const views = [doc.createElement("div"), doc.createElement("div")];
  for (const view of views) {
    shadow.appendChild(view);
    injectStyle(/** @type {any} */ (view));
  }
  assert.equal(shadow.querySelectorAll("style.nbtrack-style").length, 1);
  assert.match(shadow.querySelector("style.nbtrack-style")?.textContent ?? "", /\.nbtrack-dashboard/);
  assert.equal(doc.head.querySelectorAll("style").length, 1);
}));
