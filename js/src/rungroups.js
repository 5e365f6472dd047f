// Which group each run belongs to when the charts group runs (pure: no DOM). Runs are grouped by their
// `group` (RunInfo.group) or by the value of one flat config key ("optimizer.lr"); a run without one is
// in the group "(none)". Groups are ordered by name (numbers by value), which also fixes their colours.

import { asText } from "./format.js";

/** @typedef {import("./store.js").RunInfo & { group?: unknown }} GroupedRun */

export const NO_GROUPING = "none";
export const MISSING = "(none)";

/**
 * The "group runs by" choices the runs offer: "group" when any run has one, then every config key present
 * in some run, sorted.
 * @example
 * groupChoices([{ id: "a", name: "a", index: 0, config: { "opt.lr": 0.1 } }]) // ["opt.lr"]
 * @param {Iterable<GroupedRun>} runs @returns {string[]}
 */
export function groupChoices(runs) {
  const keys = new Set();
  let grouped = false;
  for (const run of runs) {
    if (run.group !== undefined && run.group !== null && run.group !== "") grouped = true;
    for (const key of Object.keys(run.config ?? {})) keys.add(key);
  }
  keys.delete("group");
  return [...(grouped ? ["group"] : []), ...[...keys].sort()];
}

/**
 * The group of a run under `by` ("group" or a config key), as text.
 * @param {GroupedRun} run @param {string} by @returns {string}
 */
export function groupLabel(run, by) {
  const value = by === "group" ? run.group : run.config?.[by];
  if (value === undefined || value === null || value === "") return MISSING;
  return asText(value);
}

/**
 * Order two group labels: numbers by value, then text; "(none)" last.
 * @param {string} a @param {string} b
 */
export function compareLabels(a, b) {
  if (a === b) return 0;
  if (a === MISSING || b === MISSING) return a === MISSING ? 1 : -1;
  const [x, y] = [Number(a), Number(b)];
  const [nx, ny] = [a.trim() !== "" && Number.isFinite(x), b.trim() !== "" && Number.isFinite(y)];
  if (nx && ny) return x - y;
  if (nx !== ny) return nx ? -1 : 1;
  return a < b ? -1 : 1;
}

/**
 * The groups of `runs` under `by`: label -> run ids (in run order), labels ordered by compareLabels; the
 * position of a label in this map is its colour index. Null when `by` is "none" or empty.
 * @example
 * groupRuns([{ id: "a", name: "a", index: 0, group: "x" }, { id: "b", name: "b", index: 1 }], "group")
 * // Map { "x" => ["a"], "(none)" => ["b"] }
 * @param {Iterable<GroupedRun>} runs @param {string | null | undefined} by
 * @returns {Map<string, string[]> | null}
 */
export function groupRuns(runs, by) {
  if (!by || by === NO_GROUPING) return null;
  /** @type {Map<string, string[]>} */
  const found = new Map();
  for (const run of runs) {
    const label = groupLabel(run, by);
    const ids = found.get(label);
    if (ids) ids.push(run.id);
    else found.set(label, [run.id]);
  }
  return new Map([...found.entries()].sort(([a], [b]) => compareLabels(a, b)));
}
