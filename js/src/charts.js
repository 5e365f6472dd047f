// The grid of scalar charts: one chart per tag (chart.js), grouped by tag prefix into sections in name
// order, made as tags appear and redrawn from the store entirely in the browser (the kernel may be busy in a
// training loop), each only when its data or the settings changed.
//
// A big logdir stays fast: up to FOLD_ABOVE tags every chart is built (one per task); beyond, every tag gets
// a placeholder of a chart's size at once, but its BokehJS figure is built only when the placeholder scrolls
// near the view (IntersectionObserver), one figure per task so the
// page paints in between; with more than FOLD_ABOVE charts, the groups after the first few start folded (a
// click on a group's title unfolds it). Charts not built yet cost nothing on redraws.
//
// The grid is a CSS grid as wide as the output: as many charts per row as fit at the size control's least
// chart width; each figure stretches to its cell, and when the output's width changes (ResizeObserver) the
// built charts redraw at their new pixel width. The tag filter (tagfilter.js) hides the charts it does not
// match (a hidden chart is neither built nor redrawn) and groups left empty.

import { disposeViews } from "./bokeh.js";
import { createChart, sizeOf } from "./chart.js";
import { el } from "./dom.js";
import { groupsOf } from "./grouplines.js";
import { parseTagFilter } from "./tagfilter.js";
import { themeOfElement } from "./theme.js";
import { stepMetricState } from "./xaxis.js";

/** @typedef {import("./chart.js").Settings} Settings */
/** @typedef {import("./chart.js").XAxis} XAxis */
/** @typedef {ReturnType<typeof createChart>} Chart */
/** @typedef {{ key: string, slot: HTMLElement, chart: Chart | null, building: boolean, near: boolean, hidden: boolean }} Slot */

export const FOLD_ABOVE = 48; // more charts than this: only the first groups start open
export const OPEN_CHARTS = 24; // groups open (in order) while they hold this many charts in total (at least one)
const NEAR_VIEW = "600px"; // build a chart this far before it scrolls into view

const GRID_GAP = 8; // px between charts (panels.js: .nbtrack-group-charts)

/**
 * The width of a chart in a grid `width` pixels wide whose columns are at least `least` pixels (as the CSS
 * grid's auto-fill with minmax(least, 1fr) lays them out); 0 when the width is not known.
 * @example
 * cellWidth(1000, 420, 8) // 496 (two per row)
 * @param {number} width @param {number} least @param {number} [gap]
 */
export function cellWidth(width, least, gap = GRID_GAP) {
  if (!(width > 0)) return 0;
  const columns = Math.max(1, Math.floor((width + gap) / (least + gap)));
  return Math.floor((width - gap * (columns - 1)) / columns);
}

/** The group a tag is shown in: the text before its first "/" ("" for none). @param {string} key */
export function groupOf(key) {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "";
}

/**
 * Which groups start folded: none up to `foldAbove` charts; else every group after the first ones that
 * together hold at most `openCharts` charts (the first group always opens).
 * @example
 * foldedGroups(new Map([["", 2], ["a", 30], ["b", 30]]), 48, 24) // Set {"a", "b"}
 * @param {Map<string, number>} counts charts per group @param {number} [foldAbove] @param {number} [openCharts]
 * @returns {Set<string>}
 */
export function foldedGroups(counts, foldAbove = FOLD_ABOVE, openCharts = OPEN_CHARTS) {
  const names = [...counts.keys()].sort();
  const total = names.reduce((n, name) => n + (counts.get(name) ?? 0), 0);
  const folded = new Set();
  if (total <= foldAbove) return folded;
  let open = 0;
  names.forEach((name, i) => {
    open += counts.get(name) ?? 0;
    if (i > 0 && open > openCharts) folded.add(name);
  });
  return folded;
}

/**
 * The store's series per tag (one pass over the store, so a redraw costs O(series), not O(tags x series)).
 * @param {import("./store.js").Store} store
 * @returns {Map<string, import("./store.js").Series[]>}
 */
export function seriesByKey(store) {
  /** @type {Map<string, import("./store.js").Series[]>} */
  const out = new Map();
  for (const s of store.series.values()) {
    const list = out.get(s.key);
    if (list) list.push(s);
    else out.set(s.key, [s]);
  }
  return out;
}

/**
 * Charts for every scalar tag of `store` inside `container`, created as tags appear. Axis types are fixed
 * when a figure is made, so changing `logY` or `xAxis` means disposing of these charts and making new ones.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 * @param {Settings} settings
 * @param {import("./detail.js").DetailFetch | null} [detail] zoom detail from the kernel, for reduced series
 * @param {import("./chart.js").Cursor | null} [cursor]
 *   the dashboard's step cursor: drawn as a dashed line; a click on a chart (x axis: step) moves it
 */
