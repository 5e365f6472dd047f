// What a chart's x axis is (pure: no DOM, no Bokeh). The x control says step, relative time or wall time;
// with "step" (the default) two kinds of tag are drawn otherwise:
// - a tag whose run defined a step metric for it (wandb's define_metric("epoch/*", step_metric="epoch"),
//   carried in the run's info as `metrics: [{name, step_metric}]`): each point's x is the value the step
//   metric had at that step (its latest point at or before the step), and the axis is titled by the metric.
//   Points with no such value (the metric not logged yet, or not finite) are left out.
// - the system group (`system/...`: CPU, GPU, memory samples taken at the run's current step with their own
//   wall times, several per step): x is relative time, as its points do not follow steps.
// Relative and wall time are unchanged for every tag.

export const SYSTEM_PREFIX = "system/";
export const SYSTEM_LABEL = "relative time (s) · system metrics follow time";

/** @typedef {"step" | "relative" | "wall"} XAxis */
/** @typedef {{ name: string, step_metric: string }} StepMetricDefinition */
/**
 * How a chart draws x: `mode` "step", "relative", "wall" or "metric" (x from the step metric of each run),
 * and the axis title.
 * @typedef {{ mode: XAxis | "metric", label: string }} ChartAxis
 */

/** @type {Map<string, RegExp>} */
const globs = new Map();

/**
 * Whether `name` matches a define_metric name: exactly, or as a glob where `*` stands for any characters
 * (`/` included, as Python's fnmatch that nbtrack's summaries use) and `?` for one.
 * @example
 * globMatch("epoch/*", "epoch/loss") // true
 * globMatch("epoch/*", "val/loss") // false
 * @param {string} pattern @param {string} name
 */
export function globMatch(pattern, name) {
  if (pattern === name) return true;
  if (!pattern.includes("*") && !pattern.includes("?")) return false;
  let re = globs.get(pattern);
  if (!re) {
    const body = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.+()[\]{}|]/g, "\\$&"))).join("");
    re = new RegExp(`^${body}$`, "s");
    globs.set(pattern, re);
  }
  return re.test(name);
}

/**
 * The step metric a run defined for tag `key`, or null: an exact name first, else the last glob matching it
 * (definitions are in the order they were made). A step metric is never plotted against itself.
 * @example
 * stepMetricOf({ metrics: [{ name: "epoch/*", step_metric: "epoch" }] }, "epoch/loss") // "epoch"
 * @param {{ metrics?: unknown } | undefined} info the run's info (store.runs)
 * @param {string} key
 * @returns {string | null}
 */
export function stepMetricOf(info, key) {
  const metrics = info?.metrics;
  if (!Array.isArray(metrics) || !metrics.length) return null;
  /** @type {string | null} */
  let found = null;
  for (const d of /** @type {Partial<StepMetricDefinition>[]} */ (metrics)) {
    if (!d || typeof d.name !== "string" || typeof d.step_metric !== "string" || !d.step_metric) continue;
    if (d.name === key) {
      found = d.step_metric;
      break;
    }
  }
  if (found === null) {
    for (let i = metrics.length - 1; i >= 0; i--) {
      const d = /** @type {Partial<StepMetricDefinition>} */ (metrics[i]);
      if (d && typeof d.name === "string" && typeof d.step_metric === "string" && d.step_metric && globMatch(d.name, key)) {
        found = d.step_metric;
        break;
      }
    }
  }
  return found === key ? null : found;
}

/** Whether a tag is of the system group (plotted against time). @param {string} key */
export const isSystemTag = (key) => key.startsWith(SYSTEM_PREFIX);

const LABELS = { step: "step", relative: "relative time (s)", wall: "wall time" };

/**
 * A chart's x axis: the control's, except that under "step" the system group uses relative time and a tag
 * with a step metric uses it (named in the title; runs without one keep steps, and the title says so).
 * @example
 * chartAxis("system/cpu", "step", []) // { mode: "relative", label: SYSTEM_LABEL }
 * chartAxis("epoch/loss", "step", ["epoch"]) // { mode: "metric", label: "epoch" }
 * @param {string} key @param {XAxis} xAxis
 * @param {(string | null)[]} stepMetrics the step metric of each run drawn in the chart (null: none)
 * @returns {ChartAxis}
 */
export function chartAxis(key, xAxis, stepMetrics) {
  if (xAxis !== "step") return { mode: xAxis, label: LABELS[xAxis] ?? xAxis };
  if (isSystemTag(key)) return { mode: "relative", label: SYSTEM_LABEL };
  const names = [...new Set(stepMetrics.filter((m) => m !== null))];
  if (!names.length) return { mode: "step", label: LABELS.step };
  if (stepMetrics.some((m) => m === null)) names.push("step");
  return { mode: "metric", label: names.join(" / ") };
}

