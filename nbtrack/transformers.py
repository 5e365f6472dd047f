"""``nbtrack.transformers.TrackCallback``: a Hugging Face ``Trainer`` recorded in an nbtrack run.

Imports Transformers only when ``TrackCallback`` is first used (``nbtrack/integrations/transformers.py``
holds it); without it the ``ImportError`` names the extra: ``pip install "nbtrack[transformers]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.integrations.transformers import TrackCallback

__all__ = ["TrackCallback"]


def __getattr__(name: str) -> Any:
    if name == "TrackCallback":
        from nbtrack.integrations.transformers import TrackCallback

        return TrackCallback
    raise AttributeError(f"module 'nbtrack.transformers' has no attribute {name!r}")
