import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatTime } from "./format.js";
import { cellText, columnsOf, createRunTable, matchesFilter, parseFilter, sortRuns } from "./runtable.js";
import { findAll, fire, withDocument } from "./testdom.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */

/** @param {number} i @param {Partial<RunInfo>} [more] @returns {RunInfo} */
function run(i, more = {}) {
  return {
    id: `r${i}`, name: `run-${i}`, index: i, status: "finished", created: 1_700_000_000 + i * 60,
    updated: 1_700_000_000 + i * 60 + 45, config: { lr: 10 ** -(i + 1), optimizer: i % 2 ? "sgd" : "adam" },
    summary: { "val/loss": 1 / (i + 1) }, ...more,
  };
}

test("columns: run columns, then every config key and every summary key in the order first seen", () => {
  const runs = [run(0, { config: { lr: 0.1 }, summary: { loss: 1 } }), run(1, { config: { width: 64, lr: 0.2 }, summary: { acc: 0.5 } })];
  assert.deepEqual(columnsOf(runs).map((c) => c.key),
    ["name", "status", "created", "duration", "config.lr", "config.width", "summary.loss", "summary.acc"]);
  assert.deepEqual(columnsOf(runs).slice(4).map((c) => [c.label, c.group]),
    [["lr", "config"], ["width", "config"], ["loss", "summary"], ["acc", "summary"]]);
  assert.deepEqual(columnsOf([{ id: "a", name: "a", index: 0 }]).map((c) => c.key), ["name", "status", "created", "duration"]);
});

test("cells show numbers, values and durations as text", () => {
  assert.equal(cellText(0.07526755080463468, "summary.loss"), "0.0752676");
  assert.equal(cellText({ a: [1, 2] }, "config.x"), '{"a":[1,2]}');
  assert.equal(cellText(null, "config.x"), "");
  assert.equal(cellText(3725, "duration"), "1 h 02 min");
});

test("filter: words must all occur (any case) in the name, status, or a config / summary entry", () => {
  const r = run(2, { name: "Big-Adam", config: { lr: 0.001, optimizer: "adam", width: 512 } });
  assert.ok(matchesFilter(r, ""));
  assert.ok(matchesFilter(r, "  "));
  assert.ok(matchesFilter(r, "big"));
  assert.ok(matchesFilter(r, "ADAM 512"));
  assert.ok(matchesFilter(r, "lr=0.001"));
  assert.ok(matchesFilter(r, "finished"));
  assert.ok(matchesFilter(r, "val/loss=0.333"));
  assert.ok(!matchesFilter(r, "adam 256"));
  assert.ok(!matchesFilter(r, "sgd"));
});

test("filter: /regex/ and re: are case-insensitive regular expressions; an invalid one is ignored with an error", () => {
  const r = run(1, { name: "sgd-w64" });
  assert.ok(matchesFilter(r, "/^SGD-w(64|128)$/"));
  assert.ok(matchesFilter(r, "re:^sgd-w\\d+$"));
  assert.ok(matchesFilter(r, "/^sgd$/"), "a value alone is a field: optimizer=sgd");
  assert.ok(!matchesFilter(r, "/^adam/"));
  assert.ok(matchesFilter(r, "/sgd/g") && matchesFilter(r, "/sgd/g"), "g is dropped: test() stays stateless");
  const bad = parseFilter("/(unclosed/");
  assert.match(String(bad.error), /^invalid regular expression \(ignored\): .*unterminated group/i);
  assert.ok(matchesFilter(r, "/(unclosed/") && matchesFilter(run(3), "re:[a-"));
  assert.equal(parseFilter("/tmp/file").error, null, "a path is not a regex (its 'flags' are not flags)");
  assert.ok(!matchesFilter(r, "/tmp/file"));
  assert.equal(parseFilter("adam").error, null);
});

