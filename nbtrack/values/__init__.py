"""Value types beyond scalars: what ``log()`` accepts besides numbers.

Each is validated and copied when it is created (in the training thread) and encoded
later in the writer thread.
"""

from __future__ import annotations

from ._base import Encoded, Value
from .audio import Audio
from .embedding import Embedding
from .figure import Figure
from .graph import ModelGraph
from .histogram import Histogram
from .image import Image
from .prcurve import PRCurve
from .table import Table
from .text import Html, Markdown, Text
from .video import Video

__all__ = ["Audio", "Embedding", "Encoded", "Figure", "Histogram", "Html", "Image", "Markdown", "ModelGraph",
           "PRCurve", "Table", "Text", "Value", "Video"]
