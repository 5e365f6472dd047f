"""Framework integrations: one callback or logger per framework, over the public face only.

``nbtrack.keras.TrackCallback`` (Keras 3), ``nbtrack.lightning.NbtrackLogger`` (PyTorch
Lightning) and ``nbtrack.transformers.TrackCallback`` (Hugging Face ``Trainer``). Importing
``nbtrack`` or this package imports none of the frameworks: each module here imports its own
framework, and a missing one raises an ``ImportError`` naming the extra to install.
"""

from __future__ import annotations
