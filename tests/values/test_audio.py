"""Audio: 16-bit WAV round trips, WAV files, and input rejected when logged."""

from __future__ import annotations

import wave

import numpy as np
import pytest

import nbtrack
from nbtrack.codecs import decode_wav


def _roundtrip(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


RNG = np.random.default_rng(7)


def test_audio_round_trip_at_16_bit(logdir):
    ints = RNG.integers(-32768, 32768, (800, 2), dtype=np.int16)
    floats = np.sin(np.linspace(0, 20, 1600)).astype(np.float32)
    r = _roundtrip(logdir, a=nbtrack.Audio(ints, sample_rate=8000, caption="stereo"),
                   f=nbtrack.Audio(floats, sample_rate=16000))
    samples, rate = r.media("a", decode=True).value[0]
    np.testing.assert_array_equal(samples, ints)
    assert rate == 8000 and r.media("a").meta[0]["caption"] == "stereo"
    samples, rate = r.media("f", decode=True).value[0]
    np.testing.assert_array_equal(samples, np.round(floats.astype(np.float64) * 32767).astype(np.int16))


def test_audio_with_too_many_channels_is_rejected_at_log_time():
    """(20, 9) samples pass Audio() (not transposed: 20 > 8) and fail in the writer thread
    ("1 <= C <= 8"), where the value is dropped."""
    with pytest.raises(ValueError):
        nbtrack.Audio(np.zeros((20, 9)), sample_rate=8000)


def test_audio_round_trips(tmp_path):
    stereo = np.stack([np.linspace(-1, 1, 100), np.linspace(1, -1, 100)])
    samples, rate = decode_wav(nbtrack.Audio(stereo, sample_rate=8000).encode().files[".wav"])
    assert samples.shape == (100, 2) and rate == 8000
    ext = np.array([-32768, 32767, 0], np.int16)
    samples, _ = decode_wav(nbtrack.Audio(ext, sample_rate=8000).encode().files[".wav"])
    np.testing.assert_array_equal(samples, ext)
    path = tmp_path / "a.wav"
    frames = np.array([[1, 2], [3, 4], [-5, -6]], np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(frames.tobytes())
    audio = nbtrack.Audio(str(path))
    assert audio.sample_rate == 22050
    samples, _ = decode_wav(audio.encode().files[".wav"])
    np.testing.assert_array_equal(samples, frames)
    bogus = tmp_path / "b.wav"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(ValueError, match="WAV"):
        nbtrack.Audio(str(bogus))
    with pytest.raises(ValueError):
        nbtrack.Audio(np.array([0.0, np.nan]), sample_rate=8000)


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: nbtrack.Audio(np.array([0.5, 1.5]), sample_rate=8000), ValueError, r"\[-1, 1\], found 0.5..1.5"),
    (lambda: nbtrack.Audio(np.zeros(10), sample_rate=0), ValueError, r"sample_rate=...\): 0 is not accepted"),
    (lambda: nbtrack.Audio(np.zeros(10, np.int32), sample_rate=8000), TypeError, r"dtype int32"),
])
def test_bad_audio_input_is_explained(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
