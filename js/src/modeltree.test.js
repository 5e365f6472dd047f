// The model structure panel (modeltree.js) on happy-dom: lazy children, paging, text-only names, numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CHILD_PAGE, formatParams, formatShape, modelTree, nodeElement, parseModel, searchTree, totals } from "./modeltree.js";
import { findAll, withDocument } from "./testdom.js";

/** @param {any} body */
const bytesOf = (body) => new TextEncoder().encode(JSON.stringify(body));
/** @param {string} name @param {any[]} [children] @param {Record<string, any>} [more] */
const node = (name, children = [], more = {}) => ({ name, type: "Dense", shape: null, params: null, children, ...more });

/** A root of `n` children, each with two children of two leaves each (depth 3 below the root). @param {number} n */
function wide(n) {
  const leaf = (/** @type {string} */ p) => node(p, [], { params: 10 });
  return node("root", Array.from({ length: n }, (_, i) => node(`c${i}`,
    [0, 1].map((j) => node(`c${i}.${j}`, [leaf(`c${i}.${j}.a`), leaf(`c${i}.${j}.b`)])))));
}

test("parameter counts and shapes as people read them", () => {
  assert.equal(formatParams(0), "0");
  assert.equal(formatParams(1234), "1,234");
  assert.equal(formatParams(999_999), "999,999");
  assert.equal(formatParams(1_234_567), "1.2M");
  assert.equal(formatParams(3_400_000_000), "3.4B");
  assert.equal(formatParams(null), "");
  assert.equal(formatShape([null, 16]), "[None, 16]");
  assert.equal(formatShape("(1, 3, 224, 224)"), "(1, 3, 224, 224)");
  assert.equal(formatShape(null), "");
});

test("totals: a node's own count, else its children's sum; nodes below the root", () => {
  const root = parseModel(bytesOf({ format: "modules", nodes: 4, root: node("m", [
    node("a", [node("a1", [], { params: 5 }), node("a2", [], { params: 7 })]), node("b", [], { params: 100 })]) })).root;
  assert.deepEqual(totals(root), { nodes: 4, params: 112 });
  root.params = 1000;
  assert.deepEqual(totals(root), { nodes: 4, params: 1000 });
  assert.deepEqual(totals(node("x")), { nodes: 0, params: null });
});

test("parseModel: fields of the wrong type are dropped, a missing root is an error", () => {
  const model = parseModel(bytesOf({ format: "keras", nodes: 1,
    root: { name: 5, type: null, shape: { bad: 1 }, params: "12", children: [{ name: "x", children: "no" }] } }));
  assert.deepEqual(model.root, { name: "5", type: "", shape: null, params: null,
    children: [{ name: "x", type: "", shape: null, params: null, children: [] }] });
  assert.throws(() => parseModel(bytesOf({ format: "keras" })), /no root/);
});

test("the top two levels are built open; deeper children are built when their node opens", () => withDocument(() => {
  const tree = nodeElement(parseModel(bytesOf({ format: "modules", nodes: 0, root: wide(3) })).root, 0);
  const names = () => findAll(tree, ".nbtrack-model-name").map((n) => n.textContent);
  assert.equal(/** @type {HTMLDetailsElement} */ (tree).open, true);
  assert.deepEqual(names(), ["root", "c0", "c0.0", "c0.1", "c1", "c1.0", "c1.1", "c2", "c2.0", "c2.1"]);
  const deeper = /** @type {HTMLDetailsElement} */ (findAll(tree, "details").find((d) => d.querySelector(".nbtrack-model-name")?.textContent === "c1.0"));
  assert.equal(deeper.open, false);
  assert.equal(deeper.dataset.built, "0");
  deeper.open = true;
  deeper.dispatchEvent(new (/** @type {any} */ (tree.ownerDocument.defaultView).Event)("toggle"));
  assert.ok(names().includes("c1.0.a") && names().includes("c1.0.b"));
  assert.ok(!names().includes("c0.0.a"), "a closed node's children are still not built");
}));

test("a node of 2,000 children (14,000 nodes) builds a page of them, and a button builds the next", () => withDocument(() => {
  const box = modelTree(bytesOf({ format: "graph_def", nodes: 14_000, root: wide(2_000) }));
  const rows = () => findAll(box, ".nbtrack-model-tree .nbtrack-model-node").length;
  assert.equal(rows(), 1 + CHILD_PAGE * 3); // the root, a page of children, and their two children each
  const more = findAll(box, ".nbtrack-model-more");
  assert.equal(more.length, 1);
  assert.equal(more[0].textContent, `show ${CHILD_PAGE} more of ${2_000 - CHILD_PAGE}`);
  more[0].click();
  assert.equal(rows(), 1 + 2 * CHILD_PAGE * 3);
  assert.match(box.querySelector(".nbtrack-model-header")?.textContent ?? "", /^graph_def · 14,000 nodes · 80,000 params$/);
}));

test("names and types are text, never HTML", () => withDocument(() => {
  const evil = "<img src=x onerror=alert(1)>";
  const box = modelTree(bytesOf({ format: "keras", nodes: 1,
    root: node("model", [node(evil, [], { type: "<b>bold</b>", shape: [null, 8], params: 1_500_000 })]) }));
  assert.equal(box.querySelector("img"), null);
  assert.equal(box.querySelector("b"), null);
  const leaf = findAll(box, ".nbtrack-model-leaf")[0];
  assert.equal(leaf.querySelector(".nbtrack-model-name")?.textContent, evil);
  assert.equal(leaf.querySelector(".nbtrack-model-type")?.textContent, "<b>bold</b>");
  assert.equal(leaf.querySelector(".nbtrack-model-shape")?.textContent, "[None, 8]");
  assert.equal(leaf.querySelector(".nbtrack-model-params")?.textContent, "1.5M params");
}));

test("search lists matching nodes with their paths; expand all opens every node", () => withDocument((window) => {
  const root = wide(2);
  assert.deepEqual(searchTree(parseModel(bytesOf({ format: "m", nodes: 0, root })).root, "c1.0 dense").matches
    .map((m) => m.path.join("/")), ["root/c1/c1.0", "root/c1/c1.0/c1.0.a", "root/c1/c1.0/c1.0.b"]);
  assert.equal(searchTree(root, "c", 3).more, true);
  const box = modelTree(bytesOf({ format: "m", nodes: 0, root }));
  const search = /** @type {HTMLInputElement} */ (box.querySelector(".nbtrack-model-search"));
  search.value = "c0.1.b";
  search.dispatchEvent(new window.Event("input"));
  assert.equal(/** @type {HTMLElement} */ (box.querySelector(".nbtrack-model-tree")).hidden, true);
  assert.deepEqual(findAll(box, ".nbtrack-model-results .nbtrack-model-path").map((p) => p.textContent), ["root / c0 / c0.1 / "]);
  search.value = "";
  search.dispatchEvent(new window.Event("input"));
  /** @type {HTMLElement} */ (box.querySelector(".nbtrack-model-expand")).click();
  assert.equal(findAll(box, "details:not([open])").length, 0);
  assert.equal(findAll(box, ".nbtrack-model-leaf").length, 8);
  /** @type {HTMLElement} */ (box.querySelector(".nbtrack-model-collapse")).click();
  assert.equal(findAll(box, ".nbtrack-model-leaf").length, 0, "collapsed: back to the top two levels");
}));
