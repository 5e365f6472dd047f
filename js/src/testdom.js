// A small stand-in for the DOM, for the node:test suites of the run table and the parallel coordinates
// (the repo has no jsdom). It keeps what those modules use: elements in a tree, text, attributes, dataset,
// style, properties of form controls, and event listeners. Never bundled: only tests import it.

/** @typedef {{ type: string, clientX?: number, clientY?: number, pointerId?: number, target?: FakeElement,
 *   preventDefault?: () => void, stopPropagation?: () => void }} FakeEvent */

export class FakeElement {
  /** @param {string} tag @param {string | null} [namespace] */
  constructor(tag, namespace = null) {
    this.tagName = tag === "#text" ? tag : tag.toUpperCase();
    this.localName = tag;
    this.namespaceURI = namespace;
    /** @type {FakeElement[]} */
    this.children = [];
    /** @type {FakeElement | null} */
    this.parentElement = null;
    /** @type {Record<string, string>} */
    this.dataset = {};
    /** @type {Record<string, string>} */
    this.style = {};
    /** @type {Map<string, string>} */
    this.attributes = new Map();
    /** @type {Record<string, ((event: FakeEvent) => void)[]>} */
    this.listeners = {};
    this.className = "";
    this.text = "";
    this.value = "";
    this.checked = false;
    this.indeterminate = false;
    this.disabled = false;
    this.selected = false;
    this.type = "";
    this.title = "";
    this.placeholder = "";
    /** @type {Set<number>} */
    this.captured = new Set();
  }

  /** @returns {string} */
  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join("");
  }

  set textContent(text) {
    this.replaceChildren();
    this.text = String(text);
  }

  /** @param {...(FakeElement | string)} nodes */
  append(...nodes) {
    for (const node of nodes) this.appendChild(typeof node === "string" ? textNode(node) : node);
  }

  /** @param {FakeElement} node */
  appendChild(node) {
    node.remove();
    node.parentElement = this;
    this.children.push(node);
    if (node.tagName === "OPTION" && (node.selected || this.children.length === 1)) this.value = node.value;
    return node;
  }

  /** @param {FakeElement} node @param {FakeElement | null} before */
  insertBefore(node, before) {
    if (!before) return this.appendChild(node);
    node.remove();
    node.parentElement = this;
    this.children.splice(this.children.indexOf(before), 0, node);
    return node;
  }

  /** @param {...(FakeElement | string)} nodes */
  replaceChildren(...nodes) {
    for (const child of [...this.children]) child.remove();
    this.text = "";
    this.append(...nodes);
  }

  remove() {
    const parent = this.parentElement;
    if (parent) parent.children = parent.children.filter((c) => c !== this);
    this.parentElement = null;
  }

  /** @param {string} name @param {unknown} value */
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
    if (name === "class") this.className = String(value);
  }

  /** @param {string} name */
  getAttribute(name) {
    if (name === "class") return this.className;
    return this.attributes.get(name) ?? null;
  }

  /** @param {string} name */
  removeAttribute(name) {
    this.attributes.delete(name);
  }

  /** @param {string} type @param {(event: FakeEvent) => void} fn */
  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }

  /** @param {string} type @param {(event: FakeEvent) => void} fn */
  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] ?? []).filter((f) => f !== fn);
  }

  /** Call this element's listeners of one event type. @param {string} type @param {Partial<FakeEvent>} [init] */
  fire(type, init = {}) {
    const event = { type, target: this, preventDefault() {}, stopPropagation() {}, ...init };
    for (const fn of this.listeners[type] ?? []) fn(event);
  }

  /** @param {number} id */
  setPointerCapture(id) {
    this.captured.add(id);
  }

  /** @param {number} id */
  releasePointerCapture(id) {
    this.captured.delete(id);
  }

  getBoundingClientRect() {
    const width = Number(this.getAttribute("width") ?? 0);
    const height = Number(this.getAttribute("height") ?? 0);
    return { left: 0, top: 0, width, height, right: width, bottom: height, x: 0, y: 0 };
  }

  /** Every element below this one (depth first) that satisfies `test`. @param {(el: FakeElement) => boolean} test
   * @returns {FakeElement[]} */
  findAll(test) {
    return this.children.flatMap((child) => [...(test(child) ? [child] : []), ...child.findAll(test)]);
  }

  /** The elements below with a class (one of the names in className). @param {string} name */
  byClass(name) {
    return this.findAll((el) => el.className.split(/\s+/).includes(name));
  }

  /** @param {string} tag */
  byTag(tag) {
    return this.findAll((el) => el.localName === tag);
  }
}

/** @param {string} text */
function textNode(text) {
  const node = new FakeElement("#text");
  node.text = text;
  return node;
}

/**
 * Run `body` with a global `document` that makes fake elements.
 * @template T @param {() => T} body @returns {T}
 */
export function withFakeDocument(body) {
  const root = /** @type {any} */ (globalThis);
  const saved = root.document;
  root.document = {
    createElement: (/** @type {string} */ tag) => new FakeElement(tag),
    createElementNS: (/** @type {string} */ ns, /** @type {string} */ tag) => new FakeElement(tag, ns),
    createTextNode: textNode,
  };
  try {
    return body();
  } finally {
    if (saved === undefined) delete root.document;
    else root.document = saved;
  }
}
