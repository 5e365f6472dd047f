// A video value's player. Frames logged as an array are stored as an animated PNG: it is split into its
// frames in the page (each frame rebuilt as a PNG of its own and decoded by the browser), so a slider can
// show any one frame, with play/pause and the frame rate. MP4 and WebM files play in a <video> element;
// GIFs, and an APNG this cannot split, play as an image.

import { el } from "./dom.js";

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const MAX_FRAME_BYTES = 64 * 2 ** 20; // decoded frames a player keeps (RGBA); a longer video plays as an image
const HEADER_CHUNKS = new Set(["PLTE", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "pHYs"]);

/** @typedef {{ width: number, height: number, x: number, y: number, delay: number, dispose: number, blend: number,
 *   data: Uint8Array[] }} ApngFrame */
/** @typedef {{ width: number, height: number, ihdr: Uint8Array, header: Uint8Array[], frames: ApngFrame[] }} Apng */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG computes it. @example crc32(new TextEncoder().encode("IEND")) // 0xae426082 @param {Uint8Array} bytes */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Split an animated PNG into its frames (their compressed data; nothing decoded). Null when the bytes are
 * not an APNG. Each frame's delay is in seconds (a zero denominator meaning 1/100, as the format says).
 * @param {Uint8Array} bytes @returns {Apng | null}
 */
export function parseApng(bytes) {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  /** @type {Uint8Array | null} */
  let ihdr = null;
  let animated = false;
  /** @type {Uint8Array[]} */
  const header = [];
  /** @type {ApngFrame[]} */
  const frames = [];
  /** @type {ApngFrame | null} */
  let current = null;
  let at = 8;
  while (at + 12 <= bytes.length) {
    const size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + size));
    if (body.length < size) return null;
    const chunk = bytes.subarray(at, at + 12 + size);
    if (type === "IHDR") ihdr = body;
    else if (type === "acTL") animated = true;
    else if (HEADER_CHUNKS.has(type) && !frames.length) header.push(chunk);
    else if (type === "fcTL" && size >= 26) {
      const f = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const den = f.getUint16(22) || 100;
      current = { width: f.getUint32(4), height: f.getUint32(8), x: f.getUint32(12), y: f.getUint32(16),
        delay: f.getUint16(20) / den, dispose: body[24], blend: body[25], data: [] };
      frames.push(current);
    } else if (type === "IDAT" && current) current.data.push(body);
    else if (type === "fdAT" && current && size >= 4) current.data.push(body.subarray(4));
    else if (type === "IEND") break;
    at += 12 + size;
  }
  if (!ihdr || ihdr.length < 13 || !animated) return null;
  const head = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  return { width: head.getUint32(0), height: head.getUint32(4), ihdr, header, frames: frames.filter((f) => f.data.length) };
}

