// The run-details panel: a run's alerts, saved files, artifacts (logged and used) and environment, from
// the `details` of its run info (nbtrack/dashboard/details.py). A selector picks the run when several have
// details. Everything stored is set as text (textContent through el()), never parsed as HTML.

import { el } from "./dom.js";
import { asText, formatTime } from "./format.js";

/**
 * A size in bytes as people read it: "512 B", "1.5 KB", "20.0 MB" ("" when unknown).
 * @example
 * formatBytes(1536) // "1.5 KB"
 * @param {unknown} bytes
 */
export function formatBytes(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** @param {unknown} value @returns {any[]} */
const list = (value) => (Array.isArray(value) ? value : []);

/** @param {unknown} value @returns {Record<string, any>} */
const record = (value) => (value && typeof value === "object" && !Array.isArray(value) ? /** @type {any} */ (value) : {});

/**
 * A small table: a header row and one row per entry, every cell as text.
 * @param {string} className @param {string[]} titles @param {string[][]} rows @param {string[]} [rowKinds]
 */
function table(className, titles, rows, rowKinds) {
  const t = el("table", `nbtrack-details-table ${className}`);
  if (titles.some(Boolean)) {
    const head = el("tr");
    for (const title of titles) head.appendChild(el("th", "", title));
    t.createTHead().appendChild(head);
  }
  const body = t.createTBody();
  rows.forEach((cells, i) => {
    const row = el("tr");
    if (rowKinds?.[i]) row.dataset.level = rowKinds[i];
    for (const cell of cells) row.appendChild(el("td", "", cell));
    body.appendChild(row);
  });
  return t;
}

/** A section's title with its count ("alerts (3 of 120)"). @param {string} name @param {number} shown @param {unknown} total */
function title(name, shown, total) {
  const all = typeof total === "number" && total > shown ? total : shown;
  return el("div", "nbtrack-details-title", all > shown ? `${name} (${shown} of ${all})` : `${name} (${shown})`);
}

/**
 * The sections of one run's details, as elements (pure DOM building, no state).
 * @param {unknown} details
 * @returns {HTMLElement[]}
 */
export function detailSections(details) {
  const d = record(details);
  const out = [];
  const alerts = list(d.alerts);
  if (alerts.length) {
    const newestFirst = alerts.slice().reverse();
    out.push(el("section", "nbtrack-details-alerts"));
    out[out.length - 1].append(title("alerts", alerts.length, d.alerts_total), table("nbtrack-details-alert-rows",
      ["level", "title", "text", "step", "time"],
      newestFirst.map((a) => [asText(a?.level), asText(a?.title), asText(a?.text), asText(a?.step), formatTime(a?.time)]),
      newestFirst.map((a) => String(a?.level ?? "").toLowerCase())));
  }
  const files = list(d.files);
  if (files.length) {
    const section = el("section", "nbtrack-details-files");
    section.append(title("saved files", files.length, d.files_total), table("nbtrack-details-file-rows",
      ["file", "size"], files.map((f) => [asText(list(f)[0]), formatBytes(list(f)[1])])));
    out.push(section);
  }
  const artifacts = list(d.artifacts);
  if (artifacts.length) {
    const section = el("section", "nbtrack-details-artifacts");
    section.append(title("artifacts", artifacts.length, d.artifacts_total), table("nbtrack-details-artifact-rows",
      ["", "artifact", "type", "digest", "aliases"],
      artifacts.map((a) => [asText(a?.action), `${asText(a?.name)}:${asText(a?.version)}`, asText(a?.type),
        asText(a?.digest).slice(0, 12), list(a?.aliases).map(asText).join(", ")])));
    out.push(section);
  }
  const env = record(d.environment);
  if (Object.keys(env).length) {
    const section = el("section", "nbtrack-details-environment");
    const rows = [];
    for (const key of ["host", "os", "python", "executable", "nbtrack_version", "cwd", "notebook", "argv"]) {
      if (env[key] != null) rows.push([key === "nbtrack_version" ? "nbtrack" : key, asText(env[key])]);
    }
    const git = record(env.git);
    if (git.commit != null) {
      const dirty = git.dirty === true ? " (uncommitted changes)" : "";
      rows.push(["git", `${asText(git.commit).slice(0, 12)} on ${asText(git.branch)}${dirty}`]);
    }
    if (git.remote != null) rows.push(["git remote", asText(git.remote)]);
    for (const [name, version] of Object.entries(record(env.packages))) rows.push([name, asText(version)]);
    section.append(el("div", "nbtrack-details-title", "environment"), table("nbtrack-details-env-rows", ["", ""], rows));
    out.push(section);
  }
  return out;
}

/**
 * The run-details panel: hidden until a run has details; a selector when several do. `update` follows the
 * store's run info (a new alert of a live run arrives in a `runs` message).
 * @param {import("./store.js").Store} store
 */
export function createRunDetails(store) {
  const element = el("details", "nbtrack-rundetails");
  const heading = el("summary", "", "run details");
  const select = el("select", "nbtrack-details-run");
  const body = el("div", "nbtrack-details-body");
  element.append(heading, select, body);
  element.hidden = true;
  let version = -1;
  /** @type {string | null} */
  let chosen = null;
  let shownKey = "";
  const draw = () => {
    const runs = [...store.runs.values()].filter((r) => r.details && typeof r.details === "object");
    element.hidden = runs.length === 0;
    if (!runs.length) return;
    if (!runs.some((r) => r.id === chosen)) chosen = runs[runs.length - 1].id;
    select.hidden = runs.length < 2;
    const options = runs.map((r) => `${r.id}\u0000${r.name}`).join("\u0001");
    if (select.dataset.options !== options) {
      select.replaceChildren(...runs.map((r) => {
        const option = el("option", "", r.name);
        option.value = r.id;
        return option;
      }));
      select.dataset.options = options;
    }
    select.value = /** @type {string} */ (chosen);
    const run = /** @type {any} */ (store.runs.get(/** @type {string} */ (chosen)));
    const key = JSON.stringify(run.details);
    if (key === shownKey) return;
    shownKey = key;
    const alerts = list(run.details.alerts);
    heading.textContent = alerts.length ? `run details: ${alerts.length} alert${alerts.length > 1 ? "s" : ""}` : "run details";
    body.replaceChildren(...detailSections(run.details));
  };
  select.addEventListener("change", () => {
    chosen = select.value;
    shownKey = "";
    draw();
  });
  const update = () => {
    if (store.runsVersion === version) return;
    version = store.runsVersion;
    draw();
  };
  return { element, update };
}
