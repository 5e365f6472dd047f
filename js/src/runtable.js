// The run table: one row per run with a show/hide switch, its colour, status, start time and duration, then
// every config key and every summary value. A filter box (plain words, or a /regular expression/), sortable
// columns, and the selection brushed in the parallel coordinates (parcoords.js) decide which rows are shown.
// Everything logged is set as text (textContent), never parsed as HTML.

import { runColor } from "./colors.js";
import { el, setIfChanged } from "./dom.js";
import { asText, formatDuration, formatNumber, formatTime } from "./format.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */
/** @typedef {{ column: string, descending: boolean }} Sort */
/**
 * What the table shares with the rest of the dashboard, changed in place: runs hidden from every chart,
 * the filter text, the sort, and the runs selected by brushing in the parallel coordinates (null: all).
 * @typedef {{ hidden: Set<string>, filter: string, sort: Sort | null, selected: Set<string> | null }} TableState
 */
/** @typedef {{ key: string, label: string, group: "run" | "config" | "summary" }} Column */
/** @typedef {{ match: (fields: string[]) => boolean, error: string | null }} Filter */
/**
 * @typedef {{ tr: HTMLTableRowElement, checkbox: HTMLInputElement, swatch: HTMLElement, name: HTMLElement,
 *   cells: HTMLTableCellElement[] }} Row
 */

const RUN_COLUMNS = /** @type {const} */ ([["name", "run"], ["status", "status"], ["created", "created"],
  ["duration", "duration"]]);
const LONG_TEXT = 24; // cells longer than this also carry their text as a tooltip (they may be cut off)

const STYLE = `
.nbtrack-runtable { font: 12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--jp-ui-font-color1, #222); margin: 6px 0; }
.nbtrack-runtable-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; margin: 0 0 4px; }
.nbtrack-runtable .nbtrack-run-filter { width: 260px; font: inherit; padding: 2px 6px; border: 1px solid var(--jp-border-color1, #c8c8c8);
  border-radius: 3px; color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff); }
.nbtrack-runtable .nbtrack-run-filter[data-error="true"] { border-color: var(--jp-error-color1, #b00020); outline-color: var(--jp-error-color1, #b00020); }
.nbtrack-run-filter-error { color: var(--jp-error-color1, #b00020); font-size: 11px; }
.nbtrack-run-count { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.nbtrack-runtable-scroll { max-height: 360px; overflow: auto; border: 1px solid var(--jp-border-color2, #e3e3e3); border-radius: 4px; }
.nbtrack-runtable table.nbtrack-runs { border-collapse: separate; border-spacing: 0; font-size: 11px;
  min-width: 100%; margin: 0; }
.nbtrack-runtable .nbtrack-runs thead { position: sticky; top: 0; z-index: 1; }
.nbtrack-runtable .nbtrack-runs th, .nbtrack-runtable .nbtrack-runs td { padding: 2px 8px !important;
  border: 0 !important; border-bottom: 1px solid var(--jp-border-color2, #eee) !important; text-align: left !important;
  white-space: nowrap; max-width: 220px; overflow: hidden; text-overflow: ellipsis; background: transparent !important;
  color: inherit; vertical-align: middle; }
.nbtrack-runtable .nbtrack-runs thead th { background: var(--jp-layout-color2, #f7f7f7) !important; font-weight: 600;
  border-bottom: 1px solid var(--jp-border-color1, #ddd) !important; }
.nbtrack-runtable .nbtrack-runs thead .nbtrack-col-groups th { font-weight: 400; color: var(--jp-ui-font-color2, #777);
  border-bottom: 0 !important; padding-bottom: 0 !important; }
.nbtrack-runtable .nbtrack-runs th.nbtrack-col-config, .nbtrack-runtable .nbtrack-runs th.nbtrack-col-summary,
.nbtrack-runtable .nbtrack-runs td.nbtrack-first-of-group { border-left: 1px solid var(--jp-border-color2, #e6e6e6) !important; }
.nbtrack-runtable .nbtrack-runs th[data-column] { cursor: pointer; user-select: none; }
.nbtrack-runtable .nbtrack-runs th[data-column]:hover { background: var(--jp-layout-color3, #eef3f9) !important; }
.nbtrack-runtable .nbtrack-sort-mark { color: var(--jp-brand-color1, #1f77b4); margin-left: 3px; font-size: 9px; }
.nbtrack-runtable .nbtrack-runs td.nbtrack-num { text-align: right !important; font-variant-numeric: tabular-nums; }
.nbtrack-runtable .nbtrack-runs tbody tr:hover td { background: var(--jp-layout-color2, #f4f8fc) !important; }
.nbtrack-runtable .nbtrack-runs tr[data-hidden="true"] td { color: var(--jp-ui-font-color3, #9a9a9a); }
.nbtrack-runtable .nbtrack-runs tr[data-hidden="true"] .nbtrack-swatch { opacity: 0.25; }
.nbtrack-runtable .nbtrack-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
.nbtrack-runtable td[data-status="running"] { color: var(--jp-success-color1, #2a7d2a); }
.nbtrack-runtable td[data-status="crashed"], .nbtrack-runtable td[data-status="failed"] { color: var(--jp-error-color1, #b00020); }
`;

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

