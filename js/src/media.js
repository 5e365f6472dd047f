// Panels for a run's media tags: images, text / markdown / HTML, audio, video and tables, each with a step
// slider and a "latest" switch. All panels of a dashboard share one step cursor: choosing a step in one
// panel shows that step (or the nearest step before it) in every panel. Everything logged is shown as
// text, as image/audio data from blob URLs, or (HTML) in a sandboxed frame that cannot run scripts.

import { el } from "./dom.js";
import { figureBlock } from "./figures.js";
import { formatNumber } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { modelTree } from "./modeltree.js";
import { addOverlays, hasOverlays } from "./overlays.js";
import { videoBlock, videoMime } from "./videoframes.js";
import { audioBlock } from "./waveform.js";

const FRAME_POLICY = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; " +
  "img-src data:; style-src 'unsafe-inline'; font-src data:\">";
const SMALL_IMAGE = 128; // images up to this wide are scaled up by a whole factor, pixelated (no smoothing)
const LARGE_WIDTH = 420; // pixels a large image is shown at, at most
const MAX_SHOWN_HEIGHT = 420; // pixels no image is shown taller than
const SHOWN_WIDTH = 256;

/** @typedef {import("./store.js").MediaSeries} MediaSeries */
/** @typedef {import("./store.js").MediaRecord} MediaRecord */

/**
 * The shared step cursor: null follows the newest step.
 * @returns {{ step: number | null, set: (step: number | null) => void, subscribe: (f: () => void) => () => void }}
 */
