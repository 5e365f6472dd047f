// Runs in a few fixed buckets, for charts of many runs: each bucket is one glyph (a multi_line) of its runs'
// lines, so new points of one run re-set the data of its bucket only. BokehJS re-processes all of a
// source's lines whenever its data is set, even to the same arrays; with one glyph for 200 runs every new
// point of a live run re-processed all 200. Pure: no Bokeh, no DOM.

/**
 * @template T
 * @typedef {{ run: string, line: T }} Entry a run drawn and what is drawn for it (compared by identity)
 */
/**
 * @template T
 * @typedef {{ index: number, entries: Entry<T>[], changed: boolean }} Bucket
 * changed: its runs, their lines or the split's mode differ from the previous split
 */

/**
 * `count` buckets; a run's bucket is chosen when it is first seen (in turn: the first run seen goes to bucket 0,
 * the next to bucket 1, ...) and kept, so showing or hiding other runs changes only the buckets that hold them.
 * @example
 * const buckets = createBuckets(2);
 * buckets.split([{ run: "a", line: la }, { run: "b", line: lb }, { run: "c", line: lc }], "");
 * // [{ index: 0, entries: [a, c], changed: true }, { index: 1, entries: [b], changed: true }]
 * buckets.split([{ run: "a", line: la }, { run: "b", line: lb }, { run: "c", line: lc2 }], "");
 * // bucket 0 changed, bucket 1 unchanged
 * @template T
 * @param {number} count
 */
export function createBuckets(count) {
  /** @type {Map<string, number>} */
  const bucketOf = new Map();
  /** @type {Entry<T>[][]} what each bucket held at the last split */
  let previous = [];
  let previousMode = "";

  /** @param {string} run */
  function place(run) {
    let index = bucketOf.get(run);
    if (index === undefined) {
      index = bucketOf.size % count;
      bucketOf.set(run, index);
    }
    return index;
  }

  return {
    /**
     * The entries by bucket, every bucket that holds runs now or held some at the last split (an emptied
     * bucket is listed with no entries, so its glyph is cleared).
     * @param {Entry<T>[]} entries @param {string} mode how the lines are drawn: a new mode changes every bucket
     * @returns {Bucket<T>[]}
     */
    split(entries, mode) {
      /** @type {Entry<T>[][]} */
      const now = Array.from({ length: count }, () => []);
      for (const entry of entries) now[place(entry.run)].push(entry);
      const out = now.map((held, index) => ({ index, entries: held,
        changed: mode !== previousMode || !sameEntries(held, previous[index] ?? []) }));
      previous = now;
      previousMode = mode;
      return out.filter((bucket) => bucket.entries.length > 0 || bucket.changed);
    },
    /** @param {string} run @returns {number | undefined} */
    bucketOf: (run) => bucketOf.get(run),
  };
}

/**
 * @template T
 * @param {Entry<T>[]} a @param {Entry<T>[]} b
 */
function sameEntries(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].run !== b[i].run || a[i].line !== b[i].line) return false;
  }
  return true;
}
