// The embedding panel: a run's embedding drawn as a BokehJS scatter of its principal components (computed in
// Python: 2-3 float32 numbers per point arrive, never the vectors), with a choice of the components shown,
// colouring by a metadata column (categories: a palette; numbers: a colour ramp), a hover card with the
// point's metadata row and its thumbnail (a CSS-cropped background of the sprite sheet's blob URL) and a
// search over the labels (plain text matching: matches drawn full, the others dimmed). Everything logged is
// shown as text (textContent): the hover card is built from DOM nodes, never from HTML.

import { toFloat32Array } from "./codecs.js";
import { disposeViews, plainVisuals } from "./bokeh.js";
import { el } from "./dom.js";
import { formatNumber } from "./format.js";
import { shownStep } from "./media.js";
import { applyTheme, LIGHT, themeOfElement } from "./theme.js";

/** Ten categories get colours of their own; the others share OTHER. */
export const CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const OTHER = "#b0b0b0";
const PLAIN = "#1f77b4";
/** Viridis at 9 stops, interpolated for numeric columns. */
const RAMP = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
const DIMMED = 0.08;
const WIDTH = 560;
const HEIGHT = 440;
const THUMB = 64; // pixels a thumbnail is shown at, at most

/**
 * @typedef {{ points: number, total: number, stride: number, components: number,
 *   explained_variance_ratio: number[], metadata: boolean, sprite: boolean, left_out: string[] }} EmbeddingView
 * @typedef {{ n: number, k: number, coords: Float32Array, header: string[], columns: unknown[][],
 *   sprite: Uint8Array | null, view: EmbeddingView, thumbnail: number[] | null, grid: number[] | null }} Embedding
 */

/**
 * An embedding record as the panel uses it: coordinates, metadata columns (with names) and the sprite.
 * @param {import("./store.js").MediaRecord} record @returns {Embedding}
 */
export function decodeEmbedding(record) {
  const view = /** @type {EmbeddingView} */ (record.meta.view ?? {});
  const k = Number(view.components) || 0;
  const coords = record.data[0] && record.data[0].byteLength ? toFloat32Array(record.data[0]) : new Float32Array(0);
  const n = k ? Math.floor(coords.length / k) : 0;
  if (!k || n !== Number(view.points)) throw new Error(`embedding: ${coords.length} coordinates for ${view.points} points`);
  /** @type {unknown[][]} */
  let columns = [];
  /** @type {string[]} */
  let header = [];
  if (record.data[1] && record.data[1].byteLength) {
    const body = JSON.parse(new TextDecoder().decode(record.data[1]));
    columns = Array.isArray(body?.columns) ? body.columns.filter((/** @type {unknown} */ c) => Array.isArray(c) && c.length === n) : [];
    header = columns.map((_, i) => (Array.isArray(body.header) && typeof body.header[i] === "string" ? body.header[i]
      : columns.length > 1 ? `column ${i + 1}` : "label"));
  }
  const sprite = record.data[2] && record.data[2].byteLength ? record.data[2] : null;
  const pair = (/** @type {unknown} */ v) => (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0) ? v : null);
  return { n, k, coords, header, columns, sprite, view, thumbnail: pair(record.meta.thumbnail), grid: pair(record.meta.sprite_grid) };
}

/** The component pairs a chooser offers: PC1/PC2, PC1/PC3, PC2/PC3 (one axis when there is one component).
 * @param {number} k @returns {[number, number | null][]} */
export function componentPairs(k) {
  if (k < 2) return [[0, null]];
  return k < 3 ? [[0, 1]] : [[0, 1], [0, 2], [1, 2]];
}

/** One component's coordinates (zeros for null). @param {Embedding} e @param {number | null} c */
export function component(e, c) {
  const out = new Float64Array(e.n);
  if (c === null) return out;
  for (let i = 0; i < e.n; i++) out[i] = e.coords[i * e.k + c];
  return out;
}

