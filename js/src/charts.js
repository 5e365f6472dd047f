// One BokehJS chart per tag, one coloured line set per run, grouped by tag prefix and redrawn from the store
// entirely in the browser (the kernel may be busy in a training loop). Smoothing is the TensorBoard-compatible
// debiased EMA on the full-resolution data; the raw line stays faint behind. Both are M4-downsampled to the
// chart's width over the visible x range, so a chart never draws more than about 4 points per pixel column,
// keeps every spike and the newest point, and shows full detail when zoomed in. NaN and ±Inf points are
// marked at the chart's edges. The y extent is computed here (constant series get a sensible span; "ignore
// outliers" clips to the 5th-95th percentile), and Bokeh's own range tools zoom and pan within it.

import { lineData, logTicks, yExtent } from "./lines.js";

const WIDTH = 420;
const HEIGHT = 220;
const MARK_ALL_BELOW = 100; // short series: a marker on every point (one point draws no line)
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
const X_LABELS = { step: "step", relative: "relative time (s)", wall: "wall time" };

/** @typedef {"step" | "relative" | "wall"} XAxis */
/**
 * @typedef {{ smoothing: number, logY: boolean, xAxis: XAxis, ignoreOutliers: boolean,
 *   histogramView?: "overlay" | "ridgeline" | "distribution" }} Settings
 */
/** @typedef {{ raw: any, smooth: any, marks: any, bad: any, smoothRenderer: any, renderers: any[] }} RunLines */
/**
 * @typedef {{ figure: any, box: HTMLElement, note: HTMLElement, hover: any, extent: any,
 *   lines: Map<string, RunLines>, view: any, span: any }} Chart
 */

