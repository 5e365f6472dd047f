// When a dashboard view redraws: at most once per animation frame however many messages arrive, and for
// new data at most every DATA_REDRAW_MS (each redraw makes BokehJS repaint the changed charts, about 40 ms
// of main-thread work for 4 charts in JupyterLab); the controls redraw at once. Also the page-wide redraw
// timings that benchmarks and tests read.

const DATA_REDRAW_MS = 250;

/**
 * Page-wide redraw timings (milliseconds per view redraw, the newest 5,000), read by benchmarks and tests.
 * @param {number} ms @param {number} chartCount
 */
export function recordRedraw(ms, chartCount) {
  const stats = pageStats();
  stats.redraws += 1;
  stats.redrawMs.push(ms);
  stats.charts.push(chartCount);
  if (stats.redrawMs.length > 5000) {
    stats.redrawMs.splice(0, 1000);
    stats.charts.splice(0, 1000);
  }
}

/** The page-wide stats object (`globalThis.__nbtrackStats`), made on first use. */
function pageStats() {
  const root = /** @type {any} */ (globalThis);
  const stats = (root.__nbtrackStats ??= { redraws: 0, redrawMs: [], charts: [] });
  stats.arrivalToPaintMs ??= [];
  return stats;
}

/**
 * From new data to its paint: `note` when the store changes (only the first change since the last redraw
 * counts), `take` at a redraw (the time noted, or null: the redraw was not for new data), and `painted`
 * records the milliseconds from a taken time to two animation frames after the charts updated (by then the
 * browser has painted BokehJS's redraw) in `__nbtrackStats.arrivalToPaintMs` (the newest 5,000).
 * @param {() => number} [now] @param {(callback: () => void) => unknown} [frame]
 */
export function createArrivalClock(now = () => performance.now(), frame = (cb) => requestAnimationFrame(cb)) {
  /** @type {number | null} */
  let first = null;
  return {
    note() { if (first === null) first = now(); },
    take() { const t = first; first = null; return t; },
    /** @param {number | null} since */
    painted(since) {
      if (since === null) return;
      frame(() => frame(() => {
        const list = pageStats().arrivalToPaintMs;
        list.push(now() - since);
        if (list.length > 5000) list.splice(0, 1000);
      }));
    },
  };
}

/**
 * The redraw schedule of one view: `now` draws at the next frame, `forData` at the next frame at least
 * DATA_REDRAW_MS after the last redraw, `cancel` drops what is scheduled.
 * @param {() => void} draw
 */
export function createRedraw(draw) {
  let scheduled = 0;
  let lastDataRedraw = 0;
  let pendingData = 0;
  const now = () => {
    if (scheduled) return; // at most one redraw per frame
    scheduled = requestAnimationFrame(() => {
      scheduled = 0;
      lastDataRedraw = performance.now();
      draw();
    });
  };
  const forData = () => {
    if (pendingData || scheduled) return;
    const wait = DATA_REDRAW_MS - (performance.now() - lastDataRedraw);
    if (wait <= 0) return now();
    pendingData = window.setTimeout(() => {
      pendingData = 0;
      now();
    }, wait);
  };
  const cancel = () => {
    if (scheduled) cancelAnimationFrame(scheduled);
    if (pendingData) clearTimeout(pendingData);
  };
  return { now, forData, cancel };
}
