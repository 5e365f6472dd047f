// PR curves' data (pure, unit-tested without a browser): a stored curve's JSON decoded into arrays, the
// points TensorBoard's PR-curve plugin draws of it, and the steps a tag's panel offers over its runs.
//
// The kernel sends each curve as the JSON nbtrack stores (nbtrack/values/prcurve.py), made safe for
// JSON.parse (nbtrack/dashboard/prcurves.py): `{"thresholds": [...], "tp": [...], "fp", "tn", "fn",
// "precision", "recall"}`, one entry per threshold, non-finite numbers as "nan", "inf", "-inf" (or null).

/** The lists every curve holds; `COUNT_KEYS` are optional (a curve without them still draws). */
export const CURVE_KEYS = /** @type {const} */ (["thresholds", "precision", "recall"]);
export const COUNT_KEYS = /** @type {const} */ (["tp", "fp", "tn", "fn"]);

/**
 * One curve: float64 arrays of one length; counts null when the curve has none.
 * @typedef {{ thresholds: Float64Array, precision: Float64Array, recall: Float64Array,
 *   tp: Float64Array | null, fp: Float64Array | null, tn: Float64Array | null, fn: Float64Array | null }} PRCurveData
 */

/**
 * The points a panel draws of one curve, as Bokeh columns.
 * @typedef {{ recall: Float64Array, precision: Float64Array, threshold: Float64Array, tp: Float64Array,
 *   fp: Float64Array, tn: Float64Array, fn: Float64Array }} CurvePoints
 */

/** A JSON number, or the kernel's spelling of a non-finite one ("nan", "inf", "-inf", null) as a number.
 * @example toNumber("inf") // Infinity
 * @param {unknown} value */
export function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === "inf" || value === "Infinity") return Infinity;
  if (value === "-inf" || value === "-Infinity") return -Infinity;
  if (value === null || value === "nan" || value === "NaN") return NaN;
  throw new Error(`a PR curve holds numbers, got ${JSON.stringify(value)}`);
}

/**
 * A curve from the bytes of its JSON (JSON.parse only: nothing is evaluated). Throws on anything else.
 * @example decodePRCurve(new TextEncoder().encode('{"thresholds":[0,1],"precision":[0.5,0],"recall":[1,0]}')).tp // null
 * @param {Uint8Array} bytes @returns {PRCurveData}
 */
export function decodePRCurve(bytes) {
  const body = JSON.parse(new TextDecoder().decode(bytes));
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("a PR curve must be a JSON object");
  /** @param {string} key @param {boolean} needed */
  const array = (key, needed) => {
    const list = body[key];
    if (list === undefined && !needed) return null;
    if (!Array.isArray(list)) throw new Error(`a PR curve needs the list ${JSON.stringify(key)}`);
    return Float64Array.from(list, toNumber);
  };
  const [thresholds, precision, recall] = CURVE_KEYS.map((key) => /** @type {Float64Array} */ (array(key, true)));
  const [tp, fp, tn, fn] = COUNT_KEYS.map((key) => array(key, false));
  for (const a of [precision, recall, tp, fp, tn, fn]) {
    if (a && a.length !== thresholds.length) throw new Error("a PR curve's lists must have one length");
  }
  return { thresholds, precision, recall, tp, fp, tn, fn };
}

/**
 * How many thresholds are drawn: like TensorBoard's plugin, the tail where no example is predicted positive
 * (tp + fp = 0: precision undefined) is left out. Without counts every threshold is drawn.
 * @example drawnLength({ tp: Float64Array.of(2, 1, 0), fp: Float64Array.of(2, 0, 0), thresholds: new Float64Array(3) }) // 2
 * @param {Pick<PRCurveData, "tp" | "fp" | "thresholds">} curve
 */
export function drawnLength(curve) {
  const { tp, fp } = curve;
  if (!tp || !fp) return curve.thresholds.length;
  let end = curve.thresholds.length;
  while (end > 0 && !(tp[end - 1] + fp[end - 1] > 0)) end--;
  return end;
}

/**
 * The points drawn of a curve, by increasing threshold (recall falls along them); counts NaN when absent.
 * @param {PRCurveData} curve @returns {CurvePoints}
 */
export function curvePoints(curve) {
  const n = drawnLength(curve);
  const cut = (/** @type {Float64Array | null} */ a) => (a ? a.slice(0, n) : new Float64Array(n).fill(NaN));
  return { recall: cut(curve.recall), precision: cut(curve.precision), threshold: cut(curve.thresholds),
    tp: cut(curve.tp), fp: cut(curve.fp), tn: cut(curve.tn), fn: cut(curve.fn) };
}

/**
 * Every step of some runs' curves of one tag, increasing and distinct (the panel's slider walks these).
 * @example unionSteps([[0, 5], [2, 5, 9]]) // [0, 2, 5, 9]
 * @param {readonly (readonly number[])[]} stepLists
 */
export function unionSteps(stepLists) {
  return [...new Set(stepLists.flat())].sort((a, b) => a - b);
}

/**
 * The step a run shows when the panel is at `step`: its last step at or before it, else its first (a run
 * that started later still shows its curve, as TensorBoard's nearest step does).
 * @example runStep([10, 20], 15) // 10
 * @param {readonly number[]} steps increasing @param {number | null} step null: the newest
 */
export function runStep(steps, step) {
  if (!steps.length) return null;
  if (step === null) return steps[steps.length - 1];
  let best = steps[0];
  for (const s of steps) if (s <= step) best = s;
  return best;
}
