"""``nbtrack.keras.TrackCallback``: Keras 3's ``model.fit`` recorded in an nbtrack run.

Imports Keras only when ``TrackCallback`` is first used (``nbtrack/integrations/keras.py``
holds it); without Keras the ``ImportError`` names the extra: ``pip install "nbtrack[keras]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.integrations.keras import TrackCallback

__all__ = ["TrackCallback"]


def __getattr__(name: str) -> Any:
    if name == "TrackCallback":
        from nbtrack.integrations.keras import TrackCallback

        return TrackCallback
    raise AttributeError(f"module 'nbtrack.keras' has no attribute {name!r}")
