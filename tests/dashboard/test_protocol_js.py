"""The kernel's append messages, decoded by the widget's own JS store (node): the two sides agree."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nbtrack.dashboard.protocol import encode_append

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import { readFileSync } from "node:fs";
import { Store } from "%s";
const messages = JSON.parse(readFileSync(process.argv[1], "utf8"));
const store = new Store();
for (const { message, buffers } of messages) {
  store.applyAppend(message, buffers.map((b) => { const raw = Buffer.from(b, "base64");
    const copy = new Uint8Array(raw.length + 1); copy.set(raw, 1);          // unaligned on purpose
    return new DataView(copy.buffer, 1, raw.length); }));
}
const out = {};
for (const s of store.series.values()) {
  const v = s.view();
  out[s.key] = { n: s.length, steps: Array.from(v.steps), values: Array.from(v.values).map(String) };
}
console.log(JSON.stringify({ seq: store.seq, gaps: store.gaps, series: out }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_store_decodes_what_python_encodes(tmp_path):
    rng = np.random.default_rng(0)
    sent = {"loss": ([], []), "val/准确率 😀": ([], [])}
    messages = []
    for seq in range(1, 6):
        series = {}
        for key in sent:
            steps = np.arange(seq * 100, seq * 100 + 7)
            values = rng.normal(size=7)
            values[0] = [np.nan, np.inf, -np.inf, 1e308, -0.0][seq - 1]
            sent[key][0].extend(steps.tolist())
            sent[key][1].extend(values.tolist())
            series[("run1", key)] = (steps, values, np.full(7, 1.7e9))
        message, buffers = encode_append(seq, series)
        messages.append({"message": message,
                         "buffers": [base64.b64encode(bytes(b)).decode() for b in buffers]})
    data = tmp_path / "messages.json"
    data.write_text(json.dumps(messages))
    script = SCRIPT % (ROOT / "js" / "src" / "store.js").as_uri()
    out = subprocess.run(["node", "--input-type=module", "-e", script, str(data)], capture_output=True,
                         text=True, check=True, timeout=60)
    result = json.loads(out.stdout)
    assert result["seq"] == 5 and result["gaps"] == []
    for key, (steps, values) in sent.items():
        got = result["series"][key]
        assert got["n"] == 35 and got["steps"] == steps
        assert [float(v) for v in got["values"]] == pytest.approx(values, nan_ok=True, rel=0, abs=0)
