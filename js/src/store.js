// The widget's data: every point the kernel has sent, per series, in growable typed arrays.
//
// A dashboard's model gets one store, fed from anywidget's initialize() so that messages sent before the
// first view exists are kept. Views read from it and redraw on change. The kernel sends sequence-numbered
// "append" messages (nbtrack/_protocol.py) with only new points; a snapshot (widget state, or an HTML
// report) carries everything up to its own seq. A store applies a snapshot, then only the deltas with a
// higher seq, so a late view, a second view and a re-rendered view all end with the same data.

import { toFloat64Array, toUint8Array } from "./codecs.js";
import { m4 } from "./downsample.js";

export const PROTOCOL_VERSION = 1;
const BUFFERS_PER_SERIES = 3;
// Browser memory per series stays bounded: above MAX_POINTS, the oldest COMPACT_SHARE of the points are
// replaced by their M4 reduction into COMPACT_BUCKETS step ranges (exact first, last, min and max per
// range), while recent points stay at full resolution. Zooming into reduced history asks the kernel.
export const MAX_POINTS = 1_000_000;
const COMPACT_SHARE = 0.75;
const COMPACT_BUCKETS = 16_384;

/** @typedef {{ run: string, key: string, n: number }} SeriesHeader */
/** @typedef {{ kind: string, v: number, seq: number, series: SeriesHeader[] }} AppendMessage */
/** @typedef {ArrayBuffer | ArrayBufferView} Binary */

/** One series: growable columns of steps, values and wall times. */
export class Series {
  /** @param {string} run @param {string} key */
  constructor(run, key) {
    this.run = run;
    this.key = key;
    this.length = 0;
    /** points the series really has (more than `length` when the snapshot was reduced) */
    this.total = 0;
    /** @type {import("./detail.js").Detail | null} full-resolution points of a zoomed range */
    this.detail = null;
    /** points kept before the oldest are reduced (tests lower it) */
    this.maxPoints = MAX_POINTS;
    /** steps up to here are held reduced (-Infinity: nothing reduced) */
    this.reducedTo = -Infinity;
    this.steps = new Float64Array(64);
    this.values = new Float64Array(64);
    this.times = new Float64Array(64);
  }

  /** Append points (capacity doubles, so appending n points costs O(n) amortised).
   * @param {Float64Array} steps @param {Float64Array} values @param {Float64Array} times */
  append(steps, values, times) {
    const need = this.length + values.length;
    if (need > this.values.length) {
      let size = this.values.length;
      while (size < need) size *= 2;
      for (const name of /** @type {const} */ (["steps", "values", "times"])) {
        const grown = new Float64Array(size);
        grown.set(this[name].subarray(0, this.length));
        this[name] = grown;
      }
    }
    this.steps.set(steps, this.length);
    this.values.set(values, this.length);
    this.times.set(times, this.length);
    this.length = need;
    this.total += values.length;
    if (this.length > this.maxPoints) this.compact();
  }

  /** Reduce the oldest points (see MAX_POINTS); the step up to which data is reduced is kept in `reducedTo`. */
  compact() {
    const old = Math.floor(this.length * COMPACT_SHARE);
    const { steps, values, times } = this.view();
    const x0 = steps[0];
    const x1 = steps[old - 1];
    if (!(x1 > x0)) return;
    const reduced = m4(steps.subarray(0, old), values.subarray(0, old), x0, x1, COMPACT_BUCKETS);
    const idx = withNonFinite(reduced.idx, reduced.nonFinite, steps, x0, x1);
    const kept = idx.length;
    for (const column of [this.steps, this.values, this.times]) {
      const reduced = Float64Array.from(idx, (i) => column[i]);
      column.copyWithin(kept, old, this.length);
      column.set(reduced, 0);
    }
    this.length = kept + (this.length - old);
    this.reducedTo = Math.max(this.reducedTo, x1);
  }

  /** Views of the filled part of the columns, and the original step spacing when some points were reduced
   * (0 when every point is held). */
  view() {
    const n = this.length;
    const spacing = this.total > n && n > 1 ? (this.steps[n - 1] - this.steps[0]) / Math.max(1, this.total - 1) : 0;
    return {
      steps: this.steps.subarray(0, n), values: this.values.subarray(0, n), times: this.times.subarray(0, n), spacing,
    };
  }
}

