import assert from "node:assert/strict";
import { test } from "node:test";
import { rangeFor } from "./chart.js";

test("rangeFor: a DataRange1d's next start and end from the extent (BokehJS's default padding), else its own", () => {
  const range = { start: 0, end: 1, range_padding: 0.1, range_padding_units: "percent", have_updated_interactively: false,
    follow: null, flipped: false, min_interval: null, max_interval: null, default_span: 2 };
  assert.deepEqual(rangeFor(range, [0, 10]), [-0.5, 10.5]);
  assert.deepEqual(rangeFor(range, [3, 3]), [2, 4]); // one value: the default span
  assert.deepEqual(rangeFor({ ...range, have_updated_interactively: true }, [0, 10]), [0, 1]); // zoomed: as it is
  assert.deepEqual(rangeFor({ ...range, range_padding_units: "absolute" }, [0, 10]), [0, 1]);
  assert.deepEqual(rangeFor(range, [NaN, 10]), [0, 1]);
});
