// The dashboard's controls: smoothing, x axis, log y and ignore-outliers. Plain DOM inputs handled in the
// browser, so they work while the kernel is busy in a training loop.

import { el } from "./dom.js";

/** @typedef {import("./charts.js").Settings} Settings */

/** @type {Settings} */
export const DEFAULT_SETTINGS = { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false, histogramView: "overlay" };

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

/** @param {Settings} settings @param {() => void} changed */
function xAxisControl(settings, changed) {
  const select = el("select", "nbtrack-x-axis");
  for (const [value, text] of [["step", "step"], ["relative", "relative time"], ["wall", "wall time"]]) {
    const option = el("option", "", text);
    Object.assign(option, { value, selected: settings.xAxis === value });
    select.appendChild(option);
  }
  select.addEventListener("change", () => {
    settings.xAxis = /** @type {Settings["xAxis"]} */ (select.value);
    changed();
  });
  return label("x ", select);
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

/**
 * The control bar. `redraw` is enough for smoothing and outliers; the axis types need `rebuild`.
 * @param {Settings} settings changed in place
 * @param {{ redraw: () => void, rebuild: () => void, save: () => void }} actions
 */
export function createControls(settings, { redraw, rebuild, save }) {
  const bar = el("div", "nbtrack-controls");
  const then = (/** @type {() => void} */ action) => () => {
    action();
    save();
  };
  bar.append(
    smoothingControl(settings, then(redraw)),
    xAxisControl(settings, then(rebuild)),
    toggle(settings, "logY", "nbtrack-log-y", "log y", then(rebuild)),
    toggle(settings, "ignoreOutliers", "nbtrack-outliers", "ignore outliers", then(redraw)),
  );
  return bar;
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
