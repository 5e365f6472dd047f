// The dashboard's controls: smoothing, x axis, log y and ignore-outliers. Plain DOM inputs handled in the
// browser, so they work while the kernel is busy in a training loop.

/** @typedef {import("./charts.js").Settings} Settings */

/** @type {Settings} */
export const DEFAULT_SETTINGS = { smoothing: 0.6, logY: false, xAxis: "step", ignoreOutliers: false, histogramView: "overlay" };

/**
 * @param {string} text @param {HTMLElement[]} inputs
 */
function label(text, ...inputs) {
  const el = document.createElement("label");
  el.append(...inputs, text);
  return el;
}

/** @param {Settings} settings @param {() => void} changed */
function smoothingControl(settings, changed) {
  const slider = document.createElement("input");
  Object.assign(slider, { type: "range", min: "0", max: "0.99", step: "0.01", value: String(settings.smoothing) });
  slider.className = "nbtrack-smoothing";
  const shown = document.createElement("span");
  shown.className = "nbtrack-smoothing-value";
  shown.textContent = settings.smoothing.toFixed(2);
  slider.addEventListener("input", () => {
    settings.smoothing = Math.min(0.99, Math.max(0, Number(slider.value)));
    shown.textContent = settings.smoothing.toFixed(2);
    changed();
  });
  const el = document.createElement("label");
  el.append("smoothing ", slider, " ", shown);
  return el;
}

/** @param {Settings} settings @param {() => void} changed */
function xAxisControl(settings, changed) {
  const select = document.createElement("select");
  select.className = "nbtrack-x-axis";
  for (const [value, text] of [["step", "step"], ["relative", "relative time"], ["wall", "wall time"]]) {
    const option = document.createElement("option");
    Object.assign(option, { value, textContent: text, selected: settings.xAxis === value });
    select.appendChild(option);
  }
  select.addEventListener("change", () => {
    settings.xAxis = /** @type {Settings["xAxis"]} */ (select.value);
    changed();
  });
  const el = document.createElement("label");
  el.append("x ", select);
  return el;
}

/**
 * @param {Settings} settings @param {"logY" | "ignoreOutliers"} name @param {string} className
 * @param {string} text @param {() => void} changed
 */
function toggle(settings, name, className, text, changed) {
  const box = document.createElement("input");
  box.type = "checkbox";
  box.className = className;
  box.checked = settings[name];
  box.addEventListener("change", () => {
    settings[name] = box.checked;
    changed();
  });
  return label(` ${text}`, box);
}

/**
 * The control bar. `redraw` is enough for smoothing and outliers; the axis types need `rebuild`.
 * @param {Settings} settings changed in place
 * @param {{ redraw: () => void, rebuild: () => void, save: () => void }} actions
 */
export function createControls(settings, { redraw, rebuild, save }) {
  const bar = document.createElement("div");
  bar.className = "nbtrack-controls";
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
