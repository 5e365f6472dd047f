import assert from "node:assert/strict";
import { test } from "node:test";
import { patchBokeh, plainVisuals } from "./bokeh.js";

/** A stand-in for the BokehJS classes patchBokeh changes, recording what the originals did. */
function fakeBokeh() {
  const calls = { writes: 0, css: 0, font: 0, position: 0 };
  class InlineStyleSheet {
    constructor() { this.el = { textContent: "" }; }
    /** @param {string} css */
    _update(css) { calls.writes += 1; this.el.textContent = css; }
  }
  class VisualProperties {
    /** @param {any} obj */
    constructor(obj) { this.obj = obj; }
    /** @param {string} name */
    _get_css_value(name) { calls.css += 1; return `css:${name}`; }
  }
  class PlotView {
    /** @param {any} doc */
    constructor(doc) { this.model = { document: doc }; }
    get base_font_size() { calls.font += 1; return 13; }
  }
  class GlyphRendererView {
    /** @param {any} doc @param {any} bbox */
    constructor(doc, bbox) { this.model = { document: doc }; this.bbox = bbox; }
    update_position() { calls.position += 1; }
  }
  /** @type {Record<string, any>} */
  const modules = { "core/dom": { InlineStyleSheet }, "core/visuals/visual": { VisualProperties },
    "models/plots/plot_canvas": { PlotView }, "models/renderers/glyph_renderer": { GlyphRendererView } };
  const Bokeh = { require: (/** @type {string} */ name) => modules[name] };
  return { Bokeh, calls, InlineStyleSheet, VisualProperties, PlotView, GlyphRendererView };
}

test("patchBokeh: a stylesheet is rewritten only with new text; patching twice changes nothing more", () => {
  const { Bokeh, calls, InlineStyleSheet } = fakeBokeh();
  assert.equal(patchBokeh(Bokeh), Bokeh);
  patchBokeh(Bokeh);
  const sheet = new InlineStyleSheet();
  sheet._update(":host { top: 1px; }");
  sheet._update(":host { top: 1px; }");
  sheet._update(":host { top: 2px; }");
  sheet._update("");
  sheet._update("");
  assert.equal(calls.writes, 3);
  assert.equal(sheet.el.textContent, "");
});

test("patchBokeh: plain documents skip CSS reads, cache the font size and move glyph elements by whole pixels", () => {
  const { Bokeh, calls, VisualProperties, PlotView, GlyphRendererView } = fakeBokeh();
  patchBokeh(Bokeh);
  const [plain, other] = [{}, {}];
  plainVisuals(plain);
  const view = (/** @type {object} */ doc) => ({ model: { document: doc } });
  assert.equal(new VisualProperties(view(plain))._get_css_value("line-color"), "");
  assert.equal(new VisualProperties(view(other))._get_css_value("line-color"), "css:line-color");
  assert.equal(calls.css, 1);
  const [plot, otherPlot] = [new PlotView(plain), new PlotView(other)];
  assert.deepEqual([plot.base_font_size, plot.base_font_size, otherPlot.base_font_size, otherPlot.base_font_size],
    [13, 13, 13, 13]);
  assert.equal(calls.font, 3); // once for the plain plot, every time for the other
  const box = (/** @type {number} */ w) => ({ is_valid: true, left: 10, top: 5, width: w, height: 40 });
  const glyph = new GlyphRendererView(plain, box(0.2));
  glyph.update_position();
  glyph.bbox = box(0.4); // the same whole pixels
  glyph.update_position();
  glyph.bbox = box(1.6);
  glyph.update_position();
  assert.equal(calls.position, 2);
  const otherGlyph = new GlyphRendererView(other, box(0.2));
  otherGlyph.update_position();
  otherGlyph.update_position();
  assert.equal(calls.position, 4);
});

test("patchBokeh leaves a BokehJS without these modules alone", () => {
  assert.doesNotThrow(() => patchBokeh({ require: () => { throw new Error("no such module"); } }));
  assert.doesNotThrow(() => patchBokeh({}));
});
