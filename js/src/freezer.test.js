import assert from "node:assert/strict";
import { test } from "node:test";
import { createFreezer } from "./freezer.js";

const e = (/** @type {string} */ run, /** @type {object} */ line) => ({ run, line });
const runs = (/** @type {{ run: string }[]} */ list) => list.map((x) => x.run);

test("the first split freezes every line; a changed line goes live and the bitmap is drawn again once", () => {
  const [a, b, b2, b3, c] = [{}, {}, {}, {}, {}];
  const freezer = createFreezer(8);
  let s = freezer.split([e("a", a), e("b", b), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["a", "b", "c"], [], true]);
  s = freezer.split([e("a", a), e("b", b), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["a", "b", "c"], [], false]);
  s = freezer.split([e("a", a), e("b", b2), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["a", "c"], ["b"], true]);
  s = freezer.split([e("a", a), e("b", b3), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["a", "c"], ["b"], false]);
  assert.equal(s.live[0].line, b3);
});

test("a new run is live at once (no bitmap redraw); a frozen run hidden redraws the bitmap", () => {
  const [a, b, c] = [{}, {}, {}];
  const freezer = createFreezer(8);
  freezer.split([e("a", a), e("b", b)], "k");
  let s = freezer.split([e("a", a), e("b", b), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["a", "b"], ["c"], false]);
  s = freezer.split([e("b", b), e("c", c)], "k");
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["b"], ["c"], true]);
  s = freezer.split([e("b", b)], "k"); // a live run hidden: nothing to redraw
  assert.deepEqual([runs(s.frozen), runs(s.live), s.redraw], [["b"], [], false]);
});

test("a new key or too many live lines freeze every line again; reset forgets the bitmap", () => {
  const lines = Array.from({ length: 5 }, () => ({}));
  const freezer = createFreezer(2);
  freezer.split(lines.map((l, i) => e(`r${i}`, l)), "k");
  let s = freezer.split(lines.map((l, i) => e(`r${i}`, l)), "k2");
  assert.deepEqual([s.frozen.length, s.live.length, s.redraw], [5, 0, true]);
  s = freezer.split(lines.map((l, i) => e(`r${i}`, i < 3 ? {} : l)), "k2"); // 3 changed > 2
  assert.deepEqual([s.frozen.length, s.live.length, s.redraw], [5, 0, true]);
  freezer.reset();
  s = freezer.split(lines.map((l, i) => e(`r${i}`, l)), "k2");
  assert.deepEqual([s.frozen.length, s.live.length, s.redraw], [5, 0, true]);
});
