"""Prototype: one BokehJS loader model per kernel, referenced by every dashboard widget."""
from __future__ import annotations

import uuid
from pathlib import Path

import anywidget
import bokeh
import ipywidgets
import traitlets

_JS_DIR = Path(bokeh.__file__).parent / "server" / "static" / "js"

# Shared by both modules: inject BokehJS once per page from a loader model's traits. Whoever needs it
# first (the loader's initialize, or a dashboard's render) starts it; everyone awaits window.__nbtrackBokeh.
_ENSURE_JS = r"""
function ensureBokeh(loader) {
  if (window.__nbtrackBokeh) return window.__nbtrackBokeh;
  window.__nbtrackBokeh = (async () => {
    if (window.Bokeh?.Plotting) { window.__nbtrackBokehSkipped = (window.__nbtrackBokehSkipped ?? 0) + 1; return window.Bokeh; }
    const core = loader.get("bokehjs_core"), api = loader.get("bokehjs_api");
    if (!core || !api) throw new Error("nbtrack: loader has no BokehJS text");
    const t0 = performance.now();
    for (const [name, text] of [["core", core], ["api", api]]) {
      const s = document.createElement("script");
      s.dataset.nbtrackBokeh = name;
      s.textContent = text;              // inline: runs synchronously on append
      document.head.appendChild(s);
    }
    const ms = performance.now() - t0;
    window.__nbtrackBokehInjections = (window.__nbtrackBokehInjections ?? 0) + 1;
    window.__nbtrackBokehInjectMs = ms;
    if (!window.Bokeh?.Plotting) throw new Error("nbtrack: BokehJS did not define Bokeh.Plotting");
    console.log(`nbtrack: BokehJS ${window.Bokeh.version} injected in ${ms.toFixed(1)} ms`);
    return window.Bokeh;
  })();
  window.__nbtrackBokeh.catch((e) => { console.error(e); window.__nbtrackBokehError = String(e); });
  return window.__nbtrackBokeh;
}
"""

LOADER_ESM = _ENSURE_JS + r"""
export default {
  initialize({ model }) {
    window.__nbtrackLoaderInits = (window.__nbtrackLoaderInits ?? 0) + 1;
    ensureBokeh(model);   // fire and forget: anywidget fails a model whose initialize takes > 2 s
  },
};
"""

DASH_ESM = _ENSURE_JS + r"""
// per-model store on window, keyed by _uid (anywidget may evaluate this module once per model)
const STORES = (window.__nbtrackDash ??= new Map());

function store(model) {
  const uid = model.get("_uid");
  let st = STORES.get(uid);
  if (!st) {
    const d = model.get("data");
    st = { x: [...d.x], y: [...d.y], msgs: 0, views: new Set() };
    STORES.set(uid, st);
  }
  return st;
}

export default {
  initialize({ model }) {
    const st = store(model);
    model.on("msg:custom", (msg) => {
      if (msg.kind === "append") { st.x.push(...msg.x); st.y.push(...msg.y); }
      else if (msg.kind === "set") { st.x = [...msg.x]; st.y = [...msg.y]; }
      st.msgs += 1;
      for (const v of st.views) v();
    });
  },
  async render({ model, el, host }) {
    const st = store(model);
    const ref = model.get("loader");
    window.__nbtrackLoaderRefSeen = { type: typeof ref, value: String(ref).slice(0, 60) };
    const status = document.createElement("div");
    status.className = "nbt-status"; status.textContent = "loading BokehJS...";
    const box = document.createElement("div");
    el.append(status, box);
    let loader;
    try {
      // ipywidgets.widget_serialization arrives un-deserialized as "IPY_MODEL_<id>";
      // anywidget.WidgetTrait arrives as "anywidget:<id>" (what host.getModel accepts)
      loader = String(ref).startsWith("IPY_MODEL_")
        ? await model.widget_manager.get_model(ref.slice("IPY_MODEL_".length))
        : await host.getModel(ref);
      window.__nbtrackLoaderKind = (window.__nbtrackLoaderKind ?? []).concat(
        [`${String(ref).split(":")[0].slice(0, 10)} -> ${typeof loader.get} ${loader.constructor?.name}`]);
      const Bokeh = await ensureBokeh(loader);
      const src = new Bokeh.ColumnDataSource({ data: { x: Float64Array.from(st.x), y: Float64Array.from(st.y) } });
      src.name = "src_" + model.get("_uid");
      const p = Bokeh.Plotting.figure({ width: 420, height: 220, title: model.get("title") });
      p.line({ field: "x" }, { field: "y" }, { source: src, line_width: 2 });
      await Bokeh.Plotting.show(p, box);
      const update = () => {
        src.data = { x: Float64Array.from(st.x), y: Float64Array.from(st.y) };
        status.textContent = `points=${st.x.length} msgs=${st.msgs}`;
      };
      st.views.add(update);
      update();
      return () => st.views.delete(update);
    } catch (e) {
      status.textContent = "nbtrack error: " + e;
      status.classList.add("nbt-error");
      console.error(e);
    }
  },
};
"""


class BokehLoader(anywidget.AnyWidget):
    """Carries BokehJS (core + api) once per kernel; never needs to be displayed."""

    _esm = LOADER_ESM
    bokehjs_core = traitlets.Unicode("").tag(sync=True)
    bokehjs_api = traitlets.Unicode("").tag(sync=True)
    _instance: "BokehLoader | None" = None

    @classmethod
    def instance(cls) -> "BokehLoader":
        if cls._instance is None or cls._instance.comm is None:   # closed -> make a new one
            cls._instance = cls(bokehjs_core=(_JS_DIR / "bokeh.min.js").read_text(),
                                bokehjs_api=(_JS_DIR / "bokeh-api.min.js").read_text())
        return cls._instance


class Dash(anywidget.AnyWidget):
    _esm = DASH_ESM
    _uid = traitlets.Unicode().tag(sync=True)
    title = traitlets.Unicode("dash").tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    loader = traitlets.Instance(BokehLoader).tag(sync=True, **ipywidgets.widget_serialization)

    def __init__(self, x=(), y=(), **kw):
        kw.setdefault("loader", BokehLoader.instance())
        super().__init__(_uid=uuid.uuid4().hex, data={"x": list(map(float, x)), "y": list(map(float, y))}, **kw)

    def append(self, x, y):
        self.send({"kind": "append", "x": [float(v) for v in x], "y": [float(v) for v in y]})


class DashW(Dash):
    """Variant: the reference as anywidget 0.11's WidgetTrait (wire form "anywidget:<id>", JS host.getModel)."""
    loader = anywidget.WidgetTrait().tag(sync=True)
