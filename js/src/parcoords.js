// Parallel coordinates of the runs' hyperparameters: one vertical axis per config key that differs between
// runs (numbers on a linear or, spanning more than two decades of positive values, a log axis; anything else
// on a categorical axis with its distinct values spread evenly), then one axis for a chosen summary metric.
// Each run is a line in its colour. Dragging vertically on an axis brushes a range: runs outside any brush
// are drawn faint and left out of `state.selected`, which the run table (runtable.js) follows. Drawn as
// inline SVG with plain DOM calls; every logged name and value is set as text (textContent). The scales,
// axes, brushes and paths are computed by parcoordsmath.js.

import { runColor } from "./colors.js";
import { el } from "./dom.js";
import {
  axesOf, axisPositions, axisValue, BOTTOM, brushFromUnits, brushOf, brushUnits, categoryOf, constantKeys, MAX_AXES,
  varyingConfig,
  defaultMetric, HEIGHT, MARGIN, missing, numericMetrics, runPath, sameSet, selectRuns, shorten, TOP, WIDTH, yOf,
} from "./parcoordsmath.js";

/** @typedef {import("./store.js").RunInfo} RunInfo */
/** @typedef {import("./runtable.js").TableState} TableState */
/** @typedef {import("./parcoordsmath.js").Axis} Axis */
/** @typedef {import("./parcoordsmath.js").Brush} Brush */
/** @typedef {{ metric?: string, onMetricChange?: (metric: string) => void }} ParcoordsOptions */

const SVG_NS = "http://www.w3.org/2000/svg";
const DRAG_MIN = 3; // pixels a pointer moves before a press on an axis becomes a brush (less: a click)
const CHAR_WIDTH = 7; // of an 11-pixel bold axis title, for shortening names to the space between axes
const TICK_CHAR_WIDTH = 5.6; // of a 10-pixel tick label
const STAGGER_BELOW = 90; // pixels between axes under which titles alternate between two rows
const MIN_BRUSH = 5; // pixels: a brush on a tiny range stays visible
// Colours that follow JupyterLab's light and dark themes (its CSS variables; each attribute beside them is the
// colour where no theme defines them, as in a report opened on its own)
const AXIS_STYLE = "stroke: var(--jp-ui-font-color2, #555)";
const TICK_STYLE = "fill: var(--jp-ui-font-color1, #444); stroke: var(--jp-layout-color0, #fff)";
const MUTED_STYLE = "fill: var(--jp-ui-font-color2, #888)";
const TITLE_STYLE = "fill: var(--jp-ui-font-color0, #222)";
const METRIC_STYLE = "fill: var(--jp-brand-color1, #1f4e79)";

/** @template {keyof SVGElementTagNameMap} K @param {K} tag @param {Record<string, string | number>} [attrs]
 * @returns {SVGElementTagNameMap[K]} */
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** An SVG text with its text set as text. @param {string} text @param {Record<string, string | number>} attrs */
function label(text, attrs) {
  const node = svg("text", attrs);
  node.textContent = text;
  return node;
}

/** A tooltip (SVG title) holding text. @param {string} text */
function tooltip(text) {
  const node = svg("title");
  node.textContent = text;
  return node;
}

/**
 * One axis: its line, ticks, title (shortened to the space it has; the full name in a tooltip), its brush
 * rectangle and a wide transparent strip that takes the pointer.
 * @param {Axis} axis @param {number} x @param {Brush | undefined} brush
 * @param {{ room: number, gap: number, row: number, isMetric: boolean }} layout room: pixels a title may take;
 * gap: pixels to the axis before (tick labels sit left of the axis); row: -1 for a title with the scale's
 * kind under it, 0 or 1 for staggered titles (crowded axes)
 */
