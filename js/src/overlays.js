// Segmentation masks and bounding boxes drawn over an image (wandb's `masks=` and `boxes=`): each mask a
// canvas layer in class colours with an opacity slider, each box a positioned frame with its caption, a
// checkbox per class to show or hide it, and a score threshold when the boxes carry scores. Class names
// and captions are logged strings: shown as text only.

import { el } from "./dom.js";

const CLASS_PALETTE = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207], [174, 199, 232],
  [255, 187, 120], [152, 223, 138], [255, 152, 150], [197, 176, 213], [196, 156, 148]];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** @typedef {{ minX?: number, maxX?: number, minY?: number, maxY?: number, middle?: number[], width?: number,
 *   height?: number }} BoxPosition */
/** @typedef {{ position: BoxPosition, class_id?: number, box_caption?: string, scores?: Record<string, number>,
 *   domain?: string }} Box */

/**
 * A class id's colour as [r, g, b].
 * @example classColor(0) // [31, 119, 180]
 * @param {number} id
 */
export function classColor(id) {
  return CLASS_PALETTE[((id % CLASS_PALETTE.length) + CLASS_PALETTE.length) % CLASS_PALETTE.length];
}

/** A CSS colour for a class id. @param {number} id */
export function classCss(id) {
  return `rgb(${classColor(id).join(", ")})`;
}

/**
 * Colour a mask: RGBA pixels (4 bytes each) from class ids, transparent where the class is hidden.
 * @example maskPixels(Uint8Array.of(0, 2), new Set([2])) // [0, 0, 0, 0, 44, 160, 44, 255]
 * @param {ArrayLike<number>} ids one class id per pixel @param {Set<number>} shown class ids drawn
 * @returns {Uint8ClampedArray<ArrayBuffer>}
 */
export function maskPixels(ids, shown) {
  const out = new Uint8ClampedArray(new ArrayBuffer(ids.length * 4));
  for (let i = 0; i < ids.length; i++) {
    if (!shown.has(ids[i])) continue;
    const [r, g, b] = classColor(ids[i]);
    out.set([r, g, b, 255], i * 4);
  }
  return out;
}

/**
 * A box as fractions of the image [left, top, width, height]. Positions are relative (0..1) unless the box
 * says `domain: "pixel"`; a box with coordinates beyond 1 is read as pixels too (older records dropped
 * the domain). Null when the position cannot be read.
 * @example boxRect({ position: { minX: 2, maxX: 6, minY: 0, maxY: 4 }, domain: "pixel" }, 8, 8) // [0.25, 0, 0.5, 0.5]
 * @example boxRect({ position: { middle: [0.5, 0.5], width: 0.2, height: 0.4 } }, 8, 8) // [0.4, 0.3, 0.2, 0.4]
 * @param {Box} box @param {number} width image width in pixels @param {number} height
 * @returns {[number, number, number, number] | null}
 */
export function boxRect(box, width, height) {
  const p = box.position ?? {};
  let x0, y0, x1, y1;
  if (Array.isArray(p.middle) && p.width !== undefined && p.height !== undefined) {
    [x0, x1] = [Number(p.middle[0]) - p.width / 2, Number(p.middle[0]) + p.width / 2];
    [y0, y1] = [Number(p.middle[1]) - p.height / 2, Number(p.middle[1]) + p.height / 2];
  } else [x0, x1, y0, y1] = [p.minX, p.maxX, p.minY, p.maxY].map(Number);
  const coords = [x0, x1, y0, y1];
  if (!coords.every(Number.isFinite)) return null;
  const pixel = box.domain === "pixel" || coords.some((c) => c > 1.0001);
  const [sx, sy] = pixel ? [Math.max(1, width), Math.max(1, height)] : [1, 1];
  return [x0 / sx, y0 / sy, (x1 - x0) / sx, (y1 - y0) / sy];
}

/** Whether an image's meta carries masks or boxes. @param {Record<string, any>} meta */
export function hasOverlays(meta) {
  return Boolean(meta && (isObject(meta.masks) || isObject(meta.boxes)));
}