/** A chunk's bytes. @param {string} type @param {Uint8Array} body */
function chunk(type, body) {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * One frame as a PNG file of its own: the APNG's header with the frame's size, and the frame's data.
 * @param {Apng} apng @param {ApngFrame} frame @returns {Uint8Array}
 */
export function framePng(apng, frame) {
  const ihdr = apng.ihdr.slice();
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, frame.width);
  view.setUint32(4, frame.height);
  const parts = [Uint8Array.from(SIGNATURE), chunk("IHDR", ihdr), ...apng.header,
    ...frame.data.map((d) => chunk("IDAT", d)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The MIME type a video's bytes are shown with. @param {Record<string, any>} meta */
export function videoMime(meta) {
  return { mp4: "video/mp4", webm: "video/webm", gif: "image/gif" }[String(meta.format)] ?? "image/apng";
}

/** Every frame composed as the APNG's rules say (offsets, dispose, blend), as ImageData.
 * @param {Apng} apng */
async function composeFrames(apng) {
  const canvas = el("canvas");
  Object.assign(canvas, { width: apng.width, height: apng.height });
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  /** @type {ImageData[]} */
  const out = [];
  for (const frame of apng.frames) {
    const bitmap = await createImageBitmap(new Blob([/** @type {BlobPart} */ (framePng(apng, frame))], { type: "image/png" }));
    const before = frame.dispose === 2 ? context.getImageData(0, 0, apng.width, apng.height) : null;
    if (frame.blend === 0) context.clearRect(frame.x, frame.y, frame.width, frame.height);
    context.drawImage(bitmap, frame.x, frame.y);
    bitmap.close();
    out.push(context.getImageData(0, 0, apng.width, apng.height));
    if (frame.dispose === 1) context.clearRect(frame.x, frame.y, frame.width, frame.height);
    else if (before) context.putImageData(before, 0, 0);
  }
  return out;
}

/**
 * A video's element: a frame player for an APNG, a <video> for MP4/WebM, an image otherwise.
 * `size(w, h)` gives the size to show frames at.
 * @param {Uint8Array} bytes @param {string} url a blob URL of the bytes @param {Record<string, any>} meta
 * @param {(w: number, h: number) => { width: number, height: number, pixelated: boolean }} size
 */
export function videoBlock(bytes, url, meta, size) {
  const mime = videoMime(meta);
  if (mime.startsWith("video/")) {
    const video = el("video", "nbtrack-video");
    Object.assign(video, { controls: true, preload: "metadata", src: url });
    video.style.maxWidth = "420px";
    return video;
  }
  const img = el("img", "nbtrack-video");
  img.src = url;
  const apng = mime === "image/apng" ? parseApng(bytes) : null;
  if (!apng || apng.frames.length < 2 || apng.width * apng.height * 4 * apng.frames.length > MAX_FRAME_BYTES) return img;
  return framePlayer(apng, img, meta, size);
}

/** @param {Apng} apng @param {HTMLImageElement} img shown until the frames are decoded, and if they cannot be
 * @param {Record<string, any>} meta @param {(w: number, h: number) => { width: number, height: number, pixelated: boolean }} size */
function framePlayer(apng, img, meta, size) {
  const block = el("div", "nbtrack-video-player");
  const canvas = el("canvas", "nbtrack-video-frame");
  Object.assign(canvas, { width: apng.width, height: apng.height });
  const shown = size(apng.width, apng.height);
  Object.assign(canvas.style, { display: "block", width: `${shown.width}px`, height: `${shown.height}px`,
    imageRendering: shown.pixelated ? "pixelated" : "auto" });
  const bar = el("div", "nbtrack-video-bar");
  Object.assign(bar.style, { display: "flex", gap: "6px", alignItems: "center", fontSize: "12px" });
  const play = el("button", "nbtrack-video-play", "pause");
  const slider = el("input", "nbtrack-frame-slider");
  Object.assign(slider, { type: "range", min: "0", max: String(apng.frames.length - 1), step: "1", value: "0" });
  const label = el("span", "nbtrack-frame-label");
  const fps = Number(meta.fps) > 0 ? Number(meta.fps) : 1 / Math.max(1e-3, apng.frames[0].delay);
  bar.append(play, slider, label);
  block.append(img, bar);
  /** @type {ImageData[]} */
  let frames = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let playing = true;
  const context = canvas.getContext("2d");
  const show = (/** @type {number} */ i) => {
    slider.value = String(i);
    label.textContent = `frame ${i + 1} of ${apng.frames.length} · ${Number(fps.toPrecision(4))} fps`;
    block.dataset.frame = String(i);
    if (frames[i] && context) context.putImageData(frames[i], 0, 0);
  };
  const tick = () => {
    if (!block.isConnected && block.dataset.ready) { playing = false; return; } // the panel moved on
    const next = (Number(slider.value) + 1) % apng.frames.length;
    show(next);
    timer = setTimeout(tick, Math.max(10, apng.frames[next].delay * 1000));
  };
  const setPlaying = (/** @type {boolean} */ on) => {
    playing = on;
    play.textContent = on ? "pause" : "play";
    block.dataset.playing = String(on);
    clearTimeout(timer);
    if (on) timer = setTimeout(tick, Math.max(10, apng.frames[Number(slider.value)].delay * 1000));
  };
  play.addEventListener("click", () => setPlaying(!playing));
  slider.addEventListener("input", () => {
    setPlaying(false);
    show(Number(slider.value));
  });
  show(0);
  composeFrames(apng).then((composed) => {
    frames = composed;
    img.replaceWith(canvas);
    block.dataset.ready = "true";
    show(Number(slider.value));
    setPlaying(playing);
  }).catch(() => bar.remove()); // the browser cannot split it: the image keeps playing
  return block;
}
