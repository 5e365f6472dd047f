"""The embedding panel in a static file output without a kernel: a BokehJS scatter of the stored principal
components with one point per vector, colouring and the choice of components changing what is drawn, a label
search that dims the other points, a hover card with the label (hostile labels shown as text) and the
thumbnail; screenshots of each state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
N = 10_000
SOURCE = """() => {
  for (const root of Bokeh.index.roots) for (const m of root.model.document.all_models)
    if (m.name === 'nbtrack-embedding-source') return [root, m];
  return null;
}"""


def _logged(tmp_path: Path) -> tuple[Path, list[str]]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 16)) * 4
    classes = rng.integers(0, 10, N)
    vectors = centres[classes] + rng.normal(size=(N, 16))
    labels = [f"{XSS} digit 0" if c == 0 else f"digit {c}" for c in classes]
    thumbs = np.zeros((N, 8, 8), np.uint8)
    thumbs[:] = (25 * classes)[:, None, None]
    thumbs[np.arange(N), classes % 8, :] = 255
    with nbtrack.init(dir=tmp_path / "runs", name="emb") as run:
        run.log({"loss": 1.0})
        run.log({"emb": nbtrack.Embedding(vectors, metadata=[[lab, int(c), i / N] for i, (lab, c) in
                                                             enumerate(zip(labels, classes))],
                                          metadata_header=["label", "class", "t"], images=thumbs)})
    return nbtrack.open(tmp_path / "runs").show().save(tmp_path / "emb.html"), labels


def _point(page, i: int) -> tuple[float, float]:
    """The page coordinates of shown point i."""
    return tuple(page.evaluate(f"""() => {{
      const [root, source] = ({SOURCE})();
      const box = root.canvas_view.el.getBoundingClientRect();
      return [box.left + root.frame.x_scale.compute(source.data.x[{i}]),
              box.top + root.frame.y_scale.compute(source.data.y[{i}])];
    }}"""))


def test_embedding_panel_scatter_colour_components_search_hover(browser, tmp_path):
    path, labels = _logged(tmp_path)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1300, "height": 1200})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelector('.nbtrack-embedding-panel')?.dataset.points")
        panel = page.locator(".nbtrack-embedding-panel")
        panel.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert page.evaluate(f"() => ({SOURCE})()[1].data.x.length") == N, "one point per vector"
        assert panel.get_attribute("data-points") == str(N)
        assert "10,000 points" in panel.locator(".nbtrack-embedding-note").inner_text()
        plot = panel.locator(".nbtrack-embedding-plot")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        by_label = plot.screenshot(path=str(ARTIFACTS / "embedding-by-label.png"))

        panel.locator(".nbtrack-embedding-color").select_option(label="class")  # numbers: a colour ramp
        page.wait_for_timeout(300)
        assert panel.locator(".nbtrack-embedding-legend").get_attribute("data-numeric") == "true"
        by_class = plot.screenshot(path=str(ARTIFACTS / "embedding-by-class.png"))
        assert by_class != by_label, "colouring changes what is drawn"

        y_before = page.evaluate(f"() => Array.from(({SOURCE})()[1].data.y.slice(0, 5))")
        panel.locator(".nbtrack-embedding-components").select_option(label="PC1 / PC3")
        page.wait_for_timeout(300)
        assert page.evaluate(f"() => Array.from(({SOURCE})()[1].data.y.slice(0, 5))") != y_before
        pc13 = plot.screenshot(path=str(ARTIFACTS / "embedding-pc1-pc3.png"))
        assert pc13 != by_class, "the choice of components changes what is drawn"
        panel.locator(".nbtrack-embedding-components").select_option(label="PC1 / PC2")
        panel.locator(".nbtrack-embedding-color").select_option(label="label")

        panel.locator(".nbtrack-embedding-search").fill("digit 3")
        page.wait_for_function("() => document.querySelector('.nbtrack-embedding-panel').dataset.matches")
        want = sum("digit 3" in label for label in labels)
        assert panel.get_attribute("data-matches") == str(want)
        alphas = page.evaluate(f"() => Array.from(({SOURCE})()[1].data.alpha)")
        assert [a > 0.5 for a in alphas] == ["digit 3" in label for label in labels], "the others are dimmed"
        plot.screenshot(path=str(ARTIFACTS / "embedding-search.png"))
        panel.locator(".nbtrack-embedding-search").fill(".*")  # text, never a pattern: nothing matches
        page.wait_for_function("() => document.querySelector('.nbtrack-embedding-panel').dataset.matches === '0'")
        panel.locator(".nbtrack-embedding-search").fill("")

        for i in (labels.index("digit 5"), labels.index(f"{XSS} digit 0")):
            x, y = _point(page, i)
            page.mouse.move(x - 40, y - 40)
            page.mouse.move(x, y, steps=2)
            page.wait_for_function("() => document.querySelector('.nbtrack-embedding-hover')")
            card = panel.locator(".nbtrack-embedding-hover")
            hovered = int(panel.get_attribute("data-hovered"))
            assert labels[hovered] in card.inner_text(), (hovered, card.inner_text())
            assert labels[hovered].split()[-1] == labels[i].split()[-1], "a point of the same cluster"
            thumb = card.locator(".nbtrack-embedding-thumb")
            assert thumb.evaluate("t => getComputedStyle(t).backgroundImage").startswith('url("blob:')
        assert XSS in card.inner_text(), "a hostile label is shown as text"
        page.screenshot(path=str(ARTIFACTS / "embedding-hover.png"), full_page=True)
        page.wait_for_timeout(300)
        assert page.evaluate("() => [window.__xss, document.querySelectorAll('img[src=\"x\"]').length]") == [None, 0]
        assert not errors, errors
    finally:
        page.close()
