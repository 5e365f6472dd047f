// Logged figures (nbtrack.Figure) in a media panel. A matplotlib figure is shown through an <img> from its
// stored SVG (a blob URL of type image/svg+xml: an <img> never runs an SVG's scripts nor loads what it links)
// or, when the SVG was too big to travel, its PNG; an SVG is never inlined. A Bokeh figure is drawn
// interactively from its stored `json_item` JSON with the page's BokehJS, but only when every model of its
// document is on an allow-list of plain plot parts (`bokehRefusal`): nothing from a stored run may run code,
// and BokehJS runs the code of CustomJS models, markup models and HTML tooltips. A refused figure shows a
// one-line note saying why.

import { disposeViews } from "./bokeh.js";
import { el } from "./dom.js";

/** Bokeh models a stored figure may hold: plots and layouts, glyphs and their renderers, data sources and
 * views, axes, tickers, formatters, ranges, scales, grids, legends, colour mappers, annotations, toolbars
 * and the standard tools. None runs code given in the document. */
export const BOKEH_MODELS = new Set([
  // plots, layouts and the document's configuration
  "Plot", "Figure", "GridPlot", "Row", "Column", "Spacer", "DocumentConfig", "Notifications",
  // renderers and glyphs
  "GlyphRenderer", "Line", "MultiLine", "Scatter", "Circle", "Step", "VBar", "HBar", "Quad", "Rect", "Block",
  "Patch", "Patches", "VArea", "HArea", "VAreaStep", "HAreaStep", "Segment", "Ray", "Wedge", "AnnularWedge",
  "Annulus", "Arc", "Ellipse", "Bezier", "Quadratic", "HexTile", "Image", "ImageRGBA", "Text",
  // data
  "ColumnDataSource", "CDSView", "AllIndices", "IndexFilter", "BooleanFilter", "GroupFilter", "IntersectionFilter",
  "UnionFilter", "InversionFilter", "DifferenceFilter", "SymmetricDifferenceFilter", "Selection", "UnionRenderers",
  "IntersectRenderers", "Stack", "CumSum", "Dodge", "Jitter", "LinearInterpolator", "StepInterpolator",
  // axes, tickers, formatters, ranges, scales, grids
  "LinearAxis", "LogAxis", "CategoricalAxis", "DatetimeAxis", "MercatorAxis",
  "BasicTicker", "LogTicker", "CategoricalTicker", "DatetimeTicker", "AdaptiveTicker", "CompositeTicker",
  "DaysTicker", "MonthsTicker", "YearsTicker", "SingleIntervalTicker", "FixedTicker", "MercatorTicker",
  "BinnedTicker", "BasicTickFormatter", "LogTickFormatter", "CategoricalTickFormatter", "DatetimeTickFormatter",
  "NumeralTickFormatter", "PrintfTickFormatter", "MercatorTickFormatter", "AllLabels", "NoOverlap",
  "DataRange1d", "Range1d", "FactorRange", "LinearScale", "LogScale", "CategoricalScale", "Grid",
  // legends, colour mappers, titles, annotations
  "Legend", "LegendItem", "LinearColorMapper", "LogColorMapper", "EqHistColorMapper", "CategoricalColorMapper",
  "CategoricalMarkerMapper", "CategoricalPatternMapper", "ColorBar", "Title", "Span", "BoxAnnotation", "Band",
  "Label", "LabelSet", "Whisker", "Arrow", "VeeHead", "NormalHead", "OpenHead", "TeeHead", "Slope",
  "PolyAnnotation", "BoxInteractionHandles", "AreaVisuals",
  // toolbars and the standard tools
  "Toolbar", "PanTool", "WheelZoomTool", "WheelPanTool", "BoxZoomTool", "ZoomInTool", "ZoomOutTool",
  "ResetTool", "SaveTool", "HoverTool", "CrosshairTool", "HelpTool",
]);

/** The `type`s of Bokeh's serialization (core/serialization/reps): anything else BokehJS would decode by a
 * registered decoder, or refuse. */
const REPS = new Set(["ref", "symbol", "number", "array", "set", "map", "bytes", "slice", "date", "value", "field",
  "expr", "typed_array", "ndarray", "object"]);
/** The keys of a json_item's document; any other (document callbacks, custom model definitions) is refused. */
const DOC_KEYS = new Set(["version", "title", "config", "roots"]);
const HOVER_FORMATTERS = new Set(["printf", "numeral", "datetime"]);

/** Whether a serialized value holds nothing: null, an empty list, map or object. @param {unknown} value */
function isEmpty(value) {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value !== "object") return false;
  const rep = /** @type {any} */ (value);
  if (rep.type === "map" || rep.type === "set") return !rep.entries?.length;
  return Object.keys(rep).length === 0;
}