/** A cell as text. @param {unknown} cell */
export function cellText(cell) {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "number") return formatNumber(cell);
  return String(cell);
}

/**
 * Points whose label contains the query (case-insensitive plain text, never a pattern); null for an empty query.
 * @param {unknown[]} labels @param {string} query @returns {Uint8Array | null}
 */
export function matchLabels(labels, query) {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = cellText(labels[i]).toLowerCase().includes(q) ? 1 : 0;
  return out;
}

/** @param {string} a @param {string} b @param {number} t */
function mix(a, b, t) {
  const p = (/** @type {string} */ h, /** @type {number} */ i) => parseInt(h.slice(1 + 2 * i, 3 + 2 * i), 16);
  return `#${[0, 1, 2].map((i) => Math.round(p(a, i) + (p(b, i) - p(a, i)) * t).toString(16).padStart(2, "0")).join("")}`;
}

/** The ramp's colour at t in [0, 1]. @param {number} t */
export function rampColor(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  return mix(RAMP[i], RAMP[i + 1], x - i);
}

/**
 * Colours of the points by a metadata column: numbers (all cells numbers or empty) on a ramp from the
 * smallest to the largest, anything else by category (the ten most frequent get colours, the rest grey).
 * @param {unknown[] | null} column @param {number} n
 * @returns {{ colors: string[], legend: { label: string, color: string }[], numeric: boolean, range: [number, number] | null }}
 */
export function colorBy(column, n) {
  if (!column) return { colors: new Array(n).fill(PLAIN), legend: [], numeric: false, range: null };
  const numeric = column.every((v) => v === null || (typeof v === "number" && Number.isFinite(v)));
  if (numeric && column.some((v) => v !== null)) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of column) if (typeof v === "number") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const span = hi - lo || 1;
    const colors = column.map((v) => (typeof v === "number" ? rampColor((v - lo) / span) : OTHER));
    return { colors, legend: [{ label: formatNumber(lo), color: RAMP[0] }, { label: formatNumber(hi), color: RAMP[RAMP.length - 1] }],
      numeric: true, range: [lo, hi] };
  }
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const v of column) counts.set(cellText(v), (counts.get(cellText(v)) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, CATEGORY10.length);
  const colorOf = new Map(top.map(([label], i) => [label, CATEGORY10[i]]));
  const colors = column.map((v) => colorOf.get(cellText(v)) ?? OTHER);
  const legend = top.map(([label], i) => ({ label, color: CATEGORY10[i] }));
  if (counts.size > top.length) legend.push({ label: `${counts.size - top.length} more`, color: OTHER });
  return { colors, legend, numeric: false, range: null };
}

/**
 * The sprite cell of shown point i (the stored point i * stride), in thumbnail units.
 * @param {Embedding} e @param {number} i @returns {{ row: number, col: number } | null}
 */
export function spriteCell(e, i) {
  if (!e.grid) return null;
  const stored = i * (e.view.stride || 1);
  const row = Math.floor(stored / e.grid[1]);
  return row < e.grid[0] ? { row, col: stored % e.grid[1] } : null;
}

/** A note on what the panel shows of the embedding. @param {Embedding} e */
export function viewNote(e) {
  const parts = [];
  if (e.view.points < e.view.total) parts.push(`a uniform sample: ${e.view.points.toLocaleString("en-US")} of ` +
    `${e.view.total.toLocaleString("en-US")} points (every ${e.view.stride}th)`);
  else parts.push(`${e.n.toLocaleString("en-US")} points`);
  const ratio = e.view.explained_variance_ratio ?? [];
  if (ratio.length) parts.push(`variance explained: ${ratio.map((r, i) => `PC${i + 1} ${(100 * r).toFixed(1)}%`).join(", ")}`);
  if (e.view.left_out?.length) parts.push(`not sent: ${e.view.left_out.join(", ")}`);
  return parts.join("; ");
}