/**
 * The table's data columns (the show/hide switch comes before them): run name, status, created, duration,
 * then every config key and every summary key found in any run, each in the order first seen.
 * @param {readonly RunInfo[]} runs @returns {Column[]}
 */
export function columnsOf(runs) {
  /** @type {Column[]} */
  const columns = RUN_COLUMNS.map(([key, label]) => ({ key, label, group: "run" }));
  for (const group of /** @type {const} */ (["config", "summary"])) {
    /** @type {Set<string>} */
    const keys = new Set();
    for (const run of runs) for (const key of Object.keys(run[group] ?? {})) keys.add(key);
    for (const key of keys) columns.push({ key: `${group}.${key}`, label: key, group });
  }
  return columns;
}

/**
 * A run's value in a column (undefined when it has none).
 * @param {RunInfo} run @param {string} column a Column's key
 * @returns {unknown}
 */
export function valueOf(run, column) {
  if (column.startsWith("config.")) return run.config?.[column.slice(7)];
  if (column.startsWith("summary.")) return run.summary?.[column.slice(8)];
  if (column === "name") return run.name;
  if (column === "status") return run.status;
  if (column === "created") return run.created;
  if (column === "duration") {
    const { created, updated } = run;
    return typeof created === "number" && typeof updated === "number" ? updated - created : undefined;
  }
  return undefined;
}

/** A cell's text. @param {unknown} value @param {string} column */
export function cellText(value, column) {
  if (column === "created") return formatTime(value);
  if (column === "duration") return formatDuration(value);
  return typeof value === "number" ? formatNumber(value) : asText(value);
}

/** The texts a filter looks at: name, id, status, and each config and summary entry as "key=value" and as
 * its value alone. @param {RunInfo} run */
export function searchFields(run) {
  const fields = [run.name, run.id, run.status ?? ""];
  for (const group of [run.config ?? {}, run.summary ?? {}]) {
    for (const [key, value] of Object.entries(group)) {
      const text = cellText(value, "");
      fields.push(`${key}=${text}`, text);
    }
  }
  return fields;
}

/**
 * Parse a filter: `/source/flags` or `re:source` is a regular expression (always case-insensitive; an
 * invalid one is reported in `error` and matches every run); anything else is words that must all occur,
 * case-insensitively, in some field (so "adam 512" finds the adam runs of width 512).
 * @param {string} filter @returns {Filter}
 */
export function parseFilter(filter) {
  const text = filter.trim();
  if (!text) return { match: () => true, error: null };
  const slashed = /^\/(.*)\/([dgimsuvy]*)$/s.exec(text);
  const source = slashed ? slashed[1] : text.startsWith("re:") ? text.slice(3) : null;
  if (source !== null) {
    const flags = `${(slashed?.[2] ?? "").replace(/[giy]/g, "")}i`; // g and y would make test() stateful
    try {
      const regex = new RegExp(source, flags);
      return { match: (fields) => fields.some((f) => regex.test(f)), error: null };
    } catch (error) {
      const reason = /** @type {Error} */ (error).message.replace(/^Invalid regular expression: /, "");
      return { match: () => true, error: `invalid regular expression (ignored): ${reason}` };
    }
  }
  const words = text.toLowerCase().split(/\s+/);
  return {
    match: (fields) => {
      const lower = fields.map((f) => f.toLowerCase());
      return words.every((word) => lower.some((f) => f.includes(word)));
    },
    error: null,
  };
}

