import assert from "node:assert/strict";
import { test } from "node:test";
import { createMediaPanels } from "./mediapanels.js";
import { Store } from "./store.js";
import { findAll, withDocument } from "./testdom.js";

const text = (/** @type {string} */ run, /** @type {string} */ value) =>
  ({ run, key: "sample", kind: "text", step: 0, meta: { text: value } });

/** The run named in each media panel (null: none), in panel order. @param {HTMLElement} box */
const named = (box) => findAll(box, ".nbtrack-media-panel").map((p) =>
  p.querySelector(".nbtrack-media-run .nbtrack-run-label")?.textContent ?? null);

test("media panels name their run once the dashboard shows several runs, and only then", async () => {
  await withDocument(() => {
    const store = new Store();
    store.applySnapshot({ seq: 1, series: [], runs: [{ id: "a", name: "alpha" }], media: [text("a", "hi")] });
    const box = document.createElement("div");
    const panels = createMediaPanels(store, box, {}, () => null, () => {});
    panels.update();
    assert.deepEqual(named(box), [null], "one run: the panel is the run's, no name needed");
    store.applySnapshot({ seq: 2, series: [], runs: [{ id: "a", name: "alpha" }, { id: "b", name: "<b>beta</b>" }],
      media: [text("a", "hi"), text("b", "ho")] });
    panels.update();
    panels.update(); // named once
    assert.deepEqual(named(box), ["alpha", "<b>beta</b>"], "each panel names its run, as text");
    assert.equal(findAll(box, ".nbtrack-media-run").length, 2);
    assert.equal(findAll(box, ".nbtrack-media-bar > .nbtrack-media-run").length, 2, "in the panel's bar");
    assert.equal(findAll(box, "b").length, 0);
    panels.dispose();
  });
});
