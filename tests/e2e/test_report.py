"""An HTML report (``nbtrack.report``) opened from ``file://`` in Chromium with every other request aborted
and recorded: it asks for nothing, draws every chart and panel from its own inline blocks, its controls (smoothing,
run filter and run switches, PNG and CSV buttons) work without a kernel, and logged payloads stay text.

Two logdirs are built once for the module: three runs with scalars (one of 50,000 steps, reduced in the report),
images, histograms, text, audio and tables; and runs whose names, tags, config, notes, captions, texts and table
cells are HTML and script payloads. Screenshots go to ``test-artifacts/e2e/report-*.png``.
"""

from __future__ import annotations

import csv
import io
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

NAMES = ("alpha-run", "beta-run", "gamma-run")
OPTS = ("adam", "sgd", "adam")  # the run filter "adam" shows alpha and gamma
PROJECT = "report-e2e"
TITLE = "Report e2e study"
LONG_STEPS = 50_000
EVERY = 500  # the short scalars: one point every 500 steps
SCALARS = ("loss", "acc", "lr", "grad", "long/loss")
MEDIA_KINDS = ("image", "histogram", "text", "audio", "table")
MEDIA_EVERY = 10_000

# the payloads of test_dashboard_safety.py, and one that closes an attribute
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
SVG = '"><svg onload=window.__xss=3>'
PAYLOADS = (IMG, SCRIPT, SVG)


def _notes(name: str) -> str:
    return f"Notes of {name}: warmup 500 steps, then cosine."