function drawAxis(axis, x, brush, layout) {
  const g = svg("g", { class: "nbtrack-hparam-axis", "data-axis": axis.key });
  g.append(svg("line", { x1: x, x2: x, y1: TOP, y2: BOTTOM, stroke: "#555", "stroke-width": 1, style: AXIS_STYLE }));
  for (const tick of axis.scale.ticks) {
    const y = yOf(tick.unit);
    g.append(svg("line", { x1: x - 3, x2: x, y1: y, y2: y, stroke: "#555", style: AXIS_STYLE }));
    if (tick.label) {
      g.append(label(shorten(tick.label, Math.max(6, Math.floor((layout.gap - 12) / TICK_CHAR_WIDTH))), { x: x - 5, y: y + 3, "text-anchor": "end", "font-size": 10,
        fill: "#444", stroke: "#fff", "stroke-width": 3, "paint-order": "stroke", "stroke-linejoin": "round",
        style: TICK_STYLE }));
    }
  }
  g.append(axisTitle(axis, x, layout));
  const kind = layout.isMetric ? "metric" : axis.scale.type === "linear" ? "" : axis.scale.type;
  if (kind && layout.row < 0) {
    g.append(label(kind === "log" ? "log scale" : kind, { x, y: TOP - 9, "text-anchor": "middle", "font-size": 9, fill: "#888",
      style: MUTED_STYLE }));
  }
  if (brush) {
    const [u0, u1] = brushUnits(axis.scale, brush);
    const [y0, y1] = [yOf(u1), yOf(u0)];
    const height = Math.max(MIN_BRUSH, y1 - y0);
    g.append(svg("rect", { class: "nbtrack-hparam-brush", x: x - 8, width: 16, y: Math.min(y0, BOTTOM - height),
      height, fill: "#1f77b4", "fill-opacity": 0.18, stroke: "#1f77b4", "stroke-width": 1, rx: 2, "pointer-events": "none" }));
  }
  g.append(svg("rect", { class: "nbtrack-hparam-hit", "data-axis": axis.key, x: x - 12, width: 24, y: TOP - 4,
    height: BOTTOM - TOP + 8, fill: "#000", "fill-opacity": 0, "pointer-events": "all", cursor: "ns-resize" }));
  return g;
}

/** An axis's title, shortened to its room, kept inside the plot, with the full name as a tooltip.
 * @param {Axis} axis @param {number} x @param {{ room: number, gap: number, row: number, isMetric: boolean }} layout */
function axisTitle(axis, x, layout) {
  const title = shorten(axis.name, Math.max(4, Math.floor((layout.room - 6) / CHAR_WIDTH)));
  const half = (title.length * CHAR_WIDTH) / 2;
  const y = layout.row < 0 ? TOP - 22 : layout.row === 0 ? TOP - 30 : TOP - 16;
  const text = label(title, { x: Math.min(WIDTH - 2 - half, Math.max(2 + half, x)), y, "text-anchor": "middle",
    "font-size": 11, "font-weight": layout.isMetric ? 700 : 600, fill: layout.isMetric ? "#1f4e79" : "#222",
    style: layout.isMetric ? METRIC_STYLE : TITLE_STYLE });
  text.append(tooltip(`${axis.source}: ${axis.name}`));
  return text;
}

/** A run's tooltip: its name and its value on each axis. @param {RunInfo} run @param {readonly Axis[]} axes */
function runTooltip(run, axes) {
  const values = axes.map((axis) => {
    const value = axisValue(run, axis);
    return `${axis.name}: ${missing(value) ? "–" : categoryOf(value)}`;
  });
  return [run.name, ...values].join("\n");
}

/**
 * The runs' lines: faint ones (outside the selection) first, behind the selected ones.
 * @param {readonly RunInfo[]} runs drawn runs @param {readonly Axis[]} axes @param {Set<string> | null} selected
 */
