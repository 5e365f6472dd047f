// One BokehJS chart of one scalar tag: a coloured line set per run (the raw line faint behind the smoothed
// one), markers for non-finite points at the chart's edges, the dashboard's step cursor as a dashed line,
// and zoom detail from the kernel for reduced series. What it draws is computed by lines.js (smoothing,
// M4 downsampling to the chart's width over the visible x range, the y extent); Bokeh's own range tools
// zoom and pan within it. The grid of charts is charts.js. Up to MANY_RUNS runs get glyphs of their own;
// more runs share BUCKETS multi_line glyphs (buckets.js: new points of one run re-set one bucket's data),
// drawn at 2 points per pixel column, and beyond FAINT_RAW_UP_TO runs only the smoothed lines (the hover
// still names the run). From BITMAP_FROM runs on a linear y axis, the runs whose lines do not change are
// drawn once into a bitmap (an image_rgba; freezer.js decides which) and only the live runs stay vector
// lines, so a new point of one run no longer makes the browser stroke and rasterise every run's line. When runs are grouped, the chart draws a mean line and band per group instead
// (grouplines.js). The figure stretches to its grid cell's width, its height set by the size control, its
// colours from the page's theme (theme.js).

import { plainVisuals, removeView } from "./bokeh.js";
import { createBuckets } from "./buckets.js";
import { createFreezer } from "./freezer.js";
import { runColor } from "./colors.js";
import { el, setIfChanged } from "./dom.js";
import { chartCsv, downloadBlob, exportButtons, figurePng, fileName } from "./export.js";
import { createGroupLines, groupLineData, groupsOf } from "./grouplines.js";
import { lineData, logTicks, xOf, yExtent } from "./lines.js";
import { applyTheme, LIGHT } from "./theme.js";
import { chartAxis, mapToStepMetric, stepMetricOf } from "./xaxis.js";

/** A chart's least width (the grid fits as many per row as the output's width allows) and its height. */
export const CHART_SIZES = Object.freeze({ small: { width: 300, height: 180 }, medium: { width: 420, height: 220 },
  large: { width: 640, height: 320 } });
const WIDTH = CHART_SIZES.medium.width;
export const CHART_WIDTH = WIDTH;
export const CHART_HEIGHT = CHART_SIZES.medium.height;
/** @param {{ chartSize?: string }} settings */
export const sizeOf = (settings) => CHART_SIZES[/** @type {keyof typeof CHART_SIZES} */ (settings.chartSize)] ?? CHART_SIZES.medium;
export const MANY_RUNS = 10; // more runs than this in a chart: BUCKETS multi_line glyphs of the runs' lines
// and one scatter per marker kind, instead of four glyphs per run (1,000 runs: 4,000 glyphs), and each line
// reduced to 2 points per pixel column (minMax) instead of 4 (m4)
export const FAINT_RAW_UP_TO = 20; // more runs than this: only the smoothed lines (or the raw ones, unsmoothed)
const BUCKETS = 4; // multi_lines the runs' lines are spread over: a run's new points re-set its bucket's data
// (a quarter of the runs), not every run's; few, so a chart of 1,000 runs keeps a few renderers
export const BITMAP_FROM = 50; // this many runs or more (linear y axis): the lines of runs that do not change
// are drawn once into a bitmap (freezer.js), the others stay vector lines on top
const BITMAP_AFTER_MS = 400; // a chart's first bitmap is drawn this long after it has many runs: the vector
// lines first, as fast as before (showing 200 runs at once), the bitmap once the view has settled
const MAX_LIVE = 8; // more changed lines than this at once: the bitmap is drawn again of all lines
const MANY_LINES_WIDTH = 1; // px: many overlaid lines stay apart, and the browser strokes 1 px lines fastest
const MARK_ALL_BELOW = 100; // short series: a marker on every point (one point draws no line)
const TOOLTIPS = [["run", "@run"], ["step", "@step"], ["value", "@value{%.6g}"], ["smoothed", "@smoothed{%.6g}"]];
const FORMATTERS = { "@value": "printf", "@smoothed": "printf" };

/** @typedef {"step" | "relative" | "wall"} XAxis */
/**
 * @typedef {{ smoothing: number, logY: boolean, xAxis: XAxis, ignoreOutliers: boolean,
 *   histogramView?: "overlay" | "ridgeline" | "distribution", tagFilter?: string,
 *   chartSize?: "small" | "medium" | "large", groupBy?: string, groupBand?: "minmax" | "std" }} Settings
 * tagFilter: words or /regex/ (tagfilter.js); groupBy: "none", "group" or a config key (rungroups.js)
 */