# -- the logdirs and reports (once per module) -------------------------------------------------------------
@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    steps = np.arange(LONG_STEPS)
    for i, (name, opt) in enumerate(zip(NAMES, OPTS)):
        long = (np.exp(-steps / 10_000) + 0.01 * i).tolist()
        grad = rng.normal(0, 1, LONG_STEPS // EVERY).tolist()
        with nbtrack.init(project=PROJECT, dir=root / "runs", name=name, notes=_notes(name),
                          config={"lr": 0.1 * (i + 1), "opt": opt, "layers": 2 + i}) as run:
            for s in range(LONG_STEPS):
                row: dict[str, Any] = {"long/loss": long[s]}
                if s % EVERY == 0:
                    row.update({"loss": 1 / (s + 1), "acc": s / LONG_STEPS, "lr": 0.1 * (i + 1),
                                "grad": grad[s // EVERY]})
                if s % MEDIA_EVERY == 0:
                    row.update({
                        "pic": nbtrack.Image(np.full((8, 8, 3), (60 * i, s % 255, 120), np.uint8),
                                             caption=f"{name} {s}"),
                        "weights": nbtrack.Histogram(rng.normal(s / 20_000, 1, 2000), bins=24),
                        "sample": nbtrack.Text(f"{name} says step {s}"),
                        "tone": nbtrack.Audio(np.sin(np.arange(4000) / 8000 * 440 * 2 * np.pi) * 0.2, sample_rate=8000),
                        "preds": nbtrack.Table(columns=["input", "score"], data=[[f"{name} x", 0.5], ["y", 1.5]]),
                    })
                run.log(row, step=s)
    return nbtrack.report(root / "runs", root / "report.html", title=TITLE)


@pytest.fixture(scope="module")
def xss_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-xss")
    for i in range(2):
        config = {IMG: SCRIPT, "note": SVG, "nested": {SCRIPT: IMG}, "lr": 0.1 * (i + 1)}
        with nbtrack.init(project=f"{SVG} project", dir=root / "runs", name=f"{IMG} {SCRIPT} {SVG} #{i}",
                          config=config, notes=f"notes {IMG} {SCRIPT} {SVG}") as run:
            for step in range(20):
                row: dict[str, Any] = {IMG: 1 / (step + 1), SCRIPT: step * 0.5, f"{SVG}/loss": 2 - step * 0.01}
                if step % 10 == 0:
                    row.update({
                        f"{IMG} pic": nbtrack.Image(np.full((4, 4), 200, np.uint8), caption=f"caption {IMG} {SVG}"),
                        f"{SCRIPT} text": nbtrack.Text(f"text {IMG} {SCRIPT} {SVG}"),
                        "table": nbtrack.Table(columns=[SVG, "value"], data=[[IMG, 1.0], [SCRIPT, 2.0]]),
                    })
                run.log(row, step=step)
    return nbtrack.report(root / "runs", root / "xss.html", title=f"{IMG}{SCRIPT}{SVG}")


# -- opening a report ----------------------------------------------------------------------------------------
class ReportPage:
    """A page of the shared Chromium that loads file:// only: every other request is aborted and recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.context.new_page()
        self.page.set_default_timeout(30_000)
        self.requests: list[str] = []  # every request other than file:, data: and blob:
        self.errors: list[str] = []
        self.page.route("**/*", self._route)  # page routes run before the context's guard
        self.page.on("request", self._seen)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", self._console)
        self.page.goto(path.as_uri())

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text[:500]}")

    @staticmethod
    def _own(url: str) -> bool:
        return url.startswith(("file://", "data:", "blob:"))

    def _route(self, route: Any) -> None:
        if self._own(route.request.url):
            route.continue_()
        else:
            self.requests.append(f"routed {route.request.method} {route.request.url[:300]}")
            route.abort("blockedbyclient")

    def _seen(self, request: Any) -> None:  # also what a route might not see (e.g. a navigation elsewhere)
        if not self._own(request.url):
            self.requests.append(f"seen {request.method} {request.url[:300]}")

    def wait_drawn(self, charts: int, media: dict[str, int]) -> None:
        """Until the dashboard rendered, ``charts`` charts have drawn points and the media panels are there."""
        self.page.wait_for_function(
            """([charts, media]) => {
              const box = document.querySelector('[data-nbtrack-static]');
              if (box?.dataset.nbtrackRendered !== 'done') return false;
              const boxes = [...document.querySelectorAll('.nbtrack-chart')];
              if (boxes.length !== charts || !boxes.every(b => +b.dataset.drawn > 0)) return false;
              return Object.entries(media).every(([kind, n]) =>
                document.querySelectorAll(`.nbtrack-media-panel[data-kind="${kind}"]`).length === n)
                && [...document.querySelectorAll('.nbtrack-histogram')].every(h => +h.dataset.steps > 0);
            }""", arg=[charts, media], polling=100)

    def close(self) -> None:
        self.page.close()


# What each chart's BokehJS figure holds: its glyph renderers' data sources (raw line: alpha 0.25 or 0.12 with
# several runs; smoothed line: width 1.75; js/src/chart.js), with the run colour of each line.
LINES = """() => {
  const views = [...window.Bokeh.index.roots];
  const value = (p) => (p && typeof p === 'object' && 'value' in p) ? p.value : p;
  return Object.fromEntries([...document.querySelectorAll('.nbtrack-chart')].map((box) => {
    const view = views.find((v) => v.model?.type === 'Figure' && box.contains(v.el));
    if (!view) return [box.dataset.key, null];
    const lines = view.model.renderers.filter((r) => r.glyph?.type === 'Line').map((r) => ({
      kind: value(r.glyph.line_width) === 1.75 ? 'smooth' : 'raw', visible: r.visible,
      color: value(r.glyph.line_color), n: r.data_source.data.x.length,
      y: Array.from(r.data_source.data.y), finite: Array.from(r.data_source.data.y).every(Number.isFinite) }));
    return [box.dataset.key, { data: { ...box.dataset }, lines }];
  }));
}"""

# Anything a payload would have made or done.
INJECTED = """() => ({
  xss: typeof window.__xss,
  imgX: document.querySelectorAll('img[src="x"]').length,
  handlers: document.querySelectorAll('[onerror], [onload]').length,
  svg: [...document.querySelectorAll('svg')].filter(s => s.closest('.nbtrack-report-header, .nbtrack-report-runs, '
    + '.nbtrack-runtable, .nbtrack-media-panel')).length,
  scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
})"""
CLEAN = {"xss": "undefined", "imgX": 0, "handlers": 0, "svg": 0, "scripts": 0}

MEDIA = {kind: len(NAMES) for kind in MEDIA_KINDS}


def _shot(page: Any, name: str, **options: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **options)


def _visible_smooth(lines: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [line for line in lines[key]["lines"] if line["kind"] == "smooth" and line["visible"] and line["n"]]


# -- 1: offline, every part drawn ----------------------------------------------------------------------------
def test_report_opens_offline_and_draws_every_chart_and_panel(browser, report_path):
    report = ReportPage(browser, report_path)
    try:
        report.wait_drawn(len(SCALARS), MEDIA)
        page = report.page
        page.wait_for_timeout(500)  # anything late (a lazy load, an error) would show by now
        assert report.requests == [], "the report asked for something other than its own file"
        assert report.errors == []

        assert page.locator(".nbtrack-chart").count() == len(SCALARS)
        keys = page.evaluate("() => [...document.querySelectorAll('.nbtrack-chart')].map(b => b.dataset.key)")
        assert sorted(keys) == sorted(SCALARS)
        assert page.evaluate("() => window.Bokeh.documents.length") >= len(SCALARS)
        lines = page.evaluate(LINES)
        for key in SCALARS:
            chart = lines[key]
            assert chart is not None, f"{key}: no BokehJS figure"
            smooth = _visible_smooth(lines, key)
            raw = [line for line in chart["lines"] if line["kind"] == "raw" and line["visible"] and line["n"]]
            assert len(smooth) == len(NAMES) and len(raw) == len(NAMES), f"{key}: a line per run: {chart['lines']}"
            assert all(line["finite"] for line in smooth + raw), key
            assert chart["data"]["runs"] == str(len(NAMES))
        assert lines["loss"]["data"]["points"] == str(len(NAMES) * LONG_STEPS // EVERY), "short series are whole"
        held = int(lines["long/loss"]["data"]["points"])
        assert 0 < held < len(NAMES) * LONG_STEPS // 4, f"the 50,000-step series is reduced: {held} points held"

        for kind in MEDIA_KINDS:
            panels = page.locator(f'.nbtrack-media-panel[data-kind="{kind}"]')
            assert panels.count() == len(NAMES), kind
            runs = panels.locator(".nbtrack-media-run .nbtrack-run-label").all_inner_texts()
            assert sorted(runs) == sorted(NAMES), f"each {kind} panel names its run: {runs}"
        assert page.locator(".nbtrack-media-panel[data-kind=image] img.nbtrack-image-img").evaluate_all(
            "imgs => imgs.map(i => i.complete && i.naturalWidth)") == [8] * len(NAMES), "images decoded"
        assert page.locator(".nbtrack-media-panel[data-kind=image] .nbtrack-caption").first.inner_text().endswith(
            str(LONG_STEPS - MEDIA_EVERY)), "the newest step is shown"
        assert page.locator(".nbtrack-media-panel[data-kind=text] .nbtrack-text").first.inner_text().endswith(
            f"says step {LONG_STEPS - MEDIA_EVERY}")
        assert page.locator(".nbtrack-media-panel[data-kind=audio] audio").evaluate_all(
            "as => as.map(a => a.src.startsWith('blob:'))") == [True] * len(NAMES)
        page.wait_for_function("() => [...document.querySelectorAll('audio')].every(a => a.readyState >= 1)")
        assert page.locator("audio").evaluate_all("as => as.map(a => a.duration)") == [0.5] * len(NAMES), \
            "the audio decodes: 4,000 samples at 8 kHz"
        table_rows = page.locator(".nbtrack-media-panel[data-kind=table] table.nbtrack-table tbody tr")
        assert table_rows.count() == 2 * len(NAMES)
        assert page.locator(".nbtrack-histogram").evaluate_all("hs => hs.map(h => h.dataset.steps)") == \
            [str(LONG_STEPS // MEDIA_EVERY)] * len(NAMES)

        header = page.locator("header.nbtrack-report-header")
        assert header.locator("h1").inner_text() == TITLE and page.title() == TITLE
        facts = dict(zip(header.locator("dt").all_inner_texts(), header.locator("dd").all_inner_texts()))
        assert facts["Project"] == PROJECT
        assert facts["Runs"] == f"{len(NAMES)} ({len(NAMES)} finished)"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d UTC", facts["Time span"])
        assert f"by nbtrack {nbtrack.__version__}" in facts["Made"]
        note = header.locator(".nbtrack-report-note").inner_text()
        reduced = f"{len(NAMES)} of {len(NAMES) * len(SCALARS)} series are reduced (up to 50,000 points each)"
        assert reduced in note, note

        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "report-top.png", clip={"x": 0, "y": 0, "width": 1400, "height": 1000})
        charts = page.locator(".nbtrack-chart").first.bounding_box()  # in the viewport (2400 px tall)
        _shot(page, "report-charts.png", clip={"x": 0, "y": max(0, charts["y"] - 40), "width": 1400, "height": 1100})

        details = page.locator("section.nbtrack-report-runs details")
        assert details.count() == len(NAMES)
        summaries = details.locator("summary").all_inner_texts()
        assert [s.split(" (")[0] for s in summaries] == list(NAMES)
        assert details.locator(".notes").all_text_contents() == [_notes(n) for n in NAMES]
        details.first.locator("summary").click()
        assert details.first.locator(".notes").is_visible()
        assert "opt" in details.first.locator("table").first.inner_text()
        _shot(page, "report-full.png", full_page=True)
        assert report.requests == [] and report.errors == []
        page.evaluate("() => { new Image().src = 'https://cdn.nbtrack-e2e.invalid/probe.png'; }")
        page.wait_for_timeout(300)  # the recorder itself works: a request the page makes is listed
        assert any("cdn.nbtrack-e2e.invalid/probe.png" in r for r in report.requests), report.requests
    finally:
        report.close()


# -- 2: smoothing and the run filter -------------------------------------------------------------------------
def test_smoothing_and_run_filter_work_in_the_report(browser, report_path):
    report = ReportPage(browser, report_path)
    try:
        report.wait_drawn(len(SCALARS), MEDIA)
        page = report.page
        before = _visible_smooth(page.evaluate(LINES), "grad")
        page.locator(".nbtrack-smoothing").fill("0.95")
        page.wait_for_function("() => document.querySelector('.nbtrack-chart[data-key=grad]').dataset.smoothing"
                               " === '0.95'")
        after = _visible_smooth(page.evaluate(LINES), "grad")
        assert [line["n"] for line in after] == [line["n"] for line in before]
        assert after[0]["y"] != before[0]["y"], "the smoothed line moved"
        assert np.std(np.diff(after[0]["y"])) < np.std(np.diff(before[0]["y"])), "and is smoother"
        page.locator(".nbtrack-smoothing").fill("0")
        page.wait_for_function("() => document.querySelector('.nbtrack-chart[data-key=grad]').dataset.smoothing"
                               " === '0.00'")
        flat = page.evaluate(LINES)["grad"]["lines"]
        raw0 = next(line for line in flat if line["kind"] == "raw" and line["color"] == after[0]["color"])
        smooth0 = next(line for line in flat if line["kind"] == "smooth" and line["color"] == after[0]["color"])
        assert smooth0["y"] == raw0["y"], "smoothing 0 draws the raw values"

        count = page.locator(".nbtrack-run-count")
        rows = page.locator("table.nbtrack-runs tbody tr")
        box = page.get_by_placeholder("filter runs: words or /regex/")
        assert count.inner_text() == "3 of 3 runs"
        box.fill("beta-run")
        page.wait_for_function("() => document.querySelector('.nbtrack-run-count').textContent === '1 of 3 runs'")
        assert next(r for r in rows.all() if r.is_visible()).inner_text().split()[0] == "beta-run"
        assert sum(r.is_visible() for r in rows.all()) == 1

        colors = {line["color"] for line in _visible_smooth(page.evaluate(LINES), "acc")}
        box.fill("adam")  # alpha and gamma; the header switch hides every run the filter shows
        page.wait_for_function("() => document.querySelector('.nbtrack-run-count').textContent === '2 of 3 runs'")
        page.locator(".nbtrack-run-visible-all").uncheck()
        page.wait_for_function("() => [...document.querySelectorAll('.nbtrack-chart')]"
                               ".every(b => b.dataset.runs === '1')")
        lines = page.evaluate(LINES)
        shown = {key: {line["color"] for line in _visible_smooth(lines, key)} for key in SCALARS}
        assert all(len(c) == 1 for c in shown.values()), f"only beta's line in each chart: {shown}"
        assert len(set().union(*shown.values()) & colors) == 1
        hidden = page.evaluate("() => [...document.querySelectorAll('table.nbtrack-runs tbody tr')]"
                               ".filter(r => r.dataset.hidden === 'true').map(r => r.cells[1].textContent)")
        assert sorted(hidden) == ["alpha-run", "gamma-run"]
        box.fill("")
        page.wait_for_function("() => document.querySelector('.nbtrack-run-count').textContent === '3 of 3 runs'")
        _shot(page, "report-run-filter.png", clip={"x": 0, "y": 0, "width": 1400, "height": 1300})
        assert report.requests == [] and report.errors == []
    finally:
        report.close()


# -- 3: PNG and CSV downloads ----------------------------------------------------------------------------------
def test_png_and_csv_buttons_download_the_chart(browser, report_path, tmp_path):
    report = ReportPage(browser, report_path)
    try:
        report.wait_drawn(len(SCALARS), MEDIA)
        page = report.page
        page.locator(".nbtrack-smoothing").fill("0")
        page.wait_for_function("() => [...document.querySelectorAll('.nbtrack-chart')]"
                               ".every(b => b.dataset.smoothing === '0.00')")
        chart = page.locator('.nbtrack-chart[data-key="long/loss"]')
        held = int(chart.get_attribute("data-points"))

        with page.expect_download() as info:
            chart.locator("[data-action=csv]").click()
        download = info.value
        assert download.suggested_filename == "long_loss.csv"
        text = Path(download.path()).read_text()
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["run", "step", "wall_time", "value"]
        assert len(rows) - 1 == held, "one row per point the browser holds"
        assert {r[0] for r in rows[1:]} == set(NAMES)
        alpha = [r for r in rows[1:] if r[0] == "alpha-run"]
        assert int(alpha[0][1]) == 0 and int(alpha[-1][1]) == LONG_STEPS - 1, "first and last step kept"
        assert abs(float(alpha[0][3]) - 1.0) < 1e-6 and float(alpha[0][2]) > 1.6e9

        with page.expect_download() as info:
            chart.locator("[data-action=png]").click()
        png = info.value
        assert png.suggested_filename == "long_loss.png"
        data = Path(png.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 300 and height >= 150, (width, height)
        (tmp_path / "chart.png").write_bytes(data)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "report-chart-download.png").write_bytes(data)
        assert chart.locator("[data-action=png]").get_attribute("data-state") == "done"
        assert report.requests == [] and report.errors == []
    finally:
        report.close()


# -- 4: the file itself references nothing outside ------------------------------------------------------------
class _Refs(HTMLParser):
    """Every src/href/srcset/action/poster attribute, style text and script text outside the inert blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.texts: list[str] = []
        self._inert = False
        self.inert_blocks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attrs_d = dict(attrs)
        if tag == "script" and attrs_d.get("type") == "text/plain":
            self._inert = True
            self.inert_blocks += 1
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data", "style") and value:
                self.refs.append(f"{tag}[{name}]={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inert = False

    def handle_data(self, data: str) -> None:
        if not self._inert:
            self.texts.append(data)


def test_report_file_references_no_network(report_path):
    page = report_path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(page)
    assert parser.inert_blocks == 4, "payload, module, BokehJS core and api"
    outer = "\n".join(parser.texts)
    assert parser.refs == [], f"the page's own markup loads nothing: {parser.refs}"
    assert re.findall(r"\burl\s*\(", outer, re.I) == [] and "@import" not in outer  # CSS url(), not createObjectURL(
    assert re.findall(r"https?://", outer) == []
    assert re.findall(r"https?://", "\n".join(parser.refs)) == []
    outside = re.sub(r'<script type="text/plain"[^>]*>.*?</script>', "", page, flags=re.S)
    assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", outside, re.I) == []


# -- 5 and 6: payloads stay text -------------------------------------------------------------------------------
def test_payloads_in_a_report_stay_text(browser, xss_path):
    report = ReportPage(browser, xss_path)
    try:
        report.wait_drawn(3, {"image": 2, "text": 2, "table": 2})
        page = report.page
        page.wait_for_timeout(1000)
        assert page.evaluate(INJECTED) == CLEAN
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_timeout(100)
        body = page.inner_text("body")
        for payload in PAYLOADS:
            assert body.count(payload) >= 5, f"{payload!r} is shown as text: {body[:3000]!r}"
        title = f"{IMG}{SCRIPT}{SVG}"
        assert page.title() == title, "the <title> holds the payload as text"
        assert page.locator("h1").inner_text() == title
        facts = dict(zip(page.locator("header dt").all_inner_texts(), page.locator("header dd").all_inner_texts()))
        assert facts["Project"] == f"{SVG} project"
        details = page.locator("section.nbtrack-report-runs details")
        assert details.count() == 2
        assert details.locator(".notes").all_inner_texts() == [f"notes {IMG} {SCRIPT} {SVG}"] * 2
        assert [s.split(" (finished")[0] for s in details.locator("summary").all_inner_texts()] == \
            [f"{IMG} {SCRIPT} {SVG} #{i}" for i in range(2)]
        runs_text = page.locator("section.nbtrack-report-runs").inner_text()
        assert IMG in runs_text and SCRIPT in runs_text, "config keys and values as text"
        table = page.locator("table.nbtrack-runs").inner_text()
        assert f"{IMG} {SCRIPT} {SVG} #0" in table and SVG in table
        captions = page.locator(".nbtrack-media-panel[data-kind=image] .nbtrack-caption").all_inner_texts()
        assert captions == [f"caption {IMG} {SVG}"] * 2
        texts = page.locator(".nbtrack-media-panel[data-kind=text] .nbtrack-text").all_inner_texts()
        assert texts == [f"text {IMG} {SCRIPT} {SVG}"] * 2
        cells = page.locator(".nbtrack-media-panel[data-kind=table] table").first.inner_text()
        assert IMG in cells and SCRIPT in cells and SVG in cells
        tags = page.evaluate("() => [...document.querySelectorAll('.nbtrack-chart')].map(b => b.dataset.key)")
        assert sorted(tags) == sorted([IMG, SCRIPT, f"{SVG}/loss"])
        _shot(page, "report-xss.png", full_page=True)
        assert page.evaluate(INJECTED) == CLEAN
        assert report.requests == [], "a payload made a request (e.g. <img src=x>)"
        assert report.errors == []
    finally:
        report.close()
