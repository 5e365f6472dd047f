"""Pure, dependency-free codecs (numpy and the standard library only) used by nbtrack's value types.

PNG and animated PNG for images and videos, 16-bit PCM WAV for audio. They run in nbtrack's background
writer thread, so they are vectorised; the decoders treat their input as hostile: malformed data raises
:class:`ValueError`, nothing from the data is ever executed, and declared sizes are checked before
allocating.
"""

from __future__ import annotations

from .png import decode_apng, decode_png, encode_apng, encode_png, png_size
from .wav import decode_wav, encode_wav

__all__ = ["decode_apng", "decode_png", "decode_wav", "encode_apng", "encode_png", "encode_wav", "png_size"]
