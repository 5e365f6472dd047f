import assert from "node:assert/strict";
import { test } from "node:test";
import { applyTheme, bokehColor, LIGHT, themeOf, themeOfElement } from "./theme.js";
import { withDocument } from "./testdom.js";

test("JupyterLab's variables win, trimmed", () => {
  const vars = { "--jp-layout-color0": " #111111", "--jp-ui-font-color1": "rgba(255, 255, 255, 1)",
    "--jp-ui-font-color2": "#aaa", "--jp-border-color2": "#333", "--jp-border-color1": "#444", color: "#000" };
  assert.deepEqual(themeOf((name) => /** @type {any} */ (vars)[name]),
    { background: "#111111", text: "rgba(255, 255, 255, 1)", muted: "#aaa", grid: "#333", axis: "#444" });
});

test("without JupyterLab: the element's colours, then the light theme; transparent is no colour", () => {
  const style = { color: "rgb(10, 10, 10)", "background-color": "rgba(0, 0, 0, 0)" };
  const theme = themeOf((name) => /** @type {any} */ (style)[name]);
  assert.equal(theme.text, "rgb(10, 10, 10)");
  assert.equal(theme.background, LIGHT.background);
  assert.deepEqual(themeOf(() => null), LIGHT);
  assert.equal(themeOf((n) => (n === "background-color" ? "transparent" : "")).background, LIGHT.background);
});

test("an element's theme follows CSS variables set around it", () => withDocument((window) => {
  const host = window.document.createElement("div");
  host.style.setProperty("--jp-layout-color0", "#101010");
  window.document.body.appendChild(host);
  const theme = themeOfElement(/** @type {any} */ (host));
  assert.equal(theme.background, "#101010");
  assert.equal(theme.grid, LIGHT.grid);
}));

test("applyTheme colours the figure, its axes and grids", () => {
  const axis = {};
  const grid = {};
  const figure = /** @type {any} */ ({ title: {}, axes: [axis], grids: [grid] });
  applyTheme(figure, { ...LIGHT, background: "#000", grid: "#222" });
  assert.equal(figure.background_fill_color, "#000");
  assert.equal(figure.title.text_color, LIGHT.text);
  assert.equal(/** @type {any} */ (axis).major_label_text_color, LIGHT.muted);
  assert.equal(/** @type {any} */ (grid).grid_line_color, "#222");
});

test("colours BokehJS cannot parse: color(srgb ...) becomes rgba(), other colour functions are dropped", () => {
  assert.equal(bokehColor("color(srgb 0.0588235 0.0901961 0.164706)"), "rgba(15, 23, 42, 1)");
  assert.equal(bokehColor("color(srgb 1 0 0 / 0.5)"), "rgba(255, 0, 0, 0.5)");
  assert.equal(bokehColor("color(srgb 100% 0% 50%)"), "rgba(255, 0, 128, 1)");
  for (const kept of ["#fff", "#12345678", "rgb(1, 2, 3)", "rgba(0, 0, 0, 0)", "hsl(0 50% 50%)", "white"]) {
    assert.equal(bokehColor(kept), kept);
  }
  for (const dropped of ["oklch(0.5 0.1 200)", "color(display-p3 1 0 0)", "lab(50% 10 10)", "var(--x)", ""]) {
    assert.equal(bokehColor(dropped), "");
  }
  // marimo's page: the text colour computed as color(srgb ...), a transparent background
  const theme = themeOf((name) => /** @type {any} */ ({ color: "color(srgb 0.0588235 0.0901961 0.164706)",
    "background-color": "rgba(0, 0, 0, 0)" })[name]);
  assert.deepEqual(theme, { ...LIGHT, text: "rgba(15, 23, 42, 1)" });
  assert.equal(themeOf((name) => (name === "color" ? "oklch(0.2 0.1 200)" : "")).text, LIGHT.text);
});
