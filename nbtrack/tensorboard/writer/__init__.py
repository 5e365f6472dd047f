"""``SummaryWriter``: torch's TensorBoard writer API, recording an nbtrack run (``summary_writer.py``).

``shapes.py`` converts and checks tensors as torch's writer does; ``structure.py`` holds the
values only this writer records (a model's structure, a chart layout, a raw PR curve).
"""

from __future__ import annotations

from .summary_writer import SummaryWriter

__all__ = ["SummaryWriter"]
