"""Deterministic values shared by the child scripts and the tests (no nbtrack import)."""

from __future__ import annotations


def value(tag: str, step: int) -> float:
    """The value every test logs for ``tag`` at ``step``: exact, distinct per tag, not round."""
    salt = sum(ord(c) * (i + 1) for i, c in enumerate(tag))
    return ((step * 2654435761 + salt * 40503) % 1000003) / 7.0 + step * 1e-3 - salt
