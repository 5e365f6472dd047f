"""What the Keras, Lightning and Transformers integrations record, drawn: a report page opened from a file.

The logdir is written by the integration tests' own training code (tests/integrations/_train.py); the page is
``nbtrack.open(d).show().save(p)`` opened in Chromium from file:// (no kernel). Each framework's charts are
there, and BokehJS drew their points.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import nbtrack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "e2e"
sys.path.insert(0, str(HERE.parent / "integrations"))

# the charts each framework's run must show (a chart per tag, one line per run that has it)
EXPECTED = {
    "torch": ["loss"],
    "keras": ["batch/loss", "batch/learning_rate", "epoch/loss", "val/loss", "epoch/learning_rate"],
    "lightning": ["train/loss", "val/loss", "trainer/global_step"],
    "transformers": ["train/loss", "train/learning_rate", "eval/loss", "train/global_step"],
}

# a chart's state: its dataset, and how many points BokehJS holds in the data sources of the figure titled `key`
CHART = """(key) => { const box = document.querySelector(`.nbtrack-chart[data-key="${key}"]`);
  if (!box) return null;
  const plots = (window.Bokeh?.documents ?? []).flatMap(d => [...d.all_models]).filter(m => m.title?.text === key);
  const drawn = plots.flatMap(p => p.renderers ?? []).map(r => r.data_source?.data?.y?.length ?? 0)
    .reduce((a, b) => a + b, 0);
  return {...box.dataset, drawn}; }"""


def _record(logdir: Path) -> list[str]:
    """Train what is installed; the frameworks whose runs are in the logdir."""
    import _train  # sets KERAS_BACKEND=torch, HF_HUB_OFFLINE=1

    done = []
    if importlib.util.find_spec("torch") is None:
        pytest.skip("the integrations train torch models (CI installs torch==2.13.0)")
    _train_torch_watched(logdir)
    done.append("torch")
    if importlib.util.find_spec("keras"):
        _train.train_keras(logdir, name="keras")
        done.append("keras")
    if importlib.util.find_spec("lightning"):
        _train.train_lightning(logdir, name="lightning")
        done.append("lightning")
    if importlib.util.find_spec("transformers") and importlib.util.find_spec("accelerate"):
        _train.train_transformers(logdir, name="transformers")
        done.append("transformers")
    if not done:
        pytest.skip('none of Keras, Lightning, Transformers is installed: pip install "nbtrack[frameworks]"')
    return done


def _train_torch_watched(logdir: Path) -> None:
    """A plain torch loop with ``nbtrack.watch``: its loss and its gradient and parameter histograms."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with nbtrack.init(dir=logdir, name="torch") as run:
        run.watch(model, log="all", log_freq=5)
        for _ in range(20):
            loss = model(torch.randn(16, 4)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.log({"loss": loss.item()})


# a histogram panel titled by its tag (canvas text: found through BokehJS's models), with steps drawn
HISTOGRAM = """(prefix) => (window.Bokeh?.documents ?? []).flatMap(d => [...d.all_models])
  .filter(m => typeof m.title?.text === 'string' && m.title.text.startsWith(prefix)).length"""


def _wait(page: Any, key: str, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(CHART, key)
        if state and state["drawn"] > 0:
            return state
        page.locator(f'.nbtrack-chart[data-key="{key}"]').first.scroll_into_view_if_needed(timeout=2000) \
            if state else None
        page.wait_for_timeout(100)
    raise AssertionError(f"{what}: chart {key!r} not drawn: {state}")


def test_each_frameworks_charts_are_drawn_in_a_report(browser, tmp_path):
    logdir = tmp_path / "runs"
    frameworks = _record(logdir)
    runs = nbtrack.open(logdir).runs()
    assert sorted(runs["name"]) == sorted(frameworks) and set(runs["status"]) == {"finished"}
    path = nbtrack.open(logdir).show().save(tmp_path / "integrations.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.nbtrack-chart').length > 0")
        for framework in frameworks:
            for key in EXPECTED[framework]:
                state = _wait(page, key, framework)
                assert int(state.get("points") or state["drawn"]) > 0, (framework, key, state)
        page.locator(".nbtrack-histogram").first.scroll_into_view_if_needed(timeout=5000)
        page.wait_for_function(f"() => ({HISTOGRAM})('gradients/') > 0 && ({HISTOGRAM})('parameters/') > 0",
                               timeout=20_000)  # watch's histograms have panels
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "integrations-dashboard.png"), full_page=True)
        assert not errors, errors
    finally:
        page.close()
