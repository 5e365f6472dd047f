"""Figure panels in a static file output: a matplotlib figure as an <img> of its SVG (blob URL), a Bokeh
figure drawn by the page's BokehJS and following the step slider, and hostile figures (a Bokeh figure with
CustomJS, an SVG with a script) that run nothing; screenshots of each."""

from __future__ import annotations

from pathlib import Path

import pytest
from labkit.page import START_RUN_ALL  # tests/e2e is on sys.path (conftest.py)

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
EVIL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" onload="window.__xss=3">'
            b'<rect width="120" height="60" fill="#c33"/><script>window.__xss=1</script>'
            b'<image href="http://beacon.nbtrack-e2e.invalid/p.png" width="1" height="1"/></svg>')

# the data length of the first line glyph of each BokehJS document drawn in the page
GLYPH_LENGTHS = """() => (window.Bokeh?.documents ?? []).flatMap(doc => doc.roots())
  .filter(root => root.renderers !== undefined)
  .map(root => root.renderers.find(r => r.glyph?.type === 'Line')?.data_source.get_length())"""


def _figures(tmp_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from bokeh.models import CustomJS, HoverTool
    from bokeh.plotting import figure

    with nbtrack.init(dir=tmp_path / "runs", name="figs") as run:
        for step, n in ((0, 3), (10, 5)):
            fig, ax = plt.subplots(figsize=(4, 3))
            ax.plot(range(n), [1 / (i + 1) for i in range(n)])
            ax.set_title(f"step {step} <script>window.__xss=4</script>")
            plot = figure(width=360, height=240, title=f"bokeh step {step}")
            plot.line(list(range(n)), [float(i * i) for i in range(n)], line_width=2)
            plot.add_tools(HoverTool(tooltips=[("x", "@x"), ("y", "@y{0.00}")]))
            hostile = figure(width=300, height=200)
            hostile.line([0, 1], [1, 0])
            hostile.js_on_event("tap", CustomJS(code="window.__xss = 2"))
            evil = nbtrack.Figure(fig, caption="an SVG with a script")
            evil._files[".svg"] = EVIL_SVG  # what a tampered run folder could hold
            run.log({"mpl": nbtrack.Figure(fig, caption=f"matplotlib {step}"),
                     "bk": nbtrack.Figure(plot), "bk_js": nbtrack.Figure(hostile), "evil_svg": evil}, step=step)
            plt.close(fig)
    return nbtrack.open(tmp_path / "runs").show().save(tmp_path / "figures.html")


def test_figures_draw_and_hostile_ones_run_nothing(browser, tmp_path):
    path = _figures(tmp_path)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.set_viewport_size({"width": 1400, "height": 1400})
    try:
        page.goto(path.as_uri())
        panel = lambda key: page.locator(f'.nbtrack-media-panel[data-key="{key}"]')  # noqa: E731
        page.wait_for_function("() => document.querySelectorAll('.nbtrack-media-panel').length === 4 && "
                               "document.querySelector('.nbtrack-bokeh-box[data-drawn]')")
        img = panel("mpl").locator("img.nbtrack-figure-img")
        assert img.evaluate("i => i.src.startsWith('blob:')")
        page.wait_for_function("() => document.querySelector('.nbtrack-figure-img').naturalWidth > 100")
        assert img.evaluate("async i => (await (await fetch(i.src)).blob()).type") == "image/svg+xml"
        assert panel("mpl").locator("svg").count() == 0, "an SVG is never inlined"
        assert panel("mpl").locator("figcaption").inner_text() == "matplotlib 10"
        assert page.evaluate(GLYPH_LENGTHS) == [5], "the Bokeh figure of the newest step is drawn"
        assert panel("bk").locator(".nbtrack-bokeh-figure > *").count() >= 1
        note = panel("bk_js").locator(".nbtrack-figure-note")
        assert note.inner_text() == "this Bokeh figure holds CustomJS, which nbtrack does not run"
        evil = panel("evil_svg").locator("img.nbtrack-figure-img")
        page.wait_for_function("() => document.querySelector('.nbtrack-media-panel[data-key=\"evil_svg\"] img')"
                               ".naturalWidth === 120")
        box = panel("bk").locator(".nbtrack-bokeh-figure").bounding_box()
        sx, sy = page.evaluate("""() => { const v = Object.values(Bokeh.index).find(v => v.frame);
          return [v.frame.x_scale.compute(2), v.frame.y_scale.compute(4)]; }""")
        page.mouse.move(box["x"] + sx, box["y"] + sy)  # over the point (2, 4): the hover's tooltip, as text
        page.get_by_text("4.00", exact=True).wait_for(timeout=5000)  # the "@y{0.00}" field
        panel("bk").screenshot(path=str(ARTIFACTS / "figure-bokeh-step10.png"))
        page.screenshot(path=str(ARTIFACTS / "figure-panels.png"), full_page=True)

        slider = panel("bk").locator(".nbtrack-step-slider")
        slider.evaluate("s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
        page.wait_for_function(f"() => JSON.stringify(({GLYPH_LENGTHS})()) === '[3]'")
        assert page.evaluate(GLYPH_LENGTHS) == [3], "the slider shows the other step; the other's view is gone"
        assert panel("bk").get_attribute("data-step") == "0"
        assert panel("mpl").get_attribute("data-step") == "0", "every panel follows the shared step cursor"
        assert panel("mpl").locator("figcaption").inner_text() == "matplotlib 0"
        page.wait_for_function("() => document.querySelector('.nbtrack-figure-img').naturalWidth > 100")
        panel("bk").locator(".nbtrack-bokeh-figure").click(position={"x": 150, "y": 100})
        page.wait_for_timeout(500)
        assert evil.evaluate("i => i.src.startsWith('blob:')")
        assert page.evaluate("() => window.__xss") is None, "no script of a stored figure ran"
        assert not [m for m in console if "beacon" in m], f"network used: {console}"
        page.screenshot(path=str(ARTIFACTS / "figure-panels-step0.png"), full_page=True)
    finally:
        page.close()


LIVE_CELLS = [
    "import time\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "from bokeh.plotting import figure\nfrom bokeh.models import CustomJS, HoverTool\nimport nbtrack\n"
    "run = nbtrack.init(dir='figureruns', name='figs', flush_interval=0.1)\nrun",
    "for step, n in ((0, 3), (10, 5)):\n"
    "    fig, ax = plt.subplots(figsize=(4, 3))\n"
    "    ax.plot(range(n))\n"
    "    ax.set_title(f'live {step} <script>window.__xss=1</script>')\n"
    "    plot = figure(width=360, height=240, title=f'bokeh live {step}')\n"
    "    plot.line(list(range(n)), [float(i) for i in range(n)])\n"
    "    plot.add_tools(HoverTool(tooltips=[('y', '@y{0.00}')]))\n"
    "    hostile = figure(width=300, height=200)\n"
    "    hostile.line([0, 1], [1, 0])\n"
    "    hostile.js_on_event('tap', CustomJS(code='window.__xss = 2'))\n"
    "    run.log({'mpl': nbtrack.Figure(fig), 'bk': nbtrack.Figure(plot),\n"
    "             'bk_js': nbtrack.Figure(hostile)}, step=step)\n"
    "    plt.close(fig)\n"
    "    time.sleep(1.5)",
    "run.finish()",
]
LIVE_STATE = """() => Object.fromEntries([...document.querySelectorAll('.nbtrack-media-panel')]
  .filter(p => !p.closest('[data-nbtrack-static]')).map(p => [p.dataset.key, {
    step: p.dataset.step, steps: +p.dataset.steps, drawn: !!p.querySelector('.nbtrack-bokeh-box[data-drawn]'),
    img: p.querySelector('img.nbtrack-figure-img')?.src.startsWith('blob:') ?? false,
    note: p.querySelector('.nbtrack-figure-note')?.textContent ?? null }]))"""


def test_figures_live_in_jupyterlab(lab, tmp_path):
    import json

    cells = [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
             for src in LIVE_CELLS]
    path = tmp_path / "figures.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    lab.open_notebook(path)
    lab.page.evaluate(START_RUN_ALL, lab.path)
    state = lambda: lab.page.evaluate(LIVE_STATE)  # noqa: E731
    lab._poll(lambda: state().get("bk", {}).get("steps") == 2 and state()["bk"]["drawn"]
              and state()["mpl"]["img"], 90, lambda: f"the figures did not arrive live: {state()}")
    now = state()
    assert now["bk_js"]["note"] == "this Bokeh figure holds CustomJS, which nbtrack does not run", now
    lab.screenshot("figure-panels-live")
    lab.wait_all_executed(timeout=120)
    assert lab.page.evaluate("() => window.__xss") is None
