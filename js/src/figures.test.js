import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BOKEH_MODELS, bokehRefusal, figureBlock } from "./figures.js";
import { withDocument } from "./testdom.js";

/** A real `bokeh.embed.json_item` of bokeh 3.9.2: a line with a legend and a HoverTool (printf formatter). */
const FIXTURE = readFileSync(new URL("./figures.fixture.json", import.meta.url), "utf8");
const fresh = () => JSON.parse(FIXTURE);
const PAGE = "3.9.2";

/** Every model rep of an item. @param {any} value @param {any[]} out */
function models(value, out = []) {
  if (Array.isArray(value)) for (const v of value) models(v, out);
  else if (value && typeof value === "object") {
    if (value.type === "object") out.push(value);
    for (const v of Object.values(value)) models(v, out);
  }
  return out;
}
const named = (/** @type {any} */ item, /** @type {string} */ name) => models(item).find((m) => m.name === name);
const CUSTOM_JS = { type: "object", name: "CustomJS", id: "p9001", attributes: { code: "window.__xss = 1" } };

test("bokehRefusal: a plain bokeh 3.9 figure with a line, legend and HoverTool is accepted", () => {
  const item = fresh();
  assert.equal(bokehRefusal(item, PAGE), null);
  assert.ok(named(item, "HoverTool") && named(item, "Line"), "the fixture holds a HoverTool and a Line");
  for (const m of models(item)) assert.ok(BOKEH_MODELS.has(m.name), m.name);
  assert.equal(bokehRefusal(item, "3.4.0"), null, "another minor version of the same major draws");
});

test("bokehRefusal: a CustomJS anywhere (a tool's callback, js_event_callbacks) is refused", () => {
  const item = fresh();
  named(item, "HoverTool").attributes.callback = CUSTOM_JS;
  assert.equal(bokehRefusal(item, PAGE), "CustomJS");
  const other = fresh();
  other.doc.roots[0].attributes.js_event_callbacks = { type: "map", entries: [["tap", [CUSTOM_JS]]] };
  assert.equal(bokehRefusal(other, PAGE), "CustomJS");
});

test("bokehRefusal: non-empty js callbacks are refused even without a CustomJS model in them", () => {
  const item = fresh();
  item.doc.roots[0].attributes.js_property_callbacks = { type: "map", entries: [["change:x", [{ id: "p1" }]]] };
  assert.match(String(bokehRefusal(item, PAGE)), /js_property_callbacks/);
  const empty = fresh();
  empty.doc.roots[0].attributes.js_event_callbacks = { type: "map", entries: [] };
  assert.equal(bokehRefusal(empty, PAGE), null, "an empty map is nothing");
});

test("bokehRefusal: markup models (Div), unknown models and unknown value types are refused", () => {
  const item = fresh();
  item.doc.roots.push({ type: "object", name: "Div", id: "p9002", attributes: { text: "<img src=x onerror=alert(1)>" } });
  assert.equal(bokehRefusal(item, PAGE), "Div");
  const unknown = fresh();
  named(unknown, "Line").attributes.line_color = { type: "object", name: "my.CustomModel", id: "p9003" };
  assert.equal(bokehRefusal(unknown, PAGE), "my.CustomModel");
  const rep = fresh();
  named(rep, "Line").attributes.line_width = { type: "wasm", code: "AGFzbQ" };
  assert.match(String(bokehRefusal(rep, PAGE)), /unknown type "wasm"/);
  const defs = fresh();
  defs.doc.defs = [{ name: "Custom" }];
  assert.equal(bokehRefusal(defs, PAGE), "document defs");
});

test("bokehRefusal: HTML tooltips, {safe} fields and custom hover formatters are refused", () => {
  const html = fresh();
  named(html, "HoverTool").attributes.tooltips = "<div>@x</div>";
  assert.equal(bokehRefusal(html, PAGE), "an HTML tooltip template");
  const safe = fresh();
  named(safe, "HoverTool").attributes.tooltips = [["desc", "@desc{safe}"]];
  assert.match(String(bokehRefusal(safe, PAGE)), /safe/);
  const formatter = fresh();
  named(formatter, "HoverTool").attributes.formatters = { type: "map", entries: [["@x", CUSTOM_JS]] };
  assert.equal(bokehRefusal(formatter, PAGE), "CustomJS");
});

test("bokehRefusal: stylesheets, HTML attributes and a help link that is not https are refused", () => {
  const css = fresh();
  css.doc.roots[0].attributes.stylesheets = [":host { background: url(https://example.com/t.png) }"];
  assert.equal(bokehRefusal(css, PAGE), "stylesheets");
  const attrs = fresh();
  attrs.doc.roots[0].attributes.html_attributes = { type: "map", entries: [["onclick", "alert(1)"]] };
  assert.equal(bokehRefusal(attrs, PAGE), "HTML attributes");
  const help = fresh();
  named(help, "HelpTool").attributes = { redirect: "javascript:alert(1)" };
  assert.match(String(bokehRefusal(help, PAGE)), /help link/);
});

test("bokehRefusal: a figure of another major Bokeh version, or no document, is refused", () => {
  const old = fresh();
  old.doc.version = "2.4.3";
  assert.equal(bokehRefusal(old, PAGE), "Bokeh 2.4.3 (this page's BokehJS is 3.9.2)");
  assert.equal(bokehRefusal({}, PAGE), "no Bokeh document");
  assert.equal(bokehRefusal(null, PAGE), "no Bokeh document");
});

test("figureBlock: a matplotlib figure is an <img> from a blob URL of its SVG (or PNG), never inline SVG", async () => {
  await withDocument(() => {
    /** @type {string[]} */
    const types = [];
    const urlOf = (/** @type {Uint8Array} */ _b, /** @type {string} */ type) => { types.push(type); return `blob:test/${types.length}`; };
    const svg = new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'><script>window.__xss=1</script></svg>");
    const block = figureBlock({ step: 3, index: null, meta: { library: "matplotlib", format: "svg", caption: "c" }, data: [svg] }, urlOf);
    const img = /** @type {HTMLImageElement} */ (block.querySelector("img"));
    assert.equal(img.getAttribute("src"), "blob:test/1");
    assert.equal(block.querySelector("svg"), null);
    assert.equal(block.querySelector("script"), null);
    assert.equal(block.querySelector("figcaption")?.textContent, "c");
    figureBlock({ step: 3, index: null, meta: { library: "matplotlib", format: "png" }, data: [new Uint8Array(4)] }, urlOf);
    assert.deepEqual(types, ["image/svg+xml", "image/png"]);
  });
});