test("sort: numbers numerically, text naturally, missing values last either way, ties by colour index", () => {
  const runs = [
    run(0, { name: "run10", config: { width: 10 } }), run(1, { name: "run2", config: { width: 2 } }),
    run(2, { name: "run1", config: {} }), run(3, { name: "Run3", config: { width: 2 } }),
    run(4, { name: "x", config: { width: NaN } }), run(5, { name: "y", config: { width: null } }),
  ];
  const ids = (/** @type {RunInfo[]} */ rs) => rs.map((r) => r.id);
  assert.deepEqual(ids(sortRuns(runs, { column: "config.width", descending: false })), ["r1", "r3", "r0", "r2", "r4", "r5"]);
  assert.deepEqual(ids(sortRuns(runs, { column: "config.width", descending: true })), ["r0", "r1", "r3", "r2", "r4", "r5"]);
  assert.deepEqual(ids(sortRuns(runs, { column: "name", descending: false })), ["r2", "r1", "r3", "r0", "r4", "r5"]);
  assert.deepEqual(ids(sortRuns([...runs].reverse(), null)), ["r0", "r1", "r2", "r3", "r4", "r5"]);
  const mixed = [run(0, { summary: { loss: "nan" } }), run(1, { summary: { loss: 0.5 } }), run(2, { summary: {} })];
  assert.deepEqual(ids(sortRuns(mixed, { column: "summary.loss", descending: false })), ["r1", "r0", "r2"], "numbers before text");
  const durations = [run(0, { updated: 1_700_000_000 + 500 }), run(1), run(2, { updated: null })];
  assert.deepEqual(ids(sortRuns(durations, { column: "duration", descending: true })), ["r0", "r1", "r2"]);
  assert.notEqual(sortRuns(runs, null), runs, "a new array");
});

// ---- the table, in happy-dom

/** @param {readonly RunInfo[]} runs @param {Partial<import("./runtable.js").TableState>} [initial] */
function mount(runs, initial = {}) {
  const container = document.createElement("div");
  /** @type {import("./runtable.js").TableState} */
  const state = { hidden: new Set(), filter: "", sort: null, selected: null, ...initial };
  const calls = { changes: 0 };
  const table = createRunTable(container, runs, state, () => { calls.changes += 1; });
  const root = table.element;
  const rows = () => findAll(root, "[data-run]");
  const shown = () => rows().filter((r) => r.style.display !== "none").map((r) => r.dataset.run);
  const tableEl = findAll(root, "table")[0];
  return { container, state, calls, table, root, rows, shown, tableEl };
}

/** @param {HTMLElement} root @param {string} column */
const header = (root, column) => findAll(root, "[data-column]").filter((e) => e.dataset.column === column)[0];

test("table: a row per run with its cells as text; a name holding HTML stays text", () => withDocument(() => {
  const evil = "<img src=x onerror=alert(1)>";
  const runs = [run(0, { name: evil }), run(1), run(2, { status: "running" })];
  const { root, rows, tableEl, container } = mount(runs);
  assert.equal(container.children.length, 1);
  assert.deepEqual(rows().map((r) => r.dataset.run), ["r0", "r1", "r2"]);
  assert.equal(tableEl.dataset.shown, "3");
  const first = rows()[0];
  const label = findAll(first, ".nbtrack-run-label")[0];
  assert.equal(label.textContent, evil);
  assert.equal(label.children.length, 0, "set as text: no element was parsed from the name");
  assert.equal(findAll(root, "img").length, 0);
  const cells = findAll(first, "td").map((td) => td.textContent);
  assert.deepEqual(cells.slice(2, 8), ["finished", formatTime(1_700_000_000), "45 s", "0.1", "adam", "1"]);
  assert.equal(findAll(first, ".nbtrack-swatch")[0].style.background, "#1f77b4");
  assert.equal(findAll(rows()[2], "td")[2].dataset.status, "running");
  assert.equal(first.dataset.hidden, "false");
  assert.equal(findAll(root, ".nbtrack-run-count")[0].textContent, "3 of 3 runs");
  const groups = findAll(findAll(root, ".nbtrack-col-groups")[0], "th").map((th) => th.textContent);
  assert.deepEqual(groups, ["", "config", "summary"]);
}));

test("table: the filter hides rows and counts them; an invalid regex shows a hint and filters nothing", () => withDocument(() => {
  const runs = [run(0), run(1), run(2), run(3)];
  const { root, shown, tableEl, state } = mount(runs);
  const input = findAll(root, ".nbtrack-run-filter")[0];
  input.value = "SGD";
  fire(input, "input");
  assert.equal(state.filter, "SGD");
  assert.deepEqual(shown(), ["r1", "r3"]);
  assert.equal(tableEl.dataset.shown, "2");
  assert.equal(findAll(root, ".nbtrack-run-count")[0].textContent, "2 of 4 runs");
  input.value = "/[/";
  fire(input, "input");
  assert.deepEqual(shown(), ["r0", "r1", "r2", "r3"]);
  assert.match(findAll(root, ".nbtrack-run-filter-error")[0].textContent, /^invalid regular expression/);
  assert.equal(input.dataset.error, "true");
  input.value = "re:^run-[02]$";
  fire(input, "input");
  assert.deepEqual(shown(), ["r0", "r2"]);
  assert.equal(findAll(root, ".nbtrack-run-filter-error")[0].textContent, "");
}));