function drawLines(runs, axes, selected) {
  const g = svg("g", { class: "nbtrack-hparam-lines", fill: "none" });
  const xs = axisPositions(axes.length);
  const faint = (/** @type {RunInfo} */ run) => selected !== null && !selected.has(run.id);
  for (const run of [...runs.filter(faint), ...runs.filter((r) => !faint(r))]) {
    const color = runColor(run.index);
    const line = svg("g", { class: "nbtrack-hparam-run", "data-run": run.id, "data-faint": String(faint(run)),
      stroke: color, "stroke-opacity": faint(run) ? 0.13 : 0.9 });
    const { d, lonely } = runPath(run, axes, xs);
    const path = svg("path", { d, "stroke-width": 1.6, "stroke-linejoin": "round" });
    line.append(path, ...lonely.map(([cx, cy]) => svg("circle", { cx, cy, r: 2.5, fill: color, stroke: "none" })));
    line.append(tooltip(runTooltip(run, axes)));
    line.addEventListener("pointerenter", () => path.setAttribute("stroke-width", "3.2"));
    line.addEventListener("pointerleave", () => path.setAttribute("stroke-width", "1.6"));
    g.append(line);
  }
  return g;
}

// ---------------------------------------------------------------------------------------------------------
// The view

/**
 * The parallel coordinates inside `container`: a metric selector, the SVG plot and a note. Hidden runs
 * (`state.hidden`) are not drawn, and the axes and scales follow the runs drawn. Brushing (a vertical drag
 * on an axis; a click on an axis clears its brush) sets `state.selected` and calls `onChange()`; so does
 * `brush(axisKey, lo, hi)` (data units; categories by name on a categorical axis; lo null clears), and an
 * `update` that changes the selection (the caller then updates the run table). Brushes of axes that go away
 * (hidden runs, another metric) are dropped. The element carries data-axes (axis keys joined by "|"),
 * data-selected (runs selected: all runs when nothing is brushed), data-brushes, data-drawn, data-metric.
 * @param {HTMLElement} container @param {readonly RunInfo[]} runs @param {TableState} state
 * @param {() => void} onChange @param {ParcoordsOptions} [options]
 */
export function createParallelCoordinates(container, runs, state, onChange, options = {}) {
  const view = frame();
  container.appendChild(view.element);
  const model = { runs, metric: options.metric ?? "", axes: /** @type {Axis[]} */ ([]),
    brushes: /** @type {Map<string, Brush>} */ (new Map()) };

  const drawnRuns = () => model.runs.filter((run) => !state.hidden.has(run.id));
  /** @param {Set<string> | null} selected */
  const paint = (selected) => {
    const drawn = drawnRuns();
    draw(view, drawn, model.axes, model.brushes, selected);
    describe(view, model, drawn, constantKeys(drawn), selected);
  };

  /** Redraw and recompute the selection; returns whether the selection changed. */
  function render() {
    const metrics = numericMetrics(model.runs);
    if (!metrics.includes(model.metric)) model.metric = defaultMetric(metrics);
    fillSelect(view.select, metrics, model.metric);
    model.axes = axesOf(drawnRuns(), model.metric);
    for (const key of model.brushes.keys()) if (!model.axes.some((a) => a.key === key)) model.brushes.delete(key);
    const before = state.selected;
    state.selected = selectRuns(model.runs, model.axes, model.brushes);
    paint(state.selected);
    return !sameSet(before, state.selected);
  }
  /** After a brush changed (by the pointer, the API, the clear button or the metric). */
  const brushed = () => {
    render();
    onChange();
  };

  view.select.addEventListener("change", () => {
    model.metric = view.select.value;
    options.onMetricChange?.(model.metric);
    brushed();
  });
  view.clear.addEventListener("click", () => {
    model.brushes.clear();
    brushed();
  });
  const preview = () => paint(selectRuns(model.runs, model.axes, model.brushes));
  const stopBrushing = attachBrushing(view, model, preview, (changed) => (changed ? brushed() : undefined));
  render();
  return {
    element: view.element,
    /** @param {readonly RunInfo[]} next */
    update(next) {
      model.runs = next;
      if (render()) onChange();
    },
    /** Brush an axis programmatically (lo null clears its brush). @param {string} axisKey
     * @param {number | string | null} lo @param {number | string | null} [hi] */
    brush(axisKey, lo, hi = lo) {
      const axis = model.axes.find((a) => a.key === axisKey);
      if (!axis) throw new Error(`no axis ${axisKey}; the axes are ${model.axes.map((a) => a.key).join(", ")}`);
      if (lo === null) model.brushes.delete(axisKey);
      else model.brushes.set(axisKey, brushOf(axis.scale, lo, hi ?? lo));
      brushed();
    },
    dispose() {
      stopBrushing();
      view.element.remove();
    },
  };
}

