// Zoom detail from the kernel for a static dashboard whose long series were reduced (nbtrack/_detail.py).
//
// The request goes through the page's BokehJS loader model of the kernel that made the output: it exists
// while that kernel runs (it registers itself on globalThis when its model is created) and is absent in a
// reopened notebook, an nbconvert page or a report, where zoom simply stays at the reduced resolution.

const TIMEOUT_MS = 15000;

/**
 * @typedef {{ steps: Float64Array, values: Float64Array, times: Float64Array, x0: number, x1: number,
 *   full: boolean, spacing: number }} Detail
 */
/** @typedef {(run: string, key: string, x0: number, x1: number, width: number) => Promise<Detail | null>} DetailFetch */

/** Register a loader model as the detail channel of its kernel (called from its initialize()).
 * @param {{ get: (name: string) => any }} model */
export function registerChannel(model) {
  const root = /** @type {any} */ (globalThis);
  root.__nbtrackChannels ??= new Map();
  root.__nbtrackChannels.set(String(model.get("_uid") ?? ""), model);
}

/** @param {any} view @returns {Float64Array} */
function float64(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  return new Float64Array(bytes.buffer);
}

/** @type {WeakMap<object, DetailFetch>} */
const fetchers = new WeakMap();

/**
 * A fetch function that sends detail requests over `model` (a loader or a live dashboard) and resolves
 * with the matching reply, or null on an error reply or after a timeout. One per model.
 * @param {any} model @param {string | undefined} token
 * @returns {DetailFetch}
 */
export function fetcherFor(model, token) {
  const known = fetchers.get(model);
  if (known) return known;
  /** @type {Map<number, (detail: Detail | null) => void>} */
  const pending = new Map();
  let next = 1;
  model.on("msg:custom", (/** @type {any} */ message, /** @type {any[]} */ buffers) => {
    const done = message?.kind === "detail" ? pending.get(message.req) : undefined;
    if (!done) return;
    pending.delete(message.req);
    if (message.error || !buffers || buffers.length !== 3) return done(null);
    const [steps, values, times] = buffers.map(float64);
    const n = steps.length;
    const total = Number(message.total) || n;
    const spacing = total > n && n > 1 ? (steps[n - 1] - steps[0]) / (total - 1) : 0;
    done({ steps, values, times, x0: message.x0, x1: message.x1, full: Boolean(message.full), spacing });
  });
  /** @type {DetailFetch} */
  const fetch = (run, key, x0, x1, width) => new Promise((resolve) => {
    const req = next++;
    pending.set(req, resolve);
    setTimeout(() => pending.delete(req) && resolve(null), TIMEOUT_MS);
    model.send({ kind: "detail", token, req, run, key, x0, x1, width });
  });
  fetchers.set(model, fetch);
  return fetch;
}

/**
 * A fetch function for a static output's channel ({loader, token}), or null when its kernel is not here.
 * @param {{ loader?: string, token?: string } | undefined} channel
 * @returns {DetailFetch | null}
 */
export function detailFetcher(channel) {
  const root = /** @type {any} */ (globalThis);
  const model = channel?.loader ? root.__nbtrackChannels?.get(channel.loader) : null;
  if (!model || typeof model.send !== "function") return null;
  return fetcherFor(model, channel?.token);
}

/** Where a dashboard's zoom detail comes from: a static output's channel, a live dashboard's own comm, or
 * nowhere. @param {import("./index.js").Model} model */
export function detailOf(model) {
  if (model.detail !== undefined) return model.detail;
  const token = model.get("detail_token");
  const live = /** @type {any} */ (model);
  return token && typeof live.send === "function" ? fetcherFor(live, String(token)) : null;
}
