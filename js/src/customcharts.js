// The "custom scalars" section: TensorBoard's custom_scalars layouts of the runs (layouts.js merges them),
// shown above the ordinary charts as one collapsible block per category with one chart per layout chart.
// Each is an ordinary chart (chart.js) given the series its layout picks: a multiline chart draws every
// (run, tag) whose tag a regex matches, coloured by run and dashed by tag (the hover names "run · tag"); a
// margin chart draws each value tag over a shaded band between its lower and upper tags. The charts read
// the store's series and follow the controls (smoothing, x axis, log y) and the run table's switches; a
// chart of a closed category is built when the category is first opened.

import { createChart, sizeOf } from "./chart.js";
import { cellWidth } from "./charts.js";
import { runColor } from "./colors.js";
import { el } from "./dom.js";
import { dashesOf, layoutSeries, marginBand, mergeLayouts } from "./layouts.js";
import { themeOfElement } from "./theme.js";
import { disposeViews } from "./bokeh.js";

/** @typedef {import("./layouts.js").LayoutChart} LayoutChart */
/** @typedef {ReturnType<typeof layoutSeries>} Picked */
/** @typedef {{ layout: LayoutChart, slot: HTMLElement, note: HTMLElement, legend: HTMLElement,
 *   picked: Picked, chart: ReturnType<typeof createChart> | null, drawn: string }} Entry */

/** A legend of a chart's tags and their dash patterns (only when it has several tags).
 * @param {Map<string, string | number[]>} dashes @param {HTMLElement} legend */
function fillLegend(dashes, legend) {
  const text = [...dashes.keys()].join("\u0000");
  if (legend.dataset.tags === text) return;
  legend.dataset.tags = text;
  legend.replaceChildren(...(dashes.size > 1 ? [...dashes].map(([tag, dash]) => {
    const item = el("span", "nbtrack-custom-tag");
    const sample = el("span", "nbtrack-dash-sample");
    sample.dataset.dash = Array.isArray(dash) ? "dashdot" : dash;
    item.append(sample, el("span", "", tag)); // a logged name is data: text only
    return item;
  }) : []));
}

/**
 * The custom scalars section in `container`; `update` follows the runs' layouts and the store's series.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 * @param {import("./chart.js").Settings} settings @param {import("./chart.js").Cursor | null} [cursor]
 */
export function createCustomCharts(Bokeh, store, container, settings, cursor = null) {
  /** @type {Entry[]} */
  let entries = [];
  let signature = "";
  let disposed = false;
  const size = sizeOf(settings);
  container.style.setProperty("--nbtrack-chart-width", `${size.width}px`);
  const theme = themeOfElement(container);
  const unsubscribe = cursor?.subscribe(() => { for (const e of entries) e.chart?.markCursor(); }) ?? (() => {});

  /** The context a layout chart is drawn with. @param {Entry} entry @returns {any} */
  const contextOf = (entry) => ({
    store, settings, detail: null, cursor, theme, title: entry.layout.title,
    width: () => cellWidth(container.clientWidth, size.width) || size.width,
    members: () => entry.picked.members, groups: () => null,
    nextFrame: (/** @type {() => void} */ redraw) => requestAnimationFrame(redraw),
    label: (/** @type {import("./store.js").Series} */ s) => {
      const run = store.runInfo(s.run).name;
      return new Set(entry.picked.members.map((m) => m.key)).size > 1 ? `${run} · ${s.key}` : run;
    },
    dash: (/** @type {import("./store.js").Series} */ s) => dashesOf(entry.picked.members).get(s.key) ?? "solid",
    bands: (/** @type {number} */ width) => entry.picked.bands
      .filter((b) => b.lower && b.upper && store.shown(b.value.run))
      .flatMap((b) => marginBand(/** @type {any} */ (b.lower).view(), /** @type {any} */ (b.upper).view(), settings, width)
        .map((segment, k) => ({ id: `${b.value.run}\u0000${b.value.key}\u0000${k}`,
          color: runColor(store.runInfo(b.value.run).index), ...segment }))),
  });

  /** Build an entry's chart (once) and draw it. @param {Entry} entry */
  async function build(entry) {
    if (entry.chart || disposed) return;
    entry.chart = createChart(Bokeh, `custom:${entry.layout.title}`, contextOf(entry));
    entry.slot.insertBefore(entry.chart.box, entry.legend); // the tags' legend under the chart
    redrawEntry(entry);
    await entry.chart.show(() => disposed);
    entry.chart.markCursor();
  }

  /** Pick the entry's series again and redraw its chart when they or the settings changed. @param {Entry} entry */
  function redrawEntry(entry) {
    entry.picked = layoutSeries(entry.layout, store.series.values());
    if (entry.note.textContent !== entry.picked.note) entry.note.textContent = entry.picked.note;
    fillLegend(dashesOf(entry.picked.members), entry.legend);
    const all = [...entry.picked.members, ...entry.picked.bands.flatMap((b) => [b.lower, b.upper])];
    const state = JSON.stringify([all.map((s) => s && `${s.run}:${s.key}:${s.length}`), settings.smoothing,
      [...store.runs.keys()].filter((run) => !store.shown(run))]);
    if (!entry.chart || entry.drawn === state) return;
    entry.drawn = state;
    entry.chart.fill();
  }

  /** One category's block: a <details>, open unless the layout closes it. @param {import("./layouts.js").LayoutCategory} category */
  function makeCategory(category) {
    const details = el("details", "nbtrack-custom-category");
    details.open = !category.closed;
    const grid = el("div", "nbtrack-group-charts");
    details.append(el("summary", "nbtrack-group-title", category.title || "(untitled)"), grid);
    const made = category.charts.map((layout) => {
      const slot = el("div", "nbtrack-chart-slot nbtrack-custom-chart");
      slot.dataset.title = layout.title;
      /** @type {Entry} */
      const entry = { layout, slot, note: el("div", "nbtrack-chart-note"), legend: el("div", "nbtrack-custom-legend"),
        picked: { members: [], bands: [], note: "" }, chart: null, drawn: "" };
      slot.append(entry.note, entry.legend);
      grid.appendChild(slot);
      return entry;
    });
    const open = () => { if (details.open) for (const entry of made) build(entry).catch(() => {}); };
    details.addEventListener("toggle", open);
    return { details, made, open };
  }

  /** Make the section anew for the runs' merged layout. @param {import("./layouts.js").LayoutCategory[]} layout */
  function rebuild(layout) {
    clear();
    container.hidden = !layout.length;
    if (!layout.length) return;
    container.appendChild(el("div", "nbtrack-custom-title", "custom scalars"));
    const blocks = layout.map(makeCategory);
    for (const block of blocks) container.appendChild(block.details);
    entries = blocks.flatMap((b) => b.made);
    for (const block of blocks) block.open();
  }

  function clear() {
    disposeViews(Bokeh, entries.map((e) => e.chart?.view).filter(Boolean));
    entries = [];
    container.replaceChildren();
  }

  /** Follow the runs' layouts (rebuilt when they change) and redraw the charts whose data changed. */
  function update() {
    if (disposed) return;
    const layout = mergeLayouts(store.runs.values());
    const next = JSON.stringify(layout);
    if (next !== signature) {
      signature = next;
      rebuild(layout);
    }
    for (const entry of entries) redrawEntry(entry);
    container.dataset.charts = String(entries.length);
  }

  function dispose() {
    disposed = true;
    unsubscribe();
    clear();
  }
  return { update, dispose, get entries() { return entries; } };
}
