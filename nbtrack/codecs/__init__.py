"""Codecs used by nbtrack's value types.

PNG and animated PNG for images and videos, 16-bit PCM WAV for audio: the encoders are pure numpy and the
standard library, vectorised, since they run in nbtrack's background writer thread. Image files (PNG, JPEG,
GIF, WebP) and APNGs are decoded with Pillow, 16-bit colour PNGs and WAV by hand. The decoders treat their
input as hostile: malformed data raises :class:`ValueError`, nothing from the data is ever executed, and
declared sizes are checked before allocating.
"""

from __future__ import annotations

from .images import decode_image, image_size
from .png import decode_apng, decode_png, encode_apng, encode_png, png_size
from .wav import decode_wav, encode_wav

__all__ = ["decode_apng", "decode_image", "decode_png", "decode_wav", "encode_apng", "encode_png", "encode_wav",
           "image_size", "png_size"]
