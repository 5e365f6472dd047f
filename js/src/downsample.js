// M4 downsampling: per pixel column keep the first, min, max and last point, so a line drawn from the
// result looks like the line drawn from all points, spikes included. minMax() keeps only the min and max
// per column (half the vertices, for charts of many overlaid lines, where a column's entry and exit
// points are not told apart anyway).

/**
 * @typedef {object} M4Result
 * @property {Float64Array} x kept x values, non-decreasing
 * @property {Float64Array} y kept y values (may hold non-finite first/last points)
 * @property {Int32Array} idx indices of the kept points into the input, increasing
 * @property {Int32Array} nonFinite indices of every point in [x0, x1] with a non-finite y, increasing,
 *   plus the newest point if its y is non-finite
 */

/** @typedef {ReturnType<typeof intList>} IntList */

/**
 * Growable Int32Array list; grows by doubling, so appends do not allocate per point.
 * @param {number} capacity
 */
function intList(capacity) {
  let data = new Int32Array(Math.max(capacity, 16));
  let length = 0;
  return {
    /** @param {number} v */
    push(v) {
      if (length === data.length) {
        const bigger = new Int32Array(data.length * 2);
        bigger.set(data);
        data = bigger;
      }
      data[length++] = v;
    },
    /** Push `v` only if it is above the last value (so -1 and repeats are skipped). @param {number} v */
    pushIncreasing(v) {
      if (length === 0 || v > data[length - 1]) this.push(v);
    },
    last() {
      return length > 0 ? data[length - 1] : -1;
    },
    toArray() {
      return data.slice(0, length);
    },
  };
}

/**
 * First index in [lo, hi) whose x is at or above `target` (above it if `strictlyAbove`), else hi.
 * xs must be non-decreasing.
 * @param {ArrayLike<number>} xs @param {number} target @param {number} lo @param {number} hi
 * @param {boolean} strictlyAbove
 */
function bisect(xs, target, lo, hi, strictlyAbove) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < target || (strictlyAbove && xs[mid] === target)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** @param {number} width @param {number} x0 @param {number} x1 */
function checkArguments(width, x0, x1) {
  if (!Number.isInteger(width) || width <= 0) {
    throw new RangeError(`m4: width must be a positive integer, got ${String(width)}`);
  }
  if (!Number.isFinite(x0) || !Number.isFinite(x1) || x1 < x0) {
    throw new RangeError(`m4: need finite x0 <= x1, got x0=${x0}, x1=${x1}`);
  }
}

/**
 * Reduce a series to at most 4 points per pixel column of [x0, x1] (plus the newest point): in each
 * column the first and last points by index, and the points with the smallest and largest finite y.
 * Non-finite y values are never picked as min or max; their indices are listed in `nonFinite` so a chart
 * can mark them. Points outside [x0, x1] are dropped, except the newest (last) point, which is always kept.
 *
 * @example
 * const { x, y } = m4(steps, values, steps[0], steps[steps.length - 1], plotWidthInPixels);
 * @param {ArrayLike<number>} xs non-decreasing
 * @param {ArrayLike<number>} ys same length as xs
 * @param {number} x0 left edge of the visible range
 * @param {number} x1 right edge of the visible range
 * @param {number} width number of pixel columns, a positive integer
 * @returns {M4Result}
 */
export function m4(xs, ys, x0, x1, width) {
  return reduceColumns(xs, ys, { x0, x1, width }, emitColumn);
}

/**
 * Like m4, but at most 2 points per pixel column (plus the newest point): the points with the smallest and
 * largest finite y, in index order; a column without a finite y keeps its first point (a gap in the line).
 * @example
 * minMax([0, 1, 2, 3], [5, 1, 9, 2], 0, 3, 1) // x [1, 2, 3], y [1, 9, 2] (min, max, then the newest)
 * @param {ArrayLike<number>} xs non-decreasing
 * @param {ArrayLike<number>} ys same length as xs
 * @param {number} x0 @param {number} x1 the visible range
 * @param {number} width number of pixel columns, a positive integer
 * @returns {M4Result}
 */
export function minMax(xs, ys, x0, x1, width) {
  return reduceColumns(xs, ys, { x0, x1, width }, emitMinMax);
}

