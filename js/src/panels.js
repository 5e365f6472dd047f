// The dashboard's text panels: header (runs, status, config), the summary table and error lines, and the
// dashboard's style sheet (its colours are JupyterLab's theme variables, with light fallbacks outside
// JupyterLab). Every logged name and value is set as text (textContent), never parsed as HTML.

import { runColor } from "./colors.js";
import { el, setIfChanged } from "./dom.js";
import { asText, formatNumber } from "./format.js";

const STYLE = `
.nbtrack-dashboard { font: 12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--jp-ui-font-color1, #222); }
.nbtrack-header { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; margin: 2px 0 6px; }
.nbtrack-run-name { font-weight: 600; font-size: 13px; }
.nbtrack-status { color: var(--jp-ui-font-color2, #666); }
.nbtrack-run { display: inline-flex; align-items: center; gap: 4px; }
.nbtrack-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.nbtrack-config summary { cursor: pointer; color: var(--jp-ui-font-color1, #444); }
.nbtrack-config table, .nbtrack-summary { border-collapse: collapse; font-size: 11px; margin: 4px 0; }
.nbtrack-dashboard .nbtrack-config td, .nbtrack-dashboard .nbtrack-summary td,
.nbtrack-dashboard .nbtrack-summary th { padding: 1px 8px !important; border: 0 !important;
  border-bottom: 1px solid var(--jp-border-color2, #eee) !important; text-align: left !important; font-variant-numeric: tabular-nums;
  background: transparent !important; color: inherit; }
.nbtrack-dashboard table tr { background: transparent !important; }
.nbtrack-controls { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; margin: 4px 0 8px; }
.nbtrack-controls label { display: inline-flex; align-items: center; gap: 4px; }
.nbtrack-group-title { font-weight: 600; margin: 8px 0 2px; color: var(--jp-ui-font-color1, #333); }
.nbtrack-group-charts { display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, var(--nbtrack-chart-width, 420px)), 1fr)); }
.nbtrack-chart-slot, .nbtrack-chart { min-width: 0; }
.nbtrack-dashboard [hidden] { display: none !important; }
.nbtrack-dashboard input[type="search"], .nbtrack-dashboard select { font: inherit;
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #c8c8c8); border-radius: 3px; padding: 1px 4px; }
.nbtrack-tag-filter { width: 220px; }
.nbtrack-tag-filter[data-error="true"] { border-color: var(--jp-error-color1, #b00020) !important; }
.nbtrack-tag-filter-status { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbtrack-tag-filter-status[data-error="true"] { color: var(--jp-error-color1, #b00020); font-size: 11px; }
.nbtrack-chart-note { color: var(--jp-warn-color0, #a15c00); font-size: 11px; min-height: 0; flex: 1 1 auto; }
.nbtrack-chart-head { display: flex; align-items: center; gap: 6px; }
.nbtrack-chart-actions { display: inline-flex; gap: 3px; margin-left: auto; }
.nbtrack-dashboard .nbtrack-chart-action { font: inherit; font-size: 10px; line-height: 14px; color: var(--jp-ui-font-color2, #555);
  background: var(--jp-layout-color2, #f3f3f3); border: 1px solid var(--jp-border-color1, #c8c8c8); border-radius: 3px;
  padding: 0 5px; cursor: pointer; }
.nbtrack-dashboard .nbtrack-chart-action:hover { color: var(--jp-ui-font-color1, #222); border-color: var(--jp-ui-font-color2, #888); }
.nbtrack-dashboard .nbtrack-chart-action[data-state="error"] { border-color: var(--jp-error-color1, #b00020); }
.nbtrack-error { color: var(--jp-error-color1, #b00020); }
.nbtrack-notice { color: var(--jp-ui-font-color2, #555); font-style: italic; margin: 0 0 6px; overflow-wrap: anywhere; }
.nbtrack-media { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.nbtrack-media-panel { border: 1px solid var(--jp-border-color2, #e3e3e3); border-radius: 4px; padding: 6px 8px; max-width: 440px; }
.nbtrack-media-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 4px; }
.nbtrack-media-title { font-weight: 600; }
.nbtrack-media-run { color: var(--jp-ui-font-color2, #555); overflow-wrap: anywhere; }
.nbtrack-step-label { color: var(--jp-ui-font-color2, #555); font-variant-numeric: tabular-nums; }
.nbtrack-media-items { display: flex; flex-wrap: wrap; gap: 6px; }
.nbtrack-image { margin: 0; }
.nbtrack-caption { font-size: 11px; color: var(--jp-ui-font-color1, #444); max-width: 256px; overflow-wrap: anywhere; }
.nbtrack-text { white-space: pre-wrap; margin: 0; font-size: 12px; max-height: 240px; overflow: auto; }
.nbtrack-markdown { max-height: 240px; overflow: auto; }
.nbtrack-html { width: 420px; height: 200px; border: 1px solid var(--jp-border-color1, #ddd); background: #fff; }
.nbtrack-table { border-collapse: collapse; font-size: 11px; }
.nbtrack-dashboard .nbtrack-table td, .nbtrack-dashboard .nbtrack-table th { padding: 1px 6px !important;
  border-bottom: 1px solid var(--jp-border-color2, #eee) !important; text-align: left !important; background: transparent !important; }
.nbtrack-sortable { cursor: pointer; }
.nbtrack-custom { margin: 4px 0 10px; }
.nbtrack-custom-title { font-weight: 600; font-size: 13px; margin: 6px 0 2px; color: var(--jp-ui-font-color1, #333); }
.nbtrack-custom-category > summary { cursor: pointer; }
.nbtrack-custom-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 11px; color: var(--jp-ui-font-color2, #555); }
.nbtrack-custom-tag { display: inline-flex; align-items: center; gap: 4px; }
.nbtrack-dash-sample { display: inline-block; width: 22px; border-top: 2px solid var(--jp-ui-font-color2, #555); }
.nbtrack-dash-sample[data-dash="dashed"] { border-top-style: dashed; }
.nbtrack-dash-sample[data-dash="dotted"], .nbtrack-dash-sample[data-dash="dotdash"],
.nbtrack-dash-sample[data-dash="dashdot"] { border-top-style: dotted; }
.nbtrack-media-panel[data-kind="model"] { max-width: 720px; min-width: 320px; align-self: flex-start; }
.nbtrack-model-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 4px; }
.nbtrack-model-header { color: var(--jp-ui-font-color2, #555); }
.nbtrack-model-search { width: 140px; }
.nbtrack-dashboard .nbtrack-model button { font: inherit; font-size: 11px; color: var(--jp-ui-font-color1, #222);
  background: var(--jp-layout-color2, #f3f3f3); border: 1px solid var(--jp-border-color1, #c8c8c8); border-radius: 3px;
  padding: 0 6px; cursor: pointer; }
.nbtrack-model-tree, .nbtrack-model-found { max-height: 420px; overflow: auto; font-size: 11.5px; }
.nbtrack-model-children { margin-left: 14px; border-left: 1px solid var(--jp-border-color2, #e3e3e3); padding-left: 4px; }
.nbtrack-model-leaf { padding-left: 13px; }
.nbtrack-model-line { cursor: pointer; }
.nbtrack-model-node > summary, .nbtrack-model-leaf { white-space: nowrap; line-height: 1.5; }
.nbtrack-model-line > span, .nbtrack-model-leaf > span { margin-right: 8px; }
.nbtrack-model-name { font-weight: 600; }
.nbtrack-model-type { color: var(--jp-content-link-color, #1565c0); }
.nbtrack-model-shape { font-family: var(--jp-code-font-family, monospace); color: var(--jp-ui-font-color2, #666); }
.nbtrack-model-params, .nbtrack-model-count, .nbtrack-model-path { color: var(--jp-ui-font-color2, #666);
  font-variant-numeric: tabular-nums; }
.nbtrack-rundetails { margin: 6px 0; font-size: 11px; }
.nbtrack-rundetails > summary { cursor: pointer; color: var(--jp-ui-font-color1, #444); }
.nbtrack-details-run { font: inherit; margin: 4px 0; }
.nbtrack-details-body { display: flex; flex-wrap: wrap; gap: 6px 24px; align-items: flex-start; }
.nbtrack-details-title { font-weight: 600; margin: 4px 0 2px; }
.nbtrack-dashboard .nbtrack-details-table { border-collapse: collapse; font-size: 11px; }
.nbtrack-dashboard .nbtrack-details-table td, .nbtrack-dashboard .nbtrack-details-table th { padding: 1px 8px !important;
  border: 0 !important; border-bottom: 1px solid var(--jp-border-color2, #eee) !important; text-align: left !important;
  background: transparent !important; vertical-align: top; max-width: 480px; overflow-wrap: anywhere; white-space: pre-wrap; }
.nbtrack-details-table tr[data-level="warn"] td:first-child { color: var(--jp-warn-color0, #b26a00); font-weight: 600; }
.nbtrack-details-table tr[data-level="error"] td:first-child { color: var(--jp-error-color0, #c62828); font-weight: 600; }
.nbtrack-details-file-rows td:last-child { font-variant-numeric: tabular-nums; text-align: right !important; }
`;

