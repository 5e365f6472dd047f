// The dashboard's controls: smoothing, x axis, log y, ignore-outliers, chart size, the tag filter and, with
// several runs, "group runs by" and its band. Plain DOM inputs handled in the browser, so they work while the
// kernel is busy in a training loop; every choice is kept in the settings (saved in the model).

import { el } from "./dom.js";
import { groupChoices, NO_GROUPING } from "./rungroups.js";
import { filterStatus } from "./tagfilter.js";

/** @typedef {import("./charts.js").Settings} Settings */

/** @type {Settings} */
export const DEFAULT_SETTINGS = { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false, histogramView: "overlay",
  tagFilter: "", chartSize: "medium", groupBy: NO_GROUPING, groupBand: "minmax" };

/** A label holding its parts in order. @param {...(string | HTMLElement)} parts */
function label(...parts) {
  const node = el("label");
  node.append(...parts);
  return node;
}

/** @param {Settings} settings @param {() => void} changed */
function smoothingControl(settings, changed) {
  const slider = el("input", "nbtrack-smoothing");
  Object.assign(slider, { type: "range", min: "0", max: "0.99", step: "0.01", value: String(settings.smoothing) });
  const shown = el("span", "nbtrack-smoothing-value", settings.smoothing.toFixed(2));
  slider.addEventListener("input", () => {
    settings.smoothing = Math.min(0.99, Math.max(0, Number(slider.value)));
    shown.textContent = settings.smoothing.toFixed(2);
    changed();
  });
  return label("smoothing ", slider, " ", shown);
}

/** The x axis select; its tooltip says which charts do not follow "step" (xaxis.js).
 * @param {Settings} settings @param {() => void} changed */
function xAxisControl(settings, changed) {
  const select = choice(settings, "xAxis", "nbtrack-x-axis", [["step", "step"], ["relative", "relative time"],
    ["wall", "wall time"]], changed);
  select.title = "x axis of every chart. Under \"step\", a metric given a step metric by define_metric(..., "
    + "step_metric=...) uses that metric as x, and system/ charts use relative time (their samples follow time)";
  return label("x ", select);
}

/**
 * A select of `choices` ([value, text]) bound to one setting.
 * @param {Settings} settings @param {"xAxis" | "chartSize" | "groupBy" | "groupBand"} name @param {string} className
 * @param {string[][]} choices @param {() => void} changed
 */
function choice(settings, name, className, choices, changed) {
  const select = el("select", className);
  setOptions(select, choices, String(settings[name]));
  select.addEventListener("change", () => {
    /** @type {any} */ (settings)[name] = select.value;
    changed();
  });
  return select;
}

/** Replace a select's options (text only), keeping `value` selected. @param {HTMLSelectElement} select
 * @param {string[][]} choices @param {string} value */
function setOptions(select, choices, value) {
  select.replaceChildren(...choices.map(([v, text]) => {
    const option = el("option", "", text); // config keys are logged names: text only
    Object.assign(option, { value: v, selected: v === value });
    return option;
  }));
  select.value = value;
}

/** The tag filter: an input, and a line saying how many charts it shows or why it is ignored.
 * @param {Settings} settings @param {() => void} redraw @param {() => void} save */
function tagFilterControl(settings, redraw, save) {
  const input = el("input", "nbtrack-tag-filter");
  Object.assign(input, { type: "search", value: settings.tagFilter ?? "", placeholder: "filter charts: words or /regex/" });
  input.title = "words that must all occur in a tag (\"loss val\"), or a /regular expression/; case-insensitive";
  const status = el("span", "nbtrack-tag-filter-status");
  input.addEventListener("input", () => {
    settings.tagFilter = input.value;
    redraw();
  });
  input.addEventListener("change", save); // saved once typing settles, not per key
  return { element: label(input, status), status, input };
}

