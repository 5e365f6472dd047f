import assert from "node:assert/strict";
import { test } from "node:test";
import { setIfChanged } from "./dom.js";

test("setIfChanged writes only a different value (every attribute write invalidates the page's style)", () => {
  let writes = 0;
  let held = "1";
  const target = { get held() { return held; }, set held(v) { writes++; held = v; } };
  setIfChanged(target, "held", "1");
  assert.equal(writes, 0);
  setIfChanged(target, "held", "2");
  assert.equal(writes, 1);
  assert.equal(target.held, "2");
});