/** Whether a run matches a filter (see parseFilter; an invalid regular expression matches every run).
 * @param {RunInfo} run @param {string} filter */
export function matchesFilter(run, filter) {
  return parseFilter(filter).match(searchFields(run));
}

/** @param {unknown} value @returns {number | string | null} what a value sorts as (null: missing) */
function sortKey(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return Number.isNaN(value) ? null : value;
  const text = asText(value);
  return text === "" ? null : text;
}

/** Numbers by value, before texts, which compare naturally ("run2" < "run10"). @param {number | string} x
 * @param {number | string} y */
function compareKeys(x, y) {
  if (typeof x === "number" && typeof y === "number") return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === "string" && typeof y === "string") return x.localeCompare(y, undefined, { numeric: true });
  return typeof x === "number" ? -1 : 1;
}

/**
 * Runs in table order: by a column (numbers numerically; missing values last in either direction; ties
 * by colour index), or by colour index when `sort` is null. Returns a new array.
 * @param {readonly RunInfo[]} runs @param {Sort | null} sort @returns {RunInfo[]}
 */
export function sortRuns(runs, sort) {
  const byIndex = (/** @type {RunInfo} */ a, /** @type {RunInfo} */ b) => a.index - b.index;
  if (!sort) return [...runs].sort(byIndex);
  const sign = sort.descending ? -1 : 1;
  const keys = new Map(runs.map((run) => [run, sortKey(valueOf(run, sort.column))]));
  return [...runs].sort((a, b) => {
    const [x, y] = [keys.get(a) ?? null, keys.get(b) ?? null];
    if (x === null || y === null) return x === y ? byIndex(a, b) : x === null ? 1 : -1;
    return sign * compareKeys(x, y) || byIndex(a, b);
  });
}

// ---------------------------------------------------------------------------------------------------------
// The table

/** @param {string} className @param {string} title */
function checkbox(className, title) {
  const box = el("input", className);
  box.type = "checkbox";
  box.title = title;
  return box;
}

/** The table's fixed parts: the filter bar and an empty table in a scroll box. @param {string} filterText */
function tableFrame(filterText) {
  const element = el("div", "nbtrack-runtable");
  const filter = el("input", "nbtrack-run-filter");
  Object.assign(filter, { type: "search", value: filterText, placeholder: "filter runs: words or /regex/" });
  filter.title = "words that must all occur in the name, status, config or summary (\"adam lr=0.001\"), "
    + "or a regular expression written /like this/ or re:like this";
  const hint = el("span", "nbtrack-run-filter-error");
  const count = el("span", "nbtrack-run-count");
  const bar = el("div", "nbtrack-runtable-bar");
  bar.append(filter, hint, count);
  const table = el("table", "nbtrack-runs");
  const head = el("thead");
  const body = el("tbody");
  table.append(head, body);
  const allBox = checkbox("nbtrack-run-visible-all", "show or hide every run the filter shows");
  const scroll = el("div", "nbtrack-runtable-scroll");
  scroll.append(table);
  element.append(el("style", "", STYLE), bar, scroll);
  return { element, filter, hint, count, table, head, body, allBox };
}

/**
 * Show the rows that pass the filter and the selection, and set their switches; returns the runs shown.
 * @param {readonly RunInfo[]} runs @param {Map<string, Row>} rows @param {TableState} state @param {Filter} filter
 */
function showRows(runs, rows, state, filter) {
  return runs.filter((run) => {
    const row = /** @type {Row} */ (rows.get(run.id));
    const shown = filter.match(searchFields(run)) && (!state.selected || state.selected.has(run.id));
    setIfChanged(row.tr.style, "display", shown ? "" : "none");
    setIfChanged(row.tr.dataset, "hidden", String(state.hidden.has(run.id)));
    setIfChanged(row.checkbox, "checked", !state.hidden.has(run.id));
    return shown;
  });
}

