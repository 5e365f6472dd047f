// An audio value's waveform under its player: the WAV file read in the page (PCM 8/16/24/32-bit and
// float32, any number of channels), reduced to a min and max per pixel column and drawn on a canvas,
// with the duration from the WAV header (right even when the browser's player shows 0:00), a playhead
// that follows the player, and a click on the waveform seeks there.

import { el } from "./dom.js";

const WAVEFORM_WIDTH = 300;
const WAVEFORM_HEIGHT = 48;

/**
 * @typedef {{ sampleRate: number, channels: number, frames: number, duration: number, bits: number,
 *   float: boolean, sample: (frame: number, channel: number) => number }} Wav
 */

/**
 * Read a WAV file's header and give access to its samples (as numbers in [-1, 1]).
 * @example parseWav(bytes).duration // seconds
 * @param {Uint8Array} bytes
 * @returns {Wav}
 */
export function parseWav(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (/** @type {number} */ at) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a WAV file");
  /** @type {{ format: number, channels: number, rate: number, bits: number } | null} */
  let fmt = null;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt " && size >= 16) {
      let format = view.getUint16(body, true);
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true) };
    } else if (id === "data") {
      if (!fmt) throw new Error("a WAV file's data comes before its format");
      return wavOf(view, body, Math.min(size, bytes.length - body), fmt);
    }
    at = body + size + (size % 2);
  }
  throw new Error("a WAV file without data");
}

/** @param {DataView} view @param {number} start @param {number} size
 * @param {{ format: number, channels: number, rate: number, bits: number }} fmt @returns {Wav} */
function wavOf(view, start, size, fmt) {
  const { format, channels, rate, bits } = fmt;
  const float = format === 3;
  if (!(format === 1 && [8, 16, 24, 32].includes(bits)) && !(float && bits === 32)) {
    throw new Error(`WAV samples of format ${format} with ${bits} bits are not read here`);
  }
  if (channels < 1 || rate < 1) throw new Error("a WAV file without channels or sample rate");
  const width = bits / 8;
  const frames = Math.floor(size / (width * channels));
  /** @type {(at: number) => number} */
  const read = float ? (a) => view.getFloat32(a, true)
    : bits === 8 ? (a) => (view.getUint8(a) - 128) / 128
      : bits === 16 ? (a) => view.getInt16(a, true) / 32768
        : bits === 24 ? (a) => ((view.getUint8(a) | (view.getUint8(a + 1) << 8) | (view.getInt8(a + 2) << 16)) / 8388608)
          : (a) => view.getInt32(a, true) / 2147483648;
  return { sampleRate: rate, channels, frames, duration: frames / rate, bits, float,
    sample: (frame, channel) => read(start + (frame * channels + channel) * width) };
}

/**
 * The lowest and highest sample (over all channels) in each of `columns` equal slices of the audio.
 * @example minMaxColumns(wav, 300) // { min: Float32Array(300), max: Float32Array(300) }
 * @param {Pick<Wav, "frames" | "channels" | "sample">} wav @param {number} columns
 */
export function minMaxColumns(wav, columns) {
  const n = Math.max(1, Math.min(columns, wav.frames));
  const min = new Float32Array(n);
  const max = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const from = Math.floor((c * wav.frames) / n);
    const to = Math.max(from + 1, Math.floor(((c + 1) * wav.frames) / n));
    let low = Infinity;
    let high = -Infinity;
    for (let f = from; f < Math.min(to, wav.frames); f++) {
      for (let ch = 0; ch < wav.channels; ch++) {
        const x = wav.sample(f, ch);
        if (x < low) low = x;
        if (x > high) high = x;
      }
    }
    [min[c], max[c]] = low === Infinity ? [0, 0] : [low, high];
  }
  return { min, max };
}

/** Seconds as m:ss.s. @example formatDuration(62.25) // "1:02.3" @param {number} seconds */
export function formatDuration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

/**
 * The player, its waveform and its duration for one WAV file. A file the parser cannot read keeps its
 * player with a note in place of the waveform.
 * @param {Uint8Array} bytes @param {string} url a blob URL of the bytes
 */
export function audioBlock(bytes, url) {
  const block = el("div", "nbtrack-audio-block");
  const audio = el("audio", "nbtrack-audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = url;
  block.appendChild(audio);
  let wav;
  try {
    wav = parseWav(bytes);
  } catch (error) {
    block.appendChild(el("div", "nbtrack-audio-note", `no waveform: ${error instanceof Error ? error.message : String(error)}`));
    return block;
  }
  const canvas = el("canvas", "nbtrack-waveform");
  Object.assign(canvas, { width: WAVEFORM_WIDTH, height: WAVEFORM_HEIGHT });
  Object.assign(canvas.style, { display: "block", width: `${WAVEFORM_WIDTH}px`, height: `${WAVEFORM_HEIGHT}px` });
  const { min, max } = minMaxColumns(wav, WAVEFORM_WIDTH);
  const context = canvas.getContext("2d");
  if (context) {
    const mid = WAVEFORM_HEIGHT / 2;
    context.fillStyle = "#1f77b4";
    for (let c = 0; c < min.length; c++) {
      const top = mid - Math.max(-1, Math.min(1, max[c])) * mid;
      const bottom = mid - Math.max(-1, Math.min(1, min[c])) * mid;
      context.fillRect((c * WAVEFORM_WIDTH) / min.length, top, Math.max(1, WAVEFORM_WIDTH / min.length), Math.max(1, bottom - top));
    }
  }
  canvas.dataset.columns = String(min.length);
  const strip = el("div", "nbtrack-waveform-strip");
  Object.assign(strip.style, { position: "relative", width: `${WAVEFORM_WIDTH}px`, cursor: "pointer" });
  const playhead = el("div", "nbtrack-waveform-playhead");
  Object.assign(playhead.style, { position: "absolute", top: "0", bottom: "0", left: "0", width: "1px",
    background: "#d62728", pointerEvents: "none" });
  strip.append(canvas, playhead);
  audio.addEventListener("timeupdate", () => {
    playhead.style.left = `${Math.min(1, audio.currentTime / Math.max(1e-9, wav.duration)) * 100}%`;
  });
  canvas.addEventListener("click", (event) => { // seek where the waveform is clicked
    audio.currentTime = (event.offsetX / WAVEFORM_WIDTH) * wav.duration;
  });
  const info = el("div", "nbtrack-audio-info",
    `${formatDuration(wav.duration)} · ${wav.sampleRate} Hz · ${wav.channels === 1 ? "mono" : wav.channels === 2 ? "stereo" : `${wav.channels} channels`}`);
  info.dataset.duration = String(wav.duration);
  block.append(strip, info);
  return block;
}
