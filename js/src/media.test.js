import assert from "node:assert/strict";
import { test } from "node:test";
import { shownSize } from "./media.js";

test("shownSize: small images scale up by a whole factor, pixelated", () => {
  assert.deepEqual(shownSize(8, 8, 256), { width: 256, height: 256, scale: 32, pixelated: true });
  assert.deepEqual(shownSize(28, 28, 128), { width: 112, height: 112, scale: 4, pixelated: true });
});

test("shownSize: a tall, thin picture (a bias vector) is never taller than 420 px", () => {
  const bias = shownSize(1, 128, 256);
  assert.deepEqual(bias, { width: 3, height: 384, scale: 3, pixelated: true });
  const column = shownSize(1, 4000, 256);
  assert.ok(column.height <= 420 && column.width >= 1, JSON.stringify(column));
  const kernel = shownSize(128, 784, 256); // a dense layer's weights, logged by Keras as an image
  assert.ok(kernel.height <= 420, JSON.stringify(kernel));
});

test("shownSize: large images shrink to 420 px wide, keeping their shape", () => {
  assert.deepEqual(shownSize(840, 420, 256), { width: 420, height: 210, scale: 0.5, pixelated: false });
  assert.deepEqual(shownSize(300, 200, 256), { width: 300, height: 200, scale: 1, pixelated: false });
});