/**
 * The header switch (on: every shown run visible; mixed: some) and the sort marks.
 * @param {HTMLInputElement} allBox @param {{ mark: HTMLElement, key: string }[]} marks
 * @param {RunInfo[]} shown @param {TableState} state
 */
function markHeader(allBox, marks, shown, state) {
  const hiddenCount = shown.filter((run) => state.hidden.has(run.id)).length;
  allBox.checked = shown.length > 0 && hiddenCount === 0;
  allBox.indeterminate = hiddenCount > 0 && hiddenCount < shown.length;
  allBox.disabled = shown.length === 0;
  for (const { mark, key } of marks) {
    mark.textContent = state.sort?.column === key ? (state.sort.descending ? " ▼" : " ▲") : "";
  }
}

/**
 * The run table inside `container`. `update(runs)` redraws it from new run infos (rows are kept and only
 * their changed cells rewritten, so a live update does not disturb a click or the filter box). Filter and
 * sort are kept in `state`; toggling a run's switch (or the header's, for every run the filter shows)
 * changes `state.hidden` and calls `onChange()`. Rows outside `state.selected` are not shown: the caller
 * calls `update` after the parallel coordinates change the selection. The table element carries
 * data-shown (rows shown); each row data-run and data-hidden.
 * @param {HTMLElement} container @param {readonly RunInfo[]} runs @param {TableState} state
 * @param {() => void} onChange
 * @returns {{ update: (runs: readonly RunInfo[]) => void, element: HTMLElement, dispose: () => void }}
 */
export function createRunTable(container, runs, state, onChange) {
  const view = tableFrame(state.filter);
  container.appendChild(view.element);
  const model = { runs, columns: /** @type {Column[]} */ ([]), rows: /** @type {Map<string, Row>} */ (new Map()),
    order: "", marks: /** @type {{ mark: HTMLElement, key: string }[]} */ ([]), shown: /** @type {RunInfo[]} */ ([]) };

  function render() {
    const columns = columnsOf(model.runs);
    if (columns.map((c) => c.key).join("\u0000") !== model.columns.map((c) => c.key).join("\u0000")) {
      model.columns = columns;
      model.marks = fillHead(view.head, columns, view.allBox, sortBy);
      model.rows = new Map();
      model.order = "";
    }
    model.rows = new Map(model.runs.map((run) => {
      const row = model.rows.get(run.id) ?? makeRow(run.id, columns.length, setVisible);
      updateRow(row, run, columns);
      return [run.id, row];
    }));
    reorder();
  }

  /** Put the rows in sort order (only when it changed), then refresh what they show. */
  function reorder() {
    const sorted = sortRuns(model.runs, state.sort).map((run) => /** @type {Row} */ (model.rows.get(run.id)).tr);
    const order = sorted.map((tr) => tr.dataset.run).join("\u0000");
    if (order !== model.order) view.body.replaceChildren(...sorted);
    model.order = order;
    refresh();
  }

  /** Which rows show, their switches, the count and the header (after a filter, sort or switch change). */
  function refresh() {
    const filter = parseFilter(state.filter);
    view.hint.textContent = filter.error ?? "";
    view.filter.dataset.error = String(filter.error !== null);
    model.shown = showRows(model.runs, model.rows, state, filter);
    view.table.dataset.shown = String(model.shown.length);
    const brushed = state.selected ? ` (${state.selected.size} selected in the plot)` : "";
    view.count.textContent = `${model.shown.length} of ${model.runs.length} runs${brushed}`;
    markHeader(view.allBox, model.marks, model.shown, state);
  }

  /** @param {readonly string[]} ids @param {boolean} visible */
  function setVisible(ids, visible) {
    for (const id of ids) (visible ? state.hidden.delete(id) : state.hidden.add(id));
    refresh();
    onChange();
  }

  /** @param {string} key */
  function sortBy(key) {
    const again = state.sort?.column === key;
    state.sort = { column: key, descending: again ? !state.sort?.descending : false };
    reorder();
  }

  view.allBox.addEventListener("change", () => {
    const ids = model.shown.map((run) => run.id);
    setVisible(ids, ids.some((id) => state.hidden.has(id)));
  });
  view.filter.addEventListener("input", () => {
    state.filter = view.filter.value;
    refresh();
  });
  render();
  return {
    element: view.element,
    update(next) {
      model.runs = next;
      render();
    },
    dispose() {
      view.element.remove();
    },
  };
}

