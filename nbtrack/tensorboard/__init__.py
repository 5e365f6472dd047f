"""TensorBoard compatibility: read TensorBoard logdirs, and a drop-in ``SummaryWriter``.

``nbtrack.tensorboard`` mirrors ``torch.utils.tensorboard``, so that
``from nbtrack.tensorboard import SummaryWriter`` replaces the torch import unchanged.

Rooms (``tests/test_architecture.py``): ``events/`` decodes event files and knows nothing of
nbtrack; ``reader/`` turns a folder of event files into a run with ``RunReader``'s API;
``writer/`` records an nbtrack run through the recorder.
"""

from __future__ import annotations

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