test("table: a header click sorts, a second click reverses, with a mark in the header", () => withDocument(() => {
  const runs = [run(0), run(1), run(2)];
  const { root, shown, state } = mount(runs);
  const loss = header(root, "summary.val/loss");
  fire(loss, "click");
  assert.deepEqual(state.sort, { column: "summary.val/loss", descending: false });
  assert.deepEqual(shown(), ["r2", "r1", "r0"]);
  assert.equal(findAll(loss, ".nbtrack-sort-mark")[0].textContent, " ▲");
  fire(loss, "click");
  assert.deepEqual(shown(), ["r0", "r1", "r2"]);
  assert.equal(findAll(loss, ".nbtrack-sort-mark")[0].textContent, " ▼");
  fire(header(root, "config.optimizer"), "click");
  assert.deepEqual(shown(), ["r0", "r2", "r1"]);
  assert.equal(findAll(loss, ".nbtrack-sort-mark")[0].textContent, "");
}));

test("table: switches change state.hidden and call onChange; the header switch covers the filtered runs", () => withDocument(() => {
  const runs = [run(0), run(1), run(2), run(3)];
  const { root, rows, state, calls } = mount(runs, { hidden: new Set(["r3"]) });
  const box = (/** @type {number} */ i) => /** @type {HTMLInputElement} */ (findAll(rows()[i], ".nbtrack-run-visible")[0]);
  assert.equal(box(3).checked, false);
  assert.equal(rows()[3].dataset.hidden, "true");
  const all = findAll(root, ".nbtrack-run-visible-all")[0];
  assert.equal(all.indeterminate, true);
  box(1).checked = false;
  fire(box(1), "change");
  assert.deepEqual([...state.hidden].sort(), ["r1", "r3"]);
  assert.equal(rows()[1].dataset.hidden, "true");
  assert.equal(calls.changes, 1);
  const input = findAll(root, ".nbtrack-run-filter")[0];
  input.value = "adam"; // r0, r2: both shown, so the header switch hides both
  fire(input, "input");
  assert.equal(all.checked, true);
  fire(all, "change");
  assert.deepEqual([...state.hidden].sort(), ["r0", "r1", "r2", "r3"]);
  assert.equal(calls.changes, 2);
  input.value = "sgd"; // r1, r3: both hidden, so it shows both
  fire(input, "input");
  assert.equal(all.checked, false);
  fire(all, "change");
  assert.deepEqual([...state.hidden].sort(), ["r0", "r2"]);
  box(3).checked = true;
  fire(box(3), "change");
  assert.deepEqual([...state.hidden].sort(), ["r0", "r2"], "showing a shown run changes nothing");
}));

test("table: rows outside the plot's selection are not shown; update keeps rows and rewrites changed cells", () => withDocument(() => {
  const runs = [run(0), run(1), run(2)];
  const { root, rows, shown, state, table, tableEl } = mount(runs);
  state.selected = new Set(["r0", "r2"]);
  table.update(runs);
  assert.deepEqual(shown(), ["r0", "r2"]);
  assert.equal(tableEl.dataset.shown, "2");
  assert.equal(findAll(root, ".nbtrack-run-count")[0].textContent, "2 of 3 runs (2 selected in the plot)");
  const before = rows()[1];
  const changed = runs.map((r) => (r.id === "r1" ? { ...r, status: "crashed", summary: { "val/loss": 0.25 } } : r));
  state.selected = null;
  table.update(changed);
  assert.equal(rows()[1], before, "the same row element");
  assert.equal(findAll(before, "td")[2].textContent, "crashed");
  assert.equal(findAll(before, "td")[7].textContent, "0.25");
  table.update([...changed, run(3, { summary: { "val/loss": 1, acc: 0.9 } })]);
  assert.ok(header(root, "summary.acc"), "a new key adds a column");
  assert.equal(rows().length, 4);
  table.update([run(0)]);
  assert.deepEqual(rows().map((r) => r.dataset.run), ["r0"]);
  table.dispose();
  assert.equal(root.parentElement, null);
}));

test("nothing logged is parsed as HTML", () => {
  const source = readFileSync(new URL("./runtable.js", import.meta.url), "utf8");
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|document\.write/);
});