/** @typedef {(kept: IntList, first: number, minIndex: number, maxIndex: number, last: number) => void} EmitColumn */

/**
 * The reduction shared by m4 and minMax: `emit` chooses which points of a column to keep.
 * @param {ArrayLike<number>} xs @param {ArrayLike<number>} ys
 * @param {{ x0: number, x1: number, width: number }} frame @param {EmitColumn} emit
 * @returns {M4Result}
 */
function reduceColumns(xs, ys, frame, emit) {
  const { x0, x1, width } = frame;
  checkArguments(width, x0, x1);
  const n = xs.length;
  if (ys.length !== n) throw new RangeError(`m4: xs has ${n} points but ys has ${ys.length}`);
  const start = bisect(xs, x0, 0, n, false);
  const end = bisect(xs, x1, start, n, true);
  const kept = intList(Math.min(n, 4 * width + 1));
  const nonFinite = intList(16);
  const scale = x1 > x0 ? width / (x1 - x0) : 0;
  scanColumns(xs, ys, { start, end, x0, scale, width }, kept, nonFinite, emit);
  if (n > 0 && kept.last() !== n - 1) {
    if (!Number.isFinite(ys[n - 1])) nonFinite.push(n - 1);
    kept.push(n - 1);
  }
  return gather(xs, ys, kept.toArray(), nonFinite.toArray());
}

/**
 * The single pass over the points in [x0, x1], `range.start` to `range.end` (exclusive): tracks the
 * current column's first, last, min and max, and emits them when the column changes.
 * @param {ArrayLike<number>} xs @param {ArrayLike<number>} ys
 * @param {{ start: number, end: number, x0: number, scale: number, width: number }} range
 *   scale is columns per x unit (0 when x0 === x1, making one column)
 * @param {IntList} kept @param {IntList} nonFinite @param {EmitColumn} emit
 */
function scanColumns(xs, ys, range, kept, nonFinite, emit) {
  const { start, end, x0, scale, width } = range;
  let column = -1;
  let first = -1;
  let minIndex = -1;
  let maxIndex = -1;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = start; i < end; i++) {
    // floor((x - x0) * scale) can round up to width at x === x1: that point belongs to the last column.
    const c = Math.min(Math.floor((xs[i] - x0) * scale), width - 1);
    if (c !== column) {
      if (column !== -1) emit(kept, first, minIndex, maxIndex, i - 1);
      column = c;
      first = i;
      minIndex = maxIndex = -1;
      minY = Infinity;
      maxY = -Infinity;
    }
    const y = ys[i];
    if (!Number.isFinite(y)) {
      nonFinite.push(i);
      continue;
    }
    if (y < minY) {
      minY = y;
      minIndex = i;
    }
    if (y > maxY) {
      maxY = y;
      maxIndex = i;
    }
  }
  if (column !== -1) emit(kept, first, minIndex, maxIndex, end - 1);
}

/**
 * Append one column's points in index order, skipping duplicates (and -1: no finite y in the column).
 * @param {IntList} kept @param {number} first @param {number} minIndex @param {number} maxIndex
 * @param {number} last
 */
function emitColumn(kept, first, minIndex, maxIndex, last) {
  kept.pushIncreasing(first);
  kept.pushIncreasing(Math.min(minIndex, maxIndex));
  kept.pushIncreasing(Math.max(minIndex, maxIndex));
  kept.pushIncreasing(last);
}

/**
 * Append one column's min and max in index order, or its first point when it has no finite y.
 * @type {EmitColumn}
 */
function emitMinMax(kept, first, minIndex, maxIndex) {
  if (minIndex === -1) {
    kept.pushIncreasing(first);
    return;
  }
  kept.pushIncreasing(Math.min(minIndex, maxIndex));
  kept.pushIncreasing(Math.max(minIndex, maxIndex));
}

/**
 * @param {ArrayLike<number>} xs @param {ArrayLike<number>} ys
 * @param {Int32Array} idx @param {Int32Array} nonFinite
 * @returns {M4Result}
 */
function gather(xs, ys, idx, nonFinite) {
  const x = new Float64Array(idx.length);
  const y = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    x[k] = xs[idx[k]];
    y[k] = ys[idx[k]];
  }
  return { x, y, idx, nonFinite };
}
