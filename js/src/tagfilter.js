// Which tags a filter shows (pure: no DOM). The controls' tag filter hides the charts and media panels whose
// tag does not match: plain words must all occur in the tag, case-insensitively ("loss val" shows
// "val/loss"); `/source/flags` is a regular expression, searched anywhere in the tag and always
// case-insensitive, as TensorBoard's tag filter. An invalid expression hides nothing and says why.

/** @typedef {{ match: (tag: string) => boolean, error: string | null, active: boolean }} TagFilter */

/**
 * Parse a tag filter.
 * @example
 * parseTagFilter("loss val").match("val/loss") // true
 * parseTagFilter("/^train\\//").match("val/loss") // false
 * parseTagFilter("/(/").error // "invalid regular expression: ..."
 * @param {string | null | undefined} text @returns {TagFilter}
 */
export function parseTagFilter(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed) return { match: () => true, error: null, active: false };
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(trimmed);
  if (slashed && slashed[1] !== "") {
    const flags = `${slashed[2].replace(/[^msuv]/g, "")}i`; // g and y would make test() stateful
    try {
      const regex = new RegExp(slashed[1], [...new Set(flags)].join(""));
      return { match: (tag) => regex.test(tag), error: null, active: true };
    } catch (error) {
      const reason = /** @type {Error} */ (error).message.replace(/^Invalid regular expression: /, "");
      return { match: () => true, error: `invalid regular expression: ${reason}`, active: false };
    }
  }
  const words = trimmed.toLowerCase().split(/\s+/);
  return { match: (tag) => words.every((word) => tag.toLowerCase().includes(word)), error: null, active: true };
}

/**
 * The tags a filter shows, and the line to display about it ("3 of 40 charts", the error, or "" when the
 * filter is empty).
 * @example
 * filterTags(["a/loss", "a/acc", "b/loss"], "loss", "charts") // { shown: Set {"a/loss", "b/loss"}, text: "2 of 3 charts" }
 * @param {Iterable<string>} tags @param {string | null | undefined} text @param {string} [noun]
 * @returns {{ shown: Set<string>, text: string, error: string | null }}
 */
export function filterTags(tags, text, noun = "charts") {
  const filter = parseTagFilter(text);
  const all = [...tags];
  const shown = new Set(all.filter((tag) => filter.match(tag)));
  const line = filterStatus({ shown: shown.size, total: all.length, error: filter.error, active: filter.active }, noun);
  return { shown, text: line, error: filter.error };
}

/**
 * The line shown next to the filter: "N of M charts" while it filters, its error, or "".
 * @param {{ shown: number, total: number, error: string | null, active: boolean }} state @param {string} [noun]
 */
export function filterStatus(state, noun = "charts") {
  return state.error ?? (state.active ? `${state.shown} of ${state.total} ${noun}` : "");
}
