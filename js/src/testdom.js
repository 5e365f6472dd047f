// The DOM for the node:test suites of the panels, from happy-dom (a dev dependency). Never bundled: only
// tests import it.

import { Window } from "happy-dom";

/**
 * Run `body` with a global `document` (a fresh happy-dom page), then take it away again.
 * @template T @param {(window: Window) => T | Promise<T>} body @returns {Promise<T>}
 */
export async function withDocument(body) {
  const root = /** @type {any} */ (globalThis);
  const saved = root.document;
  const window = new Window();
  root.document = window.document;
  try {
    return await body(window);
  } finally {
    if (saved === undefined) delete root.document;
    else root.document = saved;
    await window.happyDOM.close();
  }
}

/**
 * Dispatch an event of `type` at `target`, bubbling: a PointerEvent for "pointer…" types (`init` sets its
 * clientY, pointerId, ...), else a plain Event.
 * @param {Element} target @param {string} type @param {Record<string, number>} [init]
 */
export function fire(target, type, init = {}) {
  const view = /** @type {any} */ (target.ownerDocument.defaultView);
  const Kind = type.startsWith("pointer") ? view.PointerEvent : view.Event;
  target.dispatchEvent(new Kind(type, { bubbles: true, cancelable: true, ...init }));
}

/** The elements below `root` that match a CSS selector, as an array. @param {ParentNode} root
 * @param {string} selector @returns {HTMLElement[]} */
export function findAll(root, selector) {
  return /** @type {HTMLElement[]} */ ([...root.querySelectorAll(selector)]);
}

/** An element's data-* attributes as an object with dataset's camelCase keys (happy-dom's dataset leaves
 * empty values out when spread). @param {Element} element @returns {Record<string, string>} */
export function dataOf(element) {
  const camel = (/** @type {string} */ name) => name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  return Object.fromEntries([...element.attributes].filter((a) => a.name.startsWith("data-")).map((a) => [camel(a.name), a.value]));
}