/**
 * A run as the dashboard knows it: its colour index, and (from snapshots of stored runs) its status, times,
 * flat config and summary.
 * @typedef {{ id: string, name: string, index: number, status?: string, created?: number | null,
 *   updated?: number | null, config?: Record<string, unknown>, summary?: Record<string, unknown>,
 *   layout?: unknown, metrics?: { name: string, step_metric: string }[], details?: unknown }} RunInfo
 * layout: TensorBoard's custom scalars layout of the run (layouts.js), when its logdir has one
 * metrics: the run's define_metric step metrics (xaxis.js: a tag's chart uses its step metric as x)
 * details: its saved files, artifacts, alerts and environment (rundetails.js), when it has any
 */

/** Records kept per media tag in the browser (the oldest steps go first). */
export const MAX_MEDIA_RECORDS = 500;

/**
 * One logged media value: an image's PNG, a histogram's edges and counts, a text in meta.text, ...
 * @typedef {{ step: number, index: number | null, meta: Record<string, any>, data: Uint8Array[] }} MediaRecord
 */
/** @typedef {{ run: string, key: string, kind: string, step: number, index?: number | null,
 *   meta?: Record<string, any>, buffers?: number, data?: Binary[] }} MediaHeader */

/** The media records of one tag of one run, ordered by step then gallery index. */
export class MediaSeries {
  /** @param {string} run @param {string} key @param {string} kind */
  constructor(run, key, kind) {
    this.run = run;
    this.key = key;
    this.kind = kind;
    /** @type {MediaRecord[]} */
    this.records = [];
    this.version = 0; // bumped on every change: panels redraw only when it moved
  }

  /** @param {MediaRecord} record */
  add(record) {
    const order = (/** @type {MediaRecord} */ r) => [r.step, r.index ?? -1];
    let at = this.records.length;
    while (at > 0) {
      const [s, i] = order(this.records[at - 1]);
      const [rs, ri] = order(record);
      if (s < rs || (s === rs && i <= ri)) break;
      at--;
    }
    this.records.splice(at, 0, record);
    if (this.records.length > MAX_MEDIA_RECORDS) { // drop the oldest whole steps (never half a gallery)
      let drop = this.records.length - MAX_MEDIA_RECORDS;
      while (drop < this.records.length - 1 && this.records[drop].step === this.records[drop - 1].step) drop++;
      this.records.splice(0, drop);
    }
    this.version++;
  }

  /** Distinct steps, increasing. */
  steps() {
    /** @type {number[]} */
    const out = [];
    for (const r of this.records) if (out[out.length - 1] !== r.step) out.push(r.step);
    return out;
  }

  /** @param {number} step */
  at(step) {
    return this.records.filter((r) => r.step === step);
  }
}

/**
 * M4's kept indices plus one non-finite point per step range that holds any, in index order (so a NaN
 * stays marked after its neighbourhood is reduced).
 * @param {Int32Array} idx @param {Int32Array} nonFinite @param {Float64Array} steps @param {number} x0
 * @param {number} x1
 */
function withNonFinite(idx, nonFinite, steps, x0, x1) {
  if (!nonFinite.length) return idx;
  const scale = COMPACT_BUCKETS / (x1 - x0);
  const marks = [];
  let column = -1;
  for (const i of nonFinite) {
    const c = Math.floor((steps[i] - x0) * scale);
    if (c !== column) marks.push(i);
    column = c;
  }
  const merged = Int32Array.from(new Set([...idx, ...marks]));
  return merged.sort();
}

/** Every series of one dashboard, its runs, and the seq of the last message applied. */
export class Store {
  constructor() {
    /** @type {Map<string, Series>} */
    this.series = new Map();
    /** @type {Map<string, RunInfo>} runs in the order first seen: a run's index fixes its colour */
    this.runs = new Map();
    /** @type {Map<string, MediaSeries>} */
    this.media = new Map();
    /** @type {Set<string>} runs hidden from every chart (the run table's switches) */
    this.hidden = new Set();
    /** @type {Set<string> | null} runs chosen by brushing the hyperparameter view (null: all) */
    this.selected = null;
    this.seq = 0;
    /** @type {number[]} seqs that were skipped (a gap means a message was lost) */
    this.gaps = [];
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** changes whenever a run's info (status, summary, ...) changes: the run table redraws on it */
    this.runsVersion = 0;
  }

