"""Video: frame layouts, scaling, APNG encoding, video files and input errors."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_apng, encode_apng, encode_png
from nbtrack.values import video as video_module
from nbtrack.values.video import Video

RNG = np.random.default_rng(1234)


def _frames(shape=(5, 6, 7, 3)):
    return RNG.integers(0, 256, size=shape, dtype=np.uint8)


def test_video_thwc_uint8_round_trips_exactly():
    frames = _frames()
    video = Video(frames, fps=12, caption="rollout")
    assert video.shape == (5, 6, 7, 3) and video.duration == pytest.approx(5 / 12)
    enc = video.encode()
    assert enc.kind == "video" and list(enc.files) == [".png"]
    assert enc.meta == {"caption": "rollout", "fps": 12.0, "frames": 5, "height": 6, "width": 7, "channels": 3,
                        "format": "apng"}
    decoded, fps = decode_apng(enc.files[".png"])
    assert fps == 12.0 and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, frames)
    assert video.nbytes == frames.nbytes


def test_video_tchw_is_guessed_and_moved():
    frames = _frames((3, 3, 6, 8))
    decoded, _ = decode_apng(Video(frames).encode().files[".png"])
    np.testing.assert_array_equal(decoded, np.moveaxis(frames, 1, -1))


def test_video_dataformats_overrides_the_guess():
    frames = _frames((2, 4, 5, 4))  # guessed THWC (last axis 4); here it is T,C,H,W
    assert Video(frames).shape == (2, 4, 5, 4)
    video = Video(frames, dataformats="TCHW")
    assert video.shape == (2, 5, 4, 4)
    decoded, _ = decode_apng(video.encode().files[".png"])
    np.testing.assert_array_equal(decoded, np.moveaxis(frames, 1, -1))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_video_channels(channels):
    frames = _frames((2, 3, 4, channels))
    decoded, _ = decode_apng(Video(frames, fps=1).encode().files[".png"])
    np.testing.assert_array_equal(decoded, frames)


def test_video_floats_are_scaled_clipped_and_nan_is_zero():
    frames = np.array([0.0, 0.5, 1.0, 1.7, -0.3, np.nan], np.float32).reshape(1, 1, 6, 1)
    decoded, _ = decode_apng(Video(frames).encode().files[".png"])
    assert decoded.ravel().tolist() == [0, 128, 255, 255, 0, 0]


def test_video_bools_and_small_ints():
    bools = np.zeros((2, 2, 2, 1), bool)
    bools[0, 0, 0, 0] = True
    decoded, _ = decode_apng(Video(bools).encode().files[".png"])
    assert decoded.max() == 255 and decoded.sum() == 255
    ints = np.arange(16, dtype=np.int16).reshape(1, 4, 4, 1) * 17
    decoded, _ = decode_apng(Video(ints).encode().files[".png"])
    np.testing.assert_array_equal(decoded, ints.astype(np.uint8))


def test_video_accepts_nested_lists():
    assert Video([[[[0, 0, 0]]]]).shape == (1, 1, 1, 3)


@pytest.mark.parametrize(("data", "kwargs", "error", "match"), [
    (np.zeros((4, 5, 3), np.uint8), {}, ValueError, r"shape \(4, 5, 3\) \(3-D\).*4-D T,H,W,C or T,C,H,W"),
    (np.zeros((2, 4, 4, 2), np.uint8), {}, ValueError, r"2 channels .*use 1 \(grey\), 3 \(RGB\) or 4 \(RGBA\)"),
    (np.zeros((0, 4, 4, 3), np.uint8), {}, ValueError, r"shape \(0, 4, 4, 3\).*empty.*at least one frame"),
    (np.zeros((2, 0, 4, 3), np.uint8), {}, ValueError, r"empty"),
    (np.zeros((2, 8, 8, 8), np.uint8), {}, ValueError, r"cannot tell the channels.*\(2, 8, 8, 8\).*dataformats"),
    (np.zeros((2, 4, 4, 3), np.uint8), {"dataformats": "NCHW"}, ValueError,
     r"dataformats.*'NCHW' is not accepted.*\['THWC', 'TCHW'\]"),
    (np.full((1, 2, 2, 3), 300, np.int32), {}, ValueError, r"dtype int32 must lie in 0\.\.255, found 300\.\.300"),
    (np.full((1, 2, 2, 3), -1, np.int64), {}, ValueError, r"found -1\.\.-1"),
    (np.zeros((1, 2, 2, 3), np.complex64), {}, TypeError, r"complex64"),
    (np.array([["a"]]), {}, TypeError, r"frames of dtype <U1 are not accepted; use uint8, bool or float"),
    ([["a"]], {}, TypeError, r"Video\(\): data must hold numbers, got dtype <U1 from list"),
    (None, {}, TypeError, r"Video\(\): data must be an array-like of numbers, got NoneType"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": 0}, ValueError, r"fps=.*0 is not accepted.*positive.*1000"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": -2.5}, ValueError, r"-2\.5 is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": 1001}, ValueError, r"1001 is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": float("nan")}, ValueError, r"nan is not accepted"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": "4"}, TypeError, r"fps must be a number, got str"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"fps": True}, TypeError, r"fps must be a number, got bool"),
    (np.zeros((1, 2, 2, 3), np.uint8), {"caption": 3}, TypeError, r"caption must be a str, got int"),
])
def test_video_rejects(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        Video(data, **kwargs)


def test_video_fps_bounds_are_inclusive():
    assert Video(_frames((1, 1, 1, 1)), fps=1000).fps == 1000.0
    assert Video(_frames((1, 1, 1, 1)), fps=0.5).encode().meta["fps"] == 0.5


def test_video_is_a_snapshot():
    frames = _frames((2, 3, 3, 3))
    expected = frames.copy()
    video = Video(frames)
    frames[:] = 0
    decoded, _ = decode_apng(video.encode().files[".png"])
    np.testing.assert_array_equal(decoded, expected)


def test_video_constructor_does_not_encode(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("encode_apng called")

    monkeypatch.setattr(video_module, "encode_apng", boom)
    video = Video(_frames((30, 16, 16, 3)), fps=30)
    with pytest.raises(AssertionError, match="encode_apng called"):
        video.encode()


def test_video_files_are_kept_as_bytes(tmp_path):
    apng = encode_apng(_frames((3, 4, 5, 3)), fps=10)
    gif = b"GIF89a" + (7).to_bytes(2, "little") + (9).to_bytes(2, "little") + b"\x00" * 20
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 40
    cases = {"a.png": (apng, ".png", "apng", (5, 4)), "b.GIF": (gif, ".gif", "gif", (7, 9)),
             "c.mp4": (mp4, ".mp4", "mp4", (None, None)), "d.webm": (webm, ".webm", "webm", (None, None))}
    for name, (data, suffix, fmt, (width, height)) in cases.items():
        (tmp_path / name).write_bytes(data)
        enc = Video(tmp_path / name, caption=name).encode()
        assert enc.files == {suffix: data}
        assert enc.meta["format"] == fmt and enc.meta["source"] == "file" and enc.meta["caption"] == name
        assert (enc.meta["width"], enc.meta["height"]) == (width, height)
    assert Video(str(tmp_path / "a.png")).nbytes == len(apng)


def test_video_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Video\(\): data='.*missing\.mp4' does not exist"):
        Video(tmp_path / "missing.mp4")
    (tmp_path / "clip.avi").write_bytes(b"RIFF")
    with pytest.raises(ValueError, match=r"suffix '\.avi'.*\.mp4, \.webm, \.gif, \.png"):
        Video(tmp_path / "clip.avi")
    (tmp_path / "fake.gif").write_bytes(b"not a gif")
    with pytest.raises(ValueError, match=r"does not start like a gif file"):
        Video(tmp_path / "fake.gif")
    (tmp_path / "still.png").write_bytes(encode_png(np.zeros((2, 2), np.uint8)))
    with pytest.raises(ValueError, match=r"does not start like a apng file"):
        Video(tmp_path / "still.png")


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_video_frames_read_back_identical(logdir):
    frames = RNG.integers(0, 256, (6, 10, 12, 3), dtype=np.uint8)
    r = _log_and_read(logdir, clip=nbtrack.Video(frames, fps=8, caption="rollout"))
    row = r.media("clip", decode=True).iloc[0]
    decoded, fps = row["value"]
    np.testing.assert_array_equal(decoded, frames)
    assert fps == 8 and row["kind"] == "video" and row["path"].endswith(".png")


def test_video_files(tmp_path):
    from PIL import Image as PILImage

    gif = tmp_path / "a.gif"
    PILImage.new("RGB", (5, 7)).save(gif)
    meta = nbtrack.Video(str(gif)).encode().meta
    assert (meta["width"], meta["height"], meta["format"]) == (5, 7, "gif")
    still = tmp_path / "a.png"
    PILImage.new("RGB", (5, 7)).save(still)
    with pytest.raises(ValueError, match="apng"):
        nbtrack.Video(str(still))