/** @typedef {{ raw: any, smooth: any, marks: any, bad: any, smoothRenderer: any, renderers: any[] }} RunLines */
/** @typedef {{ marks: any, bad: any, runHover: any, renderers: any[] }} SharedLines */
/** @typedef {{ raw: any, smooth: any, rawRenderer: any, smoothRenderer: any }} BucketLines rawRenderer: null until raw lines are drawn */
/** @typedef {{ step: number | null, set: (step: number | null) => void, subscribe: (f: () => void) => () => void }} Cursor */
/**
 * What a chart shares with the other charts of its grid.
 * @typedef {{ store: import("./store.js").Store, settings: Settings,
 *   detail: import("./detail.js").DetailFetch | null, cursor: Cursor | null,
 *   members?: (key: string) => import("./store.js").Series[],
 *   groups?: () => import("./grouplines.js").Group[] | null, theme?: import("./theme.js").Theme,
 *   width?: () => number, download?: (blob: Blob, name: string) => void,
 *   nextFrame: (redraw: () => void) => void }} ChartContext
 * groups: the run groups drawn (the grid computes them once per redraw); default: groupsOf(store, settings)
 * theme: the page's colours (theme.js), read from the host element when the grid is built
 * width: the chart's width in pixels (the grid's cell), for downsampling; default: the size's least width
 * nextFrame: runs a zoom redraw at the next animation frame, unless one is already waiting
 * download: saves a file of the chart's PNG or CSV buttons (default: export.js's downloadBlob)
 * members: the series of a tag (the grid indexes them once per redraw); default: a scan of the store
 * A chart of several tags (a custom scalars layout chart, customcharts.js) also gives:
 * title: the figure's title (default: the tag); label: a line's name in the hover (default: the run's name);
 * dash: a line's dash pattern (default: solid); bands: shaded bands to draw under the lines
 */
/** @typedef {{ id: string, x: Float64Array, lo: Float64Array, hi: Float64Array, color: string }} Band */
/**
 * @typedef {{ title?: string, label?: (series: import("./store.js").Series) => string,
 *   dash?: (series: import("./store.js").Series) => string | number[], bands?: (width: number) => Band[] }} LayoutContext
 */

/**
 * The chart of tag `key`: `box` holds a note and, once `show` resolves, the BokehJS view. `fill` redraws it
 * from the store, over the visible x range when the user has zoomed. Axis types are fixed when the figure
 * is made, so changing `logY` or `xAxis` means making a new chart.
 * @param {any} Bokeh @param {string} key @param {ChartContext & LayoutContext} context
 */
