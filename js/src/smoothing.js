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
 * @example
 * smoothEMA(Float64Array.of(1, NaN, 3), 0.5) // Float64Array [1, NaN, 2.333…]
 * @param {ArrayLike<number>} values
 * @param {number} weight in [0, 1); 0 means no smoothing
 * @returns {Float64Array}
 */
export function smoothEMA(values, weight) {
  if (typeof weight !== "number" || !(weight >= 0 && weight < 1)) {
    throw new RangeError(`smoothEMA: weight must be in [0, 1), got ${String(weight)}`);
  }
  const out = new Float64Array(values);
  if (weight === 0 || isConstant(values)) return out;
  let last = 0;
  let n = 0;
  let debias = 0;
  for (let i = 0; i < out.length; i++) {
    const y = out[i];
    if (!Number.isFinite(y)) continue;
    last = last * weight + (1 - weight) * y;
    n += 1;
    // Once weight ** n is below half an ulp of 1 the debias factor stays exactly 1: skip the pow.
    if (debias !== 1) debias = 1 - weight ** n;
    out[i] = last / debias;
  }
  return out;
}
