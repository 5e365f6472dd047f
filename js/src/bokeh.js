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
    if (root.Bokeh?.Plotting) return root.Bokeh;
    for (const trait of ["bokeh_core", "bokeh_api"]) { // core first: the api needs it
      const script = document.createElement("script");
      script.dataset.nbtrackBokeh = trait;
      script.textContent = String(loader.get(trait) ?? "");
      document.head.appendChild(script);
    }
    if (!root.Bokeh?.Plotting) throw new Error("nbtrack: BokehJS did not load (Bokeh.Plotting is missing)");
    return root.Bokeh;
  })();
  const loading = root.__nbtrackBokeh;
  loading.catch(() => { // a failed load is not kept: the next dashboard tries again
    if (root.__nbtrackBokeh === loading) root.__nbtrackBokeh = undefined;
  });
  return loading;
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
