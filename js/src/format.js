// Numbers, values, steps, durations and times as text for people (pure: no DOM).

/** A number as people read it: at most 6 significant digits ("0.0752676", "1.5e-7", "120000"). @param {number} x */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const text = x.toPrecision(6);
  return text.includes("e") ? text.replace(/\.?0+e/, "e") : text.replace(/\.?0+$/, "");
}

/** Any logged value as text: "" for none, JSON for objects and arrays. @param {unknown} value */
export function asText(value) {
  if (value == null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * A step as a short tick label: "1200", "999999", "1.25M".
 * @param {number} step
 */
export function formatStep(step) {
  const size = Math.abs(step);
  if (!Number.isFinite(step) || size < 1e6) return String(step);
  const [unit, suffix] = size >= 1e12 ? [1e12, "T"] : size >= 1e9 ? [1e9, "G"] : [1e6, "M"];
  return `${Number((step / unit).toPrecision(4))}${suffix}`;
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, "0");

/** A duration as people read it: "45 s", "3 min 05 s", "1 h 02 min", "2 d 03 h" ("" when unknown).
 * @param {unknown} seconds */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86400)} d ${pad(Math.floor((s % 86400) / 3600))} h`;
}

/** An epoch time (seconds) as a local date and time, "2025-03-07 14:05" ("" when unknown). @param {unknown} epoch */
export function formatTime(epoch) {
  if (typeof epoch !== "number" || !Number.isFinite(epoch)) return "";
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
