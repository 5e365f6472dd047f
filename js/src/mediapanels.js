// The dashboard's media: a panel per media tag (images, text, audio, ... in media.js; histograms over steps
// in histograms.js), made when the tag first appears and redrawn when its records change. The media panels
// share one step cursor, which the charts follow too. The tag filter (tagfilter.js) hides the panels whose
// tag it does not match. Once the dashboard shows several runs (an overlay, a report), each panel names its
// run with the run's colour swatch, as the header does.

import { toFloat64Array } from "./codecs.js";
import { el } from "./dom.js";
import { createEmbeddingPanel } from "./embeddings.js";
import { createHistogramPanel } from "./histograms.js";
import { createCursor, createMediaPanel } from "./media.js";
import { runBadge } from "./panels.js";
import { createPRCurvePanels, PR_CURVE_KIND } from "./prcurves.js";
import { parseTagFilter } from "./tagfilter.js";

/** @type {WeakMap<object, { step: number, edges: Float64Array, counts: Float64Array }>} */
const histogramItems = new WeakMap();

/** A histogram record as the histogram panel takes it (converted once per record).
 * @param {import("./store.js").MediaRecord} record */
function histogramItem(record) {
  let item = histogramItems.get(record);
  if (!item) {
    item = { step: record.step, edges: toFloat64Array(record.data[0]), counts: toFloat64Array(record.data[1]) };
    histogramItems.set(record, item);
  }
  return item;
}

/**
 * A panel per media tag of `store` inside `box`; `update` makes the new ones and redraws the changed ones.
 * @param {import("./store.js").Store} store @param {HTMLElement} box
 * @param {{ histogramView?: string, tagFilter?: string }} settings @param {() => any} bokeh BokehJS once loaded, else null
 * @param {() => void} save
 */
export function createMediaPanels(store, box, settings, bokeh, save) {
  const cursor = createCursor();
  const prCurves = createPRCurvePanels(store, box, cursor, bokeh); // one panel per tag, every run overlaid
  /** @type {Map<string, { panel: { element: HTMLElement, update: (items?: any) => unknown, dispose: () => void },
   *   version: number, key: string, run: string, badge: HTMLElement | null }>} */
  const panels = new Map();
  /** @param {import("./store.js").MediaSeries} series */
  const make = (series) => {
    if (series.kind === "embedding") {
      const Bokeh = bokeh();
      if (!Bokeh) return null; // drawn once BokehJS is there
      const panel = createEmbeddingPanel(Bokeh, series, cursor);
      box.appendChild(panel.element);
      return panel;
    }
    if (series.kind !== "histogram") {
      const panel = createMediaPanel(series, cursor);
      box.appendChild(panel.element);
      return panel;
    }
    const Bokeh = bokeh();
    if (!Bokeh) return null; // drawn once BokehJS is there
    const holder = el("div", "nbtrack-media-panel nbtrack-histogram-panel");
    Object.assign(holder.dataset, { key: series.key, kind: "histogram", run: series.run });
    box.appendChild(holder);
    const histogram = createHistogramPanel(Bokeh, holder, /** @type {any} */ (settings),
      { title: series.key, onViewChange: save });
    const update = () => histogram.update(series.records.map(histogramItem)).catch(() => {});
    update();
    const follow = () => histogram.setCursor(cursor.step);
    const unsubscribe = cursor.subscribe(follow);
    follow();
    return { element: holder, update, dispose: () => { unsubscribe(); histogram.dispose(); holder.remove(); } };
  };
  /** The run's name and colour in a panel (once): after the title in a media panel's bar, above a histogram.
   * @param {{ panel: { element: HTMLElement }, run: string, badge: HTMLElement | null }} entry */
  const nameRun = (entry) => {
    if (entry.badge) return;
    entry.badge = el("span", "nbtrack-media-run");
    entry.badge.appendChild(runBadge(store.runInfo(entry.run)));
    const title = entry.panel.element.querySelector(".nbtrack-media-bar > .nbtrack-media-title");
    if (title) title.after(entry.badge);
    else {
      const bar = el("div", "nbtrack-media-bar");
      bar.appendChild(entry.badge);
      entry.panel.element.prepend(bar);
    }
  };
  const update = () => {
    for (const [id, series] of store.media) {
      if (series.kind === PR_CURVE_KIND) continue; // prCurves' panels
      try { // one panel that fails must not stop the others, nor the charts
        const entry = panels.get(id);
        if (!entry) {
          const panel = make(series);
          if (panel) panels.set(id, { panel, version: series.version, key: series.key, run: series.run, badge: null });
        } else if (entry.version !== series.version) {
          entry.version = series.version;
          entry.panel.update();
        }
      } catch (error) {
        console.error(`nbtrack: the panel of ${series.key} failed`, error);
      }
    }
    if (store.runs.size > 1) for (const entry of panels.values()) nameRun(entry);
    const filter = parseTagFilter(settings.tagFilter);
    prCurves.update((key) => filter.match(key));
    for (const { panel, key } of panels.values()) {
      const hidden = !filter.match(key);
      if (panel.element.hidden !== hidden) panel.element.hidden = hidden;
    }
  };
  const dispose = () => {
    prCurves.dispose();
    for (const { panel } of panels.values()) panel.dispose();
    panels.clear();
  };
  return { update, dispose, cursor };
}
