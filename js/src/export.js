// Saving one chart from the chart itself: its data as CSV (chartCsv, a pure function) and its picture as
// PNG (BokehJS draws the figure view into a canvas), each downloaded through a Blob URL and a temporary
// <a download>, which works offline (an HTML report opened from file://) and in JupyterLab.
//
// The CSV has a header row and one row per point: run, step, wall_time (seconds since the epoch, as logged),
// value, and smoothed (TensorBoard's debiased EMA, as the chart draws it) when smoothing is on; a chart of
// several tags (a custom scalars layout) adds a tag column after run. Numbers are written in JavaScript's
// shortest round-trip form; NaN and ±Infinity as "nan", "inf" and "-inf", which Python's float(), NumPy
// and pandas read back. Text cells are quoted when they hold a quote, comma or line break, and a text cell
// that a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return, and is not
// a number) gets a leading single quote.

import { el } from "./dom.js";
import { smoothEMA } from "./smoothing.js";

/**
 * One series' points for the CSV.
 * @typedef {{ run: string, tag?: string, steps: ArrayLike<number>, times: ArrayLike<number>,
 *   values: ArrayLike<number>, spacing?: number }} CsvSeries
 * spacing: the original step spacing of a reduced series (store.js), so the smoothing matches the chart's
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * A text cell, safe for spreadsheets and quoted when needed.
 * @example
 * csvText('a,"b"') // '"a,""b"""'
 * csvText("=1+2") // "'=1+2"
 * csvText("-3") // "-3" (a number, kept)
 * @param {string} text
 */
export function csvText(text) {
  const guarded = FORMULA_START.test(text) && !NUMBER.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/**
 * A number cell: the shortest round-trip form, "nan", "inf" or "-inf".
 * @example
 * csvNumber(0.1) // "0.1"
 * csvNumber(-Infinity) // "-inf"
 * @param {number} x
 */
export function csvNumber(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

/**
 * The CSV of a chart's series (header row first, rows end with CRLF as RFC 4180 has it).
 * @example
 * chartCsv([{ run: "a", steps: [0], times: [1.5], values: [2] }], { smoothing: 0 })
 * // "run,step,wall_time,value\r\na,0,1.5,2\r\n"
 * @param {CsvSeries[]} series
 * @param {{ smoothing: number, withTag?: boolean }} options withTag: add a tag column (default: when the
 *   series are of more than one tag)
 */
export function chartCsv(series, { smoothing, withTag }) {
  const tagged = withTag ?? new Set(series.map((s) => s.tag)).size > 1;
  const smoothed = smoothing > 0;
  const header = ["run", ...(tagged ? ["tag"] : []), "step", "wall_time", "value", ...(smoothed ? ["smoothed"] : [])];
  const lines = [header.join(",")];
  for (const s of series) {
    const lead = [csvText(s.run), ...(tagged ? [csvText(s.tag ?? "")] : [])].join(",");
    const smooth = smoothed ? smoothEMA(s.values, smoothing, s.steps, s.spacing ?? 0) : null;
    for (let i = 0; i < s.values.length; i++) {
      const cells = [lead, csvNumber(s.steps[i]), csvNumber(s.times[i]), csvNumber(s.values[i])];
      if (smooth) cells.push(csvNumber(smooth[i]));
      lines.push(cells.join(","));
    }
  }
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * A file name from a chart's title: characters other than letters, digits, ".", "_" and "-" become "_",
 * no leading dots, at most 100 characters before the extension; "chart" when nothing is left.
 * @example
 * fileName("train/loss", "csv") // "train_loss.csv"
 * @param {string} title @param {string} extension
 */
export function fileName(title, extension) {
  const base = title.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^[._]+/, "").slice(0, 100);
  return `${base || "chart"}.${extension}`;
}

/**
 * Download `blob` as `name`: a Blob URL clicked through a temporary <a download>, revoked a little later
 * (revoked at once, some browsers cancel the download).
 * @param {Blob} blob @param {string} name @param {Document} [doc]
 */
export function downloadBlob(blob, name, doc = document) {
  const url = URL.createObjectURL(blob);
  const link = doc.createElement("a");
  link.href = url;
  link.download = name;
  link.rel = "noopener";
  link.style.display = "none";
  doc.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A PNG of a shown BokehJS figure (its view draws itself into a canvas, at the screen's pixel ratio).
 * @param {any} view the figure's view (PlotView) @returns {Promise<Blob>}
 */
export async function figurePng(view) {
  if (typeof view?.export !== "function") throw new Error("the chart is not drawn yet");
  return view.export("png").to_blob();
}

/**
 * The PNG and CSV buttons of a chart's header. A button whose action fails says why in its tooltip
 * (data-state "error"); tests find them by data-action.
 * @param {string} title the chart's title @param {{ png: () => Promise<void> | void, csv: () => Promise<void> | void }} actions
 */
export function exportButtons(title, actions) {
  const bar = el("span", "nbtrack-chart-actions");
  /** @type {[keyof typeof actions, string, string][]} */
  const buttons = [
    ["png", "PNG", `Save this chart as a PNG image (${fileName(title, "png")})`],
    ["csv", "CSV", `Download the data of this chart's shown runs as CSV, at full resolution (${fileName(title, "csv")})`],
  ];
  for (const [action, text, help] of buttons) {
    const button = el("button", "nbtrack-chart-action", text);
    button.type = "button";
    button.dataset.action = action;
    button.title = help;
    button.setAttribute("aria-label", `${text} of chart ${title}`);
    button.addEventListener("click", async (event) => {
      event.stopPropagation(); // a click on the header is not a click on the chart
      button.dataset.state = "busy";
      try {
        await actions[action]();
        button.dataset.state = "done";
        button.title = help;
      } catch (error) {
        button.dataset.state = "error";
        button.title = `${help}\nfailed: ${/** @type {Error} */ (error)?.message ?? String(error)}`;
        console.warn(`nbtrack: ${text} of chart ${title} failed`, error);
      }
    });
    bar.appendChild(button);
  }
  return bar;
}