/**
 * Add the dashboard's style sheet once: to the document, or to the shadow root holding `node`.
 * @param {Node} [node] the dashboard's element, already attached
 */
export function injectStyle(node) {
  // a view inside a shadow root (marimo renders anywidgets in one) does not see the page's <head> styles:
  // the style goes into that root, once per root
  const root = /** @type {any} */ (node?.getRootNode?.());
  if (root != null && root !== node && typeof root.host === "object" && root.host != null) {
    if (root.querySelector("style.nbtrack-style")) return;
    root.appendChild(el("style", "nbtrack-style", STYLE));
    return;
  }
  if (document.getElementById("nbtrack-style")) return;
  const style = el("style", "", STYLE);
  style.id = "nbtrack-style";
  document.head.appendChild(style);
}

/** A run with its colour swatch. @param {import("./store.js").RunInfo} run */
export function runBadge(run) {
  const badge = el("span", "nbtrack-run");
  const swatch = el("span", "nbtrack-swatch");
  swatch.style.background = runColor(run.index);
  badge.append(swatch, el("span", "nbtrack-run-label", run.name));
  return badge;
}

/** The config as a collapsed key/value table. @param {Record<string, unknown>} config */
function configPanel(config) {
  const details = el("details", "nbtrack-config");
  const entries = Object.entries(config);
  const summary = el("summary", "", `config (${entries.length})`);
  const table = el("table");
  for (const [key, value] of entries) {
    const row = table.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = asText(value);
  }
  details.append(summary, table);
  return details;
}

