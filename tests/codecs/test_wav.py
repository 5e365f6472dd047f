"""WAV codec: exact int16 round trips, float scaling, the stdlib wave module as a cross-check, other
encodings and hostile input.
"""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from nbtrack.codecs.wav import decode_wav, encode_wav


@pytest.mark.parametrize("shape", [(1000,), (1000, 1), (777, 2), (50, 8), (0,), (0, 2), (1,)])
def test_wav_int16_round_trip_exact(shape):
    samples = np.random.default_rng(11).integers(-32768, 32768, shape, dtype=np.int16)
    out, rate = decode_wav(encode_wav(samples, 22050))
    assert rate == 22050 and out.dtype == np.int16
    expect = samples[:, 0] if samples.ndim == 2 and samples.shape[1] == 1 else samples
    assert out.shape == expect.shape
    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_wav_float_scaling(dtype):
    rng = np.random.default_rng(12)
    samples = np.concatenate([[-1, 1, 0, 0.5 / 32767, -1.5 / 32767], rng.uniform(-1, 1, 995)]).astype(dtype)
    stereo = np.stack([samples, -samples], axis=1)
    out, _ = decode_wav(encode_wav(stereo, 8000))
    np.testing.assert_array_equal(out, np.rint(stereo.astype(np.float64) * 32767).astype(np.int16))
    assert out[:3, 0].tolist() == [-32767, 32767, 0]
    if dtype == np.float64:  # x * 32767 lands exactly on .5 only in float64: round half to even
        assert out[3:5, 0].tolist() == [0, -2]


def test_stdlib_wave_reads_encode_wav():
    samples = np.random.default_rng(13).integers(-32768, 32768, (500, 3), dtype=np.int16)
    with wave.open(io.BytesIO(encode_wav(samples, 48000)), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (3, 2, 48000)
        assert reader.getnframes() == 500
        frames = np.frombuffer(reader.readframes(500), "<i2").reshape(500, 3)
    np.testing.assert_array_equal(frames, samples)


@pytest.mark.parametrize(
    ("samples", "rate", "error", "needle"),
    [
        (np.array([0.0, 1.5, -2.0]), 8000, ValueError, "samples.*min -2 and max 1.5"),
        (np.array([0.0, np.nan]), 8000, ValueError, "samples contain NaN"),
        (np.array([0.0, np.inf], np.float32), 8000, ValueError, "max inf"),
        (np.zeros((4, 9)), 8000, ValueError, r"samples.*got shape \(4, 9\)"),
        (np.zeros((4, 0)), 8000, ValueError, r"got shape \(4, 0\)"),
        (np.zeros((2, 4, 1)), 8000, ValueError, r"got shape \(2, 4, 1\)"),
        (np.zeros(()), 8000, ValueError, r"got shape \(\)"),
        (np.zeros(4, np.int32), 8000, TypeError, "int32"),
        (np.zeros(4, np.uint8), 8000, TypeError, "uint8"),
        ([0.0, 0.1], 8000, TypeError, "numpy array"),
        (np.zeros(4), 0, ValueError, "sample_rate"),
        (np.zeros(4), 768001, ValueError, "sample_rate"),
        (np.zeros(4), 8000.0, TypeError, "sample_rate"),
        (np.zeros(4), True, TypeError, "sample_rate"),
    ],
)
def test_encode_wav_rejects(samples, rate, error, needle):
    with pytest.raises(error, match=needle):
        encode_wav(samples, rate)


def _wav(tag: int, channels: int, rate: int, bits: int, data: bytes, *, extensible=False, extra=b"") -> bytes:
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align, align, bits)
    if extensible:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 3) + guid
    body = b"WAVE" + struct.pack("<4sI", b"fmt ", len(fmt)) + fmt + extra
    body += struct.pack("<4sI", b"data", len(data)) + data
    return struct.pack("<4sI", b"RIFF", len(body)) + body


