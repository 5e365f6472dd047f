import assert from "node:assert/strict";
import { test } from "node:test";
import { chartCsv, csvNumber, csvText, fileName } from "./export.js";
import { smoothEMA } from "./smoothing.js";

/** The CSV's rows as arrays of cells (no quoted commas in these). @param {string} csv */
const rows = (csv) => csv.trimEnd().split("\r\n").map((line) => line.split(","));

test("a chart's CSV: a header, then a row per point of each series", () => {
  const csv = chartCsv([
    { run: "a", steps: [0, 1], times: [1700000000.5, 1700000001.25], values: [0.1, 2] },
    { run: "b", steps: [5], times: [3], values: [-1e-7] },
  ], { smoothing: 0 });
  assert.equal(csv, "run,step,wall_time,value\r\na,0,1700000000.5,0.1\r\na,1,1700000001.25,2\r\nb,5,3,-1e-7\r\n");
  assert.equal(chartCsv([], { smoothing: 0.5 }), "run,step,wall_time,value,smoothed\r\n");
});

test("smoothing on: a smoothed column, the chart's debiased EMA of each series on its own", () => {
  const values = [1, 3, NaN, 2];
  const csv = chartCsv([{ run: "a", steps: [0, 1, 2, 3], times: [0, 0, 0, 0], values },
    { run: "b", steps: [0], times: [0], values: [7] }], { smoothing: 0.6 });
  const [header, ...body] = rows(csv);
  assert.deepEqual(header, ["run", "step", "wall_time", "value", "smoothed"]);
  const expected = smoothEMA(values, 0.6);
  assert.deepEqual(body.slice(0, 4).map((r) => r[4]), [...expected].map(csvNumber));
  assert.equal(body[2][4], "nan");
  assert.deepEqual(body[4], ["b", "0", "0", "7", "7"]);
  // a reduced series is smoothed over its original spacing, as the chart draws it
  const reduced = { run: "r", steps: [0, 10, 20], times: [0, 0, 0], values: [0, 1, 1], spacing: 1 };
  const smoothed = rows(chartCsv([reduced], { smoothing: 0.5 })).slice(1).map((r) => Number(r[4]));
  assert.deepEqual(smoothed, [...smoothEMA(reduced.values, 0.5, reduced.steps, 1)]);
});

test("non-finite numbers are nan, inf and -inf", () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 0, -0, 1e21, 5e-324].map(csvNumber), ["nan", "inf", "-inf", "0", "0", "1e+21", "5e-324"]);
  const [, row] = rows(chartCsv([{ run: "a", steps: [1], times: [NaN], values: [-Infinity] }], { smoothing: 0 }));
  assert.deepEqual(row, ["a", "1", "nan", "-inf"]);
});

test("text cells: quoted when they hold quotes, commas or line breaks; formulas defused", () => {
  assert.equal(csvText("plain run"), "plain run");
  assert.equal(csvText('a,"b"'), '"a,""b"""');
  assert.equal(csvText("two\nlines"), '"two\nlines"');
  assert.equal(csvText("cr\rlf"), '"cr\rlf"');
  assert.equal(csvText("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  assert.equal(csvText("+1+1"), "'+1+1");
  assert.equal(csvText("-cmd"), "'-cmd");
  assert.equal(csvText("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvText("\tx"), "'\tx");
  assert.equal(csvText("=1,2"), "\"'=1,2\"");
  for (const number of ["-3", "+4", "-1.5e-3", "-.5"]) assert.equal(csvText(number), number, "a number is kept");
  assert.equal(csvText(""), "");
  const csv = chartCsv([{ run: 'lr=0.1, "big"\nv2', steps: [0], times: [0], values: [1] }], { smoothing: 0 });
  assert.equal(csv, 'run,step,wall_time,value\r\n"lr=0.1, ""big""\nv2",0,0,1\r\n');
});

test("a tag column when the series are of several tags (or when asked)", () => {
  const series = [{ run: "a", tag: "train/loss", steps: [0], times: [0], values: [1] },
    { run: "a", tag: "val/loss", steps: [0], times: [0], values: [2] }];
  assert.deepEqual(rows(chartCsv(series, { smoothing: 0 })), [["run", "tag", "step", "wall_time", "value"],
    ["a", "train/loss", "0", "0", "1"], ["a", "val/loss", "0", "0", "2"]]);
  assert.deepEqual(rows(chartCsv(series.slice(0, 1), { smoothing: 0 }))[0], ["run", "step", "wall_time", "value"]);
  assert.deepEqual(rows(chartCsv(series.slice(0, 1), { smoothing: 0, withTag: true }))[1], ["a", "train/loss", "0", "0", "1"]);
});

test("file names: unsafe characters replaced", () => {
  assert.equal(fileName("train/loss", "csv"), "train_loss.csv");
  assert.equal(fileName("a b:c*?<>|\"\\d", "png"), "a_b_c_d.png");
  assert.equal(fileName("../../etc/passwd", "csv"), "etc_passwd.csv");
  assert.equal(fileName("Verlust/Genauigkeit-ä.1", "png"), "Verlust_Genauigkeit-ä.1.png");
  assert.equal(fileName("///", "csv"), "chart.csv");
  assert.equal(fileName("", "png"), "chart.png");
  assert.equal(fileName("x".repeat(300), "csv").length, 104);
});
