"""Media panels beyond a plain picture, in a static output without a kernel: masks and boxes over an image
(pixels and positions read back), class names and captions as text; screenshots of each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nbtrack

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
H, W = 24, 32


def _mask() -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    mask[4:12, 6:20] = 1
    mask[14:22, 2:10] = 3
    return mask


def _log(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    with nbtrack.init(dir=tmp_path / "runs", name="kinds") as run:
        for step in range(3):
            pixels = (rng.random((H, W, 3)) * 80).astype(np.uint8)
            boxes = {"predictions": {
                "box_data": [
                    {"position": {"minX": 8, "maxX": 24, "minY": 2, "maxY": 14}, "domain": "pixel",
                     "class_id": 1, "box_caption": XSS, "scores": {"conf": 0.9}},
                    {"position": {"middle": [0.25, 0.75], "width": 0.25, "height": 0.5},
                     "class_id": 3, "box_caption": "dog", "scores": {"conf": 0.2}}],
                "class_labels": {1: "cat", 3: XSS}}}
            masks = {"predictions": {"mask_data": _mask(), "class_labels": {0: "background", 1: "cat", 3: XSS}}}
            run.log({"seg": nbtrack.Image(pixels, masks=masks, boxes=boxes, caption=f"step {step}")}, step=step)
    return nbtrack.open(tmp_path / "runs").show().save(tmp_path / "overlays.html")


def _open(browser, path: Path):
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.nbtrack-media-panel[data-key=\"seg\"] figure')"
                           "?.dataset.overlays === 'ready'")
    return page


MASK_IDS = """c => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const colours = [];
  for (let i = 0; i < data.length; i += 4) colours.push(data[i + 3] ? `${data[i]},${data[i+1]},${data[i+2]}` : '');
  return { width: c.width, height: c.height, colours };
}"""


def test_masks_and_boxes_drawn_over_the_image(browser, tmp_path):
    page = _open(browser, _log(tmp_path))
    try:
        panel = page.locator('.nbtrack-media-panel[data-key="seg"]')
        canvas = panel.locator("canvas.nbtrack-mask-layer")
        read = canvas.evaluate(MASK_IDS)
        assert (read["height"], read["width"]) == (H, W)
        colours = np.array(read["colours"], dtype=object).reshape(H, W)
        mask = _mask()
        for cls in (0, 1, 3):
            (ys, xs) = np.nonzero(mask == cls)
            colour = colours[ys[0], xs[0]]
            assert colour, f"class {cls} drawn"
            assert ((colours == colour) == (mask == cls)).all(), f"class {cls}'s pixels are exactly its mask"
        assert len({colours[4, 6], colours[14, 2], colours[0, 0]}) == 3, "each class its own colour"

        toggles = panel.locator(".nbtrack-overlay-class")
        assert toggles.all_inner_texts() == [" background", " cat", f" {XSS}"]
        panel.locator('input.nbtrack-overlay-toggle[data-class-id="1"]').uncheck()
        hidden = np.array(canvas.evaluate(MASK_IDS)["colours"], dtype=object).reshape(H, W)
        assert (hidden[mask == 1] == "").all() and (hidden[mask == 3] != "").all(), "class 1 hidden, 3 kept"
        assert panel.locator('.nbtrack-box[data-class-id="1"]').evaluate("b => getComputedStyle(b).display") == "none"
        panel.locator('input.nbtrack-overlay-toggle[data-class-id="1"]').check()

        img = panel.locator("img.nbtrack-image-img").bounding_box()
        boxes = panel.locator(".nbtrack-box")
        assert boxes.count() == 2
        first, second = boxes.nth(0).bounding_box(), boxes.nth(1).bounding_box()
        sx, sy = img["width"] / W, img["height"] / H
        expect_first = (img["x"] + 8 * sx, img["y"] + 2 * sy, 16 * sx, 12 * sy)
        expect_second = (img["x"] + 0.125 * img["width"], img["y"] + 0.5 * img["height"],
                         0.25 * img["width"], 0.5 * img["height"])
        for got, want in ((first, expect_first), (second, expect_second)):
            assert np.allclose([got["x"], got["y"], got["width"], got["height"]], want, atol=1.5), (got, want)
        assert boxes.nth(0).inner_text() == XSS and boxes.nth(1).inner_text() == "dog"

        panel.locator("input.nbtrack-box-threshold").fill("0.5")
        assert boxes.evaluate_all("bs => bs.map(b => getComputedStyle(b).display)") == ["block", "none"]
        panel.locator("input.nbtrack-mask-opacity").fill("0.8")
        assert canvas.evaluate("c => c.style.opacity") == "0.8"
        page.wait_for_timeout(200)
        assert page.evaluate("() => [window.__xss, document.querySelectorAll('img[src=\"x\"]').length]") == [None, 0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "media-overlays.png"))
    finally:
        page.close()


def test_audio_waveform_and_duration(browser, tmp_path):
    t = np.arange(12_000) / 8000
    stereo = np.stack([np.sin(t * 440 * 2 * np.pi) * 0.8 * (t < 0.75), np.sin(t * 220 * 2 * np.pi) * 0.3], axis=1)
    with nbtrack.init(dir=tmp_path / "runs", name="sound") as run:
        run.log({"tone": nbtrack.Audio(stereo, sample_rate=8000, caption="a tone")}, step=0)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.goto(nbtrack.open(tmp_path / "runs").show().save(tmp_path / "audio.html").as_uri())
    try:
        panel = page.locator('.nbtrack-media-panel[data-key="tone"]')
        panel.locator("canvas.nbtrack-waveform").wait_for()
        assert panel.locator("audio").evaluate("a => a.preload") == "metadata"
        assert panel.locator(".nbtrack-audio-info").inner_text() == "0:01.5 · 8000 Hz · stereo"
        heights = panel.locator("canvas.nbtrack-waveform").evaluate("""c => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const cols = [];
          for (let x = 0; x < c.width; x++) {
            let n = 0;
            for (let y = 0; y < c.height; y++) n += d[(y * c.width + x) * 4 + 3] > 0;
            cols.push(n);
          }
          return cols;
        }""")
        assert len(heights) == 300
        loud, quiet = np.mean(heights[:140]), np.mean(heights[160:])
        assert loud > 30 and 8 < quiet < 20, (loud, quiet)  # 0.8 of 24 px each way, then 0.3
        panel.locator("canvas.nbtrack-waveform").click(position={"x": 150, "y": 20})
        page.wait_for_function("() => Math.abs(document.querySelector('audio').currentTime - 0.75) < 0.05")
        page.wait_for_function("() => document.querySelector('.nbtrack-waveform-playhead').style.left.startsWith('50')")
        panel.screenshot(path=str(ARTIFACTS / "media-audio-waveform.png"))
    finally:
        page.close()


def test_video_frame_slider_and_files_as_video(browser, tmp_path):
    frames = np.zeros((6, 10, 12, 3), np.uint8)
    frames[..., 0] = (np.arange(6) * 40)[:, None, None]
    frames[:, 2:4, 3:5, 1] = 255
    mp4 = tmp_path / "clip.mp4"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(16))
    with nbtrack.init(dir=tmp_path / "runs", name="clips") as run:
        run.log({"rollout": nbtrack.Video(frames, fps=5), "file": nbtrack.Video(mp4)}, step=0)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.goto(nbtrack.open(tmp_path / "runs").show().save(tmp_path / "video.html").as_uri())
    try:
        panel = page.locator('.nbtrack-media-panel[data-key="rollout"]')
        player = panel.locator(".nbtrack-video-player")
        page.wait_for_function("() => document.querySelector('.nbtrack-video-player')?.dataset.ready === 'true'")
        assert player.get_attribute("data-playing") == "true"
        panel.locator(".nbtrack-video-play").click()
        assert player.get_attribute("data-playing") == "false"
        pixel = "c => [...c.getContext('2d').getImageData(%d, %d, 1, 1).data]"
        for i in (3, 0, 5):
            panel.locator("input.nbtrack-frame-slider").fill(str(i))
            assert player.get_attribute("data-frame") == str(i)
            canvas = panel.locator("canvas.nbtrack-video-frame")
            assert canvas.evaluate(pixel % (0, 0)) == [i * 40, 0, 0, 255]
            assert canvas.evaluate(pixel % (4, 3)) == [i * 40, 255, 0, 255]
        assert panel.locator(".nbtrack-frame-label").inner_text() == "frame 6 of 6 · 5 fps"
        panel.screenshot(path=str(ARTIFACTS / "media-video-frames.png"))
        video = page.locator('.nbtrack-media-panel[data-key="file"] video')
        assert video.evaluate("v => [v.controls, v.preload, v.src.startsWith('blob:')]") == [True, "metadata", True]
    finally:
        page.close()


def test_histogram_panel_step_slider_highlights_a_step(browser, tmp_path):
    rng = np.random.default_rng(1)
    with nbtrack.init(dir=tmp_path / "runs", name="hist") as run:
        for step in range(0, 100, 10):
            run.log({"weights": nbtrack.Histogram(rng.normal(step / 20, 1, 5_000)),
                     "pic": nbtrack.Image(np.full((4, 4), step, np.uint8))}, step=step)
    page = browser.context.new_page()
    page.route("file://**", lambda route: route.continue_())
    page.goto(nbtrack.open(tmp_path / "runs").show().save(tmp_path / "hist.html").as_uri())
    try:
        page.wait_for_function("() => document.querySelector('.nbtrack-histogram')?.dataset.steps === '10'")
        histogram = page.locator(".nbtrack-histogram")
        slider = histogram.locator("input.nbtrack-histogram-step")
        assert histogram.get_attribute("data-cursor") == "" and slider.input_value() == "9"
        slider.fill("4")
        assert histogram.get_attribute("data-cursor") == "40"
        assert histogram.locator(".nbtrack-histogram-step-label").inner_text() == "40"
        page.wait_for_timeout(300)
        histogram.screenshot(path=str(ARTIFACTS / "histogram-step-slider.png"))
        page.locator('.nbtrack-media-panel[data-key="pic"] input.nbtrack-step-slider').fill("7")
        assert histogram.get_attribute("data-cursor") == "70", "the shared step cursor takes over"
        assert slider.input_value() == "7"
    finally:
        page.close()
