"""WAV (RIFF/WAVE) audio encoding and decoding of numpy arrays.

The encoder writes 16-bit PCM. The decoder reads 8-, 16-, 24- and 32-bit integer PCM and 32/64-bit IEEE float
WAVs, plain or ``WAVE_FORMAT_EXTENSIBLE``; malformed input raises :class:`ValueError`, and no more memory than
the input's size is ever allocated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_CHANNELS", "MAX_SAMPLE_RATE", "decode_wav", "encode_wav"]

MAX_CHANNELS = 8
MAX_SAMPLE_RATE = 768_000

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"  # KSDATAFORMAT_SUBTYPE_* after the tag
_DTYPES = {(_PCM, 8): "u1", (_PCM, 16): "<i2", (_PCM, 32): "<i4", (_FLOAT, 32): "<f4", (_FLOAT, 64): "<f8"}
_NATIVE = {
    (_PCM, 8): np.uint8,
    (_PCM, 16): np.int16,
    (_PCM, 32): np.int32,
    (_FLOAT, 32): np.float32,
    (_FLOAT, 64): np.float64,
}


def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """Encode audio as a 16-bit PCM WAV file.

    Parameters
    ----------
    samples : numpy.ndarray
        Shaped ``(N,)`` (mono) or ``(N, C)`` channels-last with 1 <= C <= 8. Either ``int16`` (written
        exactly) or any float dtype with values in [-1, 1], written as ``round(x * 32767)`` computed in
        float64 (round half to even), so -1 and 1 map to -32767 and 32767.
    sample_rate : int
        Samples per second per channel, 1 to 768000.

    Returns
    -------
    bytes
        A WAV file (``RIFF``/``WAVE``, ``fmt `` chunk with format tag 1, ``data`` chunk).

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(np.linspace(0, 2 * np.pi * 440, 8000, endpoint=False)) * 0.5
    >>> pcm, rate = decode_wav(encode_wav(tone, 8000))
    >>> pcm.dtype, pcm.shape, rate, int(pcm.max())
    (dtype('int16'), (8000,), 8000, 16384)
    """
    pcm = _to_int16(samples)
    rate = _check_rate(sample_rate)
    channels = pcm.shape[1]
    data = pcm.astype("<i2", copy=False).tobytes()
    if 36 + len(data) > 0xFFFFFFFF:
        raise ValueError(f"samples of shape {samples.shape} are too long for a WAV file (over 4 GiB)")
    fmt = struct.pack("<HHIIHH", _PCM, channels, rate, rate * channels * 2, channels * 2, 16)
    header = struct.pack("<4sI4s4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", len(fmt))
    return header + fmt + struct.pack("<4sI", b"data", len(data)) + data


def _to_int16(samples: object) -> np.ndarray:
    """``samples`` as (N, C) int16, after checking type, shape and range."""
    if not isinstance(samples, np.ndarray):
        raise TypeError(f"samples must be a numpy array, got {type(samples).__name__}")
    shape = samples.shape
    if not (len(shape) == 1 or (len(shape) == 2 and 1 <= shape[1] <= MAX_CHANNELS)):
        raise ValueError(
            f"samples must be shaped (N,) for mono or (N, C) channels-last with 1 <= C <= {MAX_CHANNELS}, "
            f"got shape {shape}"
        )
    frames = samples.reshape(shape[0], 1) if len(shape) == 1 else samples
    kind, size = samples.dtype.kind, samples.dtype.itemsize
    if kind == "i" and size == 2:
        return frames.astype(np.int16, copy=False)
    if kind != "f":
        raise TypeError(f"samples must be int16 or a float dtype with values in [-1, 1], got {samples.dtype}")
    if frames.size == 0:
        return np.zeros(frames.shape, np.int16)
    if np.isnan(frames).any():
        raise ValueError("samples contain NaN")
    lo, hi = float(frames.min()), float(frames.max())
    if lo < -1 or hi > 1:
        raise ValueError(f"float samples must lie in [-1, 1], found min {lo:g} and max {hi:g}")
    return np.rint(frames.astype(np.float64) * 32767).astype(np.int16)


def _check_rate(sample_rate: object) -> int:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
        raise TypeError(f"sample_rate must be an int, got {type(sample_rate).__name__}")
    if not 1 <= sample_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"sample_rate must be between 1 and {MAX_SAMPLE_RATE}, got {sample_rate}")
    return int(sample_rate)


@dataclass(frozen=True)
class _Format:
    tag: int  # 1 PCM or 3 IEEE float, after resolving WAVE_FORMAT_EXTENSIBLE
    channels: int
    rate: int
    bits: int


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode a PCM or IEEE-float WAV file.

    Parameters
    ----------
    data : bytes
        The file: integer PCM of 8, 16, 24 or 32 bits, or float of 32 or 64 bits, any number of channels,
        plain (format tag 1 or 3) or ``WAVE_FORMAT_EXTENSIBLE``.

    Returns
    -------
    samples : numpy.ndarray
        ``(N,)`` for mono, ``(N, C)`` otherwise, in the file's natural dtype, values unscaled: ``uint8``
        (8-bit, offset 128), ``int16``, ``int32`` (24-bit values sign-extended, and 32-bit), ``float32`` or
        ``float64``.
    sample_rate : int

    Raises
    ------
    ValueError
        Not RIFF/WAVE, missing or malformed ``fmt `` or ``data`` chunk, unsupported encoding, truncated data.

    Examples
    --------
    >>> import numpy as np
    >>> stereo = np.array([[0, -1], [32767, -32768]], np.int16)
    >>> samples, rate = decode_wav(encode_wav(stereo, 44100))
    >>> samples.tolist(), rate
    ([[0, -1], [32767, -32768]], 44100)
    """
    fmt_body, body = _find_chunks(data)
    fmt = _parse_fmt(fmt_body)
    align = fmt.channels * fmt.bits // 8
    if len(body) % align:
        raise ValueError(f"WAV data chunk of {len(body)} bytes is not a whole number of {align}-byte frames")
    if fmt.bits == 24:
        samples = _int24(body)
    else:
        samples = np.frombuffer(body, _DTYPES[fmt.tag, fmt.bits]).astype(_NATIVE[fmt.tag, fmt.bits])
    samples = samples.reshape(-1, fmt.channels)
    return (samples[:, 0] if fmt.channels == 1 else samples), fmt.rate


