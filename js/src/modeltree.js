// A model's structure (media kind "model": a Keras layer tree, a torch module tree, an op graph's scopes) as a
// collapsible tree: one <details> per node with children, its name, type, output shape and parameter count
// on the <summary> line. The top two levels start open; a node's children are built only when it is first
// opened, CHILD_PAGE at a time, so a tree of 10,000 nodes costs what is in view. A search box lists the
// nodes whose name or type holds the words. Every name and type is set as text (they come from files).

import { el } from "./dom.js";

/** Children built at a time under one node; a "show more" button builds the next page. */
export const CHILD_PAGE = 200;
/** Nodes a search lists at most. */
export const SEARCH_LIMIT = 100;
const OPEN_DEPTH = 2; // nodes above this depth start open (the root and its children)
/** @type {WeakMap<HTMLElement, () => void>} each node's builder of its children (idempotent) */
const builders = new WeakMap();

/**
 * @typedef {{ name: string, type: string, shape: string | number[] | null, params: number | null,
 *   children: ModelNode[] }} ModelNode
 * @typedef {{ format: string, root: ModelNode, nodes: number }} ModelValue
 */

/** Parse the UTF-8 JSON of a model value, with every node's fields made safe to show.
 * @param {Uint8Array} bytes @returns {ModelValue} */
export function parseModel(bytes) {
  const body = JSON.parse(new TextDecoder().decode(bytes));
  if (!body || typeof body !== "object" || !body.root || typeof body.root !== "object") {
    throw new Error("not a model structure (no root)");
  }
  return { format: String(body.format ?? "model"), root: cleanNode(body.root), nodes: Number(body.nodes) || 0 };
}

/** A node with its fields of the expected types (iteratively: a deep graph must not overflow the stack).
 * @param {any} raw @returns {ModelNode} */
function cleanNode(raw) {
  const make = (/** @type {any} */ r) => ({
    name: String(r?.name ?? ""), type: String(r?.type ?? ""),
    shape: typeof r?.shape === "string" || Array.isArray(r?.shape) ? r.shape : null,
    params: typeof r?.params === "number" && Number.isFinite(r.params) ? r.params : null,
    children: /** @type {ModelNode[]} */ ([]),
  });
  const root = make(raw);
  const stack = [[raw, root]];
  while (stack.length) {
    const [from, to] = /** @type {[any, ModelNode]} */ (stack.pop());
    for (const child of Array.isArray(from?.children) ? from.children : []) {
      const made = make(child);
      to.children.push(made);
      stack.push([child, made]);
    }
  }
  return root;
}

/**
 * A parameter count as people read it: "0", "1,234", "12,345", "1.2M", "3.4B" (null: "").
 * @example
 * formatParams(1234) // "1,234"
 * formatParams(1_234_567) // "1.2M"
 * @param {number | null} n
 */
export function formatParams(n) {
  if (n === null || !Number.isFinite(n)) return "";
  const size = Math.abs(n);
  if (size < 1e6) return Math.round(n).toLocaleString("en-US");
  const [unit, suffix] = size >= 1e12 ? [1e12, "T"] : size >= 1e9 ? [1e9, "B"] : [1e6, "M"];
  return `${Number((n / unit).toFixed(1))}${suffix}`;
}

/** An output shape as text: "[None, 16]" for an array, a string as it is, "" for none.
 * @param {string | unknown[] | null} shape */
export function formatShape(shape) {
  if (shape === null || shape === undefined) return "";
  if (Array.isArray(shape)) return `[${shape.map((d) => (d === null ? "None" : String(d))).join(", ")}]`;
  return String(shape);
}

/** Nodes and parameters of a tree: a node's own count when given, else the sum of its children's.
 * @param {ModelNode} root @returns {{ nodes: number, params: number | null }} */
export function totals(root) {
  let nodes = 0;
  /** @type {Map<ModelNode, number | null>} */
  const params = new Map();
  const order = [root];
  for (let i = 0; i < order.length; i++) {
    nodes++;
    order.push(...order[i].children);
  }
  for (let i = order.length - 1; i >= 0; i--) { // children before their parents
    const node = order[i];
    const sum = node.children.reduce((/** @type {number | null} */ s, c) => {
      const p = params.get(c) ?? null;
      return p === null ? s : (s ?? 0) + p;
    }, null);
    params.set(node, node.params ?? sum);
  }
  return { nodes: nodes - 1, params: params.get(root) ?? null };
}

/** A node's <summary> line (or a leaf's row): name, type, shape and parameters, each as text.
 * @param {ModelNode} node @param {HTMLElement} line */
function fillLine(node, line) {
  line.append(el("span", "nbtrack-model-name", node.name || "(unnamed)"));
  if (node.type) line.append(el("span", "nbtrack-model-type", node.type));
  const shape = formatShape(node.shape);
  if (shape) line.append(el("span", "nbtrack-model-shape", shape));
  if (node.params !== null) line.append(el("span", "nbtrack-model-params", `${formatParams(node.params)} params`));
  if (node.children.length) line.append(el("span", "nbtrack-model-count", `(${node.children.length})`));
}

/**
 * One node's element: a leaf row, or a <details> whose children are built when it is first opened.
 * @param {ModelNode} node @param {number} depth
 */
