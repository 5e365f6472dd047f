// Smoothing of scalar series for display.

/**
 * True when every finite value equals the first finite one (also for series with no finite value).
 * @param {ArrayLike<number>} values
 */
function isConstant(values) {
  let first = NaN;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) continue;
    if (Number.isNaN(first)) first = y;
    else if (y !== first) return false;
  }
  return true;
}

/**
 * TensorBoard's debiased exponential moving average.
 *
 * For each finite value y: `last = last * weight + (1 - weight) * y`, `n += 1`, and the output is
 * `last / (1 - weight ** n)`. Non-finite values (NaN, ±Infinity) are copied through and neither update
 * `last` nor count in `n`. A series whose finite values are all equal is returned unchanged (the formula
 * would add float noise that draws as a step). Always returns a new array.
 *
 * For a reduced series (each kept point stands for the steps since the previous one), pass its x values
 * and the original spacing of its points: a point `k` spacings after the previous one then decays the
 * average by `weight ** k`, as the `k` original points would have, and the debias uses the product of the
 * decays. With every gap equal to the spacing this is exactly the formula above.
 *
 * @example
 * smoothEMA(Float64Array.of(1, NaN, 3), 0.5) // Float64Array [1, NaN, 2.333…]
 * @param {ArrayLike<number>} values
 * @param {number} weight in [0, 1); 0 means no smoothing
 * @param {ArrayLike<number> | null} [xs] x of each value, for a reduced series
 * @param {number} [spacing] x distance between original points (0: every point counts once)
 * @returns {Float64Array}
 */
export function smoothEMA(values, weight, xs = null, spacing = 0) {
  if (typeof weight !== "number" || !(weight >= 0 && weight < 1)) {
    throw new RangeError(`smoothEMA: weight must be in [0, 1), got ${String(weight)}`);
  }
  const out = new Float64Array(values);
  if (weight === 0 || isConstant(values)) return out;
  const gaps = xs !== null && spacing > 0;
  let last = 0;
  let kept = 1; // product of the decays so far: the debias factor is 1 - kept
  let previous = NaN;
  for (let i = 0; i < out.length; i++) {
    const y = out[i];
    if (!Number.isFinite(y)) continue;
    const decay = gaps && kept < 1 ? weight ** Math.max(1, (/** @type {ArrayLike<number>} */ (xs)[i] - previous) / spacing) : weight;
    last = last * decay + (1 - decay) * y;
    // Once the product is below half an ulp of 1 the debias factor stays exactly 1: skip the multiply.
    if (kept !== 0) kept *= decay;
    if (gaps) previous = /** @type {ArrayLike<number>} */ (xs)[i];
    out[i] = last / (1 - kept);
  }
  return out;
}
