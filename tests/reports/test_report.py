"""``nbtrack.report()``: one self-contained HTML file of runs, bounded in size, escaped, made from any source.

The page's payload is read back here as the browser reads it (gzip'd JSON, compact columns decoded
by ``nbtrack.dashboard.compact.decode``, the Python twin of ``js/src/columns.js``); the browser tests
(tests/e2e/test_report.py) open the same files in Chromium.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.compact import decode

XSS = '<img src=x onerror="window.__xss=1">'


def payload(page: str) -> dict:
    """The dashboard state a report carries (its ``payload-gz`` block)."""
    block = re.search(r'data-part="payload-gz">([^<]*)</script>', page)
    assert block, "the report has no payload block"
    return json.loads(gzip.decompress(base64.b64decode(block.group(1))))


def outside_blocks(page: str) -> str:
    """The page without its inert base64 blocks: the markup a browser parses."""
    return re.sub(r'<script type="text/plain" data-part="[^"]+">[^<]*</script>', "", page)


def series(page: str) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Every series of a report, decoded: ``{(run id, tag): {"steps", "values", "times", "n"}}``."""
    out = {}
    for s in payload(page)["snapshot"]["series"]:
        out[(s["run"], s["key"])] = {k: decode(s[k]) for k in ("steps", "values", "times")} | {"n": s["n"]}
    return out


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """Three finished runs: config, notes, a long series (reduced in a report), a short one, media."""
    root = tmp_path_factory.mktemp("report") / "runs"
    rng = np.random.default_rng(1)
    for i, lr in enumerate((0.1, 0.01, 0.001)):
        with nbtrack.init(dir=root, id=f"r{i}", name=f"lr={lr}", project="study", config={"lr": lr, "opt": {"m": 0.9}},
                          notes=f"notes of run {i}") as run:
            loss = np.exp(-np.arange(50_000) / 10_000) + 0.01 * rng.standard_normal(50_000)
            for step in range(50_000):
                row = {"train/loss": float(loss[step])}
                if step % 1000 == 0:
                    row["val/acc"] = step / 50_000
                if step % 2000 == 0:
                    row["sample"] = nbtrack.Image(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))
                run.log(row, step=step)
    return root


@pytest.fixture(scope="module")
def sweep_page(sweep) -> str:
    return nbtrack.report(sweep, title="LR study")


def test_a_report_is_one_offline_page_with_a_header_the_dashboard_and_each_runs_details(sweep_page):
    page = sweep_page
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<title>LR study</title>" in page and "<h1>LR study</h1>" in page
    facts = re.search(r'<dl class="nbtrack-report-facts">(.*?)</dl>', page).group(1)
    assert "study" in facts and "3 (3 finished)" in facts and "nbtrack " + nbtrack.__version__ in facts
    assert re.search(r"Time span</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}", facts)
    # BokehJS and the widget module once each, inline; nothing the browser would fetch
    assert page.count('<script type="text/plain" data-part="bokeh-core">') == 1
    assert page.count('<script type="text/plain" data-part="module-gz">') == 1
    markup = outside_blocks(page)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", markup, re.I)
    assert "url(" not in markup and "@import" not in markup
    for i in range(3):  # each run's notes, config and summary
        details = re.search(rf'<details data-run="r{i}">(.*?)</details>', page).group(1)
        assert f"notes of run {i}" in details and "opt.m" in details and "train/loss" in details


def test_long_series_are_reduced_to_about_a_charts_width_and_the_header_says_so(sweep_page):
    got = series(sweep_page)
    loss = got[("r0", "train/loss")]
    assert loss["n"] == 50_000 and 1_000 <= len(loss["values"]) <= 10_000
    assert loss["steps"][0] == 0 and loss["steps"][-1] == 49_999, "first and last points kept"
    assert len(got[("r0", "val/acc")]["values"]) == 50, "a short series keeps every point"
    assert np.array_equal(got[("r0", "val/acc")]["steps"], np.arange(0, 50_000, 1000.0)), "steps exact"
    note = re.search(r'<p class="nbtrack-report-note">(.*?)</p>', sweep_page).group(1)
    assert "3 of 6 series are reduced" in note and "approximate" in note and "float32" in note


def test_full_resolution_keeps_every_point_exactly(sweep):
    page = nbtrack.report(sweep, runs="^lr=0.1$", full_resolution=True)
    reader = nbtrack.open(sweep).run("r0")
    stored = reader.scalars("train/loss")
    got = series(page)[("r0", "train/loss")]
    assert np.array_equal(got["values"], stored["value"].to_numpy())
    assert np.array_equal(got["steps"], stored["step"].to_numpy(float))
    assert "keep every point" in page


def test_reduced_values_are_the_stored_ones_within_float32(sweep_page, sweep):
    stored = nbtrack.open(sweep).run("r1").scalars("train/loss").set_index("step")["value"]
    got = series(sweep_page)[("r1", "train/loss")]
    expected = stored.loc[got["steps"].astype(int)].to_numpy()
    assert np.allclose(got["values"], expected, rtol=1e-6, atol=0)
    assert float(got["values"].max()) == pytest.approx(float(stored.max()), rel=1e-6), "the highest point survives"


def test_media_keep_the_newest_steps_and_spread_out_older_ones(sweep):
    page = nbtrack.report(sweep, runs="r0", media_per_tag=4)
    steps = sorted(m["step"] for m in payload(page)["snapshot"]["media"] if m["key"] == "sample")
    assert steps == [0, 22_000, 46_000, 48_000]  # 25 logged: the newest two, two spread over the older