  /**
   * Hide every run but the `count` newest (by `created`), as a logdir of hundreds of runs first
   * draws only its newest lines; the run table's "all" switch shows the rest. Returns how many were hidden.
   * @param {number} count
   */
  hideAllButNewest(count) {
    const runs = [...this.runs.values()];
    if (runs.length <= count) return 0;
    runs.sort((a, b) => Number(b.created ?? 0) - Number(a.created ?? 0));
    for (const run of runs.slice(count)) this.hidden.add(run.id);
    return runs.length - count;
  }

  /**
   * A run's display info, registered on first sight (its name defaults to its id).
   * @param {string} id @param {string} [name] @returns {RunInfo}
   */
  runInfo(id, name) {
    let info = this.runs.get(id);
    if (!info) {
      info = { id, name: name || id, index: this.runs.size };
      this.runs.set(id, info);
    } else if (name) {
      info.name = name;
    }
    return info;
  }

  /** Whether a run's lines are drawn: not hidden, and selected when a brush is active. @param {string} run */
  shown(run) {
    return !this.hidden.has(run) && (this.selected === null || this.selected.has(run));
  }

  /** @param {string} run @param {string} key */
  get(run, key) {
    this.runInfo(run);
    const id = `${run}\u0000${key}`;
    let s = this.series.get(id);
    if (!s) {
      s = new Series(run, key);
      this.series.set(id, s);
    }
    return s;
  }

  /**
   * Add media records (from a `media` message's items with their buffers, or a snapshot's media list).
   * @param {MediaHeader} header @param {Binary[]} data
   */
  addMedia(header, data) {
    this.runInfo(header.run);
    const id = `${header.run}\u0000${header.key}`;
    let series = this.media.get(id);
    if (!series) {
      series = new MediaSeries(header.run, header.key, String(header.kind));
      this.media.set(id, series);
    }
    series.add({ step: Number(header.step), index: header.index ?? null, meta: header.meta ?? {},
      data: data.map(toUint8Array) });
  }

  /**
   * Apply a `media` message (nbtrack/_protocol.py): items whose buffers follow each other in order.
   * Shares the seq counter with append messages. Returns true if applied.
   * @param {{ kind: string, v: number, seq: number, items: MediaHeader[] }} message @param {Binary[]} buffers
   */
  applyMedia(message, buffers) {
    if (message.kind !== "media" || message.v !== PROTOCOL_VERSION) {
      throw new Error(`not a media message of protocol version ${PROTOCOL_VERSION}: kind=${message.kind} v=${message.v}`);
    }
    if (message.seq <= this.seq) return false;
    const need = message.items.reduce((n, item) => n + (item.buffers ?? 0), 0);
    if (buffers.length !== need) throw new Error(`media message needs ${need} buffers, got ${buffers.length}`);
    for (let missing = this.seq + 1; missing < message.seq && this.seq > 0; missing++) this.gaps.push(missing);
    let next = 0;
    for (const item of message.items) {
      const count = item.buffers ?? 0;
      this.addMedia(item, buffers.slice(next, next + count));
      next += count;
    }
    this.seq = message.seq;
    this.changed();
    return true;
  }

  /**
   * Apply a `runs` message (a watched logdir's new runs and changed run info: status, summary, ...).
   * Shares the seq counter with append and media messages. Returns true if applied.
   * @param {{ kind: string, v: number, seq: number, runs: ({ id: string, name?: string } & Record<string, any>)[] }} message
   */
  applyRuns(message) {
    if (message.kind !== "runs" || message.v !== PROTOCOL_VERSION) {
      throw new Error(`not a runs message of protocol version ${PROTOCOL_VERSION}: kind=${message.kind} v=${message.v}`);
    }
    if (message.seq <= this.seq) return false;
    for (let missing = this.seq + 1; missing < message.seq && this.seq > 0; missing++) this.gaps.push(missing);
    for (const run of message.runs ?? []) {
      const info = this.runInfo(String(run.id), String(run.name ?? ""));
      Object.assign(info, run, { index: info.index, id: String(run.id), name: String(run.name ?? info.name) });
    }
    this.seq = message.seq;
    this.runsVersion++;
    this.changed();
    return true;
  }

