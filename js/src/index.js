// anywidget front end of nbtrack's live panel. For now: a header with the run's name and status.

/**
 * The part of anywidget's model interface this module uses (an HTML report's static host implements
 * the same methods).
 * @typedef {object} Model
 * @property {(name: string) => unknown} get
 * @property {(event: string, callback: () => void) => void} on
 * @property {(event: string, callback: () => void) => void} off
 */

/** @param {unknown} value */
function asText(value) {
  return value == null ? "" : String(value);
}

/**
 * Build the header element; the returned `update` copies the traits into it (as text, never as HTML).
 * @param {Model} model
 */
function createHeader(model) {
  const header = document.createElement("div");
  header.className = "nbtrack-header";
  const name = document.createElement("span");
  name.className = "nbtrack-run-name";
  const status = document.createElement("span");
  status.className = "nbtrack-status";
  header.append(name, " ", status);
  const update = () => {
    name.textContent = asText(model.get("run_name"));
    status.textContent = asText(model.get("status"));
  };
  update();
  return { header, update };
}

/** @param {{ model: Model }} _context */
function initialize(_context) {}

/**
 * @param {{ model: Model, el: HTMLElement }} context
 * @returns {() => void} cleanup: removes the listeners and the header
 */
function render({ model, el }) {
  const { header, update } = createHeader(model);
  el.appendChild(header);
  model.on("change:run_name", update);
  model.on("change:status", update);
  return () => {
    model.off("change:run_name", update);
    model.off("change:status", update);
    header.remove();
  };
}

export default { initialize, render };