/** @param {string} cls @param {string} name @param {[string, string][]} options */
function select(cls, name, options) {
  const box = el("label", "nbtrack-embedding-choice");
  box.style.marginRight = "12px";
  const s = /** @type {HTMLSelectElement} */ (el("select", cls));
  for (const [value, text] of options) {
    const o = /** @type {HTMLOptionElement} */ (el("option", "", text));
    o.value = value;
    s.appendChild(o);
  }
  box.append(`${name} `, s);
  return { box, select: s };
}

/**
 * The hover card of point i: its thumbnail (cropped from the sprite by CSS) and its metadata row, as text.
 * @param {Embedding} e @param {number} i @param {string | null} spriteUrl
 */
export function hoverCard(e, i, spriteUrl) {
  const card = el("div", "nbtrack-embedding-hover");
  const cell = spriteUrl && e.thumbnail && e.grid ? spriteCell(e, i) : null;
  if (cell && e.thumbnail && e.grid) {
    const [h, w] = e.thumbnail;
    const scale = Math.min(THUMB / w, THUMB / h, 4);
    const thumb = el("div", "nbtrack-embedding-thumb");
    Object.assign(thumb.style, {
      width: `${w * scale}px`, height: `${h * scale}px`, imageRendering: "pixelated",
      backgroundImage: `url("${spriteUrl}")`, // a blob: URL made here, never text from the data
      backgroundSize: `${e.grid[1] * w * scale}px ${e.grid[0] * h * scale}px`,
      backgroundPosition: `${-cell.col * w * scale}px ${-cell.row * h * scale}px`,
    });
    card.appendChild(thumb);
  }
  const table = el("table", "nbtrack-embedding-row");
  const add = (/** @type {string} */ name, /** @type {string} */ value) => {
    const tr = el("tr");
    const th = el("th", "", name);
    Object.assign(th.style, { whiteSpace: "nowrap", textAlign: "left", paddingRight: "6px", verticalAlign: "top" });
    tr.append(th, el("td", "", value));
    table.appendChild(tr);
  };
  add("point", String(i * (e.view.stride || 1)));
  e.columns.forEach((column, c) => add(e.header[c], cellText(column[i])));
  card.appendChild(table);
  return card;
}

/**
 * An embedding panel for one media tag: the scatter of the shown step's embedding, with its choosers,
 * search box and hover card. Follows the shared step cursor, with a step slider of its own.
 * @param {any} Bokeh @param {import("./store.js").MediaSeries} series
 * @param {ReturnType<typeof import("./media.js").createCursor>} cursor
 */
