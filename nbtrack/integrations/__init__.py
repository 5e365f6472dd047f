"""Framework integrations: code that hooks nbtrack into a training library, over the public face only.

``Run.watch`` (torch: ``torch.py``, reached by a named lazy hook), ``nbtrack.keras.TrackCallback``
(Keras 3), ``nbtrack.lightning.NbtrackLogger`` (PyTorch Lightning) and
``nbtrack.transformers.TrackCallback`` (Hugging Face ``Trainer``). Importing ``nbtrack`` or this
package imports none of the frameworks: each module here imports its own framework when it is
used, and a missing one raises an ``ImportError`` naming the extra to install.
"""

from __future__ import annotations
