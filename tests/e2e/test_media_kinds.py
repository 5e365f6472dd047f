"""Every kind of media panel in a static output without a kernel, with hostile content: text, Markdown,
HTML (sandboxed), audio, tables (sortable) and histograms in each view; screenshots of each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _page(browser, tmp_path):
    rng = np.random.default_rng(0)
    with nbtrack.init(dir=tmp_path / "runs", name="kinds") as run:
        for step in range(0, 200, 20):
            run.log({
                "loss": 1 / (step + 1),
                "text": nbtrack.Text(f"{XSS} plain {step}"),
                "notes": nbtrack.Markdown(f"## Step {step}\n\n- **bold** {XSS}\n- [ok](https://example.com) "
                                          "[bad](javascript:window.__xss=3)"),
                "page": nbtrack.Html(f"<h2>frame {step}</h2><script>parent.__xss=4;top.__xss=5</script>"
                                     '<img src="http://beacon.nbtrack-e2e.invalid/p.png">'),
                "tone": nbtrack.Audio(np.sin(np.arange(4000) / 8000 * 440 * 2 * np.pi) * 0.2, sample_rate=8000),
                "table": nbtrack.Table(columns=["name", "score", "pic"],
                                       data=[[XSS, 3.0, nbtrack.Image(np.full((4, 4), 200, np.uint8))],
                                             ["b", 10.0, None], ["a", 2.5, None], ["n", float("nan"), None]]),
                "weights": nbtrack.Histogram(rng.normal(step / 100, 1, 20_000)),
            }, step=step)
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "kinds.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.console = []
    page.on("console", lambda m: page.console.append(m.text))
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.nbtrack-media-panel').length === 6 && "
                           "document.querySelector('.nbtrack-histogram')?.dataset.steps === '10'")
    return page


def test_media_kinds_render_as_text_or_sandboxed_and_tables_sort(browser, tmp_path):
    page = _page(browser, tmp_path)
    try:
        panel = lambda key: page.locator(f'.nbtrack-media-panel[data-key="{key}"]')  # noqa: E731
        assert XSS in panel("text").inner_text()
        notes = panel("notes")
        assert notes.locator("h4").inner_text() == "Step 180" and notes.locator("strong").count() == 1
        assert XSS in notes.inner_text()
        hrefs = notes.locator("a").evaluate_all("links => links.map(a => a.href)")
        assert hrefs == ["https://example.com/"], "only http(s) links become links"
        frame = panel("page").locator("iframe")
        assert frame.get_attribute("sandbox") == "" and "frame 180" in frame.get_attribute("srcdoc")
        assert panel("tone").locator("audio").evaluate("a => a.src.startsWith('blob:')")
        table = panel("table").locator("table")
        first_column = "t => [...t.querySelectorAll('tbody tr')].map(r => r.cells[0].textContent)"
        assert table.evaluate(first_column) == [XSS, "b", "a", "n"], "a NaN cell does not break the table"
        assert table.locator("img.nbtrack-table-image").evaluate("i => i.complete && i.naturalWidth") == 4
        table.locator("th", has_text="score").click()
        assert table.evaluate(first_column)[:3] == ["a", XSS, "b"], "sorted by score, numerically"
        assert page.locator(".nbtrack-chart").count() == 1, "the charts still draw"
        page.wait_for_timeout(500)
        assert not [m for m in page.console if "ERR_NAME_NOT_RESOLVED" in m], f"network used: {page.console}"
        assert any("beacon" in m and "has been blocked" in m for m in page.console), "the frame's policy blocks it"
        page.wait_for_timeout(300)
        assert page.evaluate("() => [window.__xss, document.querySelectorAll('img[src=\"x\"]').length]") == [None, 0]
        page.screenshot(path=str(ARTIFACTS / "media-kinds.png"), full_page=True)
        histogram = page.locator(".nbtrack-histogram")
        for view in ("overlay", "ridgeline", "distribution"):
            histogram.locator(".nbtrack-histogram-view").select_option(view)
            page.wait_for_function(f"() => document.querySelector('.nbtrack-histogram').dataset.view === '{view}'")
            page.wait_for_timeout(300)
            histogram.screenshot(path=str(ARTIFACTS / f"histogram-{view}.png"))
    finally:
        page.close()
