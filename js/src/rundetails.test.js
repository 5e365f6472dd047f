import assert from "node:assert/strict";
import { test } from "node:test";
import { createRunDetails, detailSections, formatBytes } from "./rundetails.js";
import { Store } from "./store.js";
import { findAll, fire, withDocument } from "./testdom.js";

const XSS = '<img src=x onerror="globalThis.__xss=1">';

/** @param {number} seq @param {any[]} runs */
const runsMessage = (seq, runs) => ({ kind: "runs", v: 1, seq, runs });

const DETAILS = {
  files: [["ckpt/model.pt", 2048], [XSS, 3]], files_total: 2,
  alerts: [{ level: "WARN", title: "slow", text: "epoch took long", step: 3, time: 1.7e9 },
    { level: "ERROR", title: XSS, text: `<script>globalThis.__xss=2</script>`, step: 9, time: 1.7e9 + 60 }],
  alerts_total: 2,
  artifacts: [{ action: "logged", name: "model", version: "v1", type: "model", digest: "ab".repeat(32), aliases: ["latest", "best"] }],
  environment: { host: "gpu-1", python: "3.11.7", packages: { torch: "2.3.0", [XSS]: "1" },
    git: { commit: "0123456789abcdef0123", branch: "main", dirty: true } },
};

test("formatBytes: sizes as people read them", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(20 * 1024 * 1024), "20.0 MB");
  assert.equal(formatBytes(undefined), "");
  assert.equal(formatBytes(-1), "");
});

test("run details: alerts (newest first), files, artifacts and environment as text", () => withDocument(() => {
  const box = document.createElement("div");
  box.append(...detailSections(DETAILS));
  const cells = (selector) => findAll(box, `${selector} tbody tr`).map((tr) => [...tr.cells].map((td) => td.textContent));
  const alerts = cells(".nbtrack-details-alert-rows");
  assert.deepEqual(alerts.map((row) => row.slice(0, 4)), [["ERROR", XSS, "<script>globalThis.__xss=2</script>", "9"],
    ["WARN", "slow", "epoch took long", "3"]]);
  assert.deepEqual(findAll(box, ".nbtrack-details-alert-rows tbody tr").map((tr) => tr.dataset.level), ["error", "warn"]);
  assert.deepEqual(cells(".nbtrack-details-file-rows"), [["ckpt/model.pt", "2.0 KB"], [XSS, "3 B"]]);
  assert.deepEqual(cells(".nbtrack-details-artifact-rows"), [["logged", "model:v1", "model", "abababababab", "latest, best"]]);
  const env = Object.fromEntries(cells(".nbtrack-details-env-rows"));
  assert.equal(env.host, "gpu-1");
  assert.equal(env.git, "0123456789ab on main (uncommitted changes)");
  assert.equal(env.torch, "2.3.0");
  assert.equal(env[XSS], "1");
  // hostile names stay text: no element was made from them
  assert.equal(box.querySelectorAll("img, script").length, 0);
  assert.equal(/** @type {any} */ (globalThis).__xss, undefined);
}));

test("run details: damaged shapes are shown as far as they make sense, never thrown", () => withDocument(() => {
  const box = document.createElement("div");
  box.append(...detailSections({ files: "nope", alerts: [null, { title: 3 }], artifacts: [{}], environment: [] }));
  assert.equal(findAll(box, ".nbtrack-details-alert-rows tbody tr").length, 2);
  assert.equal(findAll(box, ".nbtrack-details-file-rows").length, 0);
  assert.deepEqual(detailSections(null), []);
}));

test("run details panel: hidden without details, follows runs messages, selector for several runs", () => withDocument(() => {
  const store = new Store();
  const panel = createRunDetails(store);
  document.body.appendChild(panel.element);
  store.applyRuns(runsMessage(1, [{ id: "a", name: "alpha", status: "running" }]));
  panel.update();
  assert.equal(panel.element.hidden, true);
  store.applyRuns(runsMessage(2, [{ id: "a", name: "alpha", details: { alerts: [{ level: "INFO", title: "first", text: "t" }] } }]));
  panel.update();
  assert.equal(panel.element.hidden, false);
  assert.equal(panel.element.querySelector("summary")?.textContent, "run details: 1 alert");
  const select = /** @type {HTMLSelectElement} */ (panel.element.querySelector("select"));
  assert.equal(select.hidden, true); // one run: no selector
  // a new alert of the live run arrives in a runs message with only id, name and details
  store.applyRuns(runsMessage(3, [{ id: "a", name: "alpha", details: { alerts: [
    { level: "INFO", title: "first", text: "t" }, { level: "ERROR", title: "second", text: XSS }] } }]));
  panel.update();
  const titles = () => findAll(panel.element, ".nbtrack-details-alert-rows tbody tr").map((tr) => tr.cells[1].textContent);
  assert.deepEqual(titles(), ["second", "first"]);
  store.applyRuns(runsMessage(4, [{ id: "b", name: "beta", details: { files: [["b.txt", 1]], files_total: 1 } }]));
  panel.update();
  assert.equal(select.hidden, false);
  assert.deepEqual([...select.options].map((o) => o.textContent), ["alpha", "beta"]);
  assert.equal(select.value, "a"); // the run shown stays shown when another run gets details
  assert.deepEqual(titles(), ["second", "first"]);
  select.value = "b";
  fire(select, "change");
  assert.equal(findAll(panel.element, ".nbtrack-details-file-rows tbody tr").length, 1);
  assert.equal(findAll(panel.element, ".nbtrack-details-alert-rows").length, 0);
  assert.equal(panel.element.querySelectorAll("img, script").length, 0);
}));