/** @param {unknown} x @returns {x is Record<string, any>} */
function isObject(x) {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The class ids a mask or box group names or uses, with their labels. @param {Record<string, any>} meta */
function classesOf(meta) {
  /** @type {Map<number, string>} */
  const names = new Map();
  for (const group of [...Object.values(meta.masks ?? {}), ...Object.values(meta.boxes ?? {})]) {
    const labels = isObject(group?.class_labels) ? group.class_labels : {};
    for (const [id, name] of Object.entries(labels)) if (!names.has(Number(id))) names.set(Number(id), String(name));
    for (const box of Array.isArray(group?.box_data) ? group.box_data : []) {
      const id = Number(box?.class_id ?? 0);
      if (!names.has(id)) names.set(id, `class ${id}`);
    }
  }
  return names;
}

/** Class ids of a mask PNG, one per pixel (its red channel, no colour conversion). @param {string} png base64 */
async function maskIds(png) {
  if (!BASE64.test(png)) throw new Error("a mask is not base64");
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }),
    { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = el("canvas");
  Object.assign(canvas, { width: bitmap.width, height: bitmap.height });
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const ids = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < ids.length; i++) ids[i] = rgba[i * 4];
  return { ids, width: bitmap.width, height: bitmap.height };
}

/** A labelled range input. @param {string} className @param {string} text @param {number} max @param {number} step */
function rangeControl(className, text, max, step) {
  const label = el("label", `nbtrack-overlay-control ${className}-label`);
  const input = el("input", className);
  Object.assign(input, { type: "range", min: "0", max: String(max), step: String(step) });
  const value = el("span", `${className}-value`);
  label.append(`${text} `, input, " ", value);
  return { label, input, value };
}

/**
 * Put an image's masks and boxes over it: the image moves into a stage holding the layers, and the
 * controls follow below. `figure.dataset.overlays` becomes "ready" when every layer is drawn.
 * @param {HTMLElement} figure @param {HTMLImageElement} img @param {Record<string, any>} meta
 */