def _find_chunks(data: object) -> tuple[memoryview, memoryview]:
    """Bodies of the ``fmt `` and the ``data`` chunk of a RIFF/WAVE file."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    buf = memoryview(data).cast("B")
    if len(buf) < 12 or bytes(buf[:4]) != b"RIFF" or bytes(buf[8:12]) != b"WAVE":
        raise ValueError("not a WAV file: expected a RIFF header with form type WAVE")
    pos, fmt = 12, None
    while pos + 8 <= len(buf):
        kind, size = struct.unpack_from("<4sI", buf, pos)
        body = buf[pos + 8 : pos + 8 + size]
        if len(body) < size:
            raise ValueError(f"truncated WAV: chunk {kind!r} at offset {pos} declares {size} bytes, has {len(body)}")
        if kind == b"fmt ":
            fmt = body
        elif kind == b"data":
            if fmt is None:
                raise ValueError("WAV data chunk comes before the fmt chunk")
            return fmt, body
        pos += 8 + size + (size & 1)
    raise ValueError("WAV file has no " + ("fmt chunk" if fmt is None else "data chunk"))


def _parse_fmt(body: memoryview) -> _Format:
    if len(body) < 16:
        raise ValueError(f"WAV fmt chunk too short: {len(body)} bytes")
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE:
        if len(body) < 40:
            raise ValueError(f"WAVE_FORMAT_EXTENSIBLE fmt chunk too short: {len(body)} bytes")
        sub = bytes(body[24:40])
        if sub[2:] != _GUID_TAIL:
            raise ValueError("unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID")
        tag = struct.unpack("<H", sub[:2])[0]
    if (tag, bits) not in _DTYPES and (tag, bits) != (_PCM, 24):
        raise ValueError(f"unsupported WAV encoding: format tag {tag} with {bits} bits per sample")
    if channels < 1 or rate < 1:
        raise ValueError(f"invalid WAV format: {channels} channels at {rate} Hz")
    if align != channels * bits // 8:
        raise ValueError(f"invalid WAV block align {align} for {channels} channels of {bits} bits")
    return _Format(tag, channels, rate, bits)


def _int24(body: memoryview) -> np.ndarray:
    """Little-endian signed 24-bit samples as int32."""
    triples = np.frombuffer(body, np.uint8).reshape(-1, 3)
    padded = np.zeros((len(triples), 4), np.uint8)
    padded[:, 1:] = triples  # value << 8 in a little-endian int32, then an arithmetic shift sign-extends
    return padded.view("<i4")[:, 0].astype(np.int32) >> 8
