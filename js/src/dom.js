// Building DOM elements: the one element builder every panel uses. Text is always set as text
// (textContent), never parsed as HTML.

/**
 * A new element with a class (none when empty) and, when given, its text.
 * @example
 * el("span", "nbtrack-status", "running") // <span class="nbtrack-status">running</span>
 * @template {keyof HTMLElementTagNameMap} K @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Set an element's property (a `dataset` entry, `title`, ...) only when its value differs: the browser
 * invalidates style on every attribute write, even of the same value, and a live redraw of a big table
 * would otherwise rewrite thousands of them.
 * @example
 * setIfChanged(row.dataset, "held", "42")
 * @template {object} T @template {keyof T} K @param {T} target @param {K} name @param {T[K]} value
 */
export function setIfChanged(target, name, value) {
  if (target[name] !== value) target[name] = value;
}