export function createCharts(Bokeh, store, container, settings, detail = null, cursor = null) {
  /** @type {Map<string, Chart>} the charts built so far */
  const charts = new Map();
  /** @type {Map<string, Slot>} */
  const slots = new Map();
  /** @type {Map<string, { box: HTMLElement, section: HTMLElement, count: HTMLElement }>} */
  const sections = new Map();
  /** @type {Set<string> | null} decided once, the first time tags are known */
  let folded = null;
  let disposed = false;
  let eager = false; // few charts: every one is built, in view or not
  let zoomPending = 0;
  /** @type {Map<string, import("./store.js").Series[]>} */
  let members = new Map();
  /** @type {import("./grouplines.js").Group[] | null} the run groups, once per redraw */
  let groups = null;
  const size = sizeOf(settings);
  container.style.setProperty("--nbtrack-chart-width", `${size.width}px`);
  /** @type {import("./chart.js").ChartContext} */
  const context = {
    store, settings, detail, cursor, theme: themeOfElement(container),
    width: () => cellWidth(seenWidth, size.width) || size.width,
    members: (key) => members.get(key) ?? [],
    groups: () => groups,
    nextFrame(redraw) { // one zoom redraw per frame, whichever chart was zoomed
      if (zoomPending) return;
      zoomPending = requestAnimationFrame(() => {
        zoomPending = 0;
        redraw();
      });
    },
  };
  const observer = typeof IntersectionObserver === "function"
    ? new IntersectionObserver(onIntersect, { rootMargin: NEAR_VIEW }) : null;
  let seenWidth = 0; // the grid's width, as the ResizeObserver last reported it (0: not yet)
  let resizeTimer = 0;
  const resizer = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
    const width = Math.round(entries[entries.length - 1]?.contentRect.width ?? 0);
    if (!width || Math.abs(width - seenWidth) < 8) return;
    const first = seenWidth === 0;
    seenWidth = width;
    if (first && !charts.size) return; // the first report, before any chart is drawn
    clearTimeout(resizeTimer); // once the resize settles: redraw at the charts' new widths (Bokeh resizes the figures)
    resizeTimer = window.setTimeout(() => {
      if (disposed) return;
      for (const [key, chart] of charts) {
        if (slots.get(key)?.hidden) drawnState.delete(key); // redrawn when shown again
        else chart.fill();
      }
    }, 150);
  }) : null;
  resizer?.observe(container);

  /** @param {IntersectionObserverEntry[]} entries */
  function onIntersect(entries) {
    for (const entry of entries) {
      const slot = slots.get(/** @type {HTMLElement} */ (entry.target).dataset.key ?? "");
      if (slot) slot.near = eager || entry.isIntersecting;
    }
    pump();
  }

  /** @param {string} name */
  function groupBox(name) {
    let group = sections.get(name);
    if (group) return group;
    const section = el("section", "nbtrack-group");
    section.dataset.group = name;
    const count = el("span", "nbtrack-group-count");
    const box = el("div", "nbtrack-group-charts");
    if (name || folded?.size) {
      const title = el("div", "nbtrack-group-title", name || "(no prefix)"); // a logged name is data: text only
      title.appendChild(count);
      title.addEventListener("click", () => setFolded(name, section.dataset.folded !== "true"));
      section.appendChild(title);
    }
    section.appendChild(box);
    const after = [...sections.keys()].sort().find((other) => other > name);
    container.insertBefore(section, after === undefined ? null : sections.get(after)?.section ?? null);
    group = { box, section, count };
    sections.set(name, group);
    setFolded(name, folded?.has(name) ?? false);
    return group;
  }

  /** @param {string} name @param {boolean} fold */
  function setFolded(name, fold) {
    const group = sections.get(name);
    if (!group) return;
    group.section.dataset.folded = String(fold);
    group.box.style.display = fold ? "none" : "";
    updateCounts();
  }

  function updateCounts() {
    for (const [name, group] of sections) {
      const n = [...group.box.children].filter((child) => !(/** @type {HTMLElement} */ (child).hidden)).length;
      const fold = group.section.dataset.folded === "true";
      const text = fold ? ` (${n} chart${n === 1 ? "" : "s"}, folded: click to show)` : (name && folded?.size ? ` (${n})` : "");
      if (group.count.textContent !== text) group.count.textContent = text; // every redraw: touch the page only on change
    }
  }

  /** A placeholder of a chart's size for tag `key`; its figure is built when it comes near the view.
   * @param {string} key */
  function slotFor(key) {
    let slot = slots.get(key);
    if (slot) return slot;
    const box = el("div", "nbtrack-chart-slot");
    box.dataset.key = key;
    box.style.minHeight = `${size.height}px`;
    slot = { key, slot: box, chart: null, building: false, near: observer === null, hidden: false };
    slots.set(key, slot);
    groupBox(groupOf(key)).box.appendChild(box);
    observer?.observe(box);
    return slot;
  }

  let pumping = false;
  /** Build the charts near the view, one per task (the page paints between them). */
  async function pump() {
    if (pumping || disposed) return;
    pumping = true;
    try {
      for (;;) {
        const next = [...slots.values()].find((s) => s.near && !s.hidden && !s.chart && !s.building);
        if (!next || disposed) break;
        await build(next);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      pumping = false;
    }
    publish();
  }

  /** @param {Slot} slot */
  async function build(slot) {
    slot.building = true;
    const chart = createChart(Bokeh, slot.key, context);
    slot.slot.appendChild(chart.box);
    slot.chart = chart;
    charts.set(slot.key, chart);
    chart.fill();
    drawnState.set(slot.key, stateOf(slot.key));
    await chart.show(() => disposed);
    slot.building = false;
    observer?.unobserve(slot.slot);
    publish();
  }

  /** What tests and benchmarks read: charts built, charts in all and charts the tag filter shows. */
  function publish() {
    container.dataset.charts = String(slots.size);
    container.dataset.built = String(charts.size);
    container.dataset.shown = String(shownCount);
  }

  let shownCount = 0;
  /** Hide the charts the tag filter does not match, and the groups it leaves empty. */
  function applyFilter() {
    const filter = parseTagFilter(settings.tagFilter);
    shownCount = 0;
    for (const slot of slots.values()) {
      slot.hidden = !filter.match(slot.key);
      if (slot.slot.hidden !== slot.hidden) slot.slot.hidden = slot.hidden;
      if (!slot.hidden) shownCount++;
    }
    for (const group of sections.values()) {
      const empty = ![...group.box.children].some((child) => !(/** @type {HTMLElement} */ (child).hidden));
      if (group.section.hidden !== empty) group.section.hidden = empty;
    }
    updateCounts();
    return { shown: shownCount, total: slots.size, error: filter.error, active: filter.active };
  }

  const moveSpans = () => {
    for (const chart of charts.values()) chart.markCursor();
  };
  const unsubscribeCursor = cursor?.subscribe(moveSpans) ?? (() => {});

  /** @type {Map<string, string>} what each chart last drew: its series' sizes and the settings */
  const drawnState = new Map();
  let looks = "";
  /** @param {string} key */
  const stateOf = (key) => `${(members.get(key) ?? []).map((s) => `${s.run}:${s.length}:${s.total}:${stepMetricState(store, s)}`)
    .join(";")}|${looks}`;

  /** Redraw the built charts whose data or settings changed since they were last drawn (BokehJS repaints a
   * chart whenever one of its sources is set, and that paint is most of a redraw's cost); make
   * placeholders for new tags. */
  async function update() {
    if (disposed) return;
    members = seriesByKey(store);
    groups = groupsOf(store, settings);
    looks = JSON.stringify([settings.smoothing, settings.logY, settings.xAxis, settings.ignoreOutliers,
      [...store.runs.keys()].filter((run) => !store.shown(run)), settings.groupBand,
      groups?.map((g) => [g.label, ...g.runs])]);
    if (folded === null && members.size) {
      /** @type {Map<string, number>} */
      const counts = new Map();
      for (const key of members.keys()) counts.set(groupOf(key), (counts.get(groupOf(key)) ?? 0) + 1);
      folded = foldedGroups(counts);
    }
    const fresh = [...members.keys()].filter((key) => !slots.has(key)); // in log order, as the PNG
    for (const key of fresh) slotFor(key);
    eager = members.size <= FOLD_ABOVE;
    if (eager) for (const slot of slots.values()) slot.near = true; // few charts: build them all
    filtered = applyFilter();
    for (const [key, chart] of charts) {
      if (slots.get(key)?.hidden) continue; // redrawn when the filter shows it again
      const state = stateOf(key);
      if (drawnState.get(key) !== state) chart.fill();
      drawnState.set(key, state);
    }
    publish();
    await pump();
  }

  /** Remove the views and clear their BokehJS documents (rebuilding without this leaks documents). */
  function dispose() {
    disposed = true;
    observer?.disconnect();
    unsubscribeCursor();
    disposeViews(Bokeh, [...charts.values()].map((chart) => chart.view));
    resizer?.disconnect();
    clearTimeout(resizeTimer);
    for (const group of sections.values()) group.section.remove();
    charts.clear();
    slots.clear();
    sections.clear();
    drawnState.clear();
  }

  /** @type {ReturnType<typeof applyFilter>} what the tag filter showed at the last redraw */
  let filtered = { shown: 0, total: 0, error: null, active: false };
  return { update, dispose, charts, slots, setFolded, get filtered() { return filtered; } };
}
