"""Smoke test: the quickstart notebook runs in a real JupyterLab in Chromium, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"

# Requests to other hosts that may be blocked without harm (none so far). Anything else blocked means the
# page tried to reach the internet, which a user without network would notice.
HARMLESS_BLOCKED: tuple[str, ...] = ()


def colour_stats(path: Path) -> tuple[int, float]:
    """(distinct colours, share of the most common colour) of a PNG."""
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    return len(colours), max(n for n, _ in colours) / (rgb.width * rgb.height)


def assert_not_blank(path: Path, min_colours: int = 16) -> None:
    n, top_share = colour_stats(path)
    assert n >= min_colours and top_share < 0.995, f"{path} looks blank: {n} colours, top colour {top_share:.1%}"


def test_quickstart_runs_in_jupyterlab(lab):
    lab.open_notebook(QUICKSTART)
    lab.run_all(timeout=60)

    cells = lab.code_cells()
    assert len(cells) >= 5  # the quickstart has 5 code cells since 71de4ed
    assert [c["index"] for c in cells if c["execution_count"] is None] == [], "code cells left unexecuted"
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), "not run once, in order"
    assert lab.error_outputs() == []

    # The last cell shows nbtrack.open(...).runs() as a DataFrame: an HTML table, rendered.
    last = cells[-1]
    html = "".join(o.get("data", {}).get("text/html", "") for o in last["outputs"])
    assert "<table" in html, f"last cell has no HTML table: {last['outputs']}"
    assert "<table" in "".join(last["output_html"]), "the table is not rendered in the page"
    for text in ("finished", "summary.val/accuracy"):
        assert text in last["output_text"], f"{text!r} not shown in the last output: {last['output_text']!r}"

    shot = lab.screenshot("quickstart")
    table_shot = lab.screenshot_output(last["index"], "quickstart-runs-table")
    assert_not_blank(shot)
    assert_not_blank(table_shot, min_colours=4)

    assert lab.page_errors == [], "uncaught errors in the page"
    assert lab.console_errors == [], "errors in the browser console"
    assert lab.dialogs == [], "JupyterLab opened a dialog"
    blocked = [u for u in lab.blocked_requests if not any(h in u for h in HARMLESS_BLOCKED)]
    assert blocked == [], "the page tried to reach other hosts:\n" + "\n".join(blocked)
