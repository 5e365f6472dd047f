// Which lines of a chart of many runs are drawn once into a bitmap ("frozen") and which stay vector lines
// ("live"). A watched logdir of 200 runs has one or a few runs that still log: with every line a vector,
// each new point made BokehJS map, stroke and the browser rasterise all 200 runs' lines again in all 10
// charts. Frozen lines are drawn again only when the bitmap must be (its ranges, size or settings changed,
// or a frozen run changed, went or came); a run whose line changes leaves the bitmap and stays live. Pure:
// no Bokeh, no DOM.

/**
 * @template T
 * @typedef {{ run: string, line: T }} Entry a line drawn and what is drawn for it (compared by identity)
 */

/**
 * `maxLive`: more live lines than this and the bitmap is made again of all lines (zooming or new settings
 * change every line at once).
 * @example
 * const freezer = createFreezer(8);
 * freezer.split([a1, b1, c1], "k"); // { frozen: [a1, b1, c1], live: [], redraw: true }
 * freezer.split([a1, b2, c1], "k"); // { frozen: [a1, c1], live: [b2], redraw: true } (b left the bitmap)
 * freezer.split([a1, b3, c1], "k"); // { frozen: [a1, c1], live: [b3], redraw: false }
 * @template T
 * @param {number} maxLive
 */
export function createFreezer(maxLive) {
  /** @type {string | null} what the bitmap was drawn with */
  let drawnKey = null;
  /** @type {Map<string, T>} the frozen lines, as drawn into the bitmap */
  let frozen = new Map();
  /** @type {Set<string>} */
  const live = new Set();

  /** @param {Entry<T>[]} entries @param {string} key */
  function freezeAll(entries, key) {
    drawnKey = key;
    live.clear();
    frozen = new Map(entries.map((e) => [e.run, e.line]));
    return { frozen: entries, live: /** @type {Entry<T>[]} */ ([]), redraw: true };
  }

  return {
    /**
     * @param {Entry<T>[]} entries the lines drawn now @param {string} key what the bitmap is drawn with
     * (ranges, size, settings): a new key draws every line into it again
     * @returns {{ frozen: Entry<T>[], live: Entry<T>[], redraw: boolean }} redraw: the bitmap must be drawn again
     */
    split(entries, key) {
      if (key !== drawnKey) return freezeAll(entries, key);
      let redraw = false;
      const ids = new Set();
      for (const entry of entries) {
        ids.add(entry.run);
        if (live.has(entry.run) || frozen.get(entry.run) === entry.line) continue;
        live.add(entry.run); // changed or new: live from now on
        if (frozen.delete(entry.run)) redraw = true;
      }
      for (const run of [...frozen.keys()]) {
        if (!ids.has(run)) {
          frozen.delete(run);
          redraw = true;
        }
      }
      const liveNow = entries.filter((e) => live.has(e.run));
      if (liveNow.length > maxLive) return freezeAll(entries, key);
      return { frozen: entries.filter((e) => !live.has(e.run)), live: liveNow, redraw };
    },
    /** Forget the bitmap (it is not drawn): the next split freezes every line. */
    reset() {
      drawnKey = null;
      frozen.clear();
      live.clear();
    },
  };
}