/** The view's fixed parts. */
function frame() {
  const element = el("div", "nbtrack-hparams");
  Object.assign(element.style, { font: '12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif', color: "var(--jp-ui-font-color1, #222)",
    margin: "6px 0", maxWidth: `${WIDTH}px` });
  const bar = el("div", "nbtrack-hparam-bar");
  Object.assign(bar.style, { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "4px 12px" });
  const select = el("select", "nbtrack-hparam-metric");
  select.title = "the summary value drawn on the last axis";
  const metricLabel = el("label", "nbtrack-hparam-metric-label");
  metricLabel.append("metric ", select);
  const status = el("span", "nbtrack-hparam-status");
  status.style.color = "var(--jp-ui-font-color2, #666)";
  const clear = el("button", "nbtrack-hparam-clear", "clear selection");
  clear.type = "button";
  bar.append(metricLabel, status, clear);
  const plot = svg("svg", { class: "nbtrack-hparam-plot", width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    "font-family": 'system-ui, -apple-system, "Segoe UI", sans-serif' });
  Object.assign(plot.style, { display: "block", maxWidth: "100%", height: "auto", touchAction: "none", userSelect: "none" });
  const note = el("div", "nbtrack-hparam-note");
  Object.assign(note.style, { fontSize: "11px", color: "var(--jp-ui-font-color2, #777)", minHeight: "14px" });
  element.append(bar, plot, note);
  return { element, select, status, clear, plot, note };
}

/** @param {HTMLSelectElement} select @param {string[]} metrics @param {string} chosen */
function fillSelect(select, metrics, chosen) {
  const have = [...select.children].map((o) => /** @type {HTMLOptionElement} */ (o).value);
  if (have.join("\u0000") !== metrics.join("\u0000")) {
    select.replaceChildren(...metrics.map((m) => Object.assign(el("option", "", m), { value: m, selected: m === chosen })));
  }
  select.value = chosen;
  select.disabled = metrics.length === 0;
}

/**
 * Draw the plot. @param {ReturnType<typeof frame>} view @param {readonly RunInfo[]} drawn
 * @param {readonly Axis[]} axes @param {Map<string, Brush>} brushes @param {Set<string> | null} selected
 */
