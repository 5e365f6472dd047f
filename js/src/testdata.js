// Sample data for the node:test suites: histogram records (histmath.test.js, histograms.test.js) and a
// sweep of runs (parcoordsmath.test.js, parcoords.test.js). Never bundled.

/** @param {number[]} edges @param {number[]} counts @param {number} [step] */
export function record(edges, counts, step = 0) {
  return { step, edges: Float64Array.from(edges), counts: Float64Array.from(counts) };
}

/** Steps of a normal(mean, sd) histogram with 64 bins over mean ± 4 sd: the drift and widening of weights.
 * @param {number} n */
export function drifting(n) {
  return Array.from({ length: n }, (_, s) => {
    const [mean, sd] = [s * 0.1, 1 + s * 0.05];
    const edges = Array.from({ length: 65 }, (_, i) => mean - 4 * sd + (i * 8 * sd) / 64);
    const counts = edges.slice(0, 64).map((e, i) => 1000 * Math.exp(-0.5 * (((e + edges[i + 1]) / 2 - mean) / sd) ** 2));
    return record(edges, counts, s * 100);
  });
}

/** 20 runs like a sweep: log-spaced learning rates, widths, two optimizers, a loss and an accuracy.
 * @returns {import("./store.js").RunInfo[]} */
export function sweep(n = 20) {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, name: `run-${i}`, index: i,
    config: { lr: 10 ** (-4 + (3 * i) / (n - 1)), width: [64, 128, 256, 512][i % 4], optimizer: i % 3 ? "adam" : "sgd",
      epochs: 10 },
    summary: { "val/acc": 0.5 + i / 100, "val/loss": 1 - i / 40, note: "ok" },
  }));
}