/** Runs named in the header; beyond this the run table lists them (a thousand badges would bury the charts). */
export const HEADER_RUNS = 20;

/**
 * The header; `update` copies the model's traits and the store's runs into it.
 * @param {import("./index.js").Model} model @param {import("./store.js").Store} store
 */
export function createHeader(model, store) {
  const header = el("div", "nbtrack-header");
  const update = () => {
    const parts = [];
    if (store.runs.size > 1) {
      const runs = [...store.runs.values()];
      parts.push(...runs.slice(0, HEADER_RUNS).map(runBadge));
      const more = runs.length - HEADER_RUNS;
      if (more > 0) parts.push(el("span", "nbtrack-more-runs", `and ${more} more runs (the run table lists them)`));
    }
    else parts.push(el("span", "nbtrack-run-name", asText(model.get("run_name"))));
    parts.push(el("span", "nbtrack-status", asText(model.get("status"))));
    const config = model.get("config");
    if (config && typeof config === "object" && Object.keys(config).length) parts.push(configPanel(config));
    const signature = JSON.stringify([store.runs.size, model.get("run_name"), model.get("status")]);
    if (header.dataset.signature === signature) return;
    header.dataset.signature = signature;
    header.replaceChildren(...parts);
  };
  update();
  return { header, update };
}

/**
 * The last values per series, in a box that is open for one run and folded once there are several (the run
 * table then shows their summaries); `update` brings the table up to date.
 * @param {import("./store.js").Store} store
 */
