// The dashboard's colours for canvas drawing (BokehJS figures cannot use CSS variables): read once from the
// host element's computed style when a figure is built, so charts follow JupyterLab's light or dark theme.
// The page's CSS uses the same JupyterLab variables with light fallbacks (panels.js).

/** @typedef {{ background: string, text: string, muted: string, grid: string, axis: string }} Theme */

/** The light theme: outside JupyterLab (classic notebook, VS Code, HTML reports) and for missing values. */
export const LIGHT = Object.freeze({ background: "#ffffff", text: "#222222", muted: "#666666", grid: "#e5e5e5",
  axis: "#bdbdbd" });

/**
 * A CSS colour as BokehJS can parse it, or "" for a form it cannot. Chromium computes some colours as
 * `color(srgb r g b)` (marimo's text colour), which BokehJS 3.9's parser recurses on until the stack
 * overflows; that form becomes `rgba(...)`, other colour functions (oklch(), lab(), ...) are dropped.
 * @example
 * bokehColor("color(srgb 0.0588235 0.0901961 0.164706)") // "rgba(15, 23, 42, 1)"
 * @param {string} value @returns {string}
 */
export function bokehColor(value) {
  if (/^(#[0-9a-f]{3,8}|rgba?\([^()]*\)|hsla?\([^()]*\)|[a-z]+)$/i.test(value)) return value;
  const srgb = /^color\(\s*srgb\s+([-\d.e]+%?)\s+([-\d.e]+%?)\s+([-\d.e]+%?)\s*(?:\/\s*([-\d.e]+%?)\s*)?\)$/i.exec(value);
  if (!srgb) return "";
  const unit = (/** @type {string} */ text) => {
    const number = text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text);
    return Number.isFinite(number) ? Math.min(1, Math.max(0, number)) : NaN;
  };
  const [r, g, b] = srgb.slice(1, 4).map((c) => Math.round(unit(c) * 255));
  const a = srgb[4] === undefined ? 1 : unit(srgb[4]);
  return [r, g, b, a].every(Number.isFinite) ? `rgba(${r}, ${g}, ${b}, ${a})` : "";
}

/**
 * The theme from a style reader (`read("--jp-layout-color0")`, `read("color")`, ...): JupyterLab's variables
 * first, then the element's own colours, then LIGHT. A transparent background is no colour.
 * @example
 * themeOf((name) => ({ "--jp-layout-color0": " #111 " })[name] ?? "").background // "#111"
 * @param {(name: string) => string | null | undefined} read @returns {Theme}
 */
export function themeOf(read) {
  const get = (/** @type {string} */ name) => {
    const value = bokehColor(String(read(name) ?? "").trim());
    return value && value !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(value) ? value : "";
  };
  return {
    background: get("--jp-layout-color0") || get("background-color") || LIGHT.background,
    text: get("--jp-ui-font-color1") || get("color") || LIGHT.text,
    muted: get("--jp-ui-font-color2") || LIGHT.muted,
    grid: get("--jp-border-color2") || LIGHT.grid,
    axis: get("--jp-border-color1") || LIGHT.axis,
  };
}

/** The theme of the page around `element` (LIGHT without a computed style). @param {Element} element */
export function themeOfElement(element) {
  const view = element.ownerDocument?.defaultView;
  if (!view?.getComputedStyle) return { ...LIGHT };
  const style = view.getComputedStyle(element);
  return themeOf((name) => style.getPropertyValue(name));
}

/**
 * Colour a BokehJS figure: background, border, title, axes and grid.
 * @param {any} figure @param {Theme} theme
 */
export function applyTheme(figure, theme) {
  Object.assign(figure, { background_fill_color: theme.background, border_fill_color: theme.background,
    outline_line_color: theme.grid });
  if (figure.title && typeof figure.title === "object") figure.title.text_color = theme.text;
  for (const axis of figure.axes ?? []) { // BokehJS's arrays (xaxis is a proxy)
    Object.assign(axis, { axis_line_color: theme.axis, major_tick_line_color: theme.axis,
      minor_tick_line_color: theme.axis, major_label_text_color: theme.muted, axis_label_text_color: theme.text });
  }
  for (const grid of figure.grids ?? []) grid.grid_line_color = theme.grid;
}