export function nodeElement(node, depth) {
  if (!node.children.length) {
    const leaf = el("div", "nbtrack-model-node nbtrack-model-leaf");
    fillLine(node, leaf);
    return leaf;
  }
  const details = el("details", "nbtrack-model-node");
  const summary = el("summary", "nbtrack-model-line");
  fillLine(node, summary);
  const box = el("div", "nbtrack-model-children");
  details.append(summary, box);
  details.dataset.built = "0";
  const build = () => {
    if (details.dataset.built === "0") buildChildren(node, box, depth + 1, 0);
    details.dataset.built = "1";
  };
  details.addEventListener("toggle", () => { if (details.open) build(); });
  builders.set(details, build);
  if (depth < OPEN_DEPTH) {
    details.open = true;
    build();
  }
  return details;
}

/** Build a page of `node`'s children into `box` from `from`, with a button for the next page.
 * @param {ModelNode} node @param {HTMLElement} box @param {number} depth @param {number} from */
function buildChildren(node, box, depth, from) {
  const to = Math.min(node.children.length, from + CHILD_PAGE);
  for (let i = from; i < to; i++) box.appendChild(nodeElement(node.children[i], depth));
  if (to >= node.children.length) return;
  const more = el("button", "nbtrack-model-more", `show ${Math.min(CHILD_PAGE, node.children.length - to)} more of ${node.children.length - to}`);
  more.type = "button";
  more.addEventListener("click", () => {
    more.remove();
    buildChildren(node, box, depth, to);
  });
  box.appendChild(more);
}

/**
 * The nodes whose name or type holds every word of `query` (case-insensitive), each with its path from the
 * root, at most `limit` of them.
 * @param {ModelNode} root @param {string} query @param {number} [limit]
 * @returns {{ matches: { node: ModelNode, path: string[] }[], more: boolean }}
 */
export function searchTree(root, query, limit = SEARCH_LIMIT) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  /** @type {{ node: ModelNode, path: string[] }[]} */
  const matches = [];
  if (!words.length) return { matches, more: false };
  /** @type {[ModelNode, string[]][]} */
  const stack = [[root, []]];
  while (stack.length) {
    const [node, above] = /** @type {[ModelNode, string[]]} */ (stack.pop());
    const path = [...above, node.name];
    const text = `${node.name} ${node.type}`.toLowerCase();
    if (words.every((w) => text.includes(w))) {
      if (matches.length === limit) return { matches, more: true };
      matches.push({ node, path });
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i], path]);
  }
  return { matches, more: false };
}

/** The search results: one row per match (its path, then its line). @param {ModelNode} root @param {string} query */
function resultsOf(root, query) {
  const { matches, more } = searchTree(root, query);
  const box = el("div", "nbtrack-model-results");
  box.append(el("div", "nbtrack-model-header", matches.length ? `${matches.length}${more ? "+" : ""} matching nodes` : "no node matches"));
  for (const { node, path } of matches) {
    const row = el("div", "nbtrack-model-node nbtrack-model-leaf");
    row.append(el("span", "nbtrack-model-path", `${path.slice(0, -1).join(" / ")}${path.length > 1 ? " / " : ""}`));
    fillLine({ ...node, children: [] }, row);
    box.append(row);
  }
  return box;
}

/** "keras · 12 nodes · 1,234 params". @param {ModelValue} model */
export function headerText(model) {
  const { nodes, params } = totals(model.root);
  const parts = [model.format, `${(model.nodes || nodes).toLocaleString("en-US")} nodes`];
  if (params !== null) parts.push(`${formatParams(params)} params`);
  return parts.join(" · ");
}

/**
 * The panel of a model value: header, search box, "expand all" / "collapse" and the tree.
 * @param {Uint8Array} bytes the UTF-8 JSON of a model value
 */
export function modelTree(bytes) {
  const model = parseModel(bytes);
  const box = el("div", "nbtrack-model");
  const bar = el("div", "nbtrack-model-bar");
  const search = el("input", "nbtrack-model-search");
  Object.assign(search, { type: "search", placeholder: "find a node" });
  const expand = el("button", "nbtrack-model-expand", "expand all");
  const collapse = el("button", "nbtrack-model-collapse", "collapse");
  expand.type = collapse.type = "button";
  bar.append(el("span", "nbtrack-model-header", headerText(model)), search, expand, collapse);
  const tree = el("div", "nbtrack-model-tree");
  const freshTree = () => tree.replaceChildren(nodeElement(model.root, 0));
  freshTree();
  const results = el("div", "nbtrack-model-found");
  search.addEventListener("input", () => {
    const query = search.value.trim();
    tree.hidden = Boolean(query);
    results.replaceChildren(...(query ? [resultsOf(model.root, query)] : []));
  });
  expand.addEventListener("click", () => expandAll(tree));
  collapse.addEventListener("click", freshTree);
  box.append(bar, results, tree);
  return box;
}

/** Open every node built so far and build their children, level by level (the pages stay paged).
 * @param {HTMLElement} tree */
function expandAll(tree) {
  for (let pass = 0; pass < 10_000; pass++) {
    const closed = /** @type {HTMLDetailsElement[]} */ ([...tree.querySelectorAll("details.nbtrack-model-node:not([open])")]);
    if (!closed.length) return;
    for (const details of closed) {
      details.open = true;
      builders.get(details)?.(); // now, not at the toggle event of the next task
    }
  }
}
