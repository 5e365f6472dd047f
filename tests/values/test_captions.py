"""Captions of media values: text that cannot be stored is rejected when logged."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack

IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


def test_caption_with_a_lone_surrogate_is_rejected_at_log_time():
    """Text() rejects lone surrogates, but captions of Image/Audio/Video/Figure do not: the record's
    meta cannot be encoded as UTF-8 and storage fails for the whole flush (see the poison test)."""
    with pytest.raises(ValueError):
        nbtrack.Image(IMG, caption="bad \ud800")
    with pytest.raises(ValueError):
        nbtrack.Audio(np.zeros(4), sample_rate=8000, caption="\udfff")
