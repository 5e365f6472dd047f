import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CATEGORY10, colorBy, component, componentPairs, decodeEmbedding, hoverCard, matchLabels, rampColor, spriteCell,
  viewNote,
} from "./embeddings.js";
import { withDocument } from "./testdom.js";

const XSS = '<img src=x onerror="window.__xss=1">';

/** A record as the kernel sends it. @param {number[][]} points @param {unknown} [metadata] @param {object} [extra] */
function record(points, metadata, extra = {}) {
  const k = points[0].length;
  const coords = new Float32Array(points.flat());
  const json = metadata === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(metadata));
  return {
    step: 3, index: null, data: [new Uint8Array(coords.buffer), json, new Uint8Array(0)],
    meta: { view: { points: points.length, total: points.length, stride: 1, components: k,
      explained_variance_ratio: [0.5, 0.25, 0.125].slice(0, k), metadata: true, sprite: false, left_out: [] }, ...extra },
  };
}

test("decodeEmbedding: coordinates, metadata columns with their names, no sprite", () => {
  const e = decodeEmbedding(record([[1, 2, 3], [4, 5, 6]], { header: ["label", "n"], columns: [["a", "b"], [1, 2]] }));
  assert.equal(e.n, 2);
  assert.equal(e.k, 3);
  assert.deepEqual([...e.coords], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(e.header, ["label", "n"]);
  assert.deepEqual(e.columns, [["a", "b"], [1, 2]]);
  assert.equal(e.sprite, null);
  assert.deepEqual([...component(e, 1)], [2, 5]);
  assert.deepEqual([...component(e, null)], [0, 0]);
  const labels = decodeEmbedding(record([[1, 2]], { header: null, columns: [["x"]] }));
  assert.deepEqual(labels.header, ["label"]);
});

test("decodeEmbedding: coordinates that do not match the point count are refused", () => {
  const bad = record([[1, 2], [3, 4]]);
  bad.meta.view.points = 3;
  assert.throws(() => decodeEmbedding(bad), /coordinates/);
  const none = decodeEmbedding(record([[1, 2]]));
  assert.deepEqual(none.columns, []);
});

test("componentPairs: PC1/PC2, PC1/PC3, PC2/PC3; fewer with fewer components", () => {
  assert.deepEqual(componentPairs(3), [[0, 1], [0, 2], [1, 2]]);
  assert.deepEqual(componentPairs(2), [[0, 1]]);
  assert.deepEqual(componentPairs(1), [[0, null]]);
});

test("matchLabels: plain, case-insensitive text; a pattern from the data is never a regex", () => {
  assert.deepEqual([...(matchLabels(["Cat", "dog", "cat.*", 12, null], "cat") ?? [])], [1, 0, 1, 0, 0]);
  assert.deepEqual([...(matchLabels(["Cat", "dog", "cat.*"], ".*") ?? [])], [0, 0, 1]);
  assert.deepEqual([...(matchLabels(["a(b", "ab"], "a(") ?? [])], [1, 0]);
  assert.equal(matchLabels(["a"], "   "), null);
});

test("colorBy: categories get the palette by frequency, the rest grey; numbers a ramp", () => {
  const cats = colorBy(["b", "a", "b", "c"], 4);
  assert.equal(cats.numeric, false);
  assert.equal(cats.colors[0], CATEGORY10[0]);
  assert.equal(cats.colors[2], CATEGORY10[0]);
  assert.equal(cats.colors[1], CATEGORY10[1]);
  assert.deepEqual(cats.legend.map((l) => l.label), ["b", "a", "c"]);
  const many = colorBy(Array.from({ length: 30 }, (_, i) => `c${i}`), 30);
  assert.equal(many.legend.at(-1)?.label, "20 more");
  assert.equal(new Set(many.colors).size, 11);
  const nums = colorBy([0, 5, 10, null], 4);
  assert.equal(nums.numeric, true);
  assert.deepEqual(nums.range, [0, 10]);
  assert.equal(nums.colors[0], rampColor(0));
  assert.equal(nums.colors[2], rampColor(1));
  assert.notEqual(nums.colors[1], nums.colors[0]);
  assert.equal(colorBy(null, 2).colors.length, 2);
});

test("spriteCell: the stored point's cell, with the sample's stride", () => {
  const e = decodeEmbedding(record([[0, 0], [1, 1], [2, 2]], undefined, { sprite_grid: [3, 4], thumbnail: [8, 8] }));
  assert.deepEqual(spriteCell(e, 2), { row: 0, col: 2 });
  e.view.stride = 3;
  assert.deepEqual(spriteCell(e, 2), { row: 1, col: 2 });
  assert.match(viewNote({ ...e, view: { ...e.view, points: 3, total: 9 } }), /uniform sample: 3 of 9 points/);
});

test("hoverCard: the metadata row as text (hostile labels stay text), the thumbnail a cropped background", async () => {
  await withDocument(() => {
    const e = decodeEmbedding(record([[0, 0], [1, 1]], { header: ["label", "score"], columns: [[XSS, "b"], [0.5, 2]] },
      { sprite_grid: [1, 2], thumbnail: [4, 4] }));
    const card = hoverCard(e, 0, "blob:fake");
    assert.equal(card.querySelectorAll("img").length, 0);
    assert.ok((card.textContent ?? "").includes(XSS));
    const thumb = /** @type {HTMLElement} */ (card.querySelector(".nbtrack-embedding-thumb"));
    assert.ok(thumb.style.backgroundImage.includes("blob:fake"));
    assert.equal(thumb.style.backgroundPosition, "0px 0px");
    const second = /** @type {HTMLElement} */ (hoverCard(e, 1, "blob:fake").querySelector(".nbtrack-embedding-thumb"));
    assert.equal(second.style.backgroundPosition, "-16px 0px");
    assert.equal(hoverCard(e, 1, null).querySelector(".nbtrack-embedding-thumb"), null);
  });
});
