"""``nbtrack.Audio``: samples stored as 16-bit PCM WAV."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nbtrack.codecs import decode_wav, encode_wav

from ._base import Encoded, Value, as_array, check_caption, existing_file


class Audio(Value):
    """Sound: float samples in [-1, 1] or int16, mono ``(N,)`` or channels-last ``(N, C)``, or a WAV path.

    Floats are scaled by 32767 and rounded to 16-bit; samples outside [-1, 1] or NaN
    raise ``ValueError``. A ``(C, N)`` array with C <= 8 < N is transposed.

    >>> import numpy as np, nbtrack
    >>> tone = np.sin(np.linspace(0, 440 * 2 * np.pi, 16000)).astype(np.float32)
    >>> nbtrack.Audio(tone, sample_rate=16000, caption="A4").duration
    1.0
    """

    KIND = "audio"

    def __init__(self, data: Any, sample_rate: int | None = None, caption: str | None = None) -> None:
        self.caption = check_caption(caption, "Audio()")
        if isinstance(data, (str, os.PathLike)):
            self._wav = existing_file(data, "data", "Audio()").read_bytes()
            try:
                samples, rate = decode_wav(self._wav)
            except ValueError as exc:
                raise ValueError(f"Audio(): {str(data)!r} is not a readable WAV file ({exc})") from None
            self.sample_rate, self._samples = rate, None
            self._frames = len(samples)
            return
        if (isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer))
                or not 1 <= sample_rate <= 768_000):
            raise ValueError(f"Audio(sample_rate=...): {sample_rate!r} is not accepted; "
                             "use an int in 1..768000 (Hz)")
        samples = np.array(as_array(data, "data", "Audio()"), copy=True)
        if samples.ndim == 2 and samples.shape[0] <= 8 < samples.shape[1]:
            samples = samples.T
        if samples.ndim not in (1, 2) or samples.size == 0 or (samples.ndim == 2 and not 1 <= samples.shape[1] <= 8):
            raise ValueError(f"Audio(): samples of shape {samples.shape} are not accepted; use (N,) or "
                             "(N, channels) with 1 to 8 channels")
        if samples.dtype.kind == "f":
            low, high = float(np.min(samples)), float(np.max(samples))
            if not (-1.0 <= low and high <= 1.0):
                raise ValueError(f"Audio(): float samples must lie in [-1, 1], found {low:g}..{high:g}")
        elif samples.dtype != np.int16:
            raise TypeError(f"Audio(): samples of dtype {samples.dtype} are not accepted; "
                            "use float in [-1, 1] or int16")
        self.sample_rate, self._samples, self._wav = int(sample_rate), samples, None
        self._frames = len(samples)

    @property
    def duration(self) -> float:
        return self._frames / self.sample_rate

    @property
    def nbytes(self) -> int:
        return len(self._wav) if self._wav is not None else int(self._samples.nbytes)

    def encode(self) -> Encoded:
        wav = self._wav if self._wav is not None else encode_wav(self._samples, self.sample_rate)
        meta = {"caption": self.caption, "sample_rate": self.sample_rate, "duration": self.duration,
                "format": "wav"}
        return Encoded(self.KIND, meta, {".wav": wav})
