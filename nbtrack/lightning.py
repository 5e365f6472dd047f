"""``nbtrack.lightning.NbtrackLogger``: a PyTorch Lightning logger recording into an nbtrack run.

Imports Lightning only when ``NbtrackLogger`` is first used (``nbtrack/integrations/lightning.py``
holds it); without it the ``ImportError`` names the extra: ``pip install "nbtrack[lightning]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.integrations.lightning import NbtrackLogger

__all__ = ["NbtrackLogger"]


def __getattr__(name: str) -> Any:
    if name == "NbtrackLogger":
        from nbtrack.integrations.lightning import NbtrackLogger

        return NbtrackLogger
    raise AttributeError(f"module 'nbtrack.lightning' has no attribute {name!r}")
