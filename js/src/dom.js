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