/** The values of a serialized mapping (a plain object or a map rep). @param {unknown} value @returns {unknown[]} */
function mappingValues(value) {
  if (!value || typeof value !== "object") return [];
  const rep = /** @type {any} */ (value);
  if (rep.type === "map") return (rep.entries ?? []).map((/** @type {unknown[]} */ e) => e?.[1]);
  return Object.values(rep);
}

/**
 * Why one allow-listed model's own attributes may run code or fetch something, or null.
 * @param {string} name @param {Record<string, unknown>} attributes @returns {string | null}
 */
function attributeRefusal(name, attributes) {
  for (const key of ["js_event_callbacks", "js_property_callbacks"]) {
    if (!isEmpty(attributes[key])) return `JavaScript callbacks (${key})`;
  }
  if (!isEmpty(attributes.stylesheets)) return "stylesheets";
  if (!isEmpty(attributes.html_attributes)) return "HTML attributes";
  for (const key of ["styles", "css_variables"]) {
    if (mappingValues(attributes[key]).some((v) => typeof v === "string" && /url\s*\(/i.test(v))) return "styles that load URLs";
  }
  if (name === "HoverTool") {
    const tooltips = attributes.tooltips;
    if (typeof tooltips === "string") return "an HTML tooltip template";
    if (tooltips !== undefined && tooltips !== null) {
      if (!Array.isArray(tooltips)) return "a tooltip template";
      for (const pair of tooltips) {
        if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((s) => typeof s === "string")) return "a tooltip template";
        if (/\{\s*safe\s*\}/.test(pair[1])) return "an HTML tooltip ({safe})";
      }
    }
    if (mappingValues(attributes.formatters).some((f) => !HOVER_FORMATTERS.has(/** @type {string} */ (f)))) {
      return "a custom hover formatter";
    }
    if (!isEmpty(attributes.callback)) return "a hover callback";
  }
  if (name === "HelpTool" && attributes.redirect !== undefined && !/^https:\/\//.test(String(attributes.redirect))) {
    return "a help link that is not https";
  }
  return null;
}

/**
 * Why a stored Bokeh figure may not be drawn, or null when every model in it is on `BOKEH_MODELS` and none
 * carries callbacks, markup or HTML tooltips. Walks the whole document (roots, the config and every
 * nested value: models sit inside attributes, lists and maps); a figure made with another major version of
 * Bokeh than the page's BokehJS is refused too.
 * @example bokehRefusal({ doc: { version: "3.9.2", roots: [{ type: "object", name: "CustomJS", id: "p1" }] } }, "3.9.2")
 * // "CustomJS"
 * @param {unknown} item a `bokeh.embed.json_item` as parsed JSON @param {string} pageVersion the page's Bokeh.version
 * @returns {string | null} what is refused, as a phrase ("CustomJS", "JavaScript callbacks (js_event_callbacks)")
 */
export function bokehRefusal(item, pageVersion) {
  const doc = item && typeof item === "object" ? /** @type {any} */ (item).doc : null;
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.roots)) return "no Bokeh document";
  const version = String(doc.version ?? /** @type {any} */ (item).version ?? "");
  const major = (/** @type {string} */ v) => v.split(".")[0];
  if (!version || major(version) !== major(String(pageVersion))) {
    return `Bokeh ${version || "of an unknown version"} (this page's BokehJS is ${pageVersion})`;
  }
  for (const key of Object.keys(doc)) if (!DOC_KEYS.has(key) && !isEmpty(doc[key])) return `document ${key}`;
  /** @type {unknown[]} */
  const stack = [doc.config, doc.roots];
  /** @type {{ name: string, attributes: Record<string, unknown> }[]} */
  const found = [];
  let seen = 0;
  while (stack.length) { // first every model's name (a CustomJS is named as such, wherever it sits) ...
    const value = stack.pop();
    if (++seen > 5_000_000) return "too many values to check";
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === "object") stack.push(v);
      continue;
    }
    if (!value || typeof value !== "object") continue;
    const rep = /** @type {Record<string, unknown>} */ (value);
    if (rep.type === "object") {
      const name = String(rep.name);
      if (!BOKEH_MODELS.has(name)) return name;
      found.push({ name, attributes: rep.attributes && typeof rep.attributes === "object" ? /** @type {any} */ (rep.attributes) : {} });
    } else if (typeof rep.type === "string" && !REPS.has(rep.type)) {
      return `a value of unknown type ${JSON.stringify(rep.type)}`;
    }
    for (const v of Object.values(rep)) if (v && typeof v === "object") stack.push(v);
  }
  for (const { name, attributes } of found) { // ... then what the allowed ones carry
    const problem = attributeRefusal(name, attributes);
    if (problem) return problem;
  }
  return null;
}