export function addOverlays(figure, img, meta) {
  const stage = el("div", "nbtrack-overlay-stage");
  Object.assign(stage.style, { position: "relative", display: "inline-block", lineHeight: "0" });
  img.replaceWith(stage);
  stage.appendChild(img);
  const controls = el("div", "nbtrack-overlay-controls");
  Object.assign(controls.style, { display: "flex", flexWrap: "wrap", gap: "4px 10px", fontSize: "12px" });
  stage.after(controls);
  const classes = classesOf(meta);
  const shown = new Set(classes.keys());
  /** @type {(() => void)[]} */
  const redraws = [];
  const redraw = () => redraws.forEach((f) => f());
  const layerStyle = { position: "absolute", left: "0", top: "0", width: "100%", height: "100%" };

  const masks = Object.entries(isObject(meta.masks) ? meta.masks : {});
  /** @type {Promise<void>[]} */
  const pending = [];
  if (masks.length) {
    const opacity = rangeControl("nbtrack-mask-opacity", "mask opacity", 1, 0.05);
    opacity.input.value = "0.5";
    const layers = /** @type {HTMLCanvasElement[]} */ ([]);
    const setOpacity = () => {
      opacity.value.textContent = Number(opacity.input.value).toFixed(2);
      for (const layer of layers) layer.style.opacity = opacity.input.value;
    };
    opacity.input.addEventListener("input", setOpacity);
    controls.appendChild(opacity.label);
    for (const [name, mask] of masks) {
      if (typeof mask?.png !== "string") {
        controls.appendChild(el("span", "nbtrack-overlay-note", `mask ${name}: too large to show here`));
        continue;
      }
      const canvas = el("canvas", "nbtrack-mask-layer");
      canvas.dataset.mask = name;
      Object.assign(canvas.style, layerStyle, { imageRendering: "pixelated", pointerEvents: "none" });
      layers.push(canvas);
      stage.appendChild(canvas);
      pending.push(maskIds(mask.png).then(({ ids, width, height }) => {
        Object.assign(canvas, { width, height });
        const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
        for (const id of new Set(ids)) if (!classes.has(id)) { classes.set(id, `class ${id}`); shown.add(id); }
        const draw = () => context.putImageData(new ImageData(maskPixels(ids, shown), width, height), 0, 0);
        redraws.push(draw);
        draw();
      }).catch((error) => {
        canvas.remove();
        controls.appendChild(el("span", "nbtrack-overlay-note", `mask ${name} could not be read: ${String(error)}`));
      }));
    }
    setOpacity();
  }

  const boxGroups = Object.entries(isObject(meta.boxes) ? meta.boxes : {});
  /** @type {{ element: HTMLElement, box: Box }[]} */
  const boxes = [];
  const boxLayer = el("div", "nbtrack-box-layer");
  Object.assign(boxLayer.style, layerStyle, { pointerEvents: "none" });
  /** @type {ReturnType<typeof rangeControl> | null} */
  let threshold = null;
  const scoreNames = [...new Set(boxGroups.flatMap(([, g]) => (Array.isArray(g?.box_data) ? g.box_data : [])
    .flatMap((/** @type {Box} */ b) => Object.keys(isObject(b?.scores) ? b.scores : {}))))];
  const scoreName = el("select", "nbtrack-box-score");
  if (boxGroups.length) {
    stage.appendChild(boxLayer);
    for (const [group, body] of boxGroups) {
      const labels = isObject(body?.class_labels) ? body.class_labels : {};
      for (const box of Array.isArray(body?.box_data) ? body.box_data : []) {
        const id = Number(box?.class_id ?? 0);
        const frame = el("div", "nbtrack-box");
        Object.assign(frame.dataset, { group, classId: String(id) });
        Object.assign(frame.style, { position: "absolute", boxSizing: "border-box", border: `2px solid ${classCss(id)}` });
        const text = String(box?.box_caption || labels[String(id)] || `class ${id}`);
        const caption = el("span", "nbtrack-box-caption", text);
        Object.assign(caption.style, { position: "absolute", left: "-2px", bottom: "100%", background: classCss(id),
          color: "#fff", font: "11px sans-serif", lineHeight: "14px", padding: "0 3px", whiteSpace: "nowrap" });
        frame.appendChild(caption);
        boxLayer.appendChild(frame);
        boxes.push({ element: frame, box });
      }
      if (typeof body?.boxes_dropped === "number") {
        controls.appendChild(el("span", "nbtrack-overlay-note", `${group}: ${body.boxes_dropped} more boxes not shown`));
      }
    }
    if (scoreNames.length) {
      threshold = rangeControl("nbtrack-box-threshold", "min score", 1, 0.01);
      const scores = boxes.flatMap(({ box }) => Object.values(box.scores ?? {})).filter(Number.isFinite);
      const low = Math.min(0, ...scores);
      const high = Math.max(1, ...scores);
      Object.assign(threshold.input, { min: String(low), max: String(high), step: String((high - low) / 100) });
      threshold.input.value = String(low);
      for (const name of scoreNames) scoreName.appendChild(el("option", "", name)).value = name;
      threshold.label.prepend(scoreName, " ");
      controls.appendChild(threshold.label);
      threshold.input.addEventListener("input", redraw);
      scoreName.addEventListener("change", redraw);
    }
    const place = () => {
      const width = img.naturalWidth || Number(meta.width) || 1;
      const height = img.naturalHeight || Number(meta.height) || 1;
      for (const { element, box } of boxes) {
        const rect = boxRect(box, width, height);
        if (!rect) { element.hidden = true; continue; }
        Object.assign(element.style, { left: `${rect[0] * 100}%`, top: `${rect[1] * 100}%`,
          width: `${rect[2] * 100}%`, height: `${rect[3] * 100}%` });
      }
    };
    redraws.push(() => {
      const min = threshold ? Number(threshold.input.value) : -Infinity;
      if (threshold) threshold.value.textContent = min.toFixed(2);
      for (const { element, box } of boxes) {
        const score = box.scores?.[scoreName.value];
        element.style.display = shown.has(Number(box.class_id ?? 0)) && (score === undefined || score >= min) ? "" : "none";
      }
    });
    pending.push(img.complete && img.naturalWidth ? Promise.resolve(place())
      : new Promise((resolve) => img.addEventListener("load", () => resolve(place()), { once: true })));
  }

  const toggles = el("div", "nbtrack-overlay-classes");
  Object.assign(toggles.style, { display: "flex", flexWrap: "wrap", gap: "2px 8px" });
  controls.appendChild(toggles);
  const drawToggles = () => {
    toggles.replaceChildren();
    for (const [id, name] of [...classes].sort((a, b) => a[0] - b[0])) {
      const label = el("label", "nbtrack-overlay-class");
      const box = el("input", "nbtrack-overlay-toggle");
      Object.assign(box, { type: "checkbox", checked: shown.has(id) });
      box.dataset.classId = String(id);
      const swatch = el("span", "nbtrack-overlay-swatch");
      Object.assign(swatch.style, { display: "inline-block", width: "9px", height: "9px", background: classCss(id) });
      box.addEventListener("change", () => {
        if (box.checked) shown.add(id);
        else shown.delete(id);
        redraw();
      });
      label.append(box, swatch, ` ${name}`);
      toggles.appendChild(label);
    }
  };
  figure.dataset.overlays = "drawing";
  Promise.all(pending).then(() => {
    drawToggles();
    redraw();
    figure.dataset.overlays = "ready";
  });
}
