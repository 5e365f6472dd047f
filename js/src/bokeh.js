// Loading BokehJS once per page, from the installed bokeh package (never a CDN), and removing its views.
//
// The kernel has one small loader model (nbtrack.widget.BokehLoader) whose state holds bokeh.min.js and
// bokeh-api.min.js; every dashboard references it. Whoever needs BokehJS first, the loader's initialize()
// or a dashboard's render(), starts the injection; the promise on window makes it happen once per page.
// Measured: docs/dev/bokeh-loader-prototype/README.md.

/** @typedef {{ get: (name: string) => any, widget_manager?: any }} LoaderModel */

const REF_PREFIX = "IPY_MODEL_";

/**
 * Inject BokehJS from the loader model's state, once per page; resolves to window.Bokeh.
 * @param {LoaderModel} loader
 * @returns {Promise<any>}
 */
export function ensureBokeh(loader) {
  const root = /** @type {any} */ (globalThis);
  root.__nbtrackBokeh ??= (async () => {
    if (root.Bokeh?.Plotting) return patchBokeh(root.Bokeh);
    for (const trait of ["bokeh_core", "bokeh_api"]) { // core first: the api needs it
      const script = document.createElement("script");
      script.dataset.nbtrackBokeh = trait;
      script.textContent = String(loader.get(trait) ?? "");
      document.head.appendChild(script);
    }
    if (!root.Bokeh?.Plotting) throw new Error("nbtrack: BokehJS did not load (Bokeh.Plotting is missing)");
    patchBokeh(root.Bokeh);
    return root.Bokeh;
  })();
  const loading = root.__nbtrackBokeh;
  loading.catch(() => { // a failed load is not kept: the next dashboard tries again
    if (root.__nbtrackBokeh === loading) root.__nbtrackBokeh = undefined;
  });
  return loading;
}

/**
 * Make BokehJS skip rewriting a stylesheet with the text it already holds. Every paint of a view rewrites
 * its position and CSS-variable <style> elements (update_position, _update_css_variables), almost always
 * with unchanged text; each rewrite makes the browser re-parse the sheet and invalidate the page's style,
 * and the next getComputedStyle (BokehJS reads one per visual property of the axes, grids and titles at
 * every paint) recalculates it. Measured in JupyterLab with 10 charts of 201 runs: about 300 rewrites and
 * 100 ms of forced style recalcs per redraw. The same result on screen: only unchanged text is skipped.
 * Idempotent; a BokehJS without `require("core/dom").InlineStyleSheet` is left as it is.
 * @param {any} Bokeh @returns {any} Bokeh
 */
export function patchBokeh(Bokeh) {
  /** @type {any} */
  let sheet = null;
  try {
    sheet = Bokeh?.require?.("core/dom")?.InlineStyleSheet?.prototype;
  } catch {
    return Bokeh; // another BokehJS build: nothing to patch
  }
  if (!sheet || typeof sheet._update !== "function" || sheet._update.nbtrackSkipsUnchanged) return Bokeh;
  const update = sheet._update;
  /** @this {{ el: HTMLStyleElement }} @param {string} css */
  function skipUnchanged(css) {
    if (this.el?.textContent !== css) update.call(this, css);
  }
  skipUnchanged.nbtrackSkipsUnchanged = true;
  sheet._update = skipUnchanged;
  patchCssValues(Bokeh);
  return Bokeh;
}

/** The BokehJS documents whose visuals take no CSS variables (page-wide: every copy of this module shares it). */
function plainDocs() {
  const root = /** @type {any} */ (globalThis);
  return /** @type {WeakSet<object>} */ (root.__nbtrackPlainDocs ??= new WeakSet());
}

/**
 * Charts whose colours and lines are set by their properties only (nbtrack's: theme.js sets the properties,
 * no stylesheet defines BokehJS's --bk-* visual variables): their visuals skip BokehJS's getComputedStyle
 * reads (one per visual property of every axis, grid, title and glyph at every paint, each forcing a style
 * recalc in a page as large as JupyterLab's when anything changed the page since the last one).
 * @param {any} doc a view's model.document
 */
export function plainVisuals(doc) {
  if (doc && typeof doc === "object") plainDocs().add(doc);
}