export function createCursor() {
  /** @type {Set<() => void>} */
  const listeners = new Set();
  const cursor = {
    /** @type {number | null} */
    step: null,
    /** @param {number | null} step */
    set(step) {
      if (cursor.step === step) return;
      cursor.step = step;
      for (const f of listeners) f();
    },
    /** @param {() => void} f */
    subscribe(f) {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  };
  return cursor;
}

/** The step a panel shows: the cursor's, or the nearest step before it, or the newest.
 * @param {number[]} steps increasing @param {number | null} wanted */
export function shownStep(steps, wanted) {
  if (!steps.length) return null;
  if (wanted === null) return steps[steps.length - 1];
  let best = steps[0];
  for (const s of steps) if (s <= wanted) best = s;
  return best;
}

/** Blob URLs made for what a panel shows now; revoked when it shows something else (else they leak). */
/** @type {string[]} */
let madeUrls = [];

/** A blob URL for bytes, recorded in `madeUrls`. @param {Uint8Array} bytes @param {string} type */
function urlOf(bytes, type) {
  const url = URL.createObjectURL(new Blob([/** @type {BlobPart} */ (bytes)], { type }));
  madeUrls.push(url);
  return url;
}

/** Build content, returning it with the blob URLs it uses. @param {() => HTMLElement} build */
function withUrls(build) {
  madeUrls = [];
  const element = build();
  const urls = madeUrls;
  madeUrls = [];
  return { element, urls };
}

/**
 * The size an image is shown at. A small one is scaled up by a whole factor (pixelated) to about `shownWidth`,
 * a large one down to 420 px wide; neither grows taller than `MAX_SHOWN_HEIGHT` (a layer's bias logged as a
 * 1 x 128 picture must not become a column thousands of pixels high).
 * @example shownSize(1, 128, 256) // { width: 3, height: 384, scale: 3, pixelated: true }
 * @param {number} w natural width @param {number} h natural height @param {number} shownWidth
 * @returns {{ width: number, height: number, scale: number, pixelated: boolean }}
 */
export function shownSize(w, h, shownWidth) {
  w = Math.max(1, w);
  h = Math.max(1, h);
  if (w <= SMALL_IMAGE && h <= SMALL_IMAGE * 4) {
    const scale = Math.max(1, Math.floor(Math.min(shownWidth / w, MAX_SHOWN_HEIGHT / h)));
    return { width: w * scale, height: h * scale, scale, pixelated: true };
  }
  const factor = Math.min(1, LARGE_WIDTH / w, MAX_SHOWN_HEIGHT / h);
  return { width: Math.max(1, Math.round(w * factor)), height: Math.max(1, Math.round(h * factor)), scale: factor,
    pixelated: w <= SMALL_IMAGE };
}

/** @param {MediaRecord} record @param {number} shownWidth width to scale a small image up to */
function imageFigure(record, shownWidth) {
  const figure = el("figure", "nbtrack-image");
  const img = el("img", "nbtrack-image-img");
  img.alt = String(record.meta.caption ?? "");
  img.onload = () => {
    const size = shownSize(img.naturalWidth, img.naturalHeight, shownWidth);
    img.style.width = `${size.width}px`;
    img.style.height = `${size.height}px`;
    img.style.imageRendering = size.pixelated ? "pixelated" : "auto";
    img.dataset.scale = String(size.scale);
  };
  if (record.data[0]) img.src = urlOf(record.data[0], "image/png");
  figure.appendChild(img);
  if (hasOverlays(record.meta)) addOverlays(figure, img, record.meta);
  if (record.meta.caption) figure.appendChild(el("figcaption", "nbtrack-caption", String(record.meta.caption)));
  return figure;
}

/** @param {MediaRecord} record @param {string} kind */
function textBlock(record, kind) {
  const text = String(record.meta.text ?? "");
  if (kind === "markdown") return renderMarkdown(text);
  if (kind === "html") {
    const frame = el("iframe", "nbtrack-html");
    frame.setAttribute("sandbox", ""); // no scripts, no same origin, no forms, no top navigation
    frame.setAttribute("referrerpolicy", "no-referrer");
    // and no network: a logged page may not load images, styles or fonts from anywhere (no tracking pixel)
    frame.srcdoc = `${FRAME_POLICY}${text}`;
    return frame;
  }
  return el("pre", "nbtrack-text", text);
}

/** @param {Uint8Array} bytes */
function tableOf(bytes) {
  const body = JSON.parse(new TextDecoder().decode(bytes));
  const table = el("table", "nbtrack-table");
  const head = table.appendChild(el("thead")).insertRow();
  const rows = Array.isArray(body.rows) ? body.rows : [];
  (body.columns ?? []).forEach((/** @type {unknown} */ name, /** @type {number} */ c) => {
    const th = head.appendChild(el("th", "nbtrack-sortable", String(name)));
    th.addEventListener("click", () => sortTable(table, c));
  });
  const tbody = table.appendChild(el("tbody"));
  for (const row of rows) {
    const tr = tbody.insertRow();
    for (const cell of row) {
      const td = tr.insertCell();
      const picture = cellImage(cell);
      if (picture) td.appendChild(picture);
      else td.textContent = cellText(cell);
    }
  }
  return table;
}

/** An image cell inlined by the kernel (base64 PNG), as an <img>; null for anything else. @param {unknown} cell */
function cellImage(cell) {
  const png = cell && typeof cell === "object" ? /** @type {any} */ (cell).png : null;
  if (typeof png !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(png)) return null;
  const img = el("img", "nbtrack-table-image");
  img.src = `data:image/png;base64,${png}`; // only base64 characters after a fixed image type
  img.style.maxWidth = "96px";
  img.style.imageRendering = "pixelated";
  return img;
}

/** @param {unknown} cell */
function cellText(cell) {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "number") return formatNumber(cell);
  if (typeof cell === "object") return `[${String(/** @type {any} */ (cell)._type ?? "value")}]`;
  return String(cell);
}

/** Sort by column c, toggling the direction; numbers compare as numbers. @param {HTMLElement} table @param {number} c */
function sortTable(table, c) {
  const tbody = /** @type {HTMLTableSectionElement} */ (table.querySelector("tbody"));
  const up = table.dataset.sortColumn === String(c) ? table.dataset.sortDir !== "up" : true;
  const key = (/** @type {HTMLTableRowElement} */ r) => r.cells[c]?.textContent ?? "";
  const rows = [...tbody.rows].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const [nx, ny] = [Number(x), Number(y)];
    const order = x !== "" && y !== "" && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    return up ? order : -order;
  });
  tbody.replaceChildren(...rows);
  Object.assign(table.dataset, { sortColumn: String(c), sortDir: up ? "up" : "down" });
}

/** Build a record's element; a value that cannot be read shows as a note instead of breaking the view.
 * @param {() => HTMLElement} build */