@pytest.mark.parametrize("extensible", [False, True])
def test_decode_wav_other_encodings(extensible):
    u8 = np.array([0, 128, 255, 7], np.uint8)
    out, rate = decode_wav(_wav(1, 1, 11025, 8, u8.tobytes(), extensible=extensible))
    assert rate == 11025 and out.dtype == np.uint8 and out.tolist() == u8.tolist()

    values24 = [0, 1, -1, 8388607, -8388608, 123456, -654321, 42]
    packed = b"".join(struct.pack("<i", v)[:3] for v in values24)
    out, _ = decode_wav(_wav(1, 2, 96000, 24, packed, extensible=extensible))
    assert out.dtype == np.int32 and out.tolist() == np.array(values24).reshape(4, 2).tolist()

    i32 = np.array([[0, -(2**31)], [2**31 - 1, 5]], "<i4")
    out, _ = decode_wav(_wav(1, 2, 44100, 32, i32.tobytes(), extensible=extensible))
    assert out.dtype == np.int32 and out.tolist() == i32.tolist()

    f32 = np.array([0.25, -1.0, 3.5, 1e-8], "<f4")
    out, _ = decode_wav(_wav(3, 1, 16000, 32, f32.tobytes(), extensible=extensible))
    assert out.dtype == np.float32 and out.tolist() == f32.tolist()

    f64 = np.array([[0.1, -0.2, 0.3]], "<f8")
    out, _ = decode_wav(_wav(3, 3, 16000, 64, f64.tobytes(), extensible=extensible))
    assert out.dtype == np.float64 and out.tolist() == f64.tolist()


def test_decode_wav_skips_other_chunks_with_padding():
    pcm = np.array([1, -2, 3], np.int16)
    data = _wav(1, 1, 8000, 16, pcm.tobytes(), extra=struct.pack("<4sI", b"LIST", 3) + b"abc\x00")
    out, rate = decode_wav(data)
    assert out.tolist() == [1, -2, 3] and rate == 8000
    with wave.open(io.BytesIO(data)) as reader:  # the hand-built file is a valid WAV
        assert reader.getnframes() == 3


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"RIFX" + bytes(40), "not a WAV"),
        (b"RIFF\x00\x00\x00\x00AVI " + bytes(40), "not a WAV"),
        (_wav(2, 1, 8000, 4, bytes(8)), "unsupported WAV encoding: format tag 2"),
        (_wav(1, 1, 8000, 12, bytes(8)), "12 bits"),
        (_wav(3, 1, 8000, 16, bytes(8)), "format tag 3 with 16 bits"),
        (_wav(1, 0, 8000, 16, b""), "0 channels"),
        (_wav(1, 1, 0, 16, b""), "0 Hz"),
        (_wav(1, 2, 8000, 16, bytes(6)), "whole number"),
        (b"RIFF\x10\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00\x00\x00", "data chunk comes before the fmt"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt chunk"),
        (b"RIFF\x1c\x00\x00\x00WAVEfmt \x08\x00\x00\x00" + bytes(8) + b"data" + bytes(4), "fmt chunk too short"),
    ],
)
def test_decode_wav_malformed(data, needle):
    with pytest.raises(ValueError, match=needle):
        decode_wav(data)


def test_decode_wav_bad_extensible_guid_and_block_align():
    good = _wav(1, 1, 8000, 16, bytes(4), extensible=True)
    with pytest.raises(ValueError, match="GUID"):
        decode_wav(good.replace(b"\xaa\x00\x38\x9b\x71", b"\xaa\x00\x38\x9b\x72"))
    bad_align = bytearray(_wav(1, 2, 8000, 16, bytes(8)))
    bad_align[32] = 3  # block align field of the fmt chunk
    with pytest.raises(ValueError, match="block align 3"):
        decode_wav(bytes(bad_align))


def test_decode_wav_truncated_and_random():
    data = encode_wav(np.arange(-50, 50, dtype=np.int16).reshape(50, 2), 8000)
    for end in range(len(data)):
        with pytest.raises(ValueError):
            decode_wav(data[:end])
    rng = np.random.default_rng(14)
    for _ in range(300):
        junk = bytearray(data[: int(rng.integers(12, len(data)))])
        for _ in range(3):
            junk[int(rng.integers(len(junk)))] = int(rng.integers(256))
        try:
            samples, rate = decode_wav(bytes(junk))
        except ValueError:
            continue
        assert samples.size * samples.dtype.itemsize <= 2 * len(junk) and rate >= 1  # 24-bit grows to int32
    with pytest.raises(TypeError, match="bytes"):
        decode_wav(None)
