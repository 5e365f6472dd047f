"""PR curves as the browser reads them: a stored curve's JSON made safe for ``JSON.parse`` (pure).

nbtrack stores a curve (``nbtrack.PRCurve``, ``SummaryWriter.add_pr_curve`` and ``add_pr_curve_raw``,
TensorBoard's ``pr_curves`` read from event files) as JSON lists ``thresholds, tp, fp, tn, fn, precision,
recall``, written with Python's ``allow_nan``: a raw curve may hold ``NaN``, which ``JSON.parse`` rejects.
The browser gets the same lists with non-finite numbers as the strings ``"nan"``, ``"inf"``, ``"-inf"``
(as in media ``meta``); ``js/src/prcurvemath.js`` decodes them.
"""

from __future__ import annotations

import json
import math
from typing import Any

CURVE_KEYS = ("thresholds", "tp", "fp", "tn", "fn", "precision", "recall")
NEEDED_KEYS = ("thresholds", "precision", "recall")


def browser_curve(stored: bytes) -> bytes:
    """The stored curve's JSON as the browser's: its lists only, non-finite numbers as strings.

    Raises ``ValueError`` when ``stored`` is not a curve (not JSON, a needed list missing, lists of
    different lengths or holding other than numbers).

    >>> browser_curve(b'{"thresholds": [0, 1], "precision": [NaN, 1], "recall": [1, 0.5], "x": 1}')
    b'{"thresholds": [0.0, 1.0], "precision": ["nan", 1.0], "recall": [1.0, 0.5]}'
    """
    try:
        body = json.loads(stored)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"a PR curve's file is not JSON ({exc})") from None
    if not isinstance(body, dict) or any(not isinstance(body.get(key), list) for key in NEEDED_KEYS):
        raise ValueError(f"a PR curve's JSON must be an object with the lists {list(NEEDED_KEYS)}")
    out = {key: [_number(v) for v in body[key]] for key in CURVE_KEYS if isinstance(body.get(key), list)}
    if len({len(v) for v in out.values()}) != 1:
        raise ValueError("a PR curve's lists must have one length")
    return json.dumps(out, allow_nan=False).encode("utf-8")


def _number(value: Any) -> float | str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a PR curve's lists must hold numbers, got {value!r}")
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value
