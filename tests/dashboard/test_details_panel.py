"""The run-details panel's data: in run_info (bounded), re-sent to live views when it changes (issue 22)."""

from __future__ import annotations

import base64
import gzip
import json
import re
import time

import nbtrack
from nbtrack.dashboard import details as details_mod
from nbtrack.dashboard.snapshot import run_info, snapshot_of
from nbtrack.dashboard.watcher import LogdirWatcher


def test_run_info_carries_bounded_details(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(details_mod, "MAX_FILES", 5)
    monkeypatch.setattr(details_mod, "MAX_ALERTS", 3)
    (tmp_path / "out").mkdir()
    for i in range(8):
        (tmp_path / "out" / f"f{i}.txt").write_text("x" * i)
    (tmp_path / "w.bin").write_bytes(b"w")
    with nbtrack.init(dir=logdir) as run:
        run.save("out/*.txt", policy="now")
        for i in range(6):
            run.alert(f"a{i}", "<img src=x onerror=alert(1)>", level="WARN")
        art = nbtrack.Artifact("m", "model")
        art.add_file(tmp_path / "w.bin")
        run.log_artifact(art)
    info = run_info(nbtrack.open(logdir).run(run.id))
    d = info["details"]
    assert d["files"] == [[f"out/f{i}.txt", i] for i in range(5)] and d["files_total"] == 8
    assert [a["title"] for a in d["alerts"]] == ["a3", "a4", "a5"] and d["alerts_total"] == 6
    assert d["alerts"][0]["text"] == "<img src=x onerror=alert(1)>"  # as text: the browser never parses it
    assert d["artifacts"][0]["name"] == "m" and d["artifacts"][0]["version"] == "v0"
    assert len(d["artifacts"][0]["digest"]) == 64
    assert d["environment"]["python"] and "numpy" in d["environment"]["packages"]


def test_reports_and_snapshots_ship_the_details(logdir):
    with nbtrack.init(dir=logdir, name="r") as run:
        run.alert("hello", "world")
    snap = snapshot_of([nbtrack.open(logdir).run("r")])
    assert snap["runs"][0]["details"]["alerts"][0]["title"] == "hello"
    page = run.to_html()
    block = re.search(r'data-part="payload-gz">([^<]*)</script>', page)
    payload = json.loads(gzip.decompress(base64.b64decode(block.group(1))))
    assert payload["snapshot"]["runs"][0]["details"]["alerts"][0]["text"] == "world"


def test_a_tracked_run_sends_new_alerts_on_its_info_refresh(logdir):
    run = nbtrack.init(dir=logdir, flush_interval=0.05)
    run.log({"x": 1.0})
    run.flush()
    watcher = LogdirWatcher([(None, logdir)], info_every=0.0)
    first = watcher.poll()
    assert [r["id"] for r in first.runs] == [run.id]
    run.alert("diverged", "loss went up", level="ERROR")
    run.flush()
    deadline = time.monotonic() + 5
    alerts = []
    while not alerts and time.monotonic() < deadline:
        for info in watcher.poll().runs:
            alerts = info.get("details", {}).get("alerts", [])
        time.sleep(0.05)
    assert [a["title"] for a in alerts] == ["diverged"]
    run.finish()


def test_a_live_view_gets_new_alerts_as_a_runs_message(logdir):
    run = nbtrack.init(dir=logdir, flush_interval=0.05)
    run.log({"x": 1.0})
    dash = run.show()
    sent = []
    dash.send = lambda msg, buffers=None: sent.append(msg)
    run.alert("checkpoint", "saved", level="INFO")
    deadline = time.monotonic() + 5
    while not any(m.get("kind") == "runs" for m in sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = [m for m in sent if m.get("kind") == "runs"]
    assert runs and runs[0]["runs"][0]["id"] == run.id
    assert runs[0]["runs"][0]["details"]["alerts"][0]["title"] == "checkpoint"
    seqs = [m["seq"] for m in sent]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    run.finish()
