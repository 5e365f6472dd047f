// A stand-in for the parts of BokehJS the chart modules use, for the node:test suites (no canvas, no
// browser): models are plain objects that remember what they were given. Never bundled: only tests import it.

/** A model: its options as properties. @param {Record<string, any>} [options] */
function model(options = {}) {
  return { ...options };
}

/** A signal whose listeners are kept. */
function signal() {
  /** @type {(() => void)[]} */
  const listeners = [];
  return { connect: (/** @type {() => void} */ f) => listeners.push(f), listeners };
}

/** A fake figure: every glyph call returns a renderer recording its kind and options. @param {Record<string, any>} options */
function figure(options) {
  /** @type {any[]} */
  const renderers = [];
  const glyph = (/** @type {string} */ kind) => (/** @type {any[]} */ ...args) => {
    const renderer = { kind, args, visible: true, ...args[args.length - 1] };
    fig.renderers.push(renderer); // the figure's list, which a chart may replace
    return renderer;
  };
  const axis = () => ({ ticker: { desired_num_ticks: 6 } });
  const [xAxis, yAxis] = [axis(), axis()];
  const fig = {
    options, renderers, tools: /** @type {any[]} */ ([]), layouts: /** @type {any[]} */ ([]), title: { text: options.title },
    x_range: { start: 0, end: 1, have_updated_interactively: false, change: signal() },
    y_range: { renderers: [], change: signal() },
    xaxis: [xAxis], yaxis: [yAxis], axes: [xAxis, yAxis], grids: [{}, {}],
    line: glyph("line"), scatter: glyph("scatter"), multi_line: glyph("multi_line"), varea: glyph("varea"),
    add_tools(/** @type {any} */ tool) { this.tools.push(tool); },
    add_renderers(/** @type {any[]} */ ...added) { this.renderers.push(...added); },
    add_layout(/** @type {any} */ layout) { this.layouts.push(layout); },
    on_event() {},
  };
  return fig;
}

/** The fake BokehJS namespace. */
export function fakeBokeh() {
  return {
    ColumnDataSource: function ColumnDataSource(/** @type {any} */ options) { Object.assign(this, options); },
    MultiLine: function MultiLine(/** @type {any} */ options) { Object.assign(this, { kind: "multi_line", ...options }); },
    // a renderer made by hand reads as the figure's own: its glyph's kind and options, its source
    GlyphRenderer: function GlyphRenderer(/** @type {any} */ options) {
      Object.assign(this, { ...options.glyph, source: options.data_source, visible: true });
    },
    HoverTool: function HoverTool(/** @type {any} */ options) { Object.assign(this, model(options)); },
    Span: function Span(/** @type {any} */ options) { Object.assign(this, model(options)); },
    FixedTicker: function FixedTicker(/** @type {any} */ options) { Object.assign(this, model(options)); },
    BasicTickFormatter: function BasicTickFormatter(/** @type {any} */ options) { Object.assign(this, model(options)); },
    NumeralTickFormatter: function NumeralTickFormatter(/** @type {any} */ options) { Object.assign(this, model(options)); },
    Plotting: {
      figure,
      show: async (/** @type {any} */ fig, /** @type {HTMLElement} */ box) => ({ model: { document: null }, figure: fig, box,
        // a PlotView's export: a layer whose to_blob() gives the picture
        export: (/** @type {string} */ type) => ({ to_blob: async () => new Blob([`fake ${type}`], { type: "image/png" }) }) }),
    },
    index: { roots: [] },
  };
}