/** Views of drawn Bokeh figures, removed once their element has left the page (the panel shows another step). */
/** @type {{ element: HTMLElement, views: any }[]} */
let drawn = [];

function removeGone() {
  const keep = [];
  for (const entry of drawn) {
    if (entry.element.isConnected) keep.push(entry);
    else removeViews(entry.views);
  }
  drawn = keep;
}

/** Remove drawn views, clear their documents and take those off BokehJS's list of the page's documents.
 * @param {any} views what BokehJS's embed_item resolved to: a view manager, a list of views or one view */
function removeViews(views) {
  try {
    const Bokeh = /** @type {any} */ (globalThis).Bokeh;
    const list = views && typeof views[Symbol.iterator] === "function" ? [...views] : [views];
    const docs = list.map((view) => view?.model?.document);
    disposeViews(Bokeh, list);
    const documents = Bokeh?.documents;
    for (const doc of docs) {
      const at = Array.isArray(documents) ? documents.indexOf(doc) : -1;
      if (at >= 0) documents.splice(at, 1);
    }
  } catch { /* a view that will not go is left to the garbage collector */ }
}

/** The page's BokehJS once it is there: loaded already, or bokeh.js's loading (which a dashboard may start
 * after its media panels are drawn: looked for again every 100 ms for a minute). */
function pageBokeh() {
  const root = /** @type {any} */ (globalThis);
  return new Promise((resolve, reject) => {
    let tries = 0;
    const look = () => {
      if (root.Bokeh?.embed?.embed_item) resolve(root.Bokeh);
      else if (root.__nbtrackBokeh) Promise.resolve(root.__nbtrackBokeh).then(resolve, reject);
      else if (++tries > 600) reject(new Error("BokehJS did not load"));
      else setTimeout(look, 100);
    };
    look();
  });
}

/**
 * Draw a Bokeh json_item into `box` once BokehJS is there, or show the note saying why not.
 * @param {HTMLElement} box @param {Uint8Array} bytes
 */
function drawBokeh(box, bytes) {
  const item = JSON.parse(new TextDecoder().decode(bytes));
  const note = (/** @type {string} */ text) => box.replaceChildren(el("div", "nbtrack-media-other nbtrack-figure-note", text));
  note("this Bokeh figure is drawn once BokehJS has loaded");
  pageBokeh().then(async (Bokeh) => {
    const refused = bokehRefusal(item, String(Bokeh?.version ?? ""));
    if (refused) {
      box.dataset.refused = refused;
      note(refused.startsWith("Bokeh ") ? `this figure was made with ${refused}, so it is not drawn`
        : `this Bokeh figure holds ${refused}, which nbtrack does not run`);
      return;
    }
    const target = el("div", "nbtrack-bokeh-figure");
    box.replaceChildren(target);
    removeGone();
    const views = await Bokeh.embed.embed_item({ ...item, target_id: null }, target);
    drawn.push({ element: target, views });
    box.dataset.drawn = "1";
  }).catch((/** @type {unknown} */ error) => {
    note(`could not draw this Bokeh figure: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/**
 * One logged figure: an <img> of its SVG or PNG, or its Bokeh JSON drawn (when allowed), with its caption.
 * `urlOf` makes a blob URL the panel revokes when it shows another step.
 * @param {import("./store.js").MediaRecord} record
 * @param {(bytes: Uint8Array, type: string) => string} urlOf
 * @returns {HTMLElement}
 */
export function figureBlock(record, urlOf) {
  const figure = el("figure", "nbtrack-figure");
  const bytes = record.data[0];
  const format = String(record.meta.format ?? "");
  figure.dataset.library = String(record.meta.library ?? "");
  if (!bytes) {
    figure.appendChild(el("div", "nbtrack-media-other", `figure at step ${record.step} (too large to show here)`));
  } else if (record.meta.library === "bokeh" || format === "bokeh-json") {
    const box = el("div", "nbtrack-bokeh-box");
    figure.appendChild(box);
    drawBokeh(box, bytes);
  } else {
    const img = el("img", "nbtrack-figure-img");
    img.alt = String(record.meta.caption ?? "");
    img.src = urlOf(bytes, format === "svg" ? "image/svg+xml" : "image/png");
    img.style.maxWidth = "100%";
    figure.appendChild(img);
  }
  if (record.meta.caption) figure.appendChild(el("figcaption", "nbtrack-caption", String(record.meta.caption)));
  return figure;
}