/**
 * @typedef {{ steps: Float64Array, values: Float64Array, times: Float64Array, spacing?: number,
 *   xs?: Float64Array }} Columns
 */

/**
 * A series' points with x = the step metric's value at each point's step: the metric's latest point at or
 * before that step (at the same step, the one logged last). Points with no such value, or a non-finite one,
 * are dropped. The points stay in log order; `xs` may go down (an epoch counter that restarts): lineData
 * orders them by x.
 * @example
 * const m = { steps: Float64Array.of(0, 10), values: Float64Array.of(1, 2), times: Float64Array.of(0, 1) };
 * const s = { steps: Float64Array.of(0, 5, 10, 12), values: Float64Array.of(4, 3, 2, 1), times: Float64Array.of(0, 0, 1, 1) };
 * [...mapToStepMetric(s, m).xs] // [1, 1, 2, 2]
 * @param {Columns} columns the tag's points, in log order
 * @param {Columns | null | undefined} metric the step metric's points of the same run (null: none logged)
 * @returns {Columns & { xs: Float64Array }}
 */
export function mapToStepMetric(columns, metric) {
  const n = columns.values.length;
  const steps = new Float64Array(n);
  const values = new Float64Array(n);
  const times = new Float64Array(n);
  const xs = new Float64Array(n);
  let kept = 0;
  if (metric && metric.steps.length) {
    const [mSteps, mValues] = byStep(metric);
    const m = mSteps.length;
    const src = columns.steps;
    let at = 0; // the first metric point past the previous step: a forward walk while steps increase
    let previous = -Infinity;
    for (let i = 0; i < n; i++) {
      const step = src[i];
      if (step < previous) at = firstAbove(mSteps, step); // a step that went back: bisect
      else while (at < m && mSteps[at] <= step) at++;
      previous = step;
      if (at === 0) continue;
      const x = mValues[at - 1];
      if (!Number.isFinite(x)) continue;
      steps[kept] = step;
      values[kept] = columns.values[i];
      times[kept] = columns.times[i];
      xs[kept] = x;
      kept++;
    }
  }
  return { steps: steps.subarray(0, kept), values: values.subarray(0, kept), times: times.subarray(0, kept),
    xs: xs.subarray(0, kept), spacing: 0 };
}

/**
 * The metric's steps and values ordered by step (stable: at one step the one logged last stays last); the
 * columns themselves when already in order.
 * @param {Columns} metric @returns {[ArrayLike<number>, ArrayLike<number>]}
 */
function byStep(metric) {
  const { steps, values } = metric;
  let sorted = true;
  for (let i = 1; i < steps.length && sorted; i++) sorted = steps[i] >= steps[i - 1];
  if (sorted) return [steps, values];
  const order = Array.from({ length: steps.length }, (_, i) => i).sort((a, b) => steps[a] - steps[b] || a - b);
  return [Float64Array.from(order, (i) => steps[i]), Float64Array.from(order, (i) => values[i])];
}

/** The index of the first of ascending `sorted` above `value`. @param {ArrayLike<number>} sorted @param {number} value */
function firstAbove(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The points ordered by x (stable), when `xs` goes down somewhere; the same object when it never does.
 * M4 and the smoothing need x in order, so a step metric that restarts is drawn as a function of x.
 * @param {Columns & { xs: Float64Array }} columns
 * @returns {Columns & { xs: Float64Array }}
 */
export function byX(columns) {
  const { xs } = columns;
  let ordered = true;
  for (let i = 1; i < xs.length && ordered; i++) ordered = xs[i] >= xs[i - 1];
  if (ordered) return columns;
  const order = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
  const take = (/** @type {Float64Array} */ c) => Float64Array.from(order, (i) => c[i]);
  return { steps: take(columns.steps), values: take(columns.values), times: take(columns.times), xs: take(xs),
    spacing: 0 };
}

/**
 * What a series' drawing depends on besides its own points: its step metric's name and size (the chart
 * redraws when the metric grows or is defined), "" when it has none.
 * @param {{ runs: Map<string, any>, series: Map<string, { length: number, total: number }> }} store
 * @param {{ run: string, key: string }} series
 */
export function stepMetricState(store, series) {
  const metric = stepMetricOf(store.runs.get(series.run), series.key);
  if (metric === null) return "";
  const m = store.series.get(`${series.run}\u0000${metric}`);
  return `${metric}:${m?.length ?? 0}:${m?.total ?? 0}`;
}