function draw(view, drawn, axes, brushes, selected) {
  const xs = axisPositions(axes.length);
  const room = axes.length > 1 ? xs[1] - xs[0] : WIDTH / 2;
  const parts = [];
  if (!axes.length) {
    parts.push(label(drawn.length ? "no config or numeric summary to compare" : "no runs shown",
      { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", "font-size": 12, fill: "#888", style: MUTED_STYLE }));
  }
  parts.push(drawLines(drawn, axes, selected));
  const stagger = room < STAGGER_BELOW && axes.length > 2;
  axes.forEach((axis, i) => parts.push(drawAxis(axis, xs[i], brushes.get(axis.key), {
    room: stagger ? 2 * room : room, gap: i > 0 ? room : MARGIN.left, row: stagger ? i % 2 : -1,
    isMetric: axis.source === "summary" })));
  view.plot.replaceChildren(...parts);
}

/**
 * The status line, the note and the data attributes. @param {ReturnType<typeof frame>} view
 * @param {{ runs: readonly RunInfo[], metric: string, axes: Axis[], brushes: Map<string, Brush> }} model
 * @param {readonly RunInfo[]} drawn @param {string[]} constant @param {Set<string> | null} selected
 */
function describe(view, model, drawn, constant, selected) {
  const count = selected ? selected.size : model.runs.length;
  view.status.textContent = selected ? `${count} of ${model.runs.length} runs selected`
    : model.axes.length ? "drag along an axis to select runs" : "";
  view.clear.style.visibility = selected ? "visible" : "hidden";
  const shown = constant.slice(0, 4).map((name) => `${name}=${categoryOf(drawn[0]?.config?.[name])}`);
  const more = constant.length > 4 ? `, … (${constant.length - 4} more)` : "";
  const hidden = varyingConfig(drawn).hidden;
  const notes = [constant.length ? `same in every run: ${shown.join(", ")}${more}` : "",
    hidden.length ? `not drawn (${MAX_AXES} axes at most; keys fewer runs set are left out first): ` +
      `${hidden.slice(0, 3).join(", ")}${hidden.length > 3 ? `, … (${hidden.length} config keys)` : ""}` : ""];
  view.note.textContent = notes.filter(Boolean).join(" · ");
  Object.assign(view.element.dataset, { axes: model.axes.map((a) => a.key).join("|"), selected: String(count),
    drawn: String(drawn.length), metric: model.metric, brushes: String(model.axes.filter((a) => model.brushes.has(a.key)).length) });
}

/**
 * Pointer brushing on the plot: a press on an axis strip then a vertical drag sets that axis's brush
 * (redrawn live with `preview`; `commit` when released); a press released without dragging clears it;
 * a cancelled drag puts back the brush there was.
 * Returns a function that removes the listeners.
 * @param {ReturnType<typeof frame>} view
 * @param {{ axes: Axis[], brushes: Map<string, Brush> }} model
 * @param {() => void} preview @param {(changed: boolean) => void} commit
 */
function attachBrushing(view, model, preview, commit) {
  /** @type {{ key: string, y: number, id: number, moved: boolean, before: Brush | undefined } | null} */
  let drag = null;
  /** @param {PointerEvent} event */
  const yAt = (event) => {
    const box = view.plot.getBoundingClientRect();
    return (event.clientY - box.top) * (box.height > 0 ? HEIGHT / box.height : 1);
  };
  const unitAt = (/** @type {number} */ y) => Math.max(0, Math.min(1, (BOTTOM - y) / (BOTTOM - TOP)));
  /** @param {Event} e */
  const down = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    const key = /** @type {Element} */ (event.target).getAttribute?.("data-axis");
    if (!key || event.button > 0) return;
    event.preventDefault();
    drag = { key, y: yAt(event), id: event.pointerId, moved: false, before: model.brushes.get(key) };
    view.plot.setPointerCapture?.(event.pointerId);
  };
  /** @param {Event} e */
  const move = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    const axis = drag && model.axes.find((a) => a.key === drag?.key);
    if (!drag || !axis || event.pointerId !== drag.id) return;
    const y = yAt(event);
    if (!drag.moved && Math.abs(y - drag.y) < DRAG_MIN) return;
    drag.moved = true;
    model.brushes.set(axis.key, brushFromUnits(axis.scale, unitAt(drag.y), unitAt(y)));
    preview();
  };
  /** @param {Event} e */
  const up = (e) => {
    const event = /** @type {PointerEvent} */ (e);
    if (!drag || event.pointerId !== drag.id) return;
    const { key, moved, before } = drag;
    drag = null;
    view.plot.releasePointerCapture?.(event.pointerId);
    if (event.type === "pointercancel") {
      if (before) model.brushes.set(key, before);
      else model.brushes.delete(key);
      preview();
      return;
    }
    if (!moved) model.brushes.delete(key);
    commit(moved || before !== undefined);
  };
  const listeners = /** @type {[string, (e: Event) => void][]} */ ([["pointerdown", down], ["pointermove", move],
    ["pointerup", up], ["pointercancel", up]]);
  for (const [type, fn] of listeners) view.plot.addEventListener(type, fn);
  return () => { for (const [type, fn] of listeners) view.plot.removeEventListener(type, fn); };
}
