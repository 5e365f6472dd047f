// The statistics of a group of runs' series (pure: no DOM, no Bokeh). aggregate() aligns the series by step
// and gives, at every step any of them logged, the mean, min, max and standard deviation over the series
// that have a finite value there (a run that stopped early, or logs less often, simply does not count at
// the steps it lacks); bandEnvelope() reduces a band to a chart's width without losing its extremes.

/**
 * One run's points as aggregate() takes them; `xs` (optional) is the x of each point when the chart's
 * x axis is not the step (e.g. seconds since the run started): the group's x is their mean per step.
 * @typedef {{ steps: ArrayLike<number>, values: ArrayLike<number>, xs?: ArrayLike<number> | null }} GroupInput
 */
/**
 * Per step of the union of all steps (ascending): `count` series with a finite value there, their `mean`,
 * `min`, `max` and population standard deviation `std` (NaN where count is 0), and the mean `x`.
 * @typedef {{ steps: Float64Array, x: Float64Array, mean: Float64Array, min: Float64Array, max: Float64Array,
 *   std: Float64Array, count: Int32Array }} GroupStats
 */

/**
 * A series' point indices in ascending step order, one per step (the last one logged at a step wins, as a
 * resumed run's rewrite would), without NaN steps.
 * @param {ArrayLike<number>} steps @returns {ArrayLike<number>}
 */
export function orderedPoints(steps) {
  const n = steps.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = steps[i] > steps[i - 1];
  if (sorted && (n === 0 || !Number.isNaN(steps[0]))) return identity(n);
  const order = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(steps[i])) order.push(i);
  order.sort((a, b) => steps[a] - steps[b] || a - b);
  const out = [];
  for (let k = 0; k < order.length; k++) {
    if (k + 1 < order.length && steps[order[k + 1]] === steps[order[k]]) continue; // a later point of the same step
    out.push(order[k]);
  }
  return out;
}

/** @param {number} n */
function identity(n) {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * Align `series` by step and compute the group's statistics at every step (see GroupStats).
 * @example
 * const g = aggregate([{ steps: [0, 1, 2], values: [1, 2, 3] }, { steps: [0, 1], values: [3, 4] }]);
 * [...g.mean] // [2, 3, 3]
 * [...g.count] // [2, 2, 1]
 * @param {GroupInput[]} series @returns {GroupStats}
 */
export function aggregate(series) {
  const orders = series.map((s) => orderedPoints(s.steps));
  let total = 0;
  for (const order of orders) total += order.length;
  const all = new Float64Array(total);
  let at = 0;
  series.forEach((s, k) => {
    for (let i = 0; i < orders[k].length; i++) all[at++] = s.steps[orders[k][i]];
  });
  all.sort();
  let u = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[u - 1]) all[u++] = all[i];
  const steps = all.slice(0, u);
  const count = new Int32Array(u);
  const xCount = new Int32Array(u);
  const sum = new Float64Array(u);
  const xSum = new Float64Array(u);
  const min = new Float64Array(u).fill(Infinity);
  const max = new Float64Array(u).fill(-Infinity);
  /** @param {(slot: number, value: number, point: number, s: GroupInput) => void} visit */
  const walk = (visit) => series.forEach((s, k) => {
    const order = orders[k];
    let j = 0;
    for (let i = 0; i < order.length; i++) {
      const point = order[i];
      while (steps[j] < s.steps[point]) j++; // both ascending: one pass over the union per series
      visit(j, s.values[point], point, s);
    }
  });
  walk((j, v, point, s) => {
    xCount[j]++;
    xSum[j] += s.xs ? s.xs[point] : steps[j];
    if (!Number.isFinite(v)) return;
    count[j]++;
    sum[j] += v;
    if (v < min[j]) min[j] = v;
    if (v > max[j]) max[j] = v;
  });
  const mean = new Float64Array(u);
  const x = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    mean[j] = count[j] ? sum[j] / count[j] : NaN;
    x[j] = xSum[j] / xCount[j];
    if (!count[j]) min[j] = max[j] = NaN;
  }
  const squares = new Float64Array(u); // second pass: deviations from the mean (no cancellation of big sums)
  walk((j, v) => {
    if (Number.isFinite(v)) squares[j] += (v - mean[j]) ** 2;
  });
  const std = new Float64Array(u);
  for (let j = 0; j < u; j++) std[j] = count[j] ? Math.sqrt(squares[j] / count[j]) : NaN;
  return { steps, x, mean, min, max, std, count };
}

/**
 * The band around a group's line: min to max, or mean - std to mean + std.
 * @param {{ mean: ArrayLike<number>, min: Float64Array, max: Float64Array, std: ArrayLike<number> }} stats
 * @param {"minmax" | "std"} kind @returns {[Float64Array, Float64Array]}
 */
export function bandOf(stats, kind) {
  if (kind === "minmax") return [stats.min, stats.max];
  const n = stats.mean.length;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = stats.mean[i] - stats.std[i];
    hi[i] = stats.mean[i] + stats.std[i];
  }
  return [lo, hi];
}

/**
 * A band reduced to at most `buckets` columns over [x0, x1]: per column, the lowest `lo` and highest `hi`,
 * drawn at the column's first and last x (so a narrow spike stays visible). Points where either edge is
 * not finite are left out (the band bridges them). Short bands come back whole, minus those points.
 * @example
 * bandEnvelope([0, 1, 2, 3], [0, -1, 0, 0], [1, 1, 5, 1], 0, 3, 100).x.length // 4
 * @param {ArrayLike<number>} xs ascending @param {ArrayLike<number>} lo @param {ArrayLike<number>} hi
 * @param {number} x0 @param {number} x1 @param {number} buckets
 * @returns {{ x: Float64Array, lo: Float64Array, hi: Float64Array }}
 */
export function bandEnvelope(xs, lo, hi, x0, x1, buckets) {
  /** @type {number[]} */
  const ox = [];
  /** @type {number[]} */
  const ol = [];
  /** @type {number[]} */
  const oh = [];
  const n = xs.length;
  let inRange = 0;
  for (let i = 0; i < n; i++) if (xs[i] >= x0 && xs[i] <= x1) inRange++;
  const whole = inRange <= 2 * buckets || !(x1 > x0);
  const scale = whole ? 0 : buckets / (x1 - x0);
  let column = NaN;
  let first = -1;
  let last = -1;
  let low = Infinity;
  let high = -Infinity;
  const flush = () => {
    if (first < 0) return;
    ox.push(xs[first]); ol.push(low); oh.push(high);
    if (last !== first) { ox.push(xs[last]); ol.push(low); oh.push(high); }
    first = last = -1;
    low = Infinity;
    high = -Infinity;
  };
  for (let i = 0; i < n; i++) {
    if (!(xs[i] >= x0 && xs[i] <= x1) || !Number.isFinite(lo[i]) || !Number.isFinite(hi[i])) continue;
    if (whole) {
      ox.push(xs[i]); ol.push(lo[i]); oh.push(hi[i]);
      continue;
    }
    const c = Math.min(buckets - 1, Math.floor((xs[i] - x0) * scale));
    if (c !== column) {
      flush();
      column = c;
    }
    if (first < 0) first = i;
    last = i;
    if (lo[i] < low) low = lo[i];
    if (hi[i] > high) high = hi[i];
  }
  flush();
  return { x: Float64Array.from(ox), lo: Float64Array.from(ol), hi: Float64Array.from(oh) };
}