/**
 * @param {Settings} settings @param {"logY" | "ignoreOutliers"} name @param {string} className
 * @param {string} text @param {() => void} changed
 */
function toggle(settings, name, className, text, changed) {
  const box = el("input", className);
  box.type = "checkbox";
  box.checked = settings[name];
  box.addEventListener("change", () => {
    settings[name] = box.checked;
    changed();
  });
  return label(box, ` ${text}`);
}

const BANDS = [["minmax", "min–max"], ["std", "mean ± 1 std"]];

/**
 * The control bar. `redraw` is enough for smoothing, outliers, the tag filter and grouping; the axis types
 * and the chart size need `rebuild`. `update(runs)` offers the runs' grouping choices (shown once there are
 * several runs); `showFilter` writes the tag filter's status ("3 of 40 charts", or why it is ignored).
 * @param {Settings} settings changed in place
 * @param {{ redraw: () => void, rebuild: () => void, save: () => void }} actions
 */
export function createControls(settings, { redraw, rebuild, save }) {
  const bar = el("div", "nbtrack-controls");
  const then = (/** @type {() => void} */ action) => () => {
    action();
    save();
  };
  const filter = tagFilterControl(settings, redraw, save);
  const groupBy = choice(settings, "groupBy", "nbtrack-group-by", [[NO_GROUPING, "none"]], then(() => {
    band.hidden = settings.groupBy === NO_GROUPING;
    redraw();
  }));
  const grouping = label("group runs by ", groupBy);
  const band = label("band ", choice(settings, "groupBand", "nbtrack-group-band", BANDS, then(redraw)));
  grouping.hidden = true;
  band.hidden = true;
  bar.append(
    filter.element,
    smoothingControl(settings, then(redraw)),
    xAxisControl(settings, then(rebuild)),
    toggle(settings, "logY", "nbtrack-log-y", "log y", then(rebuild)),
    toggle(settings, "ignoreOutliers", "nbtrack-outliers", "ignore outliers", then(redraw)),
    label("size ", choice(settings, "chartSize", "nbtrack-chart-size", [["small", "small"], ["medium", "medium"],
      ["large", "large"]], then(rebuild))),
    grouping, band,
  );
  let offered = "";
  return {
    element: bar,
    /** Offer the runs' grouping choices (a saved choice stays offered until its runs arrive).
     * @param {Iterable<import("./rungroups.js").GroupedRun>} runs @param {number} count */
    update(runs, count) {
      const keys = groupChoices(runs);
      const by = settings.groupBy ?? NO_GROUPING;
      if (by !== NO_GROUPING && !keys.includes(by)) keys.push(by);
      const signature = JSON.stringify([keys, by]);
      grouping.hidden = count < 2 && by === NO_GROUPING;
      band.hidden = grouping.hidden || by === NO_GROUPING;
      if (signature === offered) return;
      offered = signature;
      setOptions(groupBy, [[NO_GROUPING, "none"], ...keys.map((key) => [key, key === "group" ? "group (run's group)" : key])], by);
    },
    /** @param {{ shown: number, total: number, error: string | null, active: boolean }} state */
    showFilter(state) {
      const text = filterStatus(state);
      if (filter.status.textContent !== text) filter.status.textContent = text;
      filter.status.dataset.error = String(state.error !== null);
      filter.input.dataset.error = String(state.error !== null);
    },
  };
}

/**
 * The view's settings: the model's (a finished run's static output starts from the live view's), else
 * the defaults. Changes are written back to the model, so the static output keeps them.
 * @param {import("./index.js").Model} model
 */
export function settingsOf(model) {
  const saved = model.get("settings");
  const settings = { ...DEFAULT_SETTINGS, ...(saved && typeof saved === "object" ? saved : {}) };
  const save = () => {
    try {
      model.set?.("settings", { ...settings });
      model.save_changes?.();
    } catch {
      // a view without a kernel connection keeps its settings to itself
    }
  };
  return { settings, save };
}
