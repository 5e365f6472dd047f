// The dashboard's runs panel, shown once there are several runs: the hyperparameter view (parallel
// coordinates, parcoords.js; brushing selects runs) above the run table (runtable.js; filter, sort,
// show/hide). Hidden runs, and runs outside a brush, leave every chart.

import { createParallelCoordinates } from "./parcoords.js";
import { createRunTable } from "./runtable.js";

/**
 * The runs panel inside `box`; `update` builds it when the `minRuns`-th run appears (a second run of a
 * live run's view; the first run of a watched logdir) and follows new runs and changed run info.
 * @param {import("./store.js").Store} store @param {HTMLElement} box @param {{ hparamMetric?: string }} settings
 * @param {() => void} redraw @param {() => void} save @param {number} [minRuns]
 */
export function createRunsPanel(store, box, settings, redraw, save, minRuns = 2) {
  /** @type {{ hidden: Set<string>, filter: string, sort: any, selected: Set<string> | null }} */
  const state = { hidden: store.hidden, filter: "", sort: null, selected: null };
  /** @type {{ table: ReturnType<typeof createRunTable>, plot: ReturnType<typeof createParallelCoordinates> } | null} */
  let parts = null;
  let count = 0;
  let version = -1;
  const changed = () => {
    store.selected = state.selected;
    const runs = [...store.runs.values()];
    parts?.plot.update(runs);
    parts?.table.update(runs);
    redraw();
  };
  const update = () => {
    if (store.runs.size < minRuns || (store.runs.size === count && store.runsVersion === version)) return;
    count = store.runs.size;
    version = store.runsVersion;
    const runs = [...store.runs.values()];
    if (!parts) {
      box.replaceChildren();
      const plot = createParallelCoordinates(box, runs, state, changed, {
        metric: settings.hparamMetric, onMetricChange: (metric) => { settings.hparamMetric = metric; save(); },
      });
      parts = { plot, table: createRunTable(box, runs, state, changed) };
    } else {
      parts.plot.update(runs);
      parts.table.update(runs);
    }
  };
  const dispose = () => {
    parts?.plot.dispose();
    parts?.table.dispose();
    parts = null;
  };
  return { update, dispose, state, get plot() { return parts?.plot ?? null; } };
}