/**
 * The header: a row naming the config and summary groups (when there are any), then one cell per column
 * (click to sort) after the show/hide-all switch. Returns each column's sort mark.
 * @param {HTMLTableSectionElement} head @param {Column[]} columns @param {HTMLInputElement} allBox
 * @param {(key: string) => void} sortBy
 */
function fillHead(head, columns, allBox, sortBy) {
  const rows = [];
  if (columns.some((c) => c.group !== "run")) {
    const groups = el("tr", "nbtrack-col-groups");
    groups.append(Object.assign(el("th"), { colSpan: 1 + RUN_COLUMNS.length }));
    for (const group of /** @type {const} */ (["config", "summary"])) {
      const span = columns.filter((c) => c.group === group).length;
      if (span) groups.append(Object.assign(el("th", `nbtrack-col-${group}`, group), { colSpan: span }));
    }
    rows.push(groups);
  }
  const names = el("tr", "nbtrack-col-names");
  const first = el("th", "nbtrack-col-visible");
  first.append(allBox);
  names.append(first);
  const marks = columns.map((column, i) => {
    const th = el("th", i > 0 && column.group !== columns[i - 1].group && column.group !== "run" ? `nbtrack-col-${column.group}` : "");
    th.dataset.column = column.key;
    th.title = `${column.group === "run" ? "" : `${column.group}: `}${column.label} (click to sort)`;
    const mark = el("span", "nbtrack-sort-mark");
    th.append(el("span", "nbtrack-col-label", column.label), mark);
    th.addEventListener("click", () => sortBy(column.key));
    names.append(th);
    return { mark, key: column.key };
  });
  rows.push(names);
  head.replaceChildren(...rows);
  return marks;
}

/**
 * A row with its switch and empty cells. @param {string} id @param {number} cells
 * @param {(ids: string[], visible: boolean) => void} setVisible
 * @returns {Row}
 */
function makeRow(id, cells, setVisible) {
  const tr = el("tr", "nbtrack-run-row");
  tr.dataset.run = id;
  const box = checkbox("nbtrack-run-visible", "show or hide this run in every chart");
  box.addEventListener("change", () => setVisible([id], box.checked));
  const boxCell = el("td", "nbtrack-col-visible");
  boxCell.append(box);
  tr.append(boxCell);
  const swatch = el("span", "nbtrack-swatch");
  const name = el("span", "nbtrack-run-label");
  const list = [];
  for (let i = 0; i < cells; i++) list.push(/** @type {HTMLTableCellElement} */ (tr.appendChild(el("td"))));
  list[0].append(swatch, name);
  return { tr, checkbox: box, swatch, name, cells: list };
}

/**
 * Rewrite the cells of a row whose text changed (logged names and values are text only).
 * @param {Row} row @param {RunInfo} run @param {Column[]} columns
 */
function updateRow(row, run, columns) {
  const color = runColor(run.index);
  if (row.swatch.style.background !== color) row.swatch.style.background = color;
  if (row.name.textContent !== run.name) row.name.textContent = run.name;
  setIfChanged(row.cells[0], "title", run.name === run.id ? run.name : `${run.name} (${run.id})`);
  columns.forEach((column, i) => {
    if (i === 0) return;
    const cell = row.cells[i];
    const value = valueOf(run, column.key);
    const text = cellText(value, column.key);
    if (cell.textContent !== text) cell.textContent = text;
    const numeric = typeof value === "number" || column.key === "duration";
    const boundary = column.group !== "run" && column.group !== columns[i - 1].group;
    const className = [numeric ? "nbtrack-num" : "", boundary ? "nbtrack-first-of-group" : ""].join(" ").trim();
    if (cell.className !== className) cell.className = className;
    if (column.key === "status") setIfChanged(cell.dataset, "status", text);
    setIfChanged(cell, "title", text.length > LONG_TEXT ? text : "");
  });
}
