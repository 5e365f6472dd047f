"""``nbtrack.PRCurve``: a precision-recall curve, computed like TensorBoard's ``pr_curve`` summary."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._base import Encoded, Value, as_array

MIN_COUNT = 1e-7
"""TensorBoard's floor on the denominators of precision and recall."""
MAX_THRESHOLDS = 10_000
CURVE_KEYS = ("thresholds", "tp", "fp", "tn", "fn", "precision", "recall")


class PRCurve(Value):
    """A precision-recall curve from binary labels and predicted probabilities.

    ``labels`` are bools or 0/1, ``predictions`` floats in [0, 1], both of the same
    shape with at least one entry; ``weights`` (optional, non-negative) weigh each
    example. The call only copies the arrays; the curve is computed in nbtrack's writer
    thread exactly like TensorBoard's ``pr_curve`` summary, so imported TensorBoard
    curves and nbtrack's agree: ``num_thresholds`` thresholds evenly spaced on [0, 1],
    prediction ``p`` falls in bucket ``floor(p * (num_thresholds - 1))``, and at
    threshold ``i`` the true positives ``tp[i]`` are the weighted positives in buckets
    ``>= i`` (``fp`` likewise), ``tn = negatives - fp``, ``fn = positives - tp``,
    ``precision = tp / max(tp + fp, 1e-7)``, ``recall = tp / max(tp + fn, 1e-7)``.

    Examples
    --------
    >>> from nbtrack.values.prcurve import PRCurve, decode_pr_curve
    >>> enc = PRCurve([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], num_thresholds=3).encode()
    >>> curve = decode_pr_curve(enc.files[".json"])
    >>> curve["thresholds"].tolist(), curve["tp"].tolist(), curve["precision"].tolist()
    ([0.0, 0.5, 1.0], [2.0, 1.0, 0.0], [0.5, 0.5, 0.0])
    """

    KIND = "pr_curve"

    def __init__(self, labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None) -> None:
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
            raise TypeError(f"PRCurve(num_thresholds=...): expected an int, got {type(num_thresholds).__name__}")
        if not 2 <= num_thresholds <= MAX_THRESHOLDS:
            raise ValueError(f"PRCurve(num_thresholds=...): {num_thresholds} is not accepted; "
                             f"use 2..{MAX_THRESHOLDS}")
        self.num_thresholds = int(num_thresholds)
        self._predictions = _check_predictions(predictions)
        self._labels = _check_labels(labels, self._predictions.shape)
        self._weights = None if weights is None else _check_weights(weights, self._predictions.shape)
        self._predictions = self._predictions.reshape(-1)
        self.positives = int(np.count_nonzero(self._labels))
        self.negatives = int(self._labels.size - self.positives)

    @property
    def nbytes(self) -> int:
        weights = 0 if self._weights is None else self._weights.nbytes
        return int(self._predictions.nbytes + self._labels.nbytes + weights)

    def curve(self) -> dict[str, np.ndarray]:
        """The curve's arrays (float64, one entry per threshold): see the class docstring."""
        return pr_curve(self._labels, self._predictions, self.num_thresholds, self._weights)

    def encode(self) -> Encoded:
        curve = self.curve()
        body = {key: curve[key].tolist() for key in CURVE_KEYS}
        data = json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8")
        meta = {"num_thresholds": self.num_thresholds, "positives": self.positives, "negatives": self.negatives,
                "weighted": self._weights is not None}
        return Encoded(self.KIND, meta, {".json": data})


def pr_curve(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int,
             weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """TensorBoard's PR-curve arithmetic on checked 1-D arrays (bool labels, predictions in [0, 1]).

    >>> pr_curve(np.array([True, False]), np.array([0.8, 0.3]), 2)["recall"].tolist()
    [1.0, 0.0]
    """
    buckets = np.floor(predictions * (num_thresholds - 1)).astype(np.int64)
    w = np.ones(len(predictions)) if weights is None else weights
    positive = labels.astype(np.float64)
    tp_buckets = np.bincount(buckets, weights=positive * w, minlength=num_thresholds)
    fp_buckets = np.bincount(buckets, weights=(1.0 - positive) * w, minlength=num_thresholds)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    return {"thresholds": np.linspace(0.0, 1.0, num_thresholds), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": tp / np.maximum(MIN_COUNT, tp + fp), "recall": tp / np.maximum(MIN_COUNT, tp + fn)}


def decode_pr_curve(json_bytes: bytes) -> dict[str, np.ndarray]:
    """The arrays of a curve written by :meth:`PRCurve.encode` (float64). Malformed input raises ``ValueError``.

    >>> decode_pr_curve(PRCurve([True], [1.0], num_thresholds=2).encode().files[".json"])["tp"].tolist()
    [1.0, 1.0]
    """
    try:
        body = json.loads(json_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"decode_pr_curve(): not a PR curve's JSON ({exc})") from None
    if not isinstance(body, dict) or any(not isinstance(body.get(key), list) for key in CURVE_KEYS):
        raise ValueError(f"decode_pr_curve(): the JSON must be an object with the lists {list(CURVE_KEYS)}")
    try:
        arrays = {key: np.array(body[key], dtype=np.float64) for key in CURVE_KEYS}
    except (TypeError, ValueError):
        raise ValueError("decode_pr_curve(): the curve's lists must hold numbers") from None
    if len({a.shape for a in arrays.values()}) != 1 or arrays["tp"].ndim != 1:
        raise ValueError("decode_pr_curve(): the curve's lists must be flat and of one length")
    return arrays


def _check_predictions(predictions: Any) -> np.ndarray:
    array = as_array(predictions, "predictions", "PRCurve()")
    if array.size == 0:
        raise ValueError(f"PRCurve(): predictions is empty (shape {array.shape}); a curve needs at least one")
    values = np.array(array, dtype=np.float64, copy=True)
    bad = ~((values >= 0.0) & (values <= 1.0))  # NaN counts as bad
    if bad.any():
        example = float(values[bad].flat[0])
        raise ValueError(f"PRCurve(): predictions must be probabilities in [0, 1]; {int(bad.sum())} are not "
                         f"(e.g. {example!r}); apply a sigmoid or softmax first")
    return values


def _check_labels(labels: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = as_array(labels, "labels", "PRCurve()")
    if array.shape != shape:
        raise ValueError(f"PRCurve(): labels has shape {array.shape} but predictions has shape {shape}; "
                         "they must match")
    if array.dtype == np.bool_:
        return np.array(array, copy=True).reshape(-1)
    bad = ~((array == 0) | (array == 1))
    if bad.any():
        raise ValueError(f"PRCurve(): labels must be bool or 0/1, got dtype {array.dtype} with "
                         f"{int(bad.sum())} other values (e.g. {array[bad].flat[0].item()!r})")
    return (array == 1).reshape(-1)


def _check_weights(weights: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = as_array(weights, "weights", "PRCurve()")
    if array.shape != shape:
        raise ValueError(f"PRCurve(weights=...): weights has shape {array.shape} but predictions has shape "
                         f"{shape}; they must match")
    values = np.array(array, dtype=np.float64, copy=True).reshape(-1)
    bad = ~(np.isfinite(values) & (values >= 0.0))
    if bad.any():
        raise ValueError(f"PRCurve(weights=...): weights must be finite and non-negative; {int(bad.sum())} are not "
                         f"(e.g. {float(values[bad][0])!r})")
    return values
