import assert from "node:assert/strict";
import { test } from "node:test";
import { curvePoints, decodePRCurve, drawnLength, runStep, toNumber, unionSteps } from "./prcurvemath.js";

const bytes = (/** @type {unknown} */ body) => new TextEncoder().encode(JSON.stringify(body));
const CURVE = { thresholds: [0, 0.5, 1], tp: [2, 1, 0], fp: [2, 1, 0], tn: [0, 1, 2], fn: [0, 1, 2],
  precision: [0.5, 0.5, 0], recall: [1, 0.5, 0] };

test("a curve's JSON decodes to float64 arrays of one length", () => {
  const curve = decodePRCurve(bytes(CURVE));
  assert.ok(curve.thresholds instanceof Float64Array);
  assert.deepEqual([...curve.tp ?? []], [2, 1, 0]);
  assert.deepEqual([...curve.recall], [1, 0.5, 0]);
  assert.deepEqual([...curve.fn ?? []], [0, 1, 2]);
});

test("non-finite numbers arrive as strings; counts are optional; anything else is an error", () => {
  const curve = decodePRCurve(bytes({ thresholds: [0, 1], precision: ["nan", null], recall: ["inf", "-inf"] }));
  assert.ok(Number.isNaN(curve.precision[0]) && Number.isNaN(curve.precision[1]));
  assert.deepEqual([...curve.recall], [Infinity, -Infinity]);
  assert.equal(curve.tp, null);
  assert.throws(() => decodePRCurve(bytes([1, 2])), /JSON object/);
  assert.throws(() => decodePRCurve(bytes({ thresholds: [0], precision: [1] })), /"recall"/);
  assert.throws(() => decodePRCurve(bytes({ ...CURVE, tp: [1] })), /one length/);
  assert.throws(() => decodePRCurve(bytes({ ...CURVE, recall: ["<img>", 1, 2] })), /numbers/);
  assert.throws(() => decodePRCurve(new TextEncoder().encode("{\"thresholds\": [NaN]}")), SyntaxError, "JSON.parse only");
  assert.throws(() => toNumber({}), /numbers/);
});

test("the tail with no predicted positive is not drawn (TensorBoard's plugin), every point else", () => {
  const curve = decodePRCurve(bytes(CURVE));
  assert.equal(drawnLength(curve), 2);
  const points = curvePoints(curve);
  assert.deepEqual([...points.recall], [1, 0.5]);
  assert.deepEqual([...points.precision], [0.5, 0.5]);
  assert.deepEqual([...points.threshold], [0, 0.5]);
  assert.deepEqual([...points.tn], [0, 1]);
  const bare = curvePoints(decodePRCurve(bytes({ thresholds: [0, 1], precision: [1, 1], recall: [1, 0] })));
  assert.equal(bare.recall.length, 2, "without counts every threshold is drawn");
  assert.ok(Number.isNaN(bare.tp[0]));
  assert.equal(drawnLength({ thresholds: new Float64Array(2), tp: new Float64Array(2), fp: new Float64Array(2) }), 0);
});

test("steps: the union over runs, and each run's last step at or before the panel's", () => {
  assert.deepEqual(unionSteps([[0, 5], [2, 5, 9], []]), [0, 2, 5, 9]);
  assert.equal(runStep([10, 20], 15), 10);
  assert.equal(runStep([10, 20], 5), 10, "a run that starts later shows its first curve");
  assert.equal(runStep([10, 20], null), 20);
  assert.equal(runStep([], 3), null);
});