export function createSummary(store) {
  const table = el("table", "nbtrack-summary");
  const element = el("details", "nbtrack-summary-box");
  element.open = true;
  element.append(el("summary", "", "last values"), table);
  let foldedForRuns = false;
  const update = () => {
    fillSummary(store, table);
    if (store.runs.size > 1 && !foldedForRuns) element.open = !(foldedForRuns = true);
  };
  return { element, update };
}

/** A line saying what went wrong. @param {unknown} error */
export function errorLine(error) {
  return el("div", "nbtrack-error", `nbtrack: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Bring the summary table up to date: one row per series (metric, points, last step, last value, and the
 * run when there are several). Rows are made once and their cells rewritten only when their text changes,
 * so a live redraw touches little of the page.
 * @param {import("./store.js").Store} store @param {HTMLTableElement} table
 */
export function fillSummary(store, table) {
  const several = store.runs.size > 1;
  if (!table.tHead) {
    table.createTHead();
    table.createTBody();
  }
  const titles = ["metric", "points", "last step", "last value", ...(several ? ["run"] : [])];
  if (table.tHead && table.tHead.textContent !== titles.join("")) {
    const head = el("tr");
    for (const title of titles) head.appendChild(el("th", "", title));
    table.tHead.replaceChildren(head);
  }
  const body = table.tBodies[0];
  const series = [...store.series.values()];
  // the same series as last time (a redraw after new points): its order and rows again, no sort, no DOM reads
  const last = summaryShows.get(table);
  if (last && last.several === several && last.rows.length === body.rows.length && sameItems(last.series, series)) {
    last.ordered.forEach((s, i) => updateRow(last.rows[i], s, several ? store.runInfo(s.run).name : null));
    return;
  }
  const ordered = series.slice();
  if (several) ordered.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : store.runInfo(a.run).index - store.runInfo(b.run).index));
  const rows = /** @type {HTMLTableRowElement[]} */ ([...body.rows]);
  const same = rows.length === ordered.length && (rows[0]?.cells.length ?? titles.length) === titles.length
    && ordered.every((s, i) => rows[i].dataset.id === `${s.run}\u0000${s.key}`);
  const wanted = same ? rows : ordered.map((s) => summaryRow(s, titles.length));
  ordered.forEach((s, i) => updateRow(wanted[i], s, several ? store.runInfo(s.run).name : null));
  if (!same) body.replaceChildren(...wanted);
  summaryShows.set(table, { series, ordered, rows: wanted, several });
}

/** What each summary table last showed: the store's series (in the store's order), their order in the table
 * and its rows. @type {WeakMap<HTMLTableElement, { series: import("./store.js").Series[],
 * ordered: import("./store.js").Series[], rows: HTMLTableRowElement[], several: boolean }>} */
const summaryShows = new WeakMap();

/** @template T @param {T[]} a @param {T[]} b */
function sameItems(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** @param {import("./store.js").Series} series @param {number} cells */
function summaryRow(series, cells) {
  const tr = el("tr", "nbtrack-series");
  tr.dataset.id = `${series.run}\u0000${series.key}`;
  tr.dataset.key = series.key;
  tr.dataset.run = series.run;
  for (let i = 0; i < cells; i++) tr.insertCell();
  return tr;
}

/** What each summary row last showed: its series' length and total, and the run's name. */
const rowShows = new WeakMap();

/** @param {HTMLTableRowElement} tr @param {import("./store.js").Series} series @param {string | null} run */
function updateRow(tr, series, run) {
  const n = series.length;
  const points = String(series.total || n);
  const shows = `${n}|${points}|${run}`;
  if (rowShows.get(tr) === shows) return; // a live redraw of 2,000 series rewrites only the rows that grew
  rowShows.set(tr, shows);
  const { steps, values } = series.view();
  const texts = [series.key, points, n ? String(steps[n - 1]) : "", n ? formatNumber(values[n - 1]) : ""];
  if (run !== null) texts.push(run);
  texts.forEach((text, i) => {
    const cell = tr.cells[i];
    if (cell && cell.textContent !== text) cell.textContent = text; // logged names are data: text only
  });
  setIfChanged(tr.dataset, "points", points); // points the series has; `held` in the browser
  setIfChanged(tr.dataset, "held", String(n));
}