/** A run's colour: fixed by the order in which the dashboard first saw the run. @param {number} index */
export function runColor(index) {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** The group a tag is shown in: the text before its first "/" ("" for none). @param {string} key */
export function groupOf(key) {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "";
}

/**
 * Charts for every scalar tag of `store` inside `container`, created as tags appear. Axis types are fixed
 * when a figure is made, so changing `logY` or `xAxis` means disposing of these charts and making new ones.
 * @param {any} Bokeh @param {import("./store.js").Store} store @param {HTMLElement} container
 * @param {Settings} settings
 * @param {import("./detail.js").DetailFetch | null} [detail] zoom detail from the kernel, for reduced series
 * @param {{ step: number | null, set: (step: number | null) => void, subscribe: (f: () => void) => () => void } | null} [cursor]
 *   the dashboard's step cursor: drawn as a dashed line; a click on a chart (x axis: step) moves it
 */
export function createCharts(Bokeh, store, container, settings, detail = null, cursor = null) {
  /** @type {Map<string, Chart>} */
  const charts = new Map();
  /** @type {Map<string, HTMLElement>} */
  const groups = new Map();
  let disposed = false;

  /** @param {string} key */
  function groupBox(key) {
    const name = groupOf(key);
    let box = groups.get(name);
    if (box) return box;
    const section = document.createElement("section");
    section.className = "nbtrack-group";
    section.dataset.group = name;
    if (name) {
      const title = document.createElement("div");
      title.className = "nbtrack-group-title";
      title.textContent = name; // a logged name is data: never parsed as HTML
      section.appendChild(title);
    }
    box = document.createElement("div");
    box.className = "nbtrack-group-charts";
    section.appendChild(box);
    const after = [...groups.keys()].sort().find((other) => other > name);
    container.insertBefore(section, after === undefined ? null : groups.get(after)?.parentElement ?? null);
    groups.set(name, box);
    return box;
  }

  /** @param {string} key */
  async function chartFor(key) {
    let chart = charts.get(key);
    if (chart) return chart;
    const box = document.createElement("div");
    box.className = "nbtrack-chart";
    box.dataset.key = key;
    const note = document.createElement("div");
    note.className = "nbtrack-chart-note";
    box.appendChild(note); // above the chart, present as soon as the chart's dataset is
    groupBox(key).appendChild(box);
    const figure = makeFigure(Bokeh, key, settings);
    const extent = new Bokeh.ColumnDataSource({ data: { x: [0, 1], y: [0, 1] } });
    const extentRenderer = figure.scatter({ field: "x" }, { field: "y" }, { source: extent, alpha: 0 });
    figure.y_range.renderers = [extentRenderer]; // the y extent is ours (outliers, constant series)
    const hover = new Bokeh.HoverTool({ mode: "vline", renderers: [], tooltips: TOOLTIPS, formatters: FORMATTERS });
    figure.add_tools(hover);
    const span = new Bokeh.Span({ location: cursor?.step ?? null, dimension: "height", line_color: "#555",
      line_dash: "dashed", line_width: 1, visible: settings.xAxis === "step" && cursor?.step != null });
    figure.add_layout(span);
    if (cursor && settings.xAxis === "step") {
      figure.on_event("tap", (/** @type {any} */ event) => cursor.set(nearestStep(key, event.x)));
    }
    chart = { figure, box, note, hover, extent, lines: new Map(), view: null, span };
    charts.set(key, chart);
    fill(chart, key);
    chart.view = await Bokeh.Plotting.show(figure, box);
    if (disposed) { // disposed while BokehJS was building the view: remove it now
      const doc = chart.view?.model?.document;
      chart.view?.remove?.();
      doc?.clear?.();
      return chart;
    }
    figure.x_range.change.connect(() => zoomed(chart, key));
    return chart;
  }

  /** @param {Chart} chart @param {import("./store.js").Series} series */
  function linesFor(chart, series) {
    let lines = chart.lines.get(series.run);
    if (lines) return lines;
    const run = store.runInfo(series.run);
    const color = runColor(run.index);
    const source = () => new Bokeh.ColumnDataSource({ data: { x: [], y: [] } });
    lines = { raw: source(), smooth: source(), marks: source(), bad: source(), smoothRenderer: null, renderers: [] };
    const xy = [{ field: "x" }, { field: "y" }];
    const rawAlpha = store.runs.size > 1 ? 0.12 : 0.25; // overlaid runs: faint raw lines, or the last hides the rest
    const raw = chart.figure.line(...xy, { source: lines.raw, color, line_width: 1, line_alpha: rawAlpha });
    // no in-chart legend (it covers the lines): the header lists the runs with their colour swatches
    lines.smoothRenderer = chart.figure.line(...xy, { source: lines.smooth, color, line_width: 1.75 });
    const marks = chart.figure.scatter(...xy, { source: lines.marks, color, size: 5 });
    const bad = chart.figure.scatter(...xy, { source: lines.bad, color: "#d62728", marker: "x", size: 9, line_width: 2 });
    lines.renderers = [raw, lines.smoothRenderer, marks, bad];
    chart.hover.renderers = [...chart.hover.renderers, lines.smoothRenderer];
    chart.lines.set(series.run, lines);
    return lines;
  }

  /** Redraw one chart from the store, over the visible x range when the user has zoomed.
   * @param {Chart} chart @param {string} key */
  function fill(chart, key) {
    const range = chart.figure.x_range;
    /** @type {[number, number] | null} */
    const visible = range.have_updated_interactively ? [range.start, range.end] : null;
    const members = [...store.series.values()].filter((s) => s.key === key);
    const shown = members.filter((series) => store.shown(series.run));
    for (const series of members) {
      const lines = chart.lines.get(series.run);
      if (lines) lines.renderers.forEach((r) => { r.visible = store.shown(series.run); });
    }
    const drawn = shown.map((series) => ({
      series, data: lineData(columnsFor(series, visible), settings, WIDTH, visible, store.runInfo(series.run).name),
    }));
    const [lo, hi] = yExtent(drawn.map((d) => d.data), settings);
    const xs = drawn.flatMap((d) => [d.data.x0, d.data.x1]).filter(Number.isFinite);
    chart.extent.data = { x: xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1], y: [lo, hi] };
    if (settings.logY) setLogTicks(Bokeh, chart.figure, lo, hi);
    let points = 0;
    for (const { series, data } of drawn) {
      const lines = linesFor(chart, series);
      lines.raw.data = data.raw;
      lines.smooth.data = data.smooth;
      lines.marks.data = data.raw.x.length < MARK_ALL_BELOW && series.length < MARK_ALL_BELOW ? data.smooth : data.newest;
      lines.bad.data = data.badPoints(lo, hi);
      points += series.length;
    }
    const nonPositive = settings.logY && drawn.some((d) => d.data.minRaw <= 0);
    chart.note.textContent = nonPositive ? "values ≤ 0 are not drawn on a log axis" : "";
    const first = drawn[0]?.data;
    Object.assign(chart.box.dataset, { // what is drawn, readable by tests and tools
      smoothing: settings.smoothing.toFixed(2), logY: String(settings.logY), xAxis: settings.xAxis,
      points: String(points), runs: String(drawn.length), drawn: String(first?.raw.x.length ?? 0),
      rawLast: String(first?.raw.y[first.raw.y.length - 1] ?? ""),
      smoothLast: String(first?.smooth.y[first.smooth.y.length - 1] ?? ""),
      yLow: String(lo), yHigh: String(hi), nonFinite: String(drawn.reduce((n, d) => n + d.data.bad.length, 0)),
      detail: drawn.some((d) => d.series.detail && columnsFor(d.series, visible) === d.series.detail) ? "kernel" : "",
    });
  }

  /** The points to draw: the kernel's detail when the visible range lies inside it, else the store's.
   * @param {import("./store.js").Series} series @param {[number, number] | null} visible */
  function columnsFor(series, visible) {
    const d = series.detail;
    if (d && visible && settings.xAxis === "step" && visible[0] >= d.x0 && visible[1] <= d.x1) return d;
    return series.view();
  }

  /** @type {Map<string, number>} */
  const detailTimers = new Map();
  /** After a zoom settles, ask the kernel for the visible range of reduced series (static outputs).
   * @param {Chart} chart @param {string} key */
  function askDetail(chart, key) {
    if (!detail || settings.xAxis !== "step") return;
    clearTimeout(detailTimers.get(key));
    detailTimers.set(key, window.setTimeout(async () => {
      const { start, end } = chart.figure.x_range;
      const reduced = [...store.series.values()].filter((s) => s.key === key && s.total > s.length);
      const replies = await Promise.all(reduced.map(async (series) => {
        const got = await detail(series.run, key, start, end, 4 * WIDTH);
        if (got) series.detail = got;
        return got;
      }));
      if (replies.some(Boolean)) fill(chart, key);
    }, 250));
  }

  let zoomPending = 0;
  /** After a zoom or pan by the user, redraw that chart at the detail of the new range (once per frame).
   * @param {Chart} chart @param {string} key */
  function zoomed(chart, key) {
    if (!chart.figure.x_range.have_updated_interactively || zoomPending) return;
    zoomPending = requestAnimationFrame(() => {
      zoomPending = 0;
      fill(chart, key);
      askDetail(chart, key);
    });
  }

  /** The logged step of tag `key` nearest to x. @param {string} key @param {number} x */
  function nearestStep(key, x) {
    let best = Math.round(x);
    let gap = Infinity;
    for (const series of store.series.values()) {
      if (series.key !== key) continue;
      const { steps } = series.view();
      let lo = 0;
      let hi = steps.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (steps[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      for (const i of [lo - 1, lo]) {
        if (i >= 0 && i < steps.length && Math.abs(steps[i] - x) < gap) [best, gap] = [steps[i], Math.abs(steps[i] - x)];
      }
    }
    return best;
  }

  const moveSpans = () => {
    for (const chart of charts.values()) {
      chart.span.location = cursor?.step ?? null;
      chart.span.visible = settings.xAxis === "step" && cursor?.step != null;
      chart.box.dataset.cursor = String(cursor?.step ?? "");
    }
  };
  const unsubscribeCursor = cursor?.subscribe(moveSpans) ?? (() => {});

  /** @type {Map<string, string>} what each chart last drew: its series' sizes and the settings */
  const drawnState = new Map();

  /** Redraw the charts whose data or settings changed since they were last drawn (BokehJS repaints a
   * chart whenever one of its sources is set, and that paint is most of a redraw's cost). */
  async function update() {
    if (disposed) return;
    const sizes = new Map();
    for (const s of store.series.values()) {
      sizes.set(s.key, `${sizes.get(s.key) ?? ""}${s.run}:${s.length}:${s.total};`);
    }
    const looks = JSON.stringify([settings.smoothing, settings.logY, settings.xAxis, settings.ignoreOutliers,
      [...store.runs.keys()].filter((run) => !store.shown(run))]);
    for (const [key, size] of sizes) {
      const state = `${size}|${looks}`;
      const fresh = !charts.has(key);
      const chart = await chartFor(key);
      if (!fresh && drawnState.get(key) !== state) fill(chart, key);
      drawnState.set(key, state);
    }
  }

  /** Remove the views and clear their BokehJS documents (rebuilding without this leaks documents). */
  function dispose() {
    disposed = true;
    unsubscribeCursor();
    const docs = new Set();
    for (const chart of charts.values()) {
      const doc = chart.view?.model?.document;
      docs.add(doc);
      chart.view?.remove?.();
      doc?.clear?.();
    }
    // the documents' other root views (BokehJS adds a notifications view per document) stay in
    // Bokeh.index unless removed too
    for (const view of [...(Bokeh.index?.roots ?? [])]) {
      const doc = view?.model?.document;
      if (doc == null || docs.has(doc)) {
        view.remove?.();
        Bokeh.index.delete?.(view);
      }
    }
    for (const box of groups.values()) box.parentElement?.remove();
    charts.clear();
    groups.clear();
    drawnState.clear();
  }

  return { update, dispose, charts };
}

const TOOLTIPS = [["run", "@run"], ["step", "@step"], ["value", "@value{%.6g}"], ["smoothed", "@smoothed{%.6g}"]];
const FORMATTERS = { "@value": "printf", "@smoothed": "printf" };

/** @param {any} Bokeh @param {any} figure @param {number} lo @param {number} hi */
function setLogTicks(Bokeh, figure, lo, hi) {
  const [yAxis] = figure.yaxis ?? figure.left ?? [];
  const ticks = logTicks(lo, hi);
  if (!yAxis?.ticker || !("ticks" in yAxis.ticker) || ticks.join() === yAxis.ticker.ticks.join()) return;
  yAxis.ticker.ticks = ticks;
  // plain decimals ("0.0001", "20") when they stay short, else scientific ("1e-7")
  const plain = ticks.length > 0 && ticks[0] >= 1e-6 && ticks[ticks.length - 1] < 1e6;
  yAxis.formatter = plain ? new Bokeh.NumeralTickFormatter({ format: "0,0.[000000]" })
    : new Bokeh.BasicTickFormatter({ use_scientific: true, power_limit_low: 0, power_limit_high: 0 });
}

/** @param {any} Bokeh @param {string} key @param {Settings} settings */
function makeFigure(Bokeh, key, settings) {
  const figure = Bokeh.Plotting.figure({
    width: WIDTH, height: HEIGHT, title: key, // drawn as canvas text, never parsed as HTML
    tools: "pan,wheel_zoom,box_zoom,reset,save", active_scroll: null, toolbar_location: "right",
    x_axis_label: X_LABELS[settings.xAxis], x_axis_type: settings.xAxis === "wall" ? "datetime" : "linear",
    y_axis_type: settings.logY ? "log" : "linear", min_border_left: settings.logY ? 64 : 50,
  });
  const [yAxis] = figure.yaxis ?? figure.left ?? [];
  if (yAxis) {
    // log axes get our ticks (see logTicks); plain numbers down to 1e-5 ("0.0011", not "1.100e-3")
    if (settings.logY) yAxis.ticker = new Bokeh.FixedTicker({ ticks: [] });
    yAxis.formatter = new Bokeh.BasicTickFormatter({ power_limit_low: -5 });
    figure.y_range.change.connect(() => settings.logY && setLogTicks(Bokeh, figure, figure.y_range.start, figure.y_range.end));
  }
  const [xAxis] = figure.xaxis ?? figure.below ?? [];
  if (settings.xAxis !== "wall" && xAxis) { // "500.05k", not "5.0005e+5" colliding with its neighbours
    xAxis.formatter = new Bokeh.NumeralTickFormatter({ format: "0.[00]a" });
    xAxis.ticker.desired_num_ticks = 5;
  }
  return figure;
}
