// The dashboard's runs panel, shown once there are several runs: the hyperparameter view (parallel
// coordinates, parcoords.js; brushing selects runs) above the run table (runtable.js; filter, sort,
// show/hide). Hidden runs, and runs outside a brush, leave every chart.

import { createParallelCoordinates } from "./parcoords.js";
import { createRunTable } from "./runtable.js";

/**
 * The runs panel inside `box`; `update` builds it when a second run appears and follows new runs and changes
 * to their infos (status, summary: the store's runsVersion).
 * @param {import("./store.js").Store} store @param {HTMLElement} box @param {{ hparamMetric?: string }} settings
 * @param {() => void} redraw @param {() => void} save
 */
export function createRunsPanel(store, box, settings, redraw, save) {
  /** @type {{ hidden: Set<string>, filter: string, sort: any, selected: Set<string> | null }} */
  const state = { hidden: store.hidden, filter: "", sort: null, selected: null };
  /** @type {{ table: ReturnType<typeof createRunTable>, plot: ReturnType<typeof createParallelCoordinates> } | null} */
  let parts = null;
  let count = 0;
  let version = -1; // the store's runsVersion last shown: a status or summary change redraws the table
  const changed = () => {
    store.selected = state.selected;
    const runs = [...store.runs.values()];
    parts?.plot.update(runs);
    parts?.table.update(runs);
    redraw();
  };
  const update = () => {
    if (store.runs.size < 2 || (store.runs.size === count && store.runsVersion === version)) return;
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
