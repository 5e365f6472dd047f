import assert from "node:assert/strict";
import { test } from "node:test";
import { filterTags, parseTagFilter } from "./tagfilter.js";

test("empty filter shows everything and is not active", () => {
  for (const text of ["", "   ", null, undefined]) {
    const f = parseTagFilter(text);
    assert.equal(f.active, false);
    assert.equal(f.error, null);
    assert.equal(f.match("anything/at all"), true);
  }
});

test("words: all must occur, case-insensitively, in any order", () => {
  const f = parseTagFilter("  LOSS   val ");
  assert.equal(f.match("val/loss"), true);
  assert.equal(f.match("Val/Loss_smooth"), true);
  assert.equal(f.match("train/loss"), false);
  assert.equal(f.match("val/acc"), false);
  assert.equal(parseTagFilter("a.b").match("axb"), false, "words are literal, not patterns");
  assert.equal(parseTagFilter("(").match("f(x)"), true, "regex characters in words are plain text");
});

test("/regex/ is searched anywhere, case-insensitively", () => {
  const f = parseTagFilter("/^train\\//");
  assert.equal(f.match("train/loss"), true);
  assert.equal(f.match("TRAIN/acc"), true);
  assert.equal(f.match("val/train/x"), false);
  assert.equal(parseTagFilter("/loss|acc/").match("val/accuracy"), true);
  assert.equal(parseTagFilter("/a.c/").match("xabcx"), true);
});

test("regex flags: g and y are dropped (test() stays stateless), s and u kept", () => {
  const f = parseTagFilter("/loss/gy");
  assert.equal(f.match("loss"), true);
  assert.equal(f.match("loss"), true);
  assert.equal(parseTagFilter("/a.b/s").match("a\nb"), true);
});

test("an invalid regex hides nothing and reports a short error", () => {
  const f = parseTagFilter("/(unclosed/");
  assert.equal(f.active, false);
  assert.match(f.error ?? "", /^invalid regular expression: /);
  assert.equal(f.match("x"), true);
  const r = filterTags(["a", "b"], "/[/");
  assert.equal(r.shown.size, 2);
  assert.equal(r.text, r.error);
});

test("a lone slash or // is a word, not an empty regex", () => {
  assert.equal(parseTagFilter("/").match("a/b"), true);
  assert.equal(parseTagFilter("/").match("ab"), false);
  assert.equal(parseTagFilter("//").match("a//b"), true);
});

test("filterTags counts what it shows", () => {
  const r = filterTags(["a/loss", "a/acc", "b/loss"], "loss");
  assert.deepEqual([...r.shown], ["a/loss", "b/loss"]);
  assert.equal(r.text, "2 of 3 charts");
  assert.equal(filterTags(["x"], "").text, "");
  assert.equal(filterTags(["x"], "zzz", "panels").text, "0 of 1 panels");
});