function safely(build) {
  try {
    return build();
  } catch (error) {
    return el("div", "nbtrack-media-other", `could not show this value: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The content of one step's records. @param {MediaSeries} series @param {MediaRecord[]} records */
function content(series, records) {
  const box = el("div", `nbtrack-media-items nbtrack-${series.kind}-items`);
  const shownWidth = records.length > 1 ? SHOWN_WIDTH / 2 : SHOWN_WIDTH; // a gallery sits side by side
  for (const record of records) {
    if (series.kind === "image") box.appendChild(imageFigure(record, shownWidth));
    else if (["text", "markdown", "html"].includes(series.kind)) box.appendChild(textBlock(record, series.kind));
    else if (series.kind === "audio" && record.data[0]) {
      box.appendChild(audioBlock(record.data[0], urlOf(record.data[0], "audio/wav")));
      if (record.meta.caption) box.appendChild(el("div", "nbtrack-caption", String(record.meta.caption)));
    } else if (series.kind === "video" && record.data[0]) {
      const url = urlOf(record.data[0], videoMime(record.meta));
      box.appendChild(videoBlock(record.data[0], url, record.meta, (w, h) => shownSize(w, h, shownWidth)));
    } else if (series.kind === "table" && record.data[0]) box.appendChild(safely(() => tableOf(record.data[0])));
    else if (series.kind === "model" && record.data[0]) box.appendChild(safely(() => modelTree(record.data[0])));
    else if (series.kind === "figure") box.appendChild(safely(() => figureBlock(record, urlOf)));
    else box.appendChild(el("div", "nbtrack-media-other", `${series.kind} at step ${record.step}`));
  }
  return box;
}

/**
 * A media panel's bar: the title (as text), a step slider, the step label and a "latest" switch.
 * @param {string} title
 */
export function stepBar(title) {
  const bar = el("div", "nbtrack-media-bar");
  const slider = el("input", "nbtrack-step-slider");
  Object.assign(slider, { type: "range", min: "0", step: "1" });
  const latest = el("input", "nbtrack-latest");
  latest.type = "checkbox";
  const label = el("span", "nbtrack-step-label");
  const latestLabel = el("label", "nbtrack-latest-label");
  latestLabel.append(latest, " latest");
  bar.append(el("span", "nbtrack-media-title", title), slider, label, latestLabel);
  return { bar, slider, latest, label };
}

/**
 * A panel for one media tag: title, step slider, "latest" switch, and the chosen step's records.
 * @param {MediaSeries} series @param {ReturnType<typeof createCursor>} cursor
 */
export function createMediaPanel(series, cursor) {
  const panel = el("div", "nbtrack-media-panel");
  Object.assign(panel.dataset, { key: series.key, kind: series.kind, run: series.run });
  const { bar, slider, latest, label } = stepBar(series.key);
  const body = el("div", "nbtrack-media-body");
  panel.append(bar, body);
  let shown = { step: /** @type {number | null} */ (null), version: -1 };
  /** @type {string[]} */
  let urls = [];
  const revoke = () => {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  };
  const update = () => {
    const steps = series.steps();
    const step = shownStep(steps, cursor.step);
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = String(step === null ? 0 : steps.indexOf(step));
    slider.disabled = steps.length < 2;
    latest.checked = cursor.step === null;
    label.textContent = step === null ? "" : `step ${step} (${steps.indexOf(step) + 1} of ${steps.length})`;
    Object.assign(panel.dataset, { step: String(step ?? ""), steps: String(steps.length) });
    if (step === shown.step && series.version === shown.version) return;
    shown = { step, version: series.version };
    const next = withUrls(() => (step === null ? el("div", "nbtrack-empty", "nothing yet") : content(series, series.at(step))));
    body.replaceChildren(next.element);
    revoke();
    urls = next.urls;
    panel.dataset.urls = String(urls.length);
  };
  slider.addEventListener("input", () => cursor.set(series.steps()[Number(slider.value)] ?? null));
  latest.addEventListener("change", () => {
    if (latest.checked) cursor.set(null);
    else cursor.set(shownStep(series.steps(), null));
  });
  const unsubscribe = cursor.subscribe(update);
  update();
  return { element: panel, update, dispose: () => { unsubscribe(); revoke(); panel.remove(); } };
}