export function createEmbeddingPanel(Bokeh, series, cursor) {
  const panel = el("div", "nbtrack-media-panel nbtrack-embedding-panel");
  Object.assign(panel.dataset, { key: series.key, kind: series.kind, run: series.run });
  Object.assign(panel.style, { width: "max-content", maxWidth: "none", gridColumn: "span 2" }); // the plot's width
  const bar = el("div", "nbtrack-media-bar");
  const slider = /** @type {HTMLInputElement} */ (el("input", "nbtrack-step-slider"));
  Object.assign(slider, { type: "range", min: "0", step: "1" });
  const stepLabel = el("span", "nbtrack-step-label");
  bar.append(el("span", "nbtrack-media-title", series.key), slider, stepLabel);
  const controls = el("div", "nbtrack-embedding-controls");
  const note = el("div", "nbtrack-embedding-note");
  const plot = el("div", "nbtrack-embedding-plot");
  plot.style.position = "relative";
  const legend = el("div", "nbtrack-embedding-legend");
  panel.append(bar, controls, plot, legend, note);
  /** @type {any} */
  let shown = null; // { step, version, e, source, view, url }
  let disposed = false;
  let mouse = { x: 0, y: 0 };
  let card = /** @type {HTMLElement | null} */ (null);
  plot.addEventListener("mousemove", (ev) => {
    const box = plot.getBoundingClientRect();
    mouse = { x: ev.clientX - box.left, y: ev.clientY - box.top };
  });
  plot.addEventListener("mouseleave", () => { card?.remove(); card = null; });

  const clear = () => {
    if (!shown) return;
    if (shown.view) disposeViews(Bokeh, [shown.view]);
    if (shown.url) URL.revokeObjectURL(shown.url);
    card?.remove();
    card = null;
    shown = null;
  };

  /** @param {Embedding} e @param {number} step */
  const draw = async (e, step) => {
    const pairs = componentPairs(e.k);
    const comp = select("nbtrack-embedding-components", "components",
      pairs.map(([a, b], i) => [String(i), b === null ? `PC${a + 1}` : `PC${a + 1} / PC${b + 1}`]));
    const colour = select("nbtrack-embedding-color", "colour by",
      [["", "none"], ...e.header.map((h, i) => /** @type {[string, string]} */ ([String(i), h]))]);
    const search = /** @type {HTMLInputElement} */ (el("input", "nbtrack-embedding-search"));
    Object.assign(search, { type: "search", placeholder: e.columns.length ? "search labels" : "no labels" });
    search.disabled = !e.columns.length;
    const matches = el("span", "nbtrack-embedding-matches");
    controls.replaceChildren(comp.box, colour.box, search, matches);
    if (e.columns.length) colour.select.value = "0";
    note.textContent = viewNote(e);
    const coloured = () => colorBy(colour.select.value === "" ? null : e.columns[Number(colour.select.value)], e.n);
    const first = coloured();
    const source = new Bokeh.ColumnDataSource({ data: {
      x: component(e, pairs[0][0]), y: component(e, pairs[0][1]), color: first.colors,
      alpha: new Float64Array(e.n).fill(0.8), index: Float64Array.from({ length: e.n }, (_, i) => i),
    } });
    source.name = "nbtrack-embedding-source";
    const figure = Bokeh.Plotting.figure({
      width: WIDTH, height: HEIGHT, output_backend: "webgl", tools: "pan,wheel_zoom,box_zoom,reset",
      active_scroll: null, toolbar_location: "right", match_aspect: false,
    });
    applyTheme(figure, typeof document !== "undefined" && document.body ? themeOfElement(document.body) : LIGHT);
    const renderer = figure.scatter({ field: "x" }, { field: "y" }, {
      source, size: e.n > 20000 ? 3 : e.n > 2000 ? 5 : 8, fill_color: { field: "color" }, line_color: null,
      fill_alpha: { field: "alpha" },
    });
    const hover = new Bokeh.HoverTool({ renderers: [renderer], tooltips: null, mode: "mouse" });
    figure.add_tools(hover);
    const axisLabels = () => {
      const [a, b] = pairs[Number(comp.select.value)];
      const [xAxis] = figure.xaxis ?? figure.below ?? [];
      const [yAxis] = figure.yaxis ?? figure.left ?? [];
      if (xAxis) xAxis.axis_label = `PC${a + 1}`;
      if (yAxis) yAxis.axis_label = b === null ? "" : `PC${b + 1}`;
    };
    axisLabels();
    const url = e.sprite ? URL.createObjectURL(new Blob([/** @type {any} */ (e.sprite)], { type: "image/png" })) : null;
    const view = await Bokeh.Plotting.show(figure, plot);
    if (disposed) { disposeViews(Bokeh, [view]); if (url) URL.revokeObjectURL(url); return; }
    plainVisuals(view?.model?.document);
    shown = { ...shown, e, source, view, url };
    const showLegend = () => {
      const { legend: items, numeric } = coloured();
      legend.replaceChildren(...items.map(({ label, color }) => {
        const item = el("span", "nbtrack-embedding-legend-item");
        const swatch = el("span", "nbtrack-embedding-swatch");
        Object.assign(swatch.style, { display: "inline-block", width: "10px", height: "10px", background: color, marginRight: "3px" });
        item.append(swatch, label.length > 40 ? `${label.slice(0, 39)}…` : label);
        item.title = label; // the whole label, as text
        item.style.marginRight = "10px";
        return item;
      }));
      legend.dataset.numeric = String(numeric);
    };
    showLegend();
    const recolour = () => {
      source.data = { ...source.data, color: coloured().colors };
      panel.dataset.colorBy = colour.select.value;
      showLegend();
    };
    const rematch = () => {
      const column = e.columns[colour.select.value === "" ? 0 : Number(colour.select.value)] ?? e.columns[0];
      const hit = column ? matchLabels(column, search.value) : null;
      const alpha = new Float64Array(e.n);
      let count = 0;
      for (let i = 0; i < e.n; i++) {
        const on = !hit || hit[i];
        alpha[i] = on ? 0.8 : DIMMED;
        count += on ? 1 : 0;
      }
      source.data = { ...source.data, alpha };
      matches.textContent = hit ? `${count.toLocaleString("en-US")} match` : "";
      panel.dataset.matches = hit ? String(count) : "";
    };
    const rechoose = () => {
      const [a, b] = pairs[Number(comp.select.value)];
      source.data = { ...source.data, x: component(e, a), y: component(e, b) };
      axisLabels();
      panel.dataset.components = comp.select.value;
    };
    comp.select.addEventListener("change", rechoose);
    colour.select.addEventListener("change", () => { recolour(); rematch(); });
    search.addEventListener("input", rematch);
    source.inspect.connect(() => { // emitted after each hit test of the hover tool (which shows no tooltip of its own)
      const indices = source.inspected.indices ?? [];
      card?.remove();
      card = null;
      if (!indices.length) { panel.dataset.hovered = ""; return; }
      const i = indices[0];
      card = hoverCard(e, i, url);
      const theme = typeof document !== "undefined" && document.body ? themeOfElement(document.body) : LIGHT;
      Object.assign(card.style, { position: "absolute", left: `${mouse.x + 14}px`, top: `${mouse.y + 14}px`,
        pointerEvents: "none", zIndex: "10", background: theme.background, color: theme.text,
        border: `1px solid ${theme.grid}`, borderRadius: "4px", padding: "4px 6px", boxShadow: "0 1px 4px rgba(0,0,0,.25)",
        fontSize: "12px", minWidth: "140px", maxWidth: "320px", overflowWrap: "anywhere" });
      plot.appendChild(card);
      panel.dataset.hovered = String(i);
    });
    Object.assign(panel.dataset, { points: String(e.n), components: "0", colorBy: colour.select.value,
      drawn: String(step), drawMs: String(Math.round(performance.now() - drawStart)) });
    const started = drawStart;
    requestAnimationFrame(() => requestAnimationFrame(() => { // after the first paint of the scatter
      panel.dataset.paintMs = String(Math.round(performance.now() - started));
    }));
  };

  let drawStart = 0;
  const update = () => {
    const steps = series.steps();
    const step = shownStep(steps, cursor.step);
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = String(step === null ? 0 : steps.indexOf(step));
    slider.disabled = steps.length < 2;
    stepLabel.textContent = step === null ? "" : `step ${step} (${steps.indexOf(step) + 1} of ${steps.length})`;
    if (shown && step === shown.step && series.version === shown.version) return;
    clear();
    controls.replaceChildren();
    legend.replaceChildren();
    note.textContent = "";
    shown = { step, version: series.version };
    const record = step === null ? null : series.at(step)[0];
    if (!record) { note.textContent = "nothing yet"; return; }
    try {
      drawStart = performance.now();
      const e = decodeEmbedding(record);
      draw(e, /** @type {number} */ (step)).catch((error) => { note.textContent = `could not draw: ${String(error)}`; });
    } catch (error) {
      note.textContent = `could not show this embedding: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  slider.addEventListener("input", () => cursor.set(series.steps()[Number(slider.value)] ?? null));
  const unsubscribe = cursor.subscribe(update);
  update();
  return {
    element: panel, update,
    dispose: () => { disposed = true; unsubscribe(); clear(); panel.remove(); },
  };
}
