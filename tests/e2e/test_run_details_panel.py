"""The run-details panel in a saved dashboard, without a kernel: alerts, saved files, artifacts and the
environment of two runs, hostile names shown as text (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
INJECTED = """() => ({ xss: typeof window.__xss, imgX: document.querySelectorAll('img[src="x"]').length,
  onerror: document.querySelectorAll('.nbtrack-rundetails [onerror]').length })"""
PANEL_TEXT = "() => document.querySelector('.nbtrack-rundetails').innerText"


def _runs(root: Path, tmp: Path) -> None:
    (tmp / "ckpt").mkdir()
    (tmp / "ckpt" / f"{IMG}.txt").write_text("hostile name")
    (tmp / "ckpt" / "model.pt").write_bytes(b"w" * 5000)
    with nbtrack.init(dir=root, name="first") as run:
        run.log({"loss": 1.0})
        run.alert("loss is flat", "no progress for 3 epochs", level="WARN")
    with nbtrack.init(dir=root, name="second") as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1)})
        run.save(str(tmp / "ckpt" / "*"), base_path=tmp, policy="now")
        art = nbtrack.Artifact("model", "model")
        art.add_file(tmp / "ckpt" / "model.pt")
        run.log_artifact(art, aliases=["best"])
        run.alert(IMG, SCRIPT, level="ERROR")


def test_run_details_panel_shows_each_runs_details_as_text(browser, tmp_path):
    _runs(tmp_path / "runs", tmp_path)
    path = nbtrack.open(tmp_path / "runs").show().save(tmp_path / "details.html")
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_viewport_size({"width": 1400, "height": 1600})
        page.goto(path.as_uri())
        page.wait_for_selector(".nbtrack-rundetails:not([hidden])")
        page.locator(".nbtrack-rundetails > summary").click()
        text = page.evaluate(PANEL_TEXT)
        # the newest run with details first: second (an error alert, files, an artifact)
        assert IMG in text and SCRIPT in text, text
        assert "ckpt/model.pt" in text and "4.9 KB" in text and f"ckpt/{IMG}.txt" in text
        assert "model:v0" in text and "latest, best" in text
        assert "python" in text and nbtrack.__version__ in text
        assert page.evaluate(INJECTED) == {"xss": "undefined", "imgX": 0, "onerror": 0}
        page.locator(".nbtrack-rundetails").screenshot(path=str(ARTIFACTS / "run-details.png"))
        page.locator(".nbtrack-details-run").select_option(label="first")
        page.wait_for_function(f"() => ({PANEL_TEXT})().includes('loss is flat')")
        assert "ckpt/model.pt" not in page.evaluate(PANEL_TEXT)
        assert not errors, errors
    finally:
        page.close()
