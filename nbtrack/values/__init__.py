"""Value types beyond scalars: what ``log()`` accepts besides numbers.

Each is validated and copied when it is created (in the training thread) and encoded
later in the writer thread.
"""

from __future__ import annotations

from ._base import Encoded, Value
from .audio import Audio
from .histogram import Histogram
from .image import Image
from .text import Html, Markdown, Text

__all__ = ["Audio", "Encoded", "Histogram", "Html", "Image", "Markdown", "Text", "Value"]
