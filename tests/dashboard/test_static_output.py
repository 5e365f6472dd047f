"""The static HTML output of a dashboard: its payload, settings and media, offline and safe to embed."""

from __future__ import annotations

import base64
import gzip
import json
import re

import numpy as np

import nbtrack
from nbtrack.codecs import decode_png
from nbtrack.dashboard.snapshot import snapshot_of
from nbtrack.dashboard.static_output import json_for_html, static_bundle

PAYLOAD = '<img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>'


def _payload_of(html: str) -> dict:
    match = re.search(r'<script type="text/plain" data-part="payload-gz">([A-Za-z0-9+/=]*)</script>', html)
    assert match, "the static output holds its payload block (gzip'd JSON, base64)"
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def _f64(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float64)


def _runs(tmp_path, n_runs=2, steps=50):
    for k in range(n_runs):
        with nbtrack.init(dir=tmp_path, name=f"run-{k}", config={"lr": 10.0 ** -k}) as run:
            for i in range(steps):
                run.log({"train/loss": 1.0 / (i + 1 + k), "lr": 10.0 ** -k})
    return nbtrack.open(tmp_path)


def test_static_bundle_round_trips_its_data_and_settings(tmp_path):
    logdir = _runs(tmp_path, n_runs=1)
    reader = logdir.run("run-0")
    dash = reader.show(settings={"smoothing": 0.9, "logY": True})
    bundle = dash._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    payload = _payload_of(bundle["text/html"])
    assert payload["settings"] == {"smoothing": 0.9, "logY": True}
    assert payload["config"] == {"lr": 1.0} and payload["status"] == "finished"
    loss = next(s for s in payload["snapshot"]["series"] if s["key"] == "train/loss")
    assert np.allclose(_f64(loss["values"]), 1.0 / np.arange(1, 51))
    assert bundle["text/html"].count('<script type="module">') == 1


def test_static_html_carries_what_it_needs_offline():
    snap = {"seq": 0, "runs": [{"id": "r", "name": "r"}],
            "series": [{"run": "r", "key": "x", "steps": b"", "values": b"", "times": b""}]}
    html = static_bundle(snap, run_name="r", status="finished")["text/html"]
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    module = re.search(r'data-part="module-gz">([^<]*)<', html).group(1)
    assert b"renderStatic" in gzip.decompress(base64.b64decode(module))
    for part in ("bokeh-core", "bokeh-api"):
        assert re.search(rf'data-part="{part}">[A-Za-z0-9+/=]{{1000,}}<', html)


def test_logged_names_never_reach_the_html_unescaped(tmp_path):
    with nbtrack.init(dir=tmp_path, name=PAYLOAD, config={"note": PAYLOAD}) as run:
        run.log({f"tag{PAYLOAD}": 1.0})
    html = nbtrack.open(tmp_path).show()._repr_mimebundle_()["text/html"]
    assert "<img src=x" not in html and "<script>window" not in html and "</script><script>" not in html
    payload = _payload_of(html)
    assert payload["run_name"] == PAYLOAD and payload["config"] == {"note": PAYLOAD}
    assert payload["snapshot"]["series"][0]["key"] == f"tag{PAYLOAD}"


def test_json_for_html_cannot_close_its_script_block():
    text = json_for_html({"a": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->"}


def test_config_values_that_json_cannot_hold_are_shown_as_text(tmp_path):
    snap = {"seq": 0, "runs": [], "series": []}
    html = static_bundle(snap, run_name="r", status="finished",
                         config={"nan": float("nan"), "obj": object, "nested": {"inf": float("inf")}})["text/html"]
    config = _payload_of(html)["config"]
    assert config["nan"] == "nan" and config["nested"] == {"inf": "inf"} and "class" in config["obj"]




def test_a_live_dashboards_static_output_keeps_the_views_settings(tmp_path):
    run = nbtrack.init(dir=tmp_path, name="r")
    for i in range(10):
        run.log({"loss": float(i)})
    dash = run.show()
    dash.settings = {"smoothing": 0.25, "xAxis": "relative", "logY": False, "ignoreOutliers": True}
    run.finish()
    payload = _payload_of(dash.static().bundle()["text/html"])
    assert payload["settings"]["xAxis"] == "relative" and payload["settings"]["smoothing"] == 0.25
    assert len(_f64(payload["snapshot"]["series"][0]["steps"])) == 10
    dash.close()


def _pixels(step: int, index: int = 0) -> np.ndarray:
    return np.random.default_rng(step * 10 + index).integers(0, 256, (6, 5, 3), dtype=np.uint8)


def _log_media(run, steps) -> None:
    for step in steps:
        row = {"loss": 1.0 / (step + 1)}
        if step % 10 == 0:
            row["samples"] = nbtrack.Image(_pixels(step), caption=f"step {step}")
            row["gallery"] = [nbtrack.Image(_pixels(step, i)) for i in range(2)]
        if step % 5 == 0:
            row["weights"] = nbtrack.Histogram(np.arange(50.0) * (step + 1), bins=10)
        if step == 42:
            row["note"] = nbtrack.Markdown("**half way**")
        run.log(row)


def test_static_payload_carries_media_as_base64(logdir, read):
    run = nbtrack.init()
    _log_media(run, range(30))
    run.finish()
    reader = read(run)
    snap = snapshot_of([reader])
    html = reader.show()._repr_mimebundle_()["text/html"]
    payload = _payload_of(html)
    media = payload["snapshot"]["media"]
    assert [{k: v for k, v in m.items() if k != "data"} for m in media] == \
        [{k: v for k, v in m.items() if k != "data"} for m in snap["media"]]
    assert [[base64.b64decode(d) for d in m["data"]] for m in media] == [m["data"] for m in snap["media"]]
    image = next(m for m in media if m["key"] == "samples" and m["step"] == 20)
    assert np.array_equal(decode_png(base64.b64decode(image["data"][0])), _pixels(20))