export function createChart(Bokeh, key, context) {
  const { store, settings, cursor } = context;
  const box = el("div", "nbtrack-chart");
  box.dataset.key = key;
  const note = el("div", "nbtrack-chart-note");
  const title = context.title ?? key;
  const download = context.download ?? downloadBlob;
  const head = el("div", "nbtrack-chart-head");
  head.append(note, exportButtons(title, { // a note and the PNG and CSV buttons, above the chart
    png: async () => download(await figurePng(chart.view), fileName(title, "png")),
    csv: () => download(new Blob([csvOf()], { type: "text/csv;charset=utf-8" }), fileName(title, "csv")),
  }));
  box.appendChild(head); // present as soon as the chart's dataset is
  const membersOf = () => context.members?.(key) ?? [...store.series.values()].filter((s) => s.key === key);
  /** The chart's x axis (xaxis.js): the control's, or relative time for the system group, or the runs' step
   * metric for a tag define_metric gave one; looked at again at every fill (a definition may come later). */
  const axisNow = () => chartAxis(key, settings.xAxis, membersOf().map((s) => stepMetricOf(store.runs.get(s.run), key)));
  let axis = axisNow();
  const figure = makeFigure(Bokeh, title, settings, axis.label);
  applyTheme(figure, context.theme ?? LIGHT);
  const extent = new Bokeh.ColumnDataSource({ data: { x: [0, 1], y: [0, 1] } });
  /** Set the extent's data only when it moved (a set makes BokehJS recompute the ranges and repaint).
   * @param {number[]} x @param {number[]} y */
  const setExtent = (x, y) => {
    const { data } = extent;
    if (String(data.x) !== String(x) || String(data.y) !== String(y)) extent.data = { x, y };
  };
  const extentRenderer = figure.scatter({ field: "x" }, { field: "y" }, { source: extent, alpha: 0 });
  figure.y_range.renderers = [extentRenderer]; // the y extent is ours (outliers, constant series)
  const hover = new Bokeh.HoverTool({ mode: "vline", renderers: [], tooltips: TOOLTIPS, formatters: FORMATTERS });
  figure.add_tools(hover);
  const span = new Bokeh.Span({ location: cursor?.step ?? null, dimension: "height", line_color: "#555",
    line_dash: "dashed", line_width: 1, visible: axis.mode === "step" && cursor?.step != null });
  figure.add_layout(span);
  if (cursor && settings.xAxis === "step") { // a chart whose x is not the step (step metric, system) moves no cursor
    figure.on_event("tap", (/** @type {any} */ event) => axis.mode === "step" && cursor.set(nearestStep(membersOf(), event.x)));
  }
  /** @type {Map<string, RunLines>} a line set per series (its run and tag) */
  const lines = new Map();
  const lineId = (/** @type {import("./store.js").Series} */ series) => `${series.run}\u0000${series.key}`;
  const nameOf = (/** @type {import("./store.js").Series} */ series) => context.label?.(series) ?? store.runInfo(series.run).name;
  /** @type {Map<string, { source: any, renderer: any }>} the shaded bands' glyphs, by band id */
  const bandGlyphs = new Map();
  /** @type {SharedLines | null} */
  let shared = null;
  /** @type {ReturnType<typeof createGroupLines> | null} made when runs are first grouped */
  let groupLines = null;
  /** The chart's width in pixels (it follows the output's width), for downsampling; no layout read. */
  const pixelWidth = () => Math.max(100, Math.round(context.width?.() || sizeOf(settings).width));

  /** The CSV of the chart's shown runs: every point the browser holds, not only the drawn ones (export.js). */
  function csvOf() {
    const series = membersOf().filter((s) => store.shown(s.run));
    return chartCsv(series.map((s) => ({ run: store.runInfo(s.run).name, tag: s.key, ...s.view() })),
      { smoothing: settings.smoothing, withTag: new Set(series.map((s) => s.key)).size > 1 });
  }

  /** The glyphs all runs share when a chart draws more than MANY_RUNS of them: markers and non-finite marks
   * (their lines are in buckets, see makeBuckets). */
  function sharedLines() {
    if (shared) return shared;
    const source = (/** @type {Record<string, any[]>} */ data) => new Bokeh.ColumnDataSource({ data });
    const made = { marks: source({ x: [], y: [], color: [] }), bad: source({ x: [], y: [] }) };
    const marks = figure.scatter({ field: "x" }, { field: "y" }, { source: made.marks, color: { field: "color" }, size: 5 });
    const bad = figure.scatter({ field: "x" }, { field: "y" }, { source: made.bad, color: "#d62728", marker: "x",
      size: 9, line_width: 2 });
    const runHover = new Bokeh.HoverTool({ renderers: [], line_policy: "nearest",
      tooltips: [["run", "@run"], ["x", "$x{0,0.[00]}"], ["y", "$y{%.6g}"]], formatters: { "$y": "printf" } });
    figure.add_tools(runHover);
    shared = { ...made, runHover, renderers: [marks, bad] };
    return shared;
  }

  /** The points of a run's line marked: all of a short series, else the newest.
   * @param {import("./store.js").Series} series @param {ReturnType<typeof lineData>} data */
  const marksOf = (series, data) => (data.raw.x.length < MARK_ALL_BELOW && series.length < MARK_ALL_BELOW
    ? data.smooth : data.newest);

  /** @type {BucketLines[]} the multi_line glyphs of each bucket of runs (buckets.js) */
  const bucketGlyphs = [];
  /** @type {ReturnType<typeof createBuckets<ReturnType<typeof lineData>>>} */
  const buckets = createBuckets(BUCKETS);
  /**
   * The buckets' glyphs, made at once (each change of a shown figure's renderers costs BokehJS a layout): a
   * smoothed multi_line per bucket (the hover names the run), and with `withRaw` a faint raw one behind all.
   * @param {boolean} withRaw
   */
  function makeBuckets(withRaw) {
    if (!bucketGlyphs.length) {
      const source = () => new Bokeh.ColumnDataSource({ data: { xs: [], ys: [], color: [], run: [] } });
      for (let i = 0; i < BUCKETS; i++) {
        const smooth = source();
        bucketGlyphs.push({ raw: source(), smooth, rawRenderer: null, smoothRenderer: multiLine(smooth, { line_width: MANY_LINES_WIDTH }) });
      }
      figure.add_renderers(...bucketGlyphs.map((b) => b.smoothRenderer));
      const { runHover } = sharedLines();
      runHover.renderers = [...runHover.renderers, ...bucketGlyphs.map((b) => b.smoothRenderer)];
    }
    if (withRaw && !bucketGlyphs[0].rawRenderer) {
      for (const b of bucketGlyphs) b.rawRenderer = multiLine(b.raw, { line_width: 1, line_alpha: 0.12 });
      figure.renderers = [...bucketGlyphs.map((b) => b.rawRenderer), ...figure.renderers];
    }
  }

  /** A multi_line renderer of lines coloured by their `color` column, not yet added to the figure.
   * @param {any} source @param {Record<string, number>} style */
  function multiLine(source, style) {
    const glyph = new Bokeh.MultiLine({ xs: { field: "xs" }, ys: { field: "ys" }, line_color: { field: "color" }, ...style });
    return new Bokeh.GlyphRenderer({ data_source: source, glyph });
  }

  /** @type {ReturnType<typeof createFreezer<ReturnType<typeof lineData>>>} */
  const freezer = createFreezer(MAX_LIVE);
  /** @type {{ source: any, renderer: any, hitSource: any, hitRenderer: any } | null} the bitmap of the frozen
   * lines (an image_rgba) and an invisible multi_line of them for the hover, made when first needed */
  let bitmap = null;
  let bitmapFrame = 0;
  let bitmapTimer = 0;
  let bitmapNow = false; // the first bitmap is drawn (see BITMAP_AFTER_MS)
  /** The figure's frame and ranges the bitmap is drawn for, when it can be (shown, linear y, finite ranges). */
  /** @param {number[]} xExtent @param {number[]} yExtent the extent just set (Bokeh moves its ranges at its paint) */
  function bitmapGeometry(xExtent, yExtent) {
    const bbox = chart.view?.frame?.bbox;
    const dpr = globalThis.devicePixelRatio || 1;
    if (settings.logY || !bbox || !(bbox.width > 0 && bbox.height > 0) || typeof document === "undefined") return null;
    const [x0, x1] = rangeFor(figure.x_range, xExtent);
    const [y0, y1] = rangeFor(figure.y_range, yExtent);
    const g = { x0, x1, y0, y1, width: Math.round(bbox.width * dpr), height: Math.round(bbox.height * dpr), dpr };
    if (![g.x0, g.x1, g.y0, g.y1].every(Number.isFinite) || g.x1 === g.x0 || g.y1 === g.y0) return null;
    return g;
  }
  function makeBitmap() {
    if (bitmap) return bitmap;
    const source = new Bokeh.ColumnDataSource({ data: { image: [], x: [], y: [], dw: [], dh: [] } });
    const glyph = new Bokeh.ImageRGBA({ image: { field: "image" }, x: { field: "x" }, y: { field: "y" },
      dw: { field: "dw" }, dh: { field: "dh" }, origin: "top_left" });
    const renderer = new Bokeh.GlyphRenderer({ data_source: source, glyph });
    const hitSource = new Bokeh.ColumnDataSource({ data: { xs: [], ys: [], color: [], run: [] } });
    const hitRenderer = multiLine(hitSource, { line_width: MANY_LINES_WIDTH, line_alpha: 0 });
    figure.x_range.renderers = [extentRenderer]; // the x extent is ours too: the image spans the ranges
    figure.renderers = [renderer, hitRenderer, ...figure.renderers];
    const { runHover } = sharedLines();
    runHover.renderers = [hitRenderer, ...runHover.renderers];
    // Bokeh moved the ranges (the extent changed): draw the bitmap again for them, at the next frame
    const moved = () => {
      if (!bitmap?.renderer.visible || bitmapFrame) return;
      bitmapFrame = requestAnimationFrame(() => {
        bitmapFrame = 0;
        fill();
      });
    };
    figure.x_range.change.connect(moved);
    figure.y_range.change.connect(moved);
    bitmap = { source, renderer, hitSource, hitRenderer };
    return bitmap;
  }

  /** Draw the frozen lines into the bitmap and the hover's multi_line.
   * @param {{ run: string, line: ReturnType<typeof lineData> }[]} entries @param {NonNullable<ReturnType<typeof bitmapGeometry>>} g
   * @param {(id: string) => import("./store.js").Series} runOf */
  function drawBitmap(entries, g, runOf) {
    const made = makeBitmap();
    const canvas = document.createElement("canvas");
    canvas.width = g.width;
    canvas.height = g.height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
    ctx.lineWidth = MANY_LINES_WIDTH * g.dpr;
    ctx.lineJoin = "bevel"; // BokehJS's default
    const kx = g.width / (g.x1 - g.x0);
    const ky = g.height / (g.y1 - g.y0);
    const color = entries.map((e) => runColor(store.runInfo(runOf(e.run).run).index));
    entries.forEach((entry, i) => {
      const { x, y } = entry.line.smooth;
      ctx.beginPath();
      let move = true;
      for (let j = 0; j < x.length; j++) {
        const sx = (x[j] - g.x0) * kx;
        const sy = g.height - (y[j] - g.y0) * ky;
        if (!Number.isFinite(sx + sy)) move = true;
        else if (move) {
          ctx.moveTo(sx, sy);
          move = false;
        } else ctx.lineTo(sx, sy);
      }
      ctx.strokeStyle = color[i];
      ctx.stroke();
    });
    entries.forEach((entry, i) => { // the markers, as the scatter draws them (size 5)
      const { x, y } = marksOf(runOf(entry.run), entry.line);
      ctx.fillStyle = color[i];
      ctx.strokeStyle = color[i];
      for (let j = 0; j < x.length; j++) {
        const sx = (x[j] - g.x0) * kx;
        const sy = g.height - (y[j] - g.y0) * ky;
        if (!Number.isFinite(sx + sy)) continue;
        ctx.beginPath();
        ctx.arc(sx, sy, 2.5 * g.dpr, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    });
    const pixels = new Uint32Array(ctx.getImageData(0, 0, g.width, g.height).data.buffer);
    const image = Bokeh.require("core/util/ndarray").ndarray(pixels, { dtype: "uint32", shape: [g.height, g.width] });
    made.source.data = { image: [image], x: [g.x0], y: [g.y0], dw: [g.x1 - g.x0], dh: [g.y1 - g.y0] };
    hitVersion += 1;
    made.hitSource.data = { xs: entries.map((e) => e.line.smooth.x), ys: entries.map((e) => e.line.smooth.y), color,
      run: entries.map((e) => nameOf(runOf(e.run))) };
  }

  let hitVersion = 0;
  /**
   * The hover's multi_line of the frozen lines is transparent: its view is never painted, and maps the lines
   * to the screen (for the hover's hit test) only when the ranges, the frame or its lines changed. BokehJS
   * would map and stroke all its lines at every paint of the chart, that is at every new point of a live run.
   */
  function quietHitView() {
    const view = chart.view?.views?.find_one?.(bitmap?.hitRenderer);
    if (!view || view.nbtrackQuiet || typeof view._paint !== "function" || !view.glyph?.map_data) return;
    view.nbtrackQuiet = true;
    let mapped = "";
    view._paint = () => {
      const { x_range: xr, y_range: yr } = figure;
      const b = chart.view?.frame?.bbox;
      const now = [xr.start, xr.end, yr.start, yr.end, b?.left, b?.top, b?.width, b?.height, hitVersion].join();
      if (now === mapped) return;
      mapped = now;
      view.glyph.map_data();
    };
  }

  /** Hide the bitmap (few runs, a log axis, groups) and forget it. */
  function hideBitmap() {
    if (!bitmap) return;
    freezer.reset();
    setVisible(bitmap.renderer, false);
    setVisible(bitmap.hitRenderer, false);
  }

  /** Many runs: each bucket whose runs' lines changed gets its data again; the markers of every run.
   * @param {{ series: import("./store.js").Series, data: ReturnType<typeof lineData> }[]} drawn
   * @param {number} lo @param {number} hi @param {boolean} withRaw draw the faint raw lines
   * @param {number[]} xExtent the x extent set */
  function fillShared(drawn, lo, hi, withRaw, xExtent) {
    const glyphs = sharedLines();
    // a line is one run's, or one (run, tag) of a layout chart: bucketed by its line id, named and coloured by run
    const seriesOf = new Map(drawn.map((d) => [lineId(d.series), d.series]));
    const runOf = (/** @type {string} */ id) => /** @type {import("./store.js").Series} */ (seriesOf.get(id));
    let entries = drawn.map((d) => ({ run: lineId(d.series), line: d.data }));
    /** @type {Set<string> | null} the live lines, when the others are in the bitmap */
    let live = null;
    let g = !withRaw && drawn.length >= BITMAP_FROM ? bitmapGeometry(xExtent, [lo, hi]) : null;
    if (g && !bitmap?.renderer.visible && !bitmapNow) { // not shown yet: vector lines now, the bitmap soon
      if (!bitmapTimer) {
        bitmapTimer = window.setTimeout(() => {
          bitmapTimer = 0;
          bitmapNow = true;
          try {
            fill();
          } finally {
            bitmapNow = false;
          }
        }, BITMAP_AFTER_MS);
      }
      g = null;
    }
    if (g) { // the lines that do not change from a bitmap, the others (buckets) on top
      const split = freezer.split(entries, [g.x0, g.x1, g.y0, g.y1, g.width, g.height, pixelWidth(),
        settings.smoothing, settings.xAxis].join("|"));
      if (split.redraw) drawBitmap(split.frozen, g, runOf);
      setVisible(/** @type {any} */ (bitmap).renderer, true);
      setVisible(/** @type {any} */ (bitmap).hitRenderer, true);
      quietHitView();
      entries = split.live;
      live = new Set(entries.map((e) => e.run));
    } else hideBitmap();
    makeBuckets(withRaw);
    for (const bucket of buckets.split(entries, String(withRaw))) {
      const lineSet = bucketGlyphs[bucket.index];
      if (lineSet.rawRenderer) setVisible(lineSet.rawRenderer, withRaw);
      if (!bucket.changed) continue;
      const color = bucket.entries.map((e) => runColor(store.runInfo(runOf(e.run).run).index));
      const run = bucket.entries.map((e) => nameOf(runOf(e.run)));
      const lineSetOf = (/** @type {(e: { line: ReturnType<typeof lineData> }) => { x: any, y: any }} */ part) =>
        ({ xs: bucket.entries.map((e) => part(e).x), ys: bucket.entries.map((e) => part(e).y), color, run });
      if (withRaw) lineSet.raw.data = lineSetOf((e) => e.line.raw);
      else if (lineSet.raw.data.xs.length) lineSet.raw.data = { xs: [], ys: [], color: [], run: [] };
      lineSet.smooth.data = lineSetOf((e) => e.line.smooth);
    }
    const marked = live ? drawn.filter((d) => live.has(lineId(d.series))) : drawn; // the frozen: in the bitmap
    const color = marked.map((d) => runColor(store.runInfo(d.series.run).index));
    const marks = marked.map((d) => marksOf(d.series, d.data));
    glyphs.marks.data = { x: marks.flatMap((m) => Array.from(m.x)), y: marks.flatMap((m) => Array.from(m.y)),
      color: marks.flatMap((m, i) => Array.from(m.x, () => color[i])) };
    const bad = drawn.map((d) => d.data.badPoints(lo, hi));
    if (bad.some((b) => b.x.length) || glyphs.bad.data.x.length) {
      glyphs.bad.data = { x: bad.flatMap((b) => Array.from(b.x)), y: bad.flatMap((b) => Array.from(b.y)) };
    }
  }

  /** Show or hide the many-runs glyphs. @param {boolean} show */
  function showShared(show) {
    shared?.renderers.forEach((r) => setVisible(r, show));
    if (!show) hideBitmap();
    for (const lineSet of bucketGlyphs) {
      setVisible(lineSet.smoothRenderer, show);
      if (!show && lineSet.rawRenderer) setVisible(lineSet.rawRenderer, false);
    }
  }

  /** @param {import("./store.js").Series} series */
  function linesFor(series) {
    let run = lines.get(lineId(series));
    if (run) return run;
    const color = runColor(store.runInfo(series.run).index);
    const source = () => new Bokeh.ColumnDataSource({ data: { x: [], y: [] } });
    run = { raw: source(), smooth: source(), marks: source(), bad: source(), smoothRenderer: null, renderers: [] };
    const xy = [{ field: "x" }, { field: "y" }];
    const rawAlpha = store.runs.size > 1 ? 0.12 : 0.25; // overlaid runs: faint raw lines, or the last hides the rest
    const line_dash = context.dash?.(series) ?? "solid"; // a layout chart's tags differ by dash
    const raw = figure.line(...xy, { source: run.raw, color, line_width: 1, line_alpha: rawAlpha, line_dash });
    // no in-chart legend (it covers the lines): the header lists the runs with their colour swatches
    run.smoothRenderer = figure.line(...xy, { source: run.smooth, color, line_width: 1.75, line_dash });
    const marks = figure.scatter(...xy, { source: run.marks, color, size: 5 });
    const bad = figure.scatter(...xy, { source: run.bad, color: "#d62728", marker: "x", size: 9, line_width: 2 });
    run.renderers = [raw, run.smoothRenderer, marks, bad];
    hover.renderers = [...hover.renderers, run.smoothRenderer];
    lines.set(lineId(series), run);
    return run;
  }

  /** The points to draw: the kernel's detail when the visible range lies inside it, else the store's; with
   * their x when the chart's axis is not the control's (a step metric's values, the system group's time).
   * @param {import("./store.js").Series} series @param {[number, number] | null} visible
   * @returns {import("./lines.js").Columns} */
  function columnsFor(series, visible) {
    const d = series.detail;
    if (axis.mode === "step") {
      if (d && visible && settings.xAxis === "step" && visible[0] >= d.x0 && visible[1] <= d.x1) return d;
      return series.view();
    }
    const view = series.view();
    if (axis.mode !== "metric") return axis.mode === settings.xAxis ? view : { ...view, xs: xOf(view, axis.mode) };
    const metric = stepMetricOf(store.runs.get(series.run), key);
    if (metric === null) return { ...view, xs: view.steps }; // a run without the definition: its steps
    return mapToStepMetric(view, store.series.get(`${series.run}\u0000${metric}`)?.view());
  }

  /** What a series' line depends on besides its own points: the axis, and its step metric's points.
   * @param {import("./store.js").Series} series */
  function axisKey(series) {
    if (axis.mode !== "metric") return axis.mode;
    const metric = stepMetricOf(store.runs.get(series.run), key);
    const m = metric === null ? null : store.series.get(`${series.run}\u0000${metric}`);
    return `${metric}:${m?.length ?? 0}:${m?.total ?? 0}`;
  }

  /** @type {WeakMap<import("./store.js").Series, { key: string, detail: unknown, data: ReturnType<typeof lineData> }>} */
  const lineCache = new WeakMap();
  /**
   * A series' line data, made again only when the series grew or what it is drawn with changed: a redraw
   * after new points of one run (a watched logdir of 200 runs) recomputes that run's line, not every run's.
   * @param {import("./store.js").Series} series @param {[number, number] | null} visible @param {number} width
   * @param {"m4" | "minmax"} reduce
   */
  function cachedLineData(series, visible, width, reduce) {
    const name = nameOf(series);
    const columns = columnsFor(series, visible);
    const detail = columns === series.detail ? series.detail : null;
    const key = [series.length, series.total, settings.smoothing, settings.xAxis, settings.logY, width,
      visible ? `${visible[0]},${visible[1]}` : "", name, reduce, axisKey(series)].join("|");
    const hit = lineCache.get(series);
    if (hit && hit.key === key && hit.detail === detail) return hit.data;
    const data = lineData(columns, settings, width, visible, name, { reduce });
    lineCache.set(series, { key, detail, data });
    return data;
  }

  /** Redraw from the store, over the visible x range when the user has zoomed. */
  function fill() {
    axis = axisNow();
    setAxisLabel(figure, axis.label);
    span.visible = axis.mode === "step" && cursor?.step != null;
    const range = figure.x_range;
    /** @type {[number, number] | null} */
    const visible = range.have_updated_interactively ? [range.start, range.end] : null;
    const members = membersOf();
    const groups = context.groups ? context.groups() : groupsOf(store, settings);
    const width = pixelWidth();
    const shown = groups ? [] : members.filter((series) => store.shown(series.run));
    const many = shown.length > MANY_RUNS;
    const withRaw = !many || (settings.smoothing > 0 && shown.length <= FAINT_RAW_UP_TO);
    for (const series of members) {
      const run = lines.get(lineId(series));
      if (run) run.renderers.forEach((r) => setVisible(r, !groups && !many && store.shown(series.run)));
    }
    showShared(!groups && many);
    const reduce = many ? "minmax" : "m4";
    const drawn = shown.map((series) => ({ series, data: cachedLineData(series, visible, width, reduce) }));
    const grouped = groups ? fillGroups(groups, members, visible, width) : [];
    if (!groups) groupLines?.hide();
    const bands = fillBands(width);
    const [lo, hi] = yExtent([...drawn.map((d) => d.data), ...grouped.map((g) => g.data),
      ...[...grouped.map((g) => g.data.band), ...bands].map((b) => ({ raw: { y: b.lo }, smooth: { y: b.hi } }))],
    settings, withRaw ? undefined : ["smooth"]);
    const xs = [...drawn, ...grouped].flatMap((d) => [d.data.x0, d.data.x1]).filter(Number.isFinite);
    const xExtent = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
    setExtent(xExtent, [lo, hi]);
    if (settings.logY) setLogTicks(Bokeh, figure, lo, hi);
    let points = 0;
    if (many) {
      fillShared(drawn, lo, hi, withRaw, xExtent);
      points = drawn.reduce((n, d) => n + d.series.length, 0);
    }
    for (const { series, data } of many ? [] : drawn) {
      const run = linesFor(series);
      run.raw.data = data.raw;
      run.smooth.data = data.smooth;
      run.marks.data = data.raw.x.length < MARK_ALL_BELOW && series.length < MARK_ALL_BELOW ? data.smooth : data.newest;
      run.bad.data = data.badPoints(lo, hi);
      points += series.length;
    }
    if (groups) points = grouped.reduce((n, g) => n + g.data.stats.steps.length, 0);
    const nonPositive = settings.logY && [...drawn, ...grouped].some((d) => d.data.minRaw <= 0);
    setIfChanged(note, "textContent", nonPositive ? "values ≤ 0 are not drawn on a log axis" : "");
    const first = drawn[0]?.data ?? grouped[0]?.data;
    setData(box, { // what is drawn, readable by tests and tools
      smoothing: settings.smoothing.toFixed(2), logY: String(settings.logY), xAxis: settings.xAxis,
      xMode: axis.mode, xLabel: axis.label,
      points: String(points), runs: String(groups ? grouped.reduce((n, g) => n + g.group.runs.size, 0) : drawn.length),
      groups: String(grouped.length), drawn: String(first?.raw.x.length ?? 0),
      rawLast: String(first?.raw.y[first.raw.y.length - 1] ?? ""),
      smoothLast: String(first?.smooth.y[first.smooth.y.length - 1] ?? ""),
      yLow: String(lo), yHigh: String(hi), nonFinite: String(drawn.reduce((n, d) => n + d.data.bad.length, 0)),
      detail: drawn.some((d) => d.series.detail && columnsFor(d.series, visible) === d.series.detail) ? "kernel" : "",
    });
  }

  /** A layout chart's shaded bands (context.bands), each in its run's colour; the other bands are hidden.
   * @param {number} width @returns {Band[]} */
  function fillBands(width) {
    const bands = context.bands?.(width) ?? [];
    const drawn = new Set(bands.map((band) => band.id));
    for (const [id, glyph] of bandGlyphs) glyph.renderer.visible = drawn.has(id);
    for (const band of bands) {
      let glyph = bandGlyphs.get(band.id);
      if (!glyph) {
        const source = new Bokeh.ColumnDataSource({ data: { x: [], lo: [], hi: [] } });
        const renderer = figure.varea({ field: "x" }, { field: "lo" }, { field: "hi" }, { source, fill_color: band.color,
          fill_alpha: 0.2 });
        glyph = { source, renderer };
        bandGlyphs.set(band.id, glyph);
      }
      glyph.source.data = { x: band.x, lo: band.lo, hi: band.hi };
    }
    return bands;
  }

  /** Grouped runs: one mean line and band per group with series in this chart.
   * @param {import("./grouplines.js").Group[]} groups @param {import("./store.js").Series[]} members
   * @param {[number, number] | null} visible @param {number} width */
  function fillGroups(groups, members, visible, width) {
    const made = groups.map((group) => ({ group, series: members.filter((s) => group.runs.has(s.run)) }))
      .filter((g) => g.series.length > 0)
      .map(({ group, series }) => ({ group, data: groupLineData(series.map((s) => columnsFor(s, null)), settings, width, visible,
        group.label, group.runs.size) }));
    groupLines ??= createGroupLines(Bokeh, figure);
    groupLines.fill(made.map((g) => g.group), made.map((g) => g.data));
    return made;
  }

  let detailTimer = 0;
  /** After a zoom settles, ask the kernel for the visible range of reduced series (static outputs). */
  function askDetail() {
    const { detail } = context;
    if (!detail || settings.xAxis !== "step" || axis.mode !== "step") return;
    clearTimeout(detailTimer);
    detailTimer = window.setTimeout(async () => {
      const { start, end } = figure.x_range;
      const reduced = membersOf().filter((s) => s.total > s.length);
      const replies = await Promise.all(reduced.map(async (series) => {
        const got = await detail(series.run, key, start, end, 4 * pixelWidth());
        if (got) series.detail = got;
        return got;
      }));
      if (replies.some(Boolean)) fill();
    }, 250);
  }

  const chart = {
    box, figure, lines, fill,
    /** @type {any} the BokehJS view, once shown */
    view: null,
    /** Show the figure in `box`; `gone()` says whether the grid was disposed of meanwhile.
     * @param {() => boolean} gone */
    async show(gone) {
      chart.view = await Bokeh.Plotting.show(figure, box);
      plainVisuals(chart.view?.model?.document);
      if (gone()) { // disposed while BokehJS was building the view: remove it now
        removeView(chart.view);
        return;
      }
      // after a zoom or pan by the user, redraw at the detail of the new range (once per frame)
      figure.x_range.change.connect(() => {
        if (figure.x_range.have_updated_interactively) context.nextFrame(() => { fill(); askDetail(); });
      });
    },
    /** Move the dashed line to the cursor's step. */
    markCursor() {
      span.location = cursor?.step ?? null;
      span.visible = axis.mode === "step" && cursor?.step != null;
      box.dataset.cursor = String(cursor?.step ?? "");
    },
  };
  return chart;
}

/** The logged step of a chart's series nearest to x.
 * @param {import("./store.js").Series[]} members @param {number} x */
function nearestStep(members, x) {
  let best = Math.round(x);
  let gap = Infinity;
  for (const series of members) {
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

/** The x axis' title, set only when it changed. @param {any} figure @param {string} label */
function setAxisLabel(figure, label) {
  const [xAxis] = figure.xaxis ?? figure.below ?? [];
  if (xAxis && xAxis.axis_label !== label) xAxis.axis_label = label;
}

/** @param {any} Bokeh @param {string} key @param {Settings} settings @param {string} xLabel */
function makeFigure(Bokeh, key, settings, xLabel) {
  const { width, height } = sizeOf(settings);
  const figure = Bokeh.Plotting.figure({ // as wide as its grid cell: the grid follows the output's width
    width, height, sizing_mode: "stretch_width", title: key, // drawn as canvas text, never parsed as HTML
    tools: "pan,wheel_zoom,box_zoom,reset,save", active_scroll: null, toolbar_location: "right",
    x_axis_label: xLabel, x_axis_type: settings.xAxis === "wall" ? "datetime" : "linear",
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

/**
 * The start and end a range will have: a DataRange1d following our extent (not zoomed by the user, the
 * default padding) as BokehJS computes it at the next paint, else the range's own. Drawing the bitmap for
 * the range BokehJS is about to set avoids drawing it twice when the extent moves (200 runs shown at once).
 * @param {any} range @param {number[]} extent [min, max]
 * @returns {[number, number]}
 * @example
 * rangeFor({ range_padding: 0.1, range_padding_units: "percent", have_updated_interactively: false }, [0, 10]) // [-0.5, 10.5]
 */
export function rangeFor(range, [min, max]) {
  const own = /** @type {[number, number]} */ ([range.start, range.end]);
  if (range.have_updated_interactively || range.range_padding_units !== "percent" || range.follow != null
    || range.flipped || typeof range.range_padding !== "number" || range.min_interval != null
    || range.max_interval != null || range._initial_start != null || range._initial_end != null
    || !Number.isFinite(min) || !Number.isFinite(max)) return own;
  const span = max > min ? (max - min) * (1 + range.range_padding) : (range.default_span ?? 2);
  const center = (min + max) / 2;
  return [center - span / 2, center + span / 2];
}

/** Set a renderer's visibility only when it changes (BokehJS repaints on every set). @param {any} renderer @param {boolean} show */
function setVisible(renderer, show) {
  if (renderer.visible !== show) renderer.visible = show;
}

/** Set `data-*` attributes of an element, each only when it changed. @param {HTMLElement} element @param {Record<string, string>} data */
function setData(element, data) {
  for (const [name, value] of Object.entries(data)) setIfChanged(element.dataset, name, value);
}
