// Rendering a dashboard with no kernel: a finished run's saved output (nbtrack/_static.py) or an HTML
// report. The output carries the snapshot (JSON with base64 arrays), this module and BokehJS, each gzip'd
// and base64-encoded, in inert blocks; a host object gives render() the same model interface anywidget does. A PNG of the charts
// sits in the output from the start and is hidden only once BokehJS has loaded and the charts are drawn.

import { ensureBokeh } from "./bokeh.js";
import { decodeColumn, fromBase64 } from "./columns.js";
import { detailFetcher } from "./detail.js";
import { el } from "./dom.js";

/** @param {string} text base64 of float64 little-endian values */
export function float64FromBase64(text) {
  const bytes = fromBase64(text);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

/** A series' column, decoded; an error names the series and the column.
 * @param {Record<string, any>} series @param {"steps" | "values" | "times"} name */
function columnOf(series, name) {
  try {
    return decodeColumn(series[name]);
  } catch (error) {
    const message = `series ${JSON.stringify(series.run)} ${JSON.stringify(series.key)}, ${name}: ${/** @type {Error} */ (error).message}`;
    throw new Error(message, { cause: error });
  }
}

/** @param {Uint8Array} bytes gzip data @returns {Promise<string>} */
async function gunzip(bytes) {
  const stream = new Blob([/** @type {BlobPart} */ (bytes)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

/** BokehJS from the output's own blocks, unless the page already has it (once per page).
 * @param {HTMLElement} box */
async function bokehFrom(box) {
  const root = /** @type {any} */ (globalThis);
  if (root.Bokeh?.Plotting) return root.Bokeh;
  if (root.__nbtrackBokeh) return root.__nbtrackBokeh;
  /** @param {string} name */
  const part = async (name) => gunzip(fromBase64(box.querySelector(`script[data-part="${name}"]`)?.textContent ?? ""));
  const [core, api] = await Promise.all([part("bokeh-core"), part("bokeh-api")]);
  /** @type {Record<string, string>} */
  const texts = { bokeh_core: core, bokeh_api: api };
  return ensureBokeh({ get: (name) => texts[name] });
}

/** The output's payload: gzip'd JSON in base64 ("payload-gz"), or plain JSON in outputs made before.
 * @param {HTMLElement} box @returns {Promise<Record<string, any>>} */
export async function payloadOf(box) {
  const packed = box.querySelector('script[data-part="payload-gz"]')?.textContent;
  if (packed) return JSON.parse(await gunzip(fromBase64(packed)));
  return JSON.parse(box.querySelector('script[data-part="payload"]')?.textContent ?? "{}");
}

/**
 * A model for render(): the payload's state, and no-ops where a live model would talk to the kernel. Each
 * series' steps, values and times may be in any form columns.js decodes (an HTML report's compact forms);
 * other keys (a report's "report" metadata, keys of later versions) are kept in the state and read by
 * nobody unless a panel knows them.
 * @param {Record<string, any>} payload
 */
export function staticModel(payload) {
  const snapshot = payload.snapshot ?? { seq: 0, series: [] };
  const series = (snapshot.series ?? []).map((/** @type {any} */ s) => ({
    ...s, steps: columnOf(s, "steps"), values: columnOf(s, "values"), times: columnOf(s, "times"),
  }));
  const media = (snapshot.media ?? []).map((/** @type {any} */ m) => ({
    ...m, data: (m.data ?? []).map((/** @type {string} */ d) => fromBase64(d)),
  }));
  /** @type {Record<string, any>} */
  const state = { ...payload, snapshot: { ...snapshot, series, media } };
  return {
    get: (/** @type {string} */ name) => state[name],
    set: (/** @type {string} */ name, /** @type {any} */ value) => { state[name] = value; },
    save_changes: () => {},
    on: () => {},
    off: () => {},
    send: () => {},
    detail: detailFetcher(payload.channel),
  };
}

/**
 * Draw the interactive dashboard inside a static output `box`, over its PNG.
 * @param {HTMLElement} box
 * @param {{ initialize: (c: { model: any }) => void, render: (c: { model: any, el: HTMLElement }) => unknown }} widget
 */
export async function renderStaticWith(box, widget) {
  const payload = await payloadOf(box);
  await bokehFrom(box);
  const model = staticModel(payload);
  widget.initialize({ model });
  const host = el("div", "nbtrack-static-live");
  box.appendChild(host);
  widget.render({ model, el: host });
  const picture = /** @type {HTMLElement | null} */ (box.querySelector(".nbtrack-static-png"));
  if (picture) picture.style.display = "none";
  box.dataset.nbtrackRendered = "done";
}
