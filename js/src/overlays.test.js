import assert from "node:assert/strict";
import { test } from "node:test";
import { boxRect, classColor, hasOverlays, maskPixels } from "./overlays.js";

test("maskPixels: each class in its colour, hidden classes transparent", () => {
  const out = maskPixels(Uint8Array.of(0, 2, 2, 5), new Set([2, 5]));
  assert.deepEqual([...out.slice(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...out.slice(4, 8)], [...classColor(2), 255]);
  assert.deepEqual([...out.slice(8, 12)], [...classColor(2), 255]);
  assert.deepEqual([...out.slice(12, 16)], [...classColor(5), 255]);
  assert.notDeepEqual(classColor(2), classColor(5));
});

test("boxRect: pixel boxes as fractions of the image, relative boxes as they are", () => {
  assert.deepEqual(boxRect({ position: { minX: 2, maxX: 6, minY: 0, maxY: 4 }, domain: "pixel" }, 8, 16),
    [0.25, 0, 0.5, 0.25]);
  assert.deepEqual(boxRect({ position: { minX: 0.1, maxX: 0.5, minY: 0.2, maxY: 0.4 } }, 8, 8).map((x) => +x.toFixed(6)),
    [0.1, 0.2, 0.4, 0.2]);
  assert.deepEqual(boxRect({ position: { middle: [0.5, 0.5], width: 0.2, height: 0.4 } }, 8, 8).map((x) => +x.toFixed(6)),
    [0.4, 0.3, 0.2, 0.4]);
  assert.deepEqual(boxRect({ position: { minX: 10, maxX: 20, minY: 5, maxY: 15 } }, 40, 20), [0.25, 0.25, 0.25, 0.5],
    "coordinates past 1 are pixels (records that lost their domain)");
  assert.equal(boxRect({ position: { minX: "a" } }, 8, 8), null);
});

test("hasOverlays: only masks or boxes objects count", () => {
  assert.equal(hasOverlays({ caption: "x" }), false);
  assert.equal(hasOverlays({ masks: { p: {} } }), true);
  assert.equal(hasOverlays({ boxes: { p: {} } }), true);
  assert.equal(hasOverlays({ boxes: [] }), false);
});