  /**
   * Apply an append message; ignore one already covered (seq <= this.seq). Returns true if applied.
   * @param {AppendMessage} message @param {Binary[]} buffers
   */
  applyAppend(message, buffers) {
    if (message.kind !== "append" || message.v !== PROTOCOL_VERSION) {
      throw new Error(`not an append message of protocol version ${PROTOCOL_VERSION}: kind=${message.kind} v=${message.v}`);
    }
    if (message.seq <= this.seq) return false;
    if (buffers.length !== BUFFERS_PER_SERIES * message.series.length) {
      throw new Error(`append message with ${message.series.length} series needs ${BUFFERS_PER_SERIES * message.series.length} buffers, got ${buffers.length}`);
    }
    for (let missing = this.seq + 1; missing < message.seq && this.seq > 0; missing++) this.gaps.push(missing);
    message.series.forEach((header, i) => {
      const [steps, values, times] = [0, 1, 2].map((j) => toFloat64Array(buffers[BUFFERS_PER_SERIES * i + j]));
      if (steps.length !== header.n || values.length !== header.n || times.length !== header.n) {
        throw new Error(`series ${header.key}: buffers do not hold ${header.n} points`);
      }
      this.get(header.run, header.key).append(steps, values, times);
    });
    this.seq = message.seq;
    this.changed();
    return true;
  }

  /**
   * Replace everything with a snapshot that covers messages up to `snapshot.seq`.
   * @param {{ seq: number, runs?: ({ id: string, name: string } & Record<string, any>)[], media?: MediaHeader[],
   *   series: { run: string, key: string, steps: Binary, values: Binary, times: Binary, n?: number }[] }} snapshot
   */
  applySnapshot(snapshot) {
    if (snapshot.seq < this.seq) return false; // older than what we hold
    this.series = new Map();
    this.media = new Map();
    for (const run of snapshot.runs ?? []) Object.assign(this.runInfo(String(run.id), String(run.name ?? "")), run, {
      index: this.runInfo(String(run.id)).index, id: String(run.id), name: String(run.name ?? run.id) });
    for (const item of snapshot.media ?? []) this.addMedia(item, item.data ?? []);
    for (const s of snapshot.series) {
      const series = this.get(s.run, s.key);
      series.append(toFloat64Array(s.steps), toFloat64Array(s.values), toFloat64Array(s.times));
      if (typeof s.n === "number" && s.n > series.total) series.total = s.n;
    }
    this.seq = snapshot.seq;
    this.runsVersion++;
    this.gaps = this.gaps.filter((g) => g > snapshot.seq);
    this.changed();
    return true;
  }

  /** @param {() => void} listener @returns {() => void} a function that removes it */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }
}

/** Forget a model's store (its model was closed: nothing will show it again). @param {string} uid */
export function dropStore(uid) {
  /** @type {{ __nbtrackStores?: Map<string, Store> }} */ (globalThis).__nbtrackStores?.delete(uid);
}

/**
 * The page-wide store of a widget model, keyed by its uid: anywidget may evaluate this module once per
 * model, so the registry lives on globalThis.
 * @param {string} uid @returns {Store}
 */
export function storeFor(uid) {
  const root = /** @type {{ __nbtrackStores?: Map<string, Store> }} */ (globalThis);
  root.__nbtrackStores ??= new Map();
  let store = root.__nbtrackStores.get(uid);
  if (!store) {
    store = new Store();
    root.__nbtrackStores.set(uid, store);
  }
  return store;
}

/** The store of a dashboard model (by its `_uid` trait; "default" without one).
 * @param {{ get: (name: string) => any }} model */
export function storeOf(model) {
  const uid = model.get("_uid");
  return storeFor(uid == null || uid === "" ? "default" : String(uid));
}
