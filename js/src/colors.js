// Run colours: a run keeps one colour in every chart, table and plot of a dashboard.

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];

/** A run's colour: fixed by the order in which the dashboard first saw the run. @param {number} index */
export function runColor(index) {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}
