"""Framework integrations: code that hooks nbtrack into a training library.

Each module imports its framework only when it is used (``Run.watch`` imports
``nbtrack.integrations.torch``, which imports torch) and reaches nbtrack only through the
public face ``nbtrack``. This package itself imports nothing.
"""

from __future__ import annotations