def test_runs_and_tags_filters(sweep):
    page = nbtrack.report(sweep, runs="0.01$", tags="^val/")
    got = payload(page)["snapshot"]
    assert [r["id"] for r in got["runs"]] == ["r1"]
    assert {s["key"] for s in got["series"]} == {"val/acc"} and got["media"] == []
    with pytest.raises(ValueError, match=r"report\(runs=...\).*not a valid regular expression"):
        nbtrack.report(sweep, runs="[")
    with pytest.raises(ValueError, match=r"no run in .* matches runs='nothing'"):
        nbtrack.report(sweep, runs="nothing")


def test_every_source_and_every_entry_writes_the_same_kind_of_report(sweep, tmp_path):
    logdir = nbtrack.open(sweep)
    reader = logdir.run("r2")
    written = {
        "path": nbtrack.report(str(sweep), tmp_path / "a.html"),
        "logdir": logdir.to_html(tmp_path / "b.html"),
        "reader": reader.to_html(tmp_path / "c.html"),
        "list": nbtrack.report([reader, logdir.run("r0")], tmp_path / "d.html"),
        "show().save": logdir.show().save(tmp_path / "e.html"),
    }
    runs = {"path": 3, "logdir": 3, "reader": 1, "list": 2, "show().save": 3}
    for how, path in written.items():
        page = Path(path).read_text()
        assert 'class="nbtrack-report-header"' in page, how
        assert len(payload(page)["snapshot"]["runs"]) == runs[how], how
    assert not list(tmp_path.glob(".*.partial")), "no temporary file left behind"


def test_a_live_run_reports_what_it_logged_so_far_and_a_finished_one_everything(tmp_path):
    run = nbtrack.init(dir=tmp_path / "runs", name="live")
    for step in range(10):
        run.log({"loss": float(step)})
    page = run.to_html()
    assert len(series(page)[(run.id, "loss")]["values"]) == 10
    run.log({"loss": 10.0})
    run.finish()
    path = run.to_html(tmp_path / "live.html", title="after")
    assert len(series(path.read_text())[(run.id, "loss")]["values"]) == 11


def test_missing_empty_and_partly_corrupt_logdirs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nbtrack.report(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no runs in"):
        nbtrack.report(tmp_path / "empty")
    for name in ("good", "broken"):
        with nbtrack.init(dir=tmp_path / "mixed", id=name, name=name) as run:
            run.log({"loss": 1.0})
    (tmp_path / "mixed" / "broken" / "run.json").write_text("{not json")
    with pytest.warns(RuntimeWarning, match="left out: .*broken"):
        page = nbtrack.report(tmp_path / "mixed")
    assert [r["id"] for r in payload(page)["snapshot"]["runs"]] == ["good"]
    assert "Not included" in page and "broken" in re.search(r"Not included(.*?)</div>", page).group(1)


def test_bad_arguments_name_themselves(sweep):
    with pytest.raises(TypeError, match=r"report\(source=...\) takes .* got int"):
        nbtrack.report(42)
    with pytest.raises(ValueError, match=r"media_per_tag=...\) takes a whole number"):
        nbtrack.report(sweep, media_per_tag=-1)


def test_logged_text_reaches_the_page_only_escaped(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name=f"run {XSS}", project=XSS, notes=f"note {XSS}",
                      config={XSS: XSS}) as run:
        run.log({f"tag {XSS}": 1.0, "text": nbtrack.Text(XSS),
                 "table": nbtrack.Table(columns=["a"], data=[[XSS]])})
    page = nbtrack.report(tmp_path / "runs", title=f"title {XSS}")
    markup = outside_blocks(page)
    assert XSS not in markup and "onerror=" not in markup.replace(html.escape('onerror="'), "")
    assert html.escape(XSS) in markup  # shown as text: header, title, notes, config
    assert "<title>title &lt;img" in markup


def test_header_and_details_are_bounded_for_many_keys(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name="wide", config={f"k{i}": i for i in range(800)}) as run:
        run.log({"loss": 1.0})
    page = nbtrack.report(tmp_path / "runs")
    assert "and 300 more" in page


def test_report_writes_through_a_temporary_file(tmp_path, monkeypatch):
    with nbtrack.init(dir=tmp_path / "runs", name="r") as run:
        run.log({"loss": 1.0})
    target = tmp_path / "out.html"
    target.write_text("old report")

    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", broken)
    with pytest.raises(OSError, match="No space"):
        nbtrack.report(tmp_path / "runs", target)
    monkeypatch.undo()
    assert target.read_text() == "old report", "a failed write leaves the old file as it was"
    assert not list(tmp_path.glob(".*.partial"))


def test_no_warning_for_a_clean_logdir(sweep):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbtrack.report(sweep, runs="r2")


def test_a_report_keeps_only_the_shareable_part_of_a_runs_environment(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", name="env") as run:
        run.log({"loss": 1.0})
    stored = nbtrack.open(tmp_path / "runs").run("env").environment
    assert stored.get("host") and stored.get("cwd"), "the run recorded where it ran"

    def environment(**options):
        (info,) = payload(nbtrack.report(tmp_path / "runs", **options))["snapshot"]["runs"]
        return info.get("details", {}).get("environment")

    shared = environment()
    assert shared["python"] == stored["python"] and shared["packages"] == stored["packages"]
    assert not {"host", "cwd", "argv", "executable", "notebook"} & set(shared), shared
    assert "remote" not in shared.get("git", {})
    assert environment(environment="full")["host"] == stored["host"]
    assert environment(environment=False) is None
    with pytest.raises(ValueError, match=r"report\(environment=...\) takes True, False or 'full'"):
        nbtrack.report(tmp_path / "runs", environment="some")