/** @param {any} Bokeh */
function patchCssValues(Bokeh) {
  /** @type {any} */
  let visual = null;
  try {
    visual = Bokeh?.require?.("core/visuals/visual")?.VisualProperties?.prototype;
  } catch {
    return;
  }
  if (!visual || typeof visual._get_css_value !== "function" || visual._get_css_value.nbtrackPlain) return;
  const read = visual._get_css_value;
  const docs = plainDocs();
  /** @this {{ obj?: { model?: { document?: object } } }} @param {string} name */
  function cssValue(name) {
    const doc = this.obj?.model?.document;
    return doc && docs.has(doc) ? "" : read.call(this, name);
  }
  cssValue.nbtrackPlain = true;
  visual._get_css_value = cssValue;
  patchFontSize(Bokeh, docs);
  patchGlyphPosition(Bokeh, docs);
}

/**
 * A glyph renderer's view positions an (empty) element over its glyphs' bounds at every paint, a stylesheet
 * rewritten whenever the bounds move: a live run's line grows at every new point, so every redraw
 * invalidated the page's style. In plain charts the element moves only when its bounds, rounded to whole
 * pixels, do.
 * @param {any} Bokeh @param {WeakSet<object>} docs
 */
function patchGlyphPosition(Bokeh, docs) {
  /** @type {any} */
  let glyphView = null;
  try {
    glyphView = Bokeh?.require?.("models/renderers/glyph_renderer")?.GlyphRendererView?.prototype;
  } catch {
    return;
  }
  const position = glyphView?.update_position;
  if (typeof position !== "function" || position.nbtrackRounded) return;
  /** @type {WeakMap<object, string>} */
  const placed = new WeakMap();
  /** @this {{ model?: { document?: object }, bbox?: any }} */
  function roundedPosition() {
    const doc = this.model?.document;
    if (doc && docs.has(doc)) {
      const b = this.bbox;
      const at = b?.is_valid ? [b.left, b.top, b.width, b.height].map(Math.round).join() : "";
      if (placed.get(this) === at) return;
      placed.set(this, at);
    }
    position.call(this);
  }
  roundedPosition.nbtrackRounded = true;
  glyphView.update_position = roundedPosition;
}

const FONT_SIZE_MS = 5000; // a plain chart's font size is read again after this long (page styles may change)

/**
 * A plain chart's plot reads its font size (getComputedStyle) for every axis at every paint: read it at most
 * every FONT_SIZE_MS per plot instead.
 * @param {any} Bokeh @param {WeakSet<object>} docs
 */
function patchFontSize(Bokeh, docs) {
  /** @type {any} */
  let plot = null;
  try {
    plot = Bokeh?.require?.("models/plots/plot_canvas")?.PlotView?.prototype;
  } catch {
    return;
  }
  const desc = plot && Object.getOwnPropertyDescriptor(plot, "base_font_size");
  if (!desc?.get || !desc.configurable || /** @type {any} */ (desc.get).nbtrackCached) return;
  const read = desc.get;
  /** @type {WeakMap<object, { value: unknown, at: number }>} */
  const cache = new WeakMap();
  /** @this {{ model?: { document?: object } }} */
  function fontSize() {
    const doc = this.model?.document;
    if (!doc || !docs.has(doc)) return read.call(this);
    const now = performance.now();
    let hit = cache.get(this);
    if (!hit || now - hit.at > FONT_SIZE_MS) {
      hit = { value: read.call(this), at: now };
      cache.set(this, hit);
    }
    return hit.value;
  }
  fontSize.nbtrackCached = true;
  Object.defineProperty(plot, "base_font_size", { ...desc, get: fontSize });
}

/**
 * The loader model a dashboard references: ipywidgets sends the reference as "IPY_MODEL_<id>".
 * @param {{ get: (name: string) => any, widget_manager?: any }} model
 * @returns {Promise<LoaderModel>}
 */
export async function loaderOf(model) {
  const ref = model.get("loader");
  if (typeof ref === "string" && ref.startsWith(REF_PREFIX)) {
    return model.widget_manager.get_model(ref.slice(REF_PREFIX.length));
  }
  return ref;
}

/**
 * Remove a view and clear its BokehJS document (rebuilding a chart without this leaks documents).
 * @param {any} view @returns {any} the view's document
 */
export function removeView(view) {
  const doc = view?.model?.document;
  view?.remove?.();
  doc?.clear?.();
  return doc;
}

/**
 * Remove views and clear their documents, with the documents' other root views (BokehJS adds a
 * notifications view per document, which stays in Bokeh.index unless removed too).
 * @param {any} Bokeh @param {any[]} views
 */
export function disposeViews(Bokeh, views) {
  const docs = new Set(views.map(removeView));
  for (const root of [...(Bokeh.index?.roots ?? [])]) {
    const doc = root?.model?.document;
    if (doc == null || docs.has(doc)) {
      root.remove?.();
      Bokeh.index.delete?.(root);
    }
  }
}
